#!/bin/sh
# Apply patches/series to build/linux as commits on branch "series" (git am -3) on top of tag
# "base" (the pristine tree, from which the baseline kernel is built).
# Refuses to drop commits made in the tree that were not exported (FORCE=1 overrides).
# Does nothing when branch series already holds exactly these patch files.
set -eu
. "$(dirname "$0")/lib.sh"
tree_lock
sh "$TOP/scripts/get-source.sh"

cd "$TREE"
applied=$BUILD/series.applied
# What was applied: the tip of series and a digest of the patch files, in order.
digest=$(series_digest)
if [ -z "${FORCE:-}" ] && [ "$(git rev-parse -q --verify series 2>/dev/null)" = "$(head -n 1 "$applied" 2>/dev/null)" ] &&
	[ "$(sed -n 2p "$applied" 2>/dev/null)" = "$digest" ] && [ "$(git rev-parse --abbrev-ref HEAD)" = series ] &&
	[ -z "$(git status --porcelain --untracked-files=no)" ]; then
	say "series up to date in $TREE: $(git rev-list --count base..series) patches, branch 'series'"
	exit 0
fi
if git rev-parse -q --verify refs/heads/series >/dev/null && [ -z "${FORCE:-}" ]; then
	tip=$(git rev-parse series)
	if [ "$tip" != "$(git rev-parse base)" ] && [ "$tip" != "$(head -n 1 "$applied" 2>/dev/null)" ]; then
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
printf '%s\n%s\n' "$(git rev-parse HEAD)" "$digest" > "$applied"
say "series applied: $n patches on tag 'base' in $TREE, branch 'series'"
