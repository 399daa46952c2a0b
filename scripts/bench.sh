#!/bin/sh
# make bench: time memory removal on the patched and the baseline kernel in the same run (4K
# pages, kernels with the function tracer), and the 1000-range map/unmap loop of device memory
# (4K, 16K, 64K; the kernels of make check), and hot-plug latency against the size per path
# with a profile of one add and one remove (4K, -bench kernels). See Documentation/results.md
# for what is measured. Writes build/bench/results.csv, pass1.svg, memmap.csv, latency.csv,
# latency-*.svg and prints tables.
#   BENCH="removal memmap latency" (default): the parts to run
#   BEFORE_REV: also time the series tree at this revision ("before" in the latency tables)
#   LATENCY_PAGES="4k 16k 64k": also the DIMM and probe latency on 16K and 64K pages (default 4k;
#                  each adds two -bench kernels and about 15 minutes)
#   LATENCY_BOOTS: boots of each kernel per latency scenario, pooled in the tables, on every page
#                  size (default 1; a removal's time varies more between boots than between
#                  rounds of one boot)
set -eu
. "$(dirname "$0")/lib.sh"
out=$BUILD/bench
mkdir -p "$out"
BENCH=${BENCH:-removal memmap latency}
part() { case " $BENCH " in *" $1 "*) return 0 ;; esac; return 1; }
sh "$TOP/scripts/apply-series.sh"
removal_kernels="baseline-4k-bench patched-4k-bench"
memmap_kernels="baseline-4k patched-4k baseline-16k patched-16k baseline-64k patched-64k"
latency_pages=${LATENCY_PAGES:-4k}
boots=${LATENCY_BOOTS:-1}
latency_kernels="baseline-4k-bench patched-4k-bench"
latency_scenarios="bench-latency-dimm bench-latency-dimm-manual bench-latency-probe
	bench-latency-probe-rodata-full bench-latency-vmem bench-latency-bootmem bench-profile"
# the other page sizes: the paths whose memory map the page size changes most
other_scenarios="bench-latency-dimm bench-latency-probe bench-latency-bootmem"
other_pages=$(echo " $latency_pages " | sed 's/ 4k / /')
part removal || removal_kernels=
part memmap || memmap_kernels=
part latency || { latency_kernels=; other_pages=; }
for k in $removal_kernels $memmap_kernels $latency_kernels; do
	sh "$TOP/scripts/build-kernel.sh" "$k"
done
for p in $other_pages; do
	for k in baseline-$p-bench patched-$p-bench; do
		sh "$TOP/scripts/build-kernel.sh" "$k"
	done
done
if [ -n "$latency_kernels" ] && [ -n "${BEFORE_REV:-}" ]; then
	REV=$BEFORE_REV OUT=$BUILD/out/before-4k-bench sh "$TOP/scripts/build-kernel.sh" \
		patched-4k-bench
	latency_kernels="baseline-4k-bench before-4k-bench patched-4k-bench"
fi
sh "$TOP/scripts/build-guest.sh"
# bench_run KERNEL SCENARIO RUNDIR
bench_run() {
	python3 "$TOP/scripts/qemu.py" --quiet --kernel "$1" --rundir "$3" \
		--scenario "$TOP/qemu-test/scenarios/$2.conf" ||
		die "the $2 run on $1 failed: read $3/serial.log"
}
for k in $removal_kernels; do
	say "bench on $k (under a minute)"
	bench_run "$k" bench "$out/$k"
done
rc=0
if part removal; then
	python3 "$TOP/scripts/bench-report.py" "$out" "$out/baseline-4k-bench" \
		"$out/patched-4k-bench" || rc=$?
fi
for k in $memmap_kernels; do
	say "device memory loop on $k (about 2 minutes)"
	bench_run "$k" memmap-bench "$out/memmap/$k"
done
if part memmap; then
	python3 "$TOP/scripts/bench-report.py" --memmap "$out" $(for k in $memmap_kernels; do
		echo "$out/memmap/$k"; done) || rc=$?
fi
# latency: the kernels take turns on each scenario, so that each comparison is close in time
rm -rf "$out/latency"
for b in $(seq "$boots"); do
	for s in $([ -n "$latency_kernels" ] && echo $latency_scenarios); do
		# one profile is enough: it is not pooled
		[ "$b" = 1 ] || [ "$s" != bench-profile ] || continue
		for k in $latency_kernels; do
			say "latency: $s on $k, boot $b of $boots (1 to 3 minutes)"
			bench_run "$k" "$s" "$out/latency/$k/$s$([ "$b" = 1 ] || echo ".$b")"
		done
	done
done
if part latency; then
	python3 "$TOP/scripts/latency-report.py" "$out" $(for k in $latency_kernels; do
		for s in $latency_scenarios; do
			# every boot's run directory (a failing command would end set -e's subshell)
			for d in "$out/latency/$k/$s" "$out/latency/$k/$s".*; do
				if [ -d "$d" ]; then echo "$d"; fi
			done
		done; done) || rc=$?
	python3 "$TOP/scripts/latency-report.py" --profile $(for k in $latency_kernels; do
		echo "$out/latency/$k/bench-profile"; done)
fi
for p in $other_pages; do
	rm -rf "$out/latency-$p"
	mkdir -p "$out/latency-$p"
	for b in $(seq "$boots"); do
		for s in $other_scenarios; do
			for k in baseline-$p-bench patched-$p-bench; do
				say "latency: $s on $k, boot $b of $boots (1 to 3 minutes)"
				bench_run "$k" "$s" "$out/latency-$p/$k/$s$([ "$b" = 1 ] || echo ".$b")"
			done
		done
	done
	say "latency with $p pages (tables, $out/latency-$p/latency.csv and plots)"
	python3 "$TOP/scripts/latency-report.py" "$out/latency-$p" $(for k in \
		baseline-$p-bench patched-$p-bench; do for s in $other_scenarios; do
		for d in "$out/latency-$p/$k/$s" "$out/latency-$p/$k/$s".*; do
			if [ -d "$d" ]; then echo "$d"; fi
		done; done; done) || rc=$?
done
exit "$rc"
