#!/bin/sh
# make run: build the kernel, boot it under QEMU with UEFI/ACPI, hot-add two DIMMs, online them
# movable, write and verify data, offline and hot-remove them, and report what happened.
#   KERNEL=patched|baseline (default patched), PAGE=4k|16k|64k (default 4k)
set -eu
. "$(dirname "$0")/lib.sh"
k=${KERNEL:-patched}-${PAGE:-4k}
case "$k" in baseline-*|patched-*) ;; *) die "KERNEL=$KERNEL: use patched or baseline" ;; esac

sh "$TOP/scripts/apply-series.sh"
sh "$TOP/scripts/build-kernel.sh" "$k"
sh "$TOP/scripts/build-guest.sh"
say "booting $k (UEFI + ACPI, 2 GiB, 8 DIMM slots) and hot-plugging two 512 MiB DIMMs"
rc=0
python3 "$TOP/scripts/qemu.py" --kernel "$k" --scenario "$TOP/qemu-test/scenarios/dimm.conf" || rc=$?
python3 "$TOP/scripts/report.py" "$BUILD/runs/$k/dimm" || true
[ "$rc" -eq 0 ] || die "the demo failed: read $BUILD/runs/$k/dimm/serial.log (guest console) and qmp.log"
say "MemTotal rose by exactly the DIMM sizes and returned to its boot value; logs: build/runs/$k/dimm"
