#!/bin/sh
# make check: the series applies, passes checkpatch and builds patch by patch; the patched
# kernels pass the QEMU scenarios; the harness catches what it must. Prints a table and
# "N passed, N failed"; exits non-zero if anything failed.
#   FULL=1 (make check-full): also the baseline kernels and the x86_64 guests, and every
#     scenario on every page size; without it (make check, what CI runs) a scenario runs on the
#     page sizes of its "check=" line (all if it has none)
#   PAGE_SIZES: make check "4k 64k" (the extremes; within CI's time only with two page sizes),
#     make check-full "4k 16k 64k"
#   SCENARIOS: the scenarios, default below; each runs on the kernels
#     its "kernels=" and "arch=" lines name (arm64 kernels of PAGE_SIZES; x86_64 with X86=1,
#     the default of make check-full)
#   DEBUG_SCENARIOS: PAGE:SCENARIO runs on patched kernels with the debug fragment (KASAN,
#     DEBUG_VM, PROVE_LOCKING, kmemleak, DEBUG_PAGEALLOC), whose reports fail a run; "" skips them
#   DEBUG=1: the whole matrix on debug kernels (slower to build and to boot)
#   BASELINE_PAGES: the page sizes with a baseline kernel; make check: none, make check-full:
#     all and x86_64 (make check fits CI's time only with the series' own kernels)
# The runs that show a known bug must fail, for that reason (known_bug): the baseline's bugs
# that the series fixes, and bugs found in both kernels that the series does not fix yet.
set -u
. "$(dirname "$0")/lib.sh"
PAGE_SIZES=${PAGE_SIZES:-4k ${FULL:+16k }64k}
SCENARIOS=${SCENARIOS:-dimm dimm-memmap-on-memory dt-mem dt-probe acpi-refusals acpi-bootmem-owner acpi-kselftest dt-bootmem dt-bootmem-rodata-off dt-bootmem-rodata-full memmap-subsection hmm resource-kunit dt-bootmem-kexec \
virtio-mem dax-kmem dimm-repeat probe-repeat probe-memmap-on-memory load-remove fault-inject \
fault-inject-acpi lock-readers eject-data lru-batch memunmap-refs x86-hotplug-abi x86-dimm x86-acpi-refusals}
DEBUG_SCENARIOS=${DEBUG_SCENARIOS-4k:dt-bootmem-debug 4k:acpi-refusals 4k:memmap-subsection \
4k:dax-kmem-debug 4k:dimm-repeat-debug 4k:probe-repeat-debug \
4k:probe-memmap-on-memory-debug 4k:load-remove-debug 4k:fault-inject-debug 4k:lock-readers-debug \
4k:dt-bootmem-inside-debug \
4k:lru-batch 4k:memunmap-refs}
# make check-full: also 16K, the baselines, the x86_64 guests, the 16K debug kernel, the ZONE_NORMAL
# pin case of load-remove, which kernel allocations in the block can fail, and virtio-mem on the
# debug kernel, where lockdep reports a kn->active/mem_hotplug_lock cycle in 1 run of 2.
if [ -n "${FULL:-}" ]; then
	BASELINE_PAGES=${BASELINE_PAGES-$PAGE_SIZES x86_64}
	X86=${X86:-1}
	SCENARIOS="$SCENARIOS load-remove-zone-normal"
	DEBUG_SCENARIOS="$DEBUG_SCENARIOS 4k:virtio-mem-debug 4k:fault-inject-acpi-debug 16k:memmap-subsection 16k:hmm 16k:memblock-reader"
fi
BASELINE_PAGES=${BASELINE_PAGES-}
table=$LOGS/check-table.txt
failed_logs=$LOGS/check-failed-logs.txt
: > "$table"
: > "$failed_logs"
passed=0 failed=0
check_start=$(date +%s)

# at: minutes into the run, on each stage's first line, so that a log cut off by a time limit
# (CI's) still says where the time went.
at() { _s=$(elapsed "$check_start"); printf '%d:%02d' $((_s / 60)) $((_s % 60)); }

