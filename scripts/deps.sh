#!/bin/sh
# Install what the build and the tests need (Debian 12, as root). Also lets apt download arm64
# packages (busybox-static, bash-static), which are extracted for the guest, never installed.
set -eu
. "$(dirname "$0")/lib.sh"

PKGS="linux-source-6.12 qemu-system-arm qemu-efi-aarch64 gcc-aarch64-linux-gnu
binutils-aarch64-linux-gnu libc6-dev-arm64-cross gcc make bc bison flex libssl-dev libelf-dev
cpio kmod rsync xz-utils ccache sparse codespell python3 python3-ply python3-git liburcu-dev git
acpica-tools qemu-system-x86 seabios"

stamp=$BUILD/deps.stamp
want=$(echo "$PKGS $DEBIAN_SRC_VERSION" | sha1sum)
[ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && exit 0

missing=
for p in $PKGS; do
	dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing="$missing $p"
done
arm64_ok=$(dpkg --print-foreign-architectures | grep -c '^arm64$' || true)
if [ -n "$missing" ] || [ "$arm64_ok" = 0 ]; then
	[ "$(id -u)" = 0 ] || die "missing packages:$missing; run 'make deps' as root"
	say "installing:${missing:- (none)}; adding the arm64 architecture for apt downloads"
	dpkg --add-architecture arm64
	run_logged "$LOGS/apt-update.log" apt-get update
	src_pkg=linux-source-6.12
	if apt-cache madison linux-source-6.12 | grep -q " $DEBIAN_SRC_VERSION "; then
		src_pkg="linux-source-6.12=$DEBIAN_SRC_VERSION"
	else
		warn "linux-source-6.12 $DEBIAN_SRC_VERSION is no longer served: installing the newest 6.12"
	fi
	# shellcheck disable=SC2086
	run_logged "$LOGS/apt-install.log" env DEBIAN_FRONTEND=noninteractive \
		apt-get install -y --no-install-recommends $(echo "$PKGS" | sed "s/linux-source-6.12/$src_pkg/")
fi
echo "$want" > "$stamp"
say "host packages ready"
