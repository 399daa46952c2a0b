#!/bin/sh
# Apply patches/series to build/linux as commits on branch "series" (git am -3) on top of tag
# "base" (the pristine tree, from which the baseline kernel is built).
# Refuses to drop commits made in the tree that were not exported (FORCE=1 overrides).
set -eu
. "$(dirname "$0")/lib.sh"
sh "$TOP/scripts/get-source.sh"

cd "$TREE"
applied=$BUILD/series.applied
if git rev-parse -q --verify refs/heads/series >/dev/null && [ -z "${FORCE:-}" ]; then
	tip=$(git rev-parse series)
	if [ "$tip" != "$(git rev-parse base)" ] && [ "$tip" != "$(cat "$applied" 2>/dev/null)" ]; then
		die "branch 'series' in $TREE has commits that are not exported: run 'make export' to keep them, or FORCE=1 to drop them"
	fi
fi
[ -z "$(git status --porcelain --untracked-files=no)" ] || [ -n "${FORCE:-}" ] ||
	die "$TREE has uncommitted changes: commit and 'make export' them, or FORCE=1 to drop them"

git am --abort >/dev/null 2>&1 || true
git checkout -q -f -B series base
n=0
for patch in $(sh "$TOP/scripts/series-list.sh"); do
	if ! git am -q -3 "$TOP/$patch" >"$LOGS/apply.log" 2>&1; then
		cat "$LOGS/apply.log" >&2
		git am --abort >/dev/null 2>&1 || true
		die "$patch does not apply to $(cat .source-id): rebase it in $TREE and 'make export'"
	fi
	n=$((n + 1))
done
git rev-parse HEAD > "$applied"
say "series applied: $n patches on tag 'base' in $TREE, branch 'series'"
