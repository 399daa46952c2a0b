#!/bin/sh
# Every patch of the series builds on its own, and adds no sparse warnings.
# At each patch, the objects of every C file the series touches are compiled for arm64 and,
# outside arch/, for x86_64 (a full kernel per patch would cost a cold build each, since the
# series changes headers that nearly every file includes; the full kernels of the whole series
# are built by the build-* stages). Then sparse runs on those objects, baseline vs. series.
# The tree walks forward one patch at a time, so make recompiles only what the patch changed,
# and a patch that leaves every file x86_64 compiles alone (arch/arm64, documentation) is not
# built for x86_64 again.
set -eu
. "$(dirname "$0")/lib.sh"
commits=$(git -C "$TREE" rev-list --reverse base..series)
[ -n "$commits" ] || { say "series is empty: no per-patch builds"; exit 0; }

# Objects of the C files the series touches, for ARCH ($1): other architectures' files left out.
objects() {
	git -C "$TREE" diff --name-only base series -- '*.c' |
		grep -v -e '^tools/' -e '^arch/' | sed 's/\.c$/.o/'
	git -C "$TREE" diff --name-only base series -- "arch/$1/*.c" | sed 's/\.c$/.o/'
}
arm64_objs=$(objects arm64 | tr '\n' ' ')
x86_objs=$(objects x86 | tr '\n' ' ')
say "objects checked at each patch: $arm64_objs(arm64), $x86_objs(x86_64)"

# existing_at REV OBJ...: the objects whose C file exists at REV (a patch may add one).
existing_at() {
	_rev=$1; shift
	for _o in "$@"; do
		git -C "$TREE" cat-file -e "$_rev:${_o%.o}.c" 2>/dev/null && printf '%s ' "$_o"
	done
}

# build_at REV ARCH KERNEL OBJ...: compile the objects in the tree as checked out (at REV).
build_at() {
	_rev=$1 _arch=$2 _kernel=$3; shift 3
	REV=$_rev TREE_HELD=1 OUT=$BUILD/out/step-$_arch TARGETS=$(existing_at "$_rev" "$@") \
		MAKEFLAGS_EXTRA=${SPARSE:+C=1} sh "$TOP/scripts/build-kernel.sh" "$_kernel"
}

# sparse_at REV: the sparse warnings of the arm64 objects at REV, in build/logs/sparse-REV.txt.
sparse_at() {
	rm -f $(for o in $arm64_objs; do echo "$BUILD/out/step-arm64/$o"; done)
	SPARSE=1 build_at "$1" arm64 patched-4k $arm64_objs >/dev/null
	grep -E ': (warning|error):' "$LOGS/build-patched-4k-objects.log" |
		sed -e 's/:[0-9]*:[0-9]*:/:/' -e "s|$BUILD/||g" | sort -u > "$LOGS/sparse-$1.txt" || true
}

# The tree at base, then forward one patch at a time (with_checkout goes back to series).
walk() {
	sparse_at base
	n=0 total=$(echo "$commits" | wc -l)
	for c in $commits; do
		n=$((n + 1))
		subject=$(git -C "$TREE" log -1 --format=%s "$c")
		say "patch $n/$total: $subject"
		git -C "$TREE" checkout -q --detach "$c"
		changed=$(git -C "$TREE" diff --name-only "$c^" "$c" |
			grep -v -e '^Documentation/' -e '^tools/' || true)
		[ -n "$changed" ] || { say "  nothing to compile (documentation, tools)"; continue; }
		build_at "$c" arm64 patched-4k $arm64_objs ||
			die "patch $n/$total ($subject) does not build for arm64"
		if [ "$n" -gt 1 ] && ! echo "$changed" | grep -q -v '^arch/arm64/'; then
			say "  x86_64: unchanged (the patch touches arch/arm64 only)"
			continue
		fi
		build_at "$c" x86_64 x86_64 $x86_objs ||
			die "patch $n/$total ($subject) does not build for x86_64"
	done
	sparse_at series
}
with_checkout base walk

new=$(comm -13 "$LOGS/sparse-base.txt" "$LOGS/sparse-series.txt")
if [ -n "$new" ]; then
	echo "$new" | sed 's/^/  /'
	die "sparse: the series adds $(echo "$new" | wc -l) warnings (above; all: $LOGS/sparse-series.txt)"
fi
say "all $total patches build on their own; sparse: no new warnings ($(wc -l < "$LOGS/sparse-base.txt") before and after)"