# record NAME OK|FAIL SECONDS CAUSE
record() {
	printf '%-34s %-5s %5ss  %s\n' "$1" "$2" "$3" "$4" >> "$table"
	if [ "$2" = FAIL ]; then failed=$((failed + 1)); else passed=$((passed + 1)); fi
}

# What a failed QEMU stage left: its problems, the last host requests and the guest's last
# lines, so that a run whose log is gone (CI) still says what went wrong.
failure_digest() {
	_rundir=$(sed -n 's/.*(logs: \([^)]*\)).*/\1/p' "$1" | tail -n 1)
	echo "--- ${1#"$TOP"/}"
	grep -E '^  ' "$1" | head -n 10
	[ -n "$_rundir" ] && [ -d "$TOP/$_rundir" ] || return 0
	echo "    host requests (control.log, last 6):"
	tail -n 6 "$TOP/$_rundir/control.log" 2>/dev/null | sed 's/^/      /'
	echo "    guest (serial.log, last 25 test lines):"
	grep -E '^ *(#|ok|not ok)' "$TOP/$_rundir/serial.log" 2>/dev/null | tail -n 25 | sed 's/^/      /'
}

# run_stage NAME CMD...: output to the terminal and to build/logs/check-NAME.log.
run_stage() {
	_name=$1; shift
	_log=$LOGS/check-$_name.log
	_start=$(date +%s)
	say "[$_name] at $(at): $*"
	echo 1 > "$_log.rc"
	{ "$@"; echo $? > "$_log.rc"; } 2>&1 | tee "$_log"
	_rc=$(cat "$_log.rc")
	if [ "$_rc" -eq 0 ]; then
		record "$_name" PASS "$(elapsed "$_start")" "$(stage_note)"
	else
		_cause=$(grep -E '^  (guest|dmesg|timeout|the guest|no KTAP|QEMU)' "$_log" | head -n 1)
		[ -n "$_cause" ] || _cause=$(grep -E '^(ERROR|FAIL)' "$_log" | head -n 1)
		echo "$_log" >> "$failed_logs"
		record "$_name" FAIL "$(elapsed "$_start")" "${_cause:-exit status $_rc} (log: ${_log#"$TOP"/})"
	fi
	return "$_rc"
}

# The note of a passing stage: for a QEMU run, how many guest cases passed and were skipped.
result_json=
stage_note() {
	[ -n "$result_json" ] && [ -f "$result_json" ] || return 0
	python3 -c 'import json, re, sys
ok = skipped = 0
for test in json.load(open(sys.argv[1]))["tests"]:
    for case in test["cases"]:
        # A kselftest run counts by the results of its own tests, in the notes.
        inner = [n for n in case["notes"] if re.match(r"(not )?ok \d+ ", n)]
        for res in inner or ["ok 0 # SKIP" if case["skip"] else "ok 0"]:
            skipped += " # SKIP" in res
            ok += res.startswith("ok") and " # SKIP" not in res
print("%d cases ok, %d skipped" % (ok, skipped))' "$result_json"
}

# run_qemu KERNEL SCENARIO
run_qemu() {
	result_json=$BUILD/runs/$1/$2/result.json
	run_stage "qemu-$1-$2" python3 "$TOP/scripts/qemu.py" --quiet --kernel "$1" \
		--scenario "$TOP/qemu-test/scenarios/$2.conf"
	result_json=
}

