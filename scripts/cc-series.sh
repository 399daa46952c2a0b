#!/bin/sh
# Give every commit of branch "series" (or of the branch named by $1) the Cc: lines that the
# tree's scripts/get_maintainer.pl gives for it (run before 'make export' when the series
# changed). Rewrites the commits' messages only.
set -eu
. "$(dirname "$0")/lib.sh"
branch=${1:-series}
wt=$(git -C "$TREE" worktree list --porcelain | awk -v b="refs/heads/$branch" '
	/^worktree / { w = $2 } $0 == "branch " b { print w }')
[ -n "$wt" ] || die "branch $branch is not checked out in any worktree of $TREE"
cd "$wt"
export KTREE="$wt"
FILTER_BRANCH_SQUELCH_WARNING=1 git filter-branch -f \
	--msg-filter "python3 $TOP/scripts/cc-maintainers.py" "base..$branch" >/dev/null
say "Cc: lines of get_maintainer.pl on $(git rev-list --count "base..$branch") commits of $branch"
