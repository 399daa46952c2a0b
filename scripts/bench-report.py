#!/usr/bin/env python3
"""Summarise make bench: patched vs baseline removal times and the cost of pass 1.

usage: bench-report.py OUTDIR BASELINE_RUNDIR PATCHED_RUNDIR
       bench-report.py --memmap OUTDIR RUNDIR...   (runs named {baseline,patched}-PAGE)
Reads the "bench ..." notes of each run's result.json, prints tables, writes OUTDIR/results.csv
and OUTDIR/pass1.svg, and exits 1 if a target is missed: pass 1 under 1% of the removal time
(offline + remove) at every size, and flat (largest/smallest median within 2x) from 128 MiB
to 2 GiB. With --memmap: the 1000-range map/unmap loop of device memory, patched vs baseline,
and the UNUSED_VMEMMAP regions per partly used vmemmap page (OUTDIR/memmap.csv); it exits 1
if the patched loop takes more than 1.5 times the baseline's on the same layout.
"""
import json
import os
import statistics
import sys


def samples(rundir, strings=()):
    """[(what, {key: value})] from the guest's notes; values are numbers but for @strings."""
    out = []
    with open(os.path.join(rundir, "result.json")) as f:
        for test in json.load(f)["tests"]:
            for case in test["cases"]:
                for note in case["notes"]:
                    words = note.split()
                    if len(words) < 2 or words[0] != "bench":
                        continue
                    out.append((words[1], {k: v if k in strings else float(v) for k, v in
                                           (w.split("=", 1) for w in words[2:])}))
    return out


def median(rows, key):
    return statistics.median(r[key] for r in rows)


def svg_plot(path, sizes, pass1_us, removal_us):
    """Log-log line chart: pass 1 and the whole removal (offline + remove), in microseconds."""
    import math
    w, h, left, bottom, top, right = 560, 320, 70, 40, 20, 150
    xs = [math.log2(s) for s in sizes]
    ys_all = [math.log10(v) for v in pass1_us + removal_us]
    ymin, ymax = math.floor(min(ys_all)), math.ceil(max(ys_all))

    def px(x):
        return left + (x - xs[0]) / ((xs[-1] - xs[0]) or 1) * (w - left - right)

    def py(y):
        return h - bottom - (y - ymin) / ((ymax - ymin) or 1) * (h - top - bottom)

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" '
             f'font-family="sans-serif" font-size="11">',
             f'<rect width="{w}" height="{h}" fill="white"/>']
    for e in range(ymin, ymax + 1):
        parts.append(f'<line x1="{left}" x2="{w - right}" y1="{py(e):.1f}" y2="{py(e):.1f}" '
                     f'stroke="#ddd"/><text x="{left - 6}" y="{py(e) + 4:.1f}" '
                     f'text-anchor="end">1e{e} us</text>')
    for x, s in zip(xs, sizes):
        parts.append(f'<text x="{px(x):.1f}" y="{h - bottom + 16}" text-anchor="middle">'
                     f'{s} MiB</text>')
    for values, colour, label in ((removal_us, "#1f77b4", "offline + remove"),
                                  (pass1_us, "#d62728", "pass 1")):
        pts = " ".join(f"{px(x):.1f},{py(math.log10(v)):.1f}" for x, v in zip(xs, values))
        parts.append(f'<polyline points="{pts}" fill="none" stroke="{colour}" stroke-width="2"/>')
        ylab = py(math.log10(values[-1]))
        parts.append(f'<text x="{w - right + 8}" y="{ylab + 4:.1f}" fill="{colour}">{label}</text>')
    parts.append(f'<text x="{left}" y="{top - 6}">arm64 4K, TCG: median of 3, log scales</text>')
    parts.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(parts) + "\n")