# expect_failure NAME PATTERNS CMD...: CMD must fail and print each of PATTERNS (EREs, one per
# line): a harness self-test, or a baseline bug the series fixes.
expect_failure() {
	_name=$1 _patterns=$2; shift 2
	_log=$LOGS/check-$_name.log
	_start=$(date +%s)
	say "[$_name] at $(at), must fail: $*"
	echo 1 > "$_log.rc"
	{ "$@"; echo $? > "$_log.rc"; } > "$_log" 2>&1
	_caught= _missed=
	while read -r _pattern; do
		_line=$(grep -E -m 1 -- "$_pattern" "$_log" | sed 's/^ *//' | cut -c1-100)
		if [ -n "$_line" ]; then _caught="${_caught:+$_caught; }$_line"; else _missed=1; fi
	done <<EOT
$_patterns
EOT
	if [ "$(cat "$_log.rc")" -ne 0 ] && [ -z "$_missed" ]; then
		echo "  caught as expected: $_caught"
		record "$_name" PASS "$(elapsed "$_start")" "caught: $_caught"
	else
		record "$_name" FAIL "$(elapsed "$_start")" "not caught (exit $(cat "$_log.rc")); see ${_log#"$TOP"/}"
	fi
}

# qemu_and_serial_log KERNEL SCENARIO: a QEMU run, then its serial log (a fault's "pc :" line,
# the notes of the guest's tests); the run's exit status.
qemu_and_serial_log() {
	_rc=0
	python3 "$TOP/scripts/qemu.py" --quiet --kernel "$1" \
		--scenario "$TOP/qemu-test/scenarios/$2.conf" || _rc=$?
	cat "$BUILD/runs/$1/$2/serial.log"
	return "$_rc"
}

# known_bug KERNEL SCENARIO: the patterns by which a run shows a known bug, one per line; false
# for a run that must pass. A bug that stops showing fails its stage: update the list then.
known_bug() {
	case "$1:$2" in
	# a 2 MiB sub-section's removal frees the vmemmap page its neighbour's struct pages are in
	baseline-16k*:memmap-subsection)
		echo 'kept range [0-9], pfn .* unreadable=[1-9]' ;;
	# and request_free_mem_region() hands out a range past MAX_PHYSMEM_BITS
	baseline-64k*:memmap-subsection)
		printf '%s\n' 'is past MAX_PHYSMEM_BITS' 'kept range [0-9], pfn .* unreadable=[1-9]' ;;
	baseline-64k*:hmm)
		echo 'pc : sparse_add_section' ;;
	# The hot-add error paths of part 4, whichever the run meets first: a DIMM add half done
	# or not undone by device_del (patches 23-26), kmem's bind reporting a failed allocation as
	# EEXIST (24) or leaving memory map behind (23), a BUG on a page-table allocation (27).
	baseline-*:fault-inject-acpi*)
		echo 'a DIMM add under failing allocations went wrong|a DIMM add with .* failing went wrong|kmem bind, n=[0-9]+: an allocation failed, the write said EEXIST|kmem bind, n=[0-9]+ failed with .* and changed the state|kernel BUG at .*arch/arm64/mm/mmu.c' ;;
	*) return 1 ;;
	esac
}

# key SCENARIO KEY: the value of a key of a scenario file.
key() { sed -n "s/^$2=//p" "$TOP/qemu-test/scenarios/$1.conf"; }

# runs_on KERNEL PAGE SCENARIO: whether the scenario runs on this kernel (baseline or patched,
# its "kernels=" line, both by default), on this page size (4k..64k, or x86_64 for a scenario
# with arch=x86_64), in this mode (make check: its "check=" page sizes, or kernels such as
# patched-4k, all by default).
runs_on() {
	_kernels=$(key "$3" kernels) _arch=$(key "$3" arch) _check=$(key "$3" check)
	case " ${_kernels:-baseline patched} " in *" $1 "*) ;; *) return 1 ;; esac
	if [ "$2" = x86_64 ]; then [ "$_arch" = x86_64 ]; return; fi
	[ "${_arch:-arm64}" = arm64 ] || return 1
	[ -n "${FULL:-}" ] && return 0
	case " ${_check:-$2} " in *" $2 "*|*" $1-$2 "*) return 0 ;; esac
	return 1
}

