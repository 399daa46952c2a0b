#!/bin/sh
# The memblock simulator (tools/testing/memblock) of the patched tree: upstream's checks and the
# series' UNUSED_VMEMMAP ones, built for the host. A failed assertion stops the simulator; a
# warning only prints "assertion failed", which inside the series' checks fails this stage too.
set -eu
. "$(dirname "$0")/lib.sh"

dir=$BUILD/memblock-sim
sim=$dir/tools/testing/memblock
log=$LOGS/memblock-sim-run.log
rm -rf "$dir"
mkdir -p "$dir"
git -C "$TREE" archive series tools mm/memblock.c include arch/x86/include/asm | tar -x -C "$dir"
run_logged "$LOGS/memblock-sim-build.log" make -C "$sim" -j"$(nproc)" ||
	die "the memblock simulator failed to build: see $LOGS/memblock-sim-build.log"
rc=0
"$sim/main" -v > "$log" 2>&1 || rc=$?
if [ "$rc" -ne 0 ]; then
	tail -n 5 "$log" >&2
	die "the memblock simulator failed (exit $rc): see $log"
fi
ours=$(sed -n '/Running memblock_unused_vmemmap tests/,$p' "$log")
passed=$(echo "$ours" | grep -c '^ok .*: passed$' || true)
if echo "$ours" | grep -q 'assertion failed'; then
	echo "$ours" | grep -B 1 'assertion failed' >&2
	die "a memblock warning fired in the UNUSED_VMEMMAP checks: see $log"
fi
[ "$passed" -eq 7 ] || die "$passed of the 7 UNUSED_VMEMMAP checks passed: see $log"
say "memblock simulator: $(grep -c '^ok ' "$log") checks passed, $passed of them UNUSED_VMEMMAP"
