#!/bin/sh
# Build the guest initramfs: our static init and tests, the memory-hotplug kselftests of the
# patched tree (run_kselftest.sh), and busybox and bash from Debian's arm64 packages (downloaded
# and extracted, never installed), packed with the kernel's gen_init_cpio.
set -eu
. "$(dirname "$0")/lib.sh"

# GUEST_DIR: where this initramfs goes (a second one, e.g. a helper's, must not overwrite ours).
guest=${GUEST_DIR:-$BUILD/guest}
debs=$BUILD/debs
rm -rf "$guest/tests"
mkdir -p "$guest/tests" "$debs"
run_logged "$LOGS/guest-programs.log" make -C "$TOP/qemu-test/guest" OUT="$guest/tests" ||
	die "guest programs failed to build: see $LOGS/guest-programs.log"
mv -f "$guest/tests/init" "$guest/init"

# bc, which upstream's mem-on-off-test.sh needs and busybox lacks, comes dynamically linked.
for pkg in busybox-static bash-static bc libreadline8 libtinfo6 libc6; do
	if ! ls "$debs/${pkg}_"*_arm64.deb >/dev/null 2>&1; then
		(cd "$debs" && run_logged "$LOGS/download-$pkg.log" apt-get download "$pkg:arm64") ||
			die "cannot download $pkg:arm64: run 'make deps' as root (it enables arm64 in apt)"
	fi
	dpkg-deb -x "$debs/${pkg}_"*_arm64.deb "$debs/root"
done

# The files of branch "series" that the kselftests and hmm-tests build from, exported rather than
# checked out: a guest build must not wait for the tree while a kernel builds from it.
src=$guest-src
rm -rf "$src"
mkdir -p "$src"
git -C "$TREE" archive series -- Makefile tools lib/test_hmm_uapi.h mm/gup_test.h include/uapi \
	scripts/Makefile.compiler scripts/subarch.include arch/arm64/include/uapi |
	tar -x -C "$src" || die "cannot export the selftests of branch series from $TREE"

kselftest=$guest/kselftest
build_kselftests() {
	rm -rf "$kselftest"
	make -C "$src/tools/testing/selftests" TARGETS=memory-hotplug ARCH=arm64 \
		CROSS_COMPILE=$CROSS O="$guest-kselftest-build" USERLDFLAGS=-static \
		INSTALL_PATH="$kselftest" install
}
run_logged "$LOGS/guest-kselftest.log" build_kselftests ||
	die "the memory-hotplug kselftests failed to build: see $LOGS/guest-kselftest.log"
# hmm-tests (with lib/test_hmm, a module of each kernel) on its own, not the mm kselftests
# as a whole: dozens of programs the scenarios do not run.
build_hmm_tests() {
	${CROSS}gcc -static -O2 -Wall -I"$src" -I"$src/tools/testing/selftests" \
		-I"$src/tools/include/uapi" -o "$guest/tests/hmm-tests" \
		"$src/tools/testing/selftests/mm/hmm-tests.c" -lpthread
}
run_logged "$LOGS/guest-hmm-tests.log" build_hmm_tests ||
	die "hmm-tests failed to build: see $LOGS/guest-hmm-tests.log"

list=$guest/initramfs.list
{
	for d in /dev /proc /sys /tmp /bin /tests /root; do echo "dir $d 0755 0 0"; done
	echo "nod /dev/console 0600 0 0 c 5 1"
	echo "file /init $guest/init 0755 0 0"
	echo "file /bin/busybox $debs/root/bin/busybox 0755 0 0"
	echo "file /bin/bash $debs/root/bin/bash-static 0755 0 0"
	echo "file /bin/bc $debs/root/usr/bin/bc 0755 0 0"
	echo "dir /lib 0755 0 0"
	echo "dir /lib/aarch64-linux-gnu 0755 0 0"
	echo "slink /lib/ld-linux-aarch64.so.1 aarch64-linux-gnu/ld-linux-aarch64.so.1 0777 0 0"
	for lib in ld-linux-aarch64.so.1 libc.so.6 libreadline.so.8 libtinfo.so.6; do
		echo "file /lib/aarch64-linux-gnu/$lib $(readlink -f "$debs/root/lib/aarch64-linux-gnu/$lib") 0755 0 0"
	done
	for applet in sh ash cat echo ls mount grep sed awk cut head tail sort wc dmesg free sleep \
		      printf test tr seq basename dirname poweroff mkdir rm cp find xargs timeout \
		      hexdump od id modprobe insmod env expr readlink realpath uname cttyhack; do
		echo "slink /bin/$applet busybox 0777 0 0"
	done
	for t in "$guest"/tests/*; do echo "file /tests/${t##*/} $t 0755 0 0"; done
	echo "dir /kselftest 0755 0 0"
	(cd "$kselftest" && find . -mindepth 1 -type d) | sed 's|^\.\(.*\)|dir /kselftest\1 0755 0 0|'
	(cd "$kselftest" && find . -type f) | while read -r f; do
		echo "file /kselftest${f#.} $kselftest/${f#./} $(stat -c %a "$kselftest/$f") 0 0"
	done
} > "$list"
pack_cpio "$list" "$guest/initramfs.cpio.gz" || die "cannot pack the guest initramfs"
say "guest initramfs: $(du -h "$guest/initramfs.cpio.gz" | cut -f1) ($(ls "$guest/tests" | wc -l) test programs)"