run_stage series-applies sh "$TOP/scripts/apply-series.sh" || {
	cat "$table"; die "the series does not apply: nothing else can run"
}
run_stage checkpatch sh "$TOP/scripts/checkpatch.sh"
run_stage memblock-simulator sh "$TOP/scripts/memblock-sim.sh"
run_stage per-patch-builds sh "$TOP/scripts/build-series.sh"
run_stage guest-initramfs sh "$TOP/scripts/build-guest.sh"
x86_page=
[ "${X86:-0}" = 0 ] || [ -n "${DEBUG:-}" ] || x86_page=x86_64
[ -z "$x86_page" ] || run_stage guest-initramfs-x86_64 env GUEST_ARCH=x86_64 sh "$TOP/scripts/build-guest.sh"
run_stage harness-concurrent-targets sh "$TOP/scripts/selftest-locks.sh"

for page in $PAGE_SIZES $x86_page; do
	for kernel in baseline patched; do
		k=$kernel-$page${DEBUG:+-debug}
		if [ "$kernel" = baseline ]; then
			case " $BASELINE_PAGES " in *" $page "*) ;; *) continue ;; esac
		fi
		if ! run_stage "build-$k" sh "$TOP/scripts/build-kernel.sh" "$k"; then
			continue
		fi
		for s in $SCENARIOS; do
			runs_on "$kernel" "$page" "$s" || continue
			if bug=$(known_bug "$k" "$s"); then
				expect_failure "qemu-$k-$s" "$bug" qemu_and_serial_log "$k" "$s"
			else
				run_qemu "$k" "$s"
			fi
		done
	done
done

# The new code under the debug fragment (when the matrix above was not already debug kernels).
if [ -z "${DEBUG:-}" ]; then
	for page in $(echo "$DEBUG_SCENARIOS" | tr ' ' '\n' | cut -d: -f1 | uniq); do
		k=patched-$page-debug
		run_stage "build-$k" sh "$TOP/scripts/build-kernel.sh" "$k" || continue
		for run in $DEBUG_SCENARIOS; do
			[ "${run%%:*}" = "$page" ] || continue
			if bug=$(known_bug "$k" "${run#*:}"); then
				expect_failure "qemu-$k-${run#*:}" "$bug" qemu_and_serial_log "$k" "${run#*:}"
			else
				run_qemu "$k" "${run#*:}"
			fi
		done
	done
fi

# The harness itself: its QMP client must match replies to commands when QEMU sends an event
# before its greeting; each failure it exists to catch must fail a run, naming the cause.
run_stage harness-qmp-greeting python3 "$TOP/scripts/selftest-qmp.py"
selftest_kernel=patched-${PAGE_SIZES%% *}${DEBUG:+-debug}
expect_failure harness-unsatisfiable-option 'CONFIG_ARCH_MEMORY_PROBE=y' \
	env EXTRA_CONFIG="$TOP/qemu-test/configs/selftest-unsatisfiable.config" \
	OUT="$BUILD/out/selftest-config" sh "$TOP/scripts/build-kernel.sh" --config-only baseline-4k
expect_failure harness-failing-guest-test 'guest test failed: selftest-fail' \
	python3 "$TOP/scripts/qemu.py" --quiet --kernel "$selftest_kernel" \
	--scenario "$TOP/qemu-test/scenarios/selftest-fail.conf"
expect_failure harness-warn-in-dmesg 'dmesg: .*WARNING:' \
	python3 "$TOP/scripts/qemu.py" --quiet --kernel "$selftest_kernel" \
	--scenario "$TOP/qemu-test/scenarios/selftest-warn.conf"

echo
echo "make check summary ($(elapsed "$check_start")s; logs in ${LOGS#"$TOP"/}/):"
printf '%-34s %-5s %6s  %s\n' STAGE RESULT TIME NOTE
cat "$table"
echo "check: $passed passed, $failed failed"
[ "$failed" -eq 0 ] || {
	while read -r log; do
		failure_digest "$log"
	done < "$failed_logs"
	echo "To see why, open the log named for each FAIL; rerun one scenario with"
	echo "  python3 scripts/qemu.py --kernel <kernel> --scenario qemu-test/scenarios/<name>.conf"
	exit 1
}
