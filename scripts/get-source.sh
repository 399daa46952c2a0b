#!/bin/sh
# Prepare build/linux: a git repo of a pristine 6.12 tree, tagged "base".
#   KERNEL_SRC unset: Debian's linux-source-6.12 (pinned to $DEBIAN_SRC_VERSION)
#   KERNEL_SRC=DIR:   a vanilla 6.12.y tree (copied, never modified)
#   KERNEL_SRC=FILE:  a 6.12.y tarball
set -eu
. "$(dirname "$0")/lib.sh"

if [ -n "${KERNEL_SRC:-}" ]; then
	src_id="KERNEL_SRC=$(realpath "$KERNEL_SRC")"
else
	have=$(dpkg-query -W -f '${Version}' linux-source-6.12 2>/dev/null || true)
	[ -n "$have" ] || die "linux-source-6.12 is not installed: run 'make deps' as root"
	[ "$have" = "$DEBIAN_SRC_VERSION" ] ||
		warn "testing with linux-source-6.12 $have, not the pinned $DEBIAN_SRC_VERSION"
	src_id="linux-source-6.12 $have"
fi

if [ -f "$TREE/.source-id" ] && [ "$(cat "$TREE/.source-id")" = "$src_id" ] &&
   git -C "$TREE" rev-parse -q --verify refs/tags/base >/dev/null; then
	say "kernel tree ready: $TREE ($src_id)"
	exit 0
fi

if [ -d "$TREE/.git" ]; then
	# Replacing the tree must not lose commits that were never exported to the patch files.
	tip=$(git -C "$TREE" rev-parse -q --verify series || true)
	if [ -n "$tip" ] && [ "$tip" != "$(git -C "$TREE" rev-parse -q --verify base)" ] &&
	   [ "$tip" != "$(head -n 1 "$BUILD/series.applied" 2>/dev/null)" ] && [ -z "${FORCE:-}" ]; then
		die "$TREE ($(cat "$TREE/.source-id" 2>/dev/null)) has unexported commits: 'make export' first, or FORCE=1"
	fi
	warn "replacing $TREE ($(cat "$TREE/.source-id" 2>/dev/null)) with $src_id"
fi
say "preparing $TREE from $src_id (takes about 2 minutes)"
start=$(date +%s)
rm -rf "$TREE" "$BUILD/series.applied"
mkdir -p "$TREE"
if [ -z "${KERNEL_SRC:-}" ]; then
	tar -xf /usr/src/linux-source-6.12.tar.xz -C "$TREE" --strip-components=1
elif [ -d "$KERNEL_SRC" ]; then
	# git archive keeps a git tree's build outputs out; plain copy otherwise.
	if git -C "$KERNEL_SRC" rev-parse --git-dir >/dev/null 2>&1; then
		git -C "$KERNEL_SRC" archive HEAD | tar -x -C "$TREE"
	else
		cp -a "$KERNEL_SRC/." "$TREE/"
	fi
else
	tar -xf "$KERNEL_SRC" -C "$TREE" --strip-components=1
fi

version=$(make -s -C "$TREE" kernelversion 2>/dev/null) || die "$TREE is not a kernel tree"
case "$version" in
6.12|6.12.*) ;;
*) die "kernel $version is not 6.12.y: the series targets 6.12 LTS" ;;
esac
# The arm64 teardown relies on the batched TLB flush of 6.12.86 (upstream 48478b9f7913): a
# contiguous range must be wholly invalid before the TLB is invalidated.
sublevel=${version#6.12}
sublevel=${sublevel#.}
[ "${sublevel:-0}" -ge 86 ] ||
	die "kernel $version is older than 6.12.86, which the series needs (batched TLB flush in unmap_hotplug_range()): use a newer 6.12.y"

# Debian's top-level .gitignore ends in "/*" (ignore everything but debian/); drop that block
# so the tree can be tracked.
if [ -f "$TREE/.gitignore" ]; then
	sed -i '/^# Debian packaging/,$d' "$TREE/.gitignore"
	sed -i '/^\/\*$/d; /^!\/debian\/$/d; ${/^#$/d}' "$TREE/.gitignore"
fi

cd "$TREE"
git init -q -b series
git config user.name "${GIT_AUTHOR_NAME:-Series Builder}"
git config user.email "${GIT_AUTHOR_EMAIL:-builder@localhost}"
git config gc.auto 0
git add -A
git commit -q -m "Linux $version ($src_id)"
git tag base
files=$(git ls-files | wc -l)
[ "$files" -gt 50000 ] || die "only $files files tracked in $TREE: check its .gitignore"
echo "$src_id" > .source-id
echo .source-id >> .git/info/exclude
say "kernel $version ready in $(elapsed "$start")s: $files files, tag 'base'"
