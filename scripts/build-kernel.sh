#!/bin/sh
# Build one guest kernel.
#   build-kernel.sh [--config-only] NAME
#   NAME: {baseline,patched}-{4k,16k,64k}[-debug|-bench], {baseline,patched}-x86_64 (guests
#   for qemu-system-x86_64), or x86_64 (build check of the patched tree); -bench adds the
#   function tracer that make bench times the kernel with
#   REV: build the tree checked out at this revision (per-patch builds); OUT: output dir
#   TREE_HELD=1: the caller holds the tree (with_checkout) and has checked out REV itself
# Baseline kernels are built from tag "base", patched ones from branch "series", of one tree.
#   EXTRA_CONFIG: more fragments, space separated
#   TARGETS: make targets instead of the kernel image (e.g. objects); MAKEFLAGS_EXTRA: e.g. C=2
# Every option the fragments request must be in the final .config: merge_config.sh only warns.
set -eu
. "$(dirname "$0")/lib.sh"

config_only=
[ "${1:-}" = --config-only ] && { config_only=1; shift; }
name=${1:?usage: build-kernel.sh [--config-only] NAME}
cfg=$TOP/qemu-test/configs

case "$name" in
x86_64)
	arch=x86_64 cross= target=bzImage rev=series kernel=x86_64
	fragments="$cfg/x86_64.config" series_fragment=$cfg/x86_64.config
	;;
baseline-x86_64|patched-x86_64)
	arch=x86_64 cross= target=bzImage kernel=${name%%-*}
	fragments="$cfg/x86_64-guest.config" series_fragment=$cfg/x86_64-guest.config
	if [ "$kernel" = patched ]; then rev=series; else rev=base; fi
	;;
baseline-*|patched-*)
	arch=arm64 cross=$CROSS target=Image
	kernel=${name%%-*} rest=${name#*-}
	page=${rest%%-*}
	[ -f "$cfg/$page.config" ] || die "unknown page size '$page' in '$name' (4k, 16k or 64k)"
	fragments="$cfg/base.config $cfg/$page.config"
	case "$rest" in
	*-debug) fragments="$fragments $cfg/debug.config" ;;
	*-bench) fragments="$fragments $cfg/bench.config" ;;
	esac
	if [ "$kernel" = patched ]; then
		rev=series fragments="$fragments $cfg/patched.config"
		series_fragment=$cfg/patched.config
	else
		rev=base
	fi
	;;
*) die "unknown kernel '$name': use {baseline,patched}-{4k,16k,64k}[-debug|-bench], {baseline,patched}-x86_64 or x86_64" ;;
esac
src=$TREE
out=${OUT:-$BUILD/out/$name}
case $out in /*) ;; *) out=$PWD/$out ;; esac
mkdir -p "$out"
# The config symbols of fragment $1 that a Kconfig file this build reads defines at $rev, one
# per line. (Kconfig files only, two greps in all: a grep of every blob of a revision takes
# minutes on two cores, and a grep per symbol a minute per patch.)
symbols_defined_at_rev() {
	_syms=$(sed -n 's/^CONFIG_\([A-Za-z0-9_]*\)=.*/\1/p' "$1" | paste -sd '|')
	_re="^[[:space:]]*(menu)?config ($_syms)\$"
	{
		git -C "$src" grep -h -E "$_re" "$rev" -- '*Kconfig*' ':(exclude)arch/*'
		git -C "$src" grep -h -E "$_re" "$rev" -- "arch/${arch%_64}/*Kconfig*"
	} | sed -n 's/^[[:space:]]*\(menu\)\{0,1\}config //p' | sort -u
}
rev=${REV:-$rev}
if [ -n "${REV:-}" ] && [ "$kernel" != baseline ]; then
	# A patch in the middle of the series: ask only for the options the series has added so far.
	defined=$(symbols_defined_at_rev "$series_fragment")
	while read -r line; do
		sym=$(echo "$line" | sed -n 's/^CONFIG_\([A-Za-z0-9_]*\)=.*/\1/p')
		[ -n "$sym" ] && echo "$defined" | grep -qx "$sym" && echo "$line"
	done < "$series_fragment" > "$out/series-at-rev.config"
	fragments=$(echo "$fragments" | sed "s|$series_fragment|$out/series-at-rev.config|")
fi
fragments="$fragments ${EXTRA_CONFIG:-}"
git -C "$src" rev-parse -q --verify "$rev^{commit}" >/dev/null ||
	die "no revision '$rev' in $src: run 'make tree' first"
kmake() { make -s -C "$src" O="$out" ARCH=$arch CROSS_COMPILE=$cross CC="ccache ${cross}gcc" "$@"; }