def main():
    outdir, base_dir, patched_dir = sys.argv[1:4]
    base, patched = samples(base_dir), samples(patched_dir)
    missed = []
    csv = ["kernel,what,size_mib,round,offline_ms,remove_ms,pass1_us,remove_memory_us"]
    for name, rows in (("baseline", base), ("patched", patched)):
        for what, r in rows:
            csv.append(",".join(str(x) for x in (
                name, what, int(r.get("size_mib", 1024)), int(r.get("round", 1)),
                r.get("offline_ms", ""), r.get("remove_ms", ""), r.get("pass1_us", ""),
                r.get("remove_memory_us", ""))))
    with open(os.path.join(outdir, "results.csv"), "w") as f:
        f.write("\n".join(csv) + "\n")

    print("\n1 GiB ACPI DIMM, online movable -> offline (sysfs) -> device_del, median of 3 (ms)")
    print(f"{'kernel':10} {'offline':>9} {'remove':>9} {'total':>9}")
    dimm = {}
    for name, rows in (("baseline", base), ("patched", patched)):
        d = [r for w, r in rows if w == "dimm"]
        if not d:
            missed.append(f"no DIMM samples from the {name} kernel")
            continue
        dimm[name] = median(d, "total_ms")
        print(f"{name:10} {median(d, 'offline_ms'):9.1f} {median(d, 'remove_ms'):9.1f} "
              f"{dimm[name]:9.1f}")
    if len(dimm) == 2:
        print(f"patched/baseline total: {dimm['patched'] / dimm['baseline']:.2f}")

    boot = [r for w, r in patched if w == "bootmem"]
    if boot:
        r = boot[0]
        print(f"\n1 GiB of boot memory (patched only: the baseline cannot offline it): "
              f"offline {r['offline_ms']:.1f} ms, remove {r['remove_ms']:.1f} ms, "
              f"pass 1 {r['pass1_us']:.2f} us "
              f"({100 * r['pass1_us'] / (1e3 * (r['offline_ms'] + r['remove_ms'])):.4f}% of the whole)")

    sweep = {}
    for w, r in patched:
        if w == "pass1":
            sweep.setdefault(int(r["size_mib"]), []).append(r)
    if not sweep:
        missed.append("no pass 1 samples")
    else:
        print("\npass 1 (arch_check_remove_memory) against the size of the removal, patched, "
              "median of 3")
        print(f"{'size MiB':>8} {'offline ms':>10} {'remove ms':>10} {'__remove_memory us':>19} "
              f"{'pass 1 us':>10} {'pass 1 share':>12}")
        sizes, p1, whole = sorted(sweep), [], []
        for s in sizes:
            rows = sweep[s]
            off, rem = median(rows, "offline_ms"), median(rows, "remove_ms")
            pass1, rm = median(rows, "pass1_us"), median(rows, "remove_memory_us")
            share = 100 * pass1 / (1e3 * (off + rem))
            p1.append(pass1)
            whole.append(1e3 * (off + rem))
            print(f"{s:8d} {off:10.1f} {rem:10.1f} {rm:19.1f} {pass1:10.2f} {share:11.4f}%")
            if share >= 1:
                missed.append(f"pass 1 is {share:.2f}% of the removal of {s} MiB (target < 1%)")
        spread = max(p1) / min(p1)
        print(f"pass 1 largest/smallest median: {spread:.2f} (target: flat, under 2)")
        if spread >= 2:
            missed.append(f"pass 1 grows with the range: {spread:.2f}x from "
                          f"{sizes[0]} to {sizes[-1]} MiB")
        svg_plot(os.path.join(outdir, "pass1.svg"), sizes, p1, whole)
    print(f"\nwrote {outdir}/results.csv and {outdir}/pass1.svg")
    for m in missed:
        print(f"TARGET MISSED: {m}")
    return 1 if missed else 0


def memmap_report(outdir, rundirs):
    rows = {}
    for rundir in rundirs:
        kernel, page = os.path.basename(rundir.rstrip("/")).rsplit("-", 1)
        for what, r in samples(rundir, strings=("layout",)):
            if what == "memmap":
                rows[(page, r["layout"], kernel)] = r
    missed = []
    print("\n1000 ranges of 2 MiB of device private memory: map all, unmap every second, "
          "unmap the rest")
    print(f"{'page':>4} {'layout':>8} {'kernel':>8} {'map ms':>8} {'unmap ms':>9} "
          f"{'vs base':>7} {'marks/partial page (mapped; half unmapped)':>44}")
    with open(os.path.join(outdir, "memmap.csv"), "w") as csv:
        csv.write("page,layout,kernel,map_ms,unmap_ms,marks_mapped,partial_mapped,"
                  "marks_half,partial_half\n")
        for (page, layout, kernel), r in sorted(rows.items()):
            unmap = r["unmap_odd_ms"] + r["unmap_even_ms"]
            base = rows.get((page, layout, "baseline"))
            ratio = ""
            if base and kernel == "patched":
                total, base_total = r["map_ms"] + unmap, \
                    base["map_ms"] + base["unmap_odd_ms"] + base["unmap_even_ms"]
                ratio = f"{total / base_total:.2f}"
                if total > 1.5 * base_total:
                    missed.append(f"{page} {layout}: patched loop {total:.0f} ms, baseline "
                                  f"{base_total:.0f} ms")
            per_page = "; ".join(
                f"{int(r['marks_' + s])}/{int(r['partial_' + s])}"
                + (f" = {r['marks_' + s] / r['partial_' + s]:.2f}" if r["partial_" + s] else "")
                for s in ("mapped", "half"))
            print(f"{page:>4} {layout:>8} {kernel:>8} {r['map_ms']:8.1f} {unmap:9.1f} "
                  f"{ratio:>7} {per_page:>44}")
            csv.write(f"{page},{layout},{kernel},{r['map_ms']},{unmap},{int(r['marks_mapped'])},"
                      f"{int(r['partial_mapped'])},{int(r['marks_half'])},"
                      f"{int(r['partial_half'])}\n")
    print(f"\nwrote {outdir}/memmap.csv")
    for m in missed:
        print(f"TARGET MISSED: {m}")
    return 1 if missed else 0


if __name__ == "__main__":
    if sys.argv[1] == "--memmap":
        sys.exit(memmap_report(sys.argv[2], sys.argv[3:]))
    sys.exit(main())
