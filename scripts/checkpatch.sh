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
	out=$(cd "$TREE" && perl scripts/checkpatch.pl --strict --codespell --codespellfile="$dict" \
		--no-tree -q "$TOP/$patch" 2>&1) || true
	if [ -n "$out" ]; then
		printf '%s:\n%s\n' "$patch" "$out" | sed 's/^/  /'
		bad=$((bad + 1))
	fi
done
[ "$bad" -eq 0 ] || die "checkpatch --strict: $bad of $n patches have messages (above)"
say "checkpatch --strict: $n patches clean"