build() {
# Regenerate .config only when the fragments change: a rewritten .config costs nothing, but
# merge_config.sh costs a few seconds per kernel.
stamp=$(cat $fragments | sha1sum | cut -c1-40)
if [ ! -f "$out/.config" ] || [ "$(cat "$out/.fragments" 2>/dev/null)" != "$stamp" ]; then
	rm -f "$out/.fragments"
	# shellcheck disable=SC2086 # word splitting of the fragment list is wanted
	(cd "$src" && run_logged "$LOGS/config-$name.log" env ARCH=$arch CROSS_COMPILE=$cross \
		scripts/kconfig/merge_config.sh -n -O "$out" $fragments) ||
		die "the configuration of kernel $name failed: see $LOGS/config-$name.log"
	run_logged "$LOGS/olddefconfig-$name.log" kmake olddefconfig ||
		die "olddefconfig of kernel $name failed: see $LOGS/olddefconfig-$name.log"
fi

# Every requested value must have survived: "CONFIG_X=v" present, "# CONFIG_X is not set" absent.
missing=$(awk '
	FNR == NR { have[$0] = 1; if (match($0, /^CONFIG_[A-Za-z0-9_]+=/)) set[substr($0, 1, RLENGTH - 1)] = $0; next }
	/^CONFIG_[A-Za-z0-9_]+=/ {
		if (!($0 in have)) { sym = substr($0, 1, index($0, "=") - 1)
			printf "  %s (%s: %s)\n", $0, FILENAME, (sym in set) ? set[sym] : "not set" } }
	/^# CONFIG_[A-Za-z0-9_]+ is not set/ { if ($2 in set) printf "  %s (%s: %s)\n", $0, FILENAME, set[$2] }
' "$out/.config" $fragments | sed "s|$TOP/||")
if [ -n "$missing" ]; then
	rm -f "$out/.fragments"
	printf 'ERROR: kernel %s: requested options are not in the final .config:\n%s\n' "$name" "$missing" >&2
	die "unmet dependencies or a symbol this tree lacks: check them with 'make -C $src O=$out ARCH=$arch menuconfig' (search with /)"
fi
echo "$stamp" > "$out/.fragments"
[ -n "$config_only" ] && { say "kernel $name: .config ok ($out/.config)"; return 0; }

[ -n "${TARGETS:-}" ] || say "building kernel $name at $rev (cold about 5 min, warm ccache about 1 min)"
start=$(date +%s)
log=$LOGS/build-$name${TARGETS:+-objects}.log
# shellcheck disable=SC2086 # lists of targets and flags
run_logged "$log" kmake -j"$(nproc)" ${MAKEFLAGS_EXTRA:-} ${TARGETS:-$target} ||
	die "kernel $name failed to build: see $log"
if [ -n "${TARGETS:-}" ]; then
	say "kernel $name at $rev: $(echo $TARGETS | wc -w) objects built in $(elapsed "$start")s"
	return 0
fi
say "kernel $name: $(du -h "$out/arch/$arch/boot/$target" | cut -f1) $target in $(elapsed "$start")s"
[ "$arch" = arm64 ] && build_modules
return 0
}

# The test modules, packed as an initramfs that qemu.py appends to the guest's: the tree's
# (lib/test_hmm, and the series' KUnit test), and out of tree the harness's (qemu-test/kmod)
# and, for the baseline, the series' KUnit test from the series' file.
kunit_test=mm/memmap_subsection_kunit.c
build_modules() {
	run_logged "$LOGS/modules-$name.log" kmake -j"$(nproc)" modules ||
		die "modules of kernel $name failed to build: see $LOGS/modules-$name.log"
	ext=$out/extmod
	rm -rf "$ext"
	mkdir -p "$ext"
	cp "$TOP"/qemu-test/kmod/*.c "$ext/"
	[ "$kernel" = baseline ] && git -C "$src" show "series:$kunit_test" > "$ext/${kunit_test##*/}"
	echo "obj-m := $(cd "$ext" && ls *.c | sed 's/\.c$/.o/' | tr '\n' ' ')" > "$ext/Kbuild"
	run_logged "$LOGS/modules-ext-$name.log" kmake M="$ext" modules ||
		die "out-of-tree test modules failed to build for $name: see $LOGS/modules-ext-$name.log"
	pack_modules
}

# /lib/modules/$(uname -r)/NAME.ko with the modules.dep of depmod, for modprobe (busybox's, as
# mem-on-off-test.sh runs it), and /lib/modules/NAME.ko links to them, for load_module() (hp.c).
pack_modules() {
	rel=$(cat "$out/include/config/kernel.release")
	root=$out/modroot
	rm -rf "$root"
	mkdir -p "$root/lib/modules/$rel"
	find "$out" -name '*.ko' -type f -exec ln -s {} "$root/lib/modules/$rel/" \;
	run_logged "$LOGS/depmod-$name.log" depmod -b "$root" "$rel" ||
		die "depmod of the modules of $name failed: see $LOGS/depmod-$name.log"
	list=$out/modules.list
	{
		echo "dir /lib 0755 0 0"
		echo "dir /lib/modules 0755 0 0"
		echo "dir /lib/modules/$rel 0755 0 0"
		find "$out" -name '*.ko' -type f | while read -r ko; do
			echo "file /lib/modules/$rel/${ko##*/} $ko 0644 0 0"
			echo "slink /lib/modules/${ko##*/} $rel/${ko##*/} 0777 0 0"
		done
		echo "file /lib/modules/$rel/modules.dep $root/lib/modules/$rel/modules.dep 0644 0 0"
	} > "$list"
	pack_cpio "$list" "$out/modules.cpio.gz" || die "cannot pack the modules of $name"
	say "kernel $name: modules $(find "$out" -name "*.ko" -type f -printf "%f ")"
}
if [ -n "${TREE_HELD:-}" ]; then build; else with_checkout "$rev" build; fi
