# Shared by the host scripts: paths, logging and small helpers.  POSIX sh.

TOP=$(CDPATH= cd -- "$(dirname -- "$0")/.." && pwd)
BUILD=${BUILD:-$TOP/build}
TREE=$BUILD/linux                 # git repo: tag "base" is pristine, branch "series" has the patches
LOGS=$BUILD/logs
CROSS=aarch64-linux-gnu-
export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/ccache}
# Paths under build/ reach the compiler relative to the O= dir (all at one depth), so a kernel
# built again in another checkout (CI's clone) or output dir, with the same configuration and
# sources, hits the cache.
export CCACHE_BASEDIR=$BUILD
export CCACHE_NOHASHDIR=1
# Depend mode: a miss costs the compile alone, not a preprocessor run before it (mm/memblock.c
# cold: 2.3 s against 3.1 s). It gives up preprocessor-mode hits, which these kernels hardly
# share (3 of 2159 hits in the per-patch stage).
export CCACHE_DEPEND=1
# The Debian version the series is tested with.
DEBIAN_SRC_VERSION=${DEBIAN_SRC_VERSION:-6.12.117-1~deb12u1}

mkdir -p "$LOGS"

say()  { printf '==> %s\n' "$*"; }
warn() { printf 'WARNING: %s\n' "$*" >&2; }
die()  { printf 'ERROR: %s\n' "$*" >&2; exit 1; }

# run_logged LOGFILE CMD...: run CMD with output to LOGFILE; on failure show its tail.
run_logged() {
	_log=$1; shift
	_rc=0
	"$@" >"$_log" 2>&1 || _rc=$?
	[ "$_rc" -eq 0 ] && return 0
	printf 'ERROR: "%s" failed (exit %s); last lines of %s:\n' "$*" "$_rc" "$_log" >&2
	tail -n 25 "$_log" >&2
	return "$_rc"
}

# elapsed START: seconds since START (from "date +%s").
elapsed() { echo $(( $(date +%s) - $1 )); }

# tree_lock: take the kernel tree for this shell (fd 9) until tree_unlock or exit. Whatever
# checks out or rewrites build/linux holds it: a second make target (make check beside make
# shell, a helper's kernel) waits for the tree instead of switching it under the first.
tree_lock() {
	mkdir -p "$BUILD"
	exec 9>"$BUILD/.tree.lock"
	if ! flock -n 9; then
		say "waiting for $TREE: another build has it"
		flock 9
	fi
}
tree_unlock() { exec 9>&-; }

# series_digest: a digest of the patch files, in the order of patches/series. With the tip of
# branch series, build/series.applied records what the branch holds.
series_digest() {
	sh "$TOP/scripts/series-list.sh" | (cd "$TOP" && xargs cat) | sha1sum | cut -c1-40
}

# with_checkout REV CMD...: run CMD with the kernel tree checked out at REV, then go back to
# branch "series", also when CMD exits. The tree must be clean: its commits are the source of
# truth, and a commit made on a detached HEAD would be lost.
with_checkout() {
	_rev=$1; shift
	tree_lock
	[ -z "$(git -C "$TREE" status --porcelain --untracked-files=no)" ] ||
		die "$TREE has uncommitted changes: commit them (and 'make export') before building"
	[ "$(git -C "$TREE" rev-parse --abbrev-ref HEAD)" = series ] ||
		die "$TREE is not on branch 'series': check out series (git -C $TREE checkout series)"
	trap 'git -C "$TREE" checkout -q series' EXIT INT TERM
	git -C "$TREE" checkout -q --detach "$_rev"
	_rc=0
	"$@" || _rc=$?
	git -C "$TREE" checkout -q series
	trap - EXIT INT TERM
	tree_unlock
	return "$_rc"
}

# pack_cpio LIST OUT: the gen_init_cpio file list LIST as a gzipped initramfs OUT.
pack_cpio() {
	_gen=$BUILD/gen_init_cpio
	[ -x "$_gen" ] || gcc -O2 -o "$_gen" "$TREE/usr/gen_init_cpio.c" || return 1
	"$_gen" "$1" | gzip -1 > "$2.tmp" && mv "$2.tmp" "$2"
}
