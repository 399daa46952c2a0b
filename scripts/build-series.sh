#!/bin/sh
# Build every patch of the series on its own: arm64 (patched-4k config) for each, and x86_64
# too for each patch that touches no arch/ code.
set -eu
. "$(dirname "$0")/lib.sh"
commits=$(git -C "$TREE" rev-list --reverse base..series)
[ -n "$commits" ] || { say "series is empty: no per-patch builds"; exit 0; }
n=0 total=$(echo "$commits" | wc -l)
for c in $commits; do
	n=$((n + 1))
	subject=$(git -C "$TREE" log -1 --format=%s "$c")
	say "patch $n/$total: $subject"
	REV=$c OUT=$BUILD/out/step-arm64 sh "$TOP/scripts/build-kernel.sh" patched-4k ||
		die "patch $n/$total ($subject) does not build for arm64"
	if ! git -C "$TREE" diff-tree --no-commit-id --name-only -r "$c" | grep -q '^arch/'; then
		REV=$c OUT=$BUILD/out/step-x86_64 sh "$TOP/scripts/build-kernel.sh" x86_64 ||
			die "patch $n/$total ($subject) does not build for x86_64"
	fi
done
say "all $total patches build on their own"
