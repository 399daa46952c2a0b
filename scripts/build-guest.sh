#!/bin/sh
# Build the guest initramfs: our static init and tests, the memory-hotplug kselftests of the
# patched tree (run_kselftest.sh), and busybox and bash from Debian's packages (downloaded and
# extracted, never installed), packed with the kernel's gen_init_cpio.
#   GUEST_ARCH=arm64 (default) or x86_64: the guest of qemu-system-x86_64, in build/guest-x86_64
#   GUEST_DIR: where the initramfs goes (a second one, e.g. a helper's, must not overwrite ours)
set -eu
. "$(dirname "$0")/lib.sh"

case ${GUEST_ARCH:-arm64} in
arm64)	guest=${GUEST_DIR:-$BUILD/guest} cc=${CROSS}gcc karch=arm64 kcross=$CROSS
	debarch=arm64 triplet=aarch64-linux-gnu ld=ld-linux-aarch64.so.1 ;;
x86_64)	guest=${GUEST_DIR:-$BUILD/guest-x86_64} cc=gcc karch=x86 kcross=
	debarch=amd64 triplet=x86_64-linux-gnu ld=ld-linux-x86-64.so.2 ;;
*)	die "GUEST_ARCH=${GUEST_ARCH}: use arm64 or x86_64" ;;
esac
# One build of an initramfs at a time: two make targets rebuild it together otherwise.
mkdir -p "$guest"
exec 8>"$guest.lock"
flock -n 8 || { say "waiting for $guest: another guest build has it"; flock 8; }
debs=$BUILD/debs
root=$debs/root
[ "$debarch" = arm64 ] || root=$debs/root-$debarch
rm -rf "$guest/tests"
mkdir -p "$guest/tests" "$debs"
run_logged "$LOGS/guest-programs.log" make -C "$TOP/qemu-test/guest" OUT="$guest/tests" CC="$cc" ||
	die "guest programs failed to build: see $LOGS/guest-programs.log"
mv -f "$guest/tests/init" "$guest/init"

# bc, which upstream's mem-on-off-test.sh needs and busybox lacks, comes dynamically linked.
for pkg in busybox-static bash-static bc libreadline8 libtinfo6 libc6; do
	if ! ls "$debs/${pkg}_"*_$debarch.deb >/dev/null 2>&1; then
		(cd "$debs" && run_logged "$LOGS/download-$pkg.log" apt-get download "$pkg:$debarch") ||
			die "cannot download $pkg:$debarch: run 'make deps' as root (it enables arm64 in apt)"
	fi
	dpkg-deb -x "$debs/${pkg}_"*_$debarch.deb "$root"
done

# The files of branch "series" that the kselftests and hmm-tests build from, exported rather than
# checked out: a guest build must not wait for the tree while a kernel builds from it.
src=$guest-src
rm -rf "$src"
mkdir -p "$src"
git -C "$TREE" archive series -- Makefile tools lib/test_hmm_uapi.h mm/gup_test.h include/uapi \
	scripts/Makefile.compiler scripts/subarch.include arch/arm64/include/uapi arch/x86/include/uapi |
	tar -x -C "$src" || die "cannot export the selftests of branch series from $TREE"

kselftest=$guest/kselftest
build_kselftests() {
	rm -rf "$kselftest"
	make -C "$src/tools/testing/selftests" TARGETS=memory-hotplug ARCH=$karch \
		CROSS_COMPILE=$kcross O="$guest-kselftest-build" USERLDFLAGS=-static \
		INSTALL_PATH="$kselftest" install
}
run_logged "$LOGS/guest-kselftest.log" build_kselftests ||
	die "the memory-hotplug kselftests failed to build: see $LOGS/guest-kselftest.log"
# hmm-tests (with lib/test_hmm, a module of each kernel) on its own, not the mm kselftests
# as a whole: dozens of programs the scenarios do not run.
build_hmm_tests() {
	$cc -static -O2 -Wall -I"$src" -I"$src/tools/testing/selftests" \
		-I"$src/tools/include/uapi" -o "$guest/tests/hmm-tests" \
		"$src/tools/testing/selftests/mm/hmm-tests.c" -lpthread
}
run_logged "$LOGS/guest-hmm-tests.log" build_hmm_tests ||
	die "hmm-tests failed to build: see $LOGS/guest-hmm-tests.log"

list=$guest/initramfs.list
{
	for d in /dev /proc /sys /tmp /bin /sbin /tests /root; do echo "dir $d 0755 0 0"; done
	echo "nod /dev/console 0600 0 0 c 5 1"
	echo "file /init $guest/init 0755 0 0"
	echo "file /bin/busybox $root/bin/busybox 0755 0 0"
	echo "file /bin/bash $root/bin/bash-static 0755 0 0"
	echo "file /bin/bc $root/usr/bin/bc 0755 0 0"
	echo "dir /lib 0755 0 0"
	echo "dir /lib/$triplet 0755 0 0"
	# bc's interpreter: /lib/ld-linux-aarch64.so.1, /lib64/ld-linux-x86-64.so.2
	[ "$debarch" = amd64 ] && echo "dir /lib64 0755 0 0" &&
		echo "slink /lib64/$ld ../lib/$triplet/$ld 0777 0 0"
	echo "slink /lib/$ld $triplet/$ld 0777 0 0"
	for lib in $ld libc.so.6 libreadline.so.8 libtinfo.so.6; do
		echo "file /lib/$triplet/$lib $(readlink -f "$root/lib/$triplet/$lib") 0755 0 0"
	done
	for applet in sh ash cat echo ls mount grep sed awk cut head tail sort wc dmesg free sleep \
		      printf test tr seq basename dirname poweroff mkdir rm cp find xargs timeout \
		      hexdump od id modprobe insmod env expr readlink realpath uname cttyhack; do
		echo "slink /bin/$applet busybox 0777 0 0"
	done
	# mem-on-off-test.sh runs /sbin/modprobe (memory-notifier-error-inject) by its path
	echo "slink /sbin/modprobe /bin/busybox 0777 0 0"
	for t in "$guest"/tests/*; do echo "file /tests/${t##*/} $t 0755 0 0"; done
	echo "dir /kselftest 0755 0 0"
	(cd "$kselftest" && find . -mindepth 1 -type d) | sed 's|^\.\(.*\)|dir /kselftest\1 0755 0 0|'
	(cd "$kselftest" && find . -type f) | while read -r f; do
		echo "file /kselftest${f#.} $kselftest/${f#./} $(stat -c %a "$kselftest/$f") 0 0"
	done
} > "$list"
pack_cpio "$list" "$guest/initramfs.cpio.gz" || die "cannot pack the guest initramfs"
say "guest initramfs: $(du -h "$guest/initramfs.cpio.gz" | cut -f1) ($(ls "$guest/tests" | wc -l) test programs)"
