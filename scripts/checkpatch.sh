#!/bin/sh
# checkpatch.pl --strict on every patch of the series; any message fails.
set -eu
. "$(dirname "$0")/lib.sh"
dict=/usr/lib/python3/dist-packages/codespell_lib/data/dictionary.txt
# checkpatch's helpers need Debian's python3 modules (ply, git, codespell_lib).
PATH=/usr/bin:$PATH
bad=0 n=0
for patch in $(sh "$TOP/scripts/series-list.sh"); do
	n=$((n + 1))
	# "does MAINTAINERS need updating?" is checkpatch's guess for any new file: ignore it only
	# when get_maintainer.pl finds a MAINTAINERS entry for every file the patch adds.
	ignore=
	added=$(sed -n '/^--- \/dev\/null/{n;s|^+++ b/||p}' "$TOP/$patch")
	if [ -n "$added" ] && ! for f in $added; do
		(cd "$TREE" && perl scripts/get_maintainer.pl --nogit --nogit-fallback -f "$f" 2>/dev/null) |
			grep -q '(maintainer:' || { echo "  $patch: no MAINTAINERS entry covers $f"; exit 1; }
	done; then bad=$((bad + 1)); fi
	[ -n "$added" ] && ignore="--ignore FILE_PATH_CHANGES"
	# The tree is a tarball import without upstream history, where checkpatch cannot look up
	# the commit a Fixes: tag names (UNKNOWN_COMMIT_ID); it still checks the tag's format.
	out=$(cd "$TREE" && perl scripts/checkpatch.pl --strict --codespell --codespellfile="$dict" \
		--ignore UNKNOWN_COMMIT_ID $ignore -q "$TOP/$patch" 2>&1) || true
	if [ -n "$out" ]; then
		printf '%s:\n%s\n' "$patch" "$out" | sed 's/^/  /'
		bad=$((bad + 1))
	fi
done
[ "$bad" -eq 0 ] || die "checkpatch --strict: $bad of $n patches have messages (above)"
say "checkpatch --strict: $n patches clean"
