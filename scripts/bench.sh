#!/bin/sh
# make bench: time memory removal on the patched and the baseline kernel in the same run (4K
# pages, kernels with the function tracer). See Documentation/results.md for what is measured.
# Writes build/bench/results.csv, build/bench/pass1.svg and prints a table.
set -eu
. "$(dirname "$0")/lib.sh"
out=$BUILD/bench
mkdir -p "$out"
sh "$TOP/scripts/apply-series.sh"
for k in baseline-4k-bench patched-4k-bench; do
	sh "$TOP/scripts/build-kernel.sh" "$k"
done
sh "$TOP/scripts/build-guest.sh"
for k in baseline-4k-bench patched-4k-bench; do
	say "bench on $k (under a minute)"
	python3 "$TOP/scripts/qemu.py" --quiet --kernel "$k" --rundir "$out/$k" \
		--scenario "$TOP/qemu-test/scenarios/bench.conf" ||
		die "the bench run on $k failed: read $out/$k/serial.log"
done
python3 "$TOP/scripts/bench-report.py" "$out" "$out/baseline-4k-bench" "$out/patched-4k-bench"
