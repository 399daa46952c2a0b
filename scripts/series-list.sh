#!/bin/sh
# Print the patch files of patches/series in order, as paths relative to the repo top.
set -eu
. "$(dirname "$0")/lib.sh"
sed -e 's/#.*//' -e 's/[[:space:]]*$//' -e '/^$/d' "$TOP/patches/series" | while read -r p _; do
	[ -f "$TOP/$p" ] || die "patches/series names $p, which does not exist"
	echo "$p"
done
