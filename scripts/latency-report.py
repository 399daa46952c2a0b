#!/usr/bin/env python3
"""make bench BENCH=latency: hot-plug latency against the size, per path, kernels side by side.

usage: latency-report.py OUTDIR RUNDIR...     (RUNDIR: OUTDIR/latency/<kernel>/<scenario>[.N],
                                              N: the boot; a kernel's boots are pooled)
       latency-report.py --profile RUNDIR...  (runs made with hp.env.BENCH_PROFILE=1)
Reads the "bench latency/floor/ping" notes of each run, prints a table per path (median with
min-max of the rounds, the memset floor of the same guest, ratios to the floor and to the
baseline), writes OUTDIR/latency.csv and OUTDIR/latency-<path>.svg. Exits 1 if the patched
kernel is slower than the baseline by more than the spread of the rounds (its median above
the baseline's max) on any size and path, or if the last kernel's cost per GiB is not flat
(from 1 GiB up, the largest size may cost at most 1.25 times per GiB the least any size costs). --profile: where one add and one remove spent their
time, the functions with the most inclusive time under the function_graph tracer.
"""
import math
import os
import re
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from importlib import import_module  # noqa: E402

samples = import_module("bench-report").samples

COLOURS = {"baseline": "#7f7f7f", "before": "#ff7f0e", "patched": "#1f77b4"}
# kernels of other names (a variant beside the series): in the order they come
OTHER_COLOURS = ["#2ca02c", "#d62728", "#9467bd", "#8c564b"]


def kernel_kind(rundir):
    """baseline, before, patched (or another build's name): the kernel's name up to its first '-'."""
    return os.path.basename(os.path.dirname(rundir.rstrip("/"))).split("-", 1)[0]


def load(rundirs):
    """{(path, online, linear): {kernel: {size: {"add": [...], "remove": [...], "floor": x}}}}:
    the rounds of every boot of a kernel together, the floor the median of their floors"""
    data, pings = {}, {}
    for rundir in rundirs:
        kind = kernel_kind(rundir)
        for what, r in samples(rundir, strings=("path", "online", "linear")):
            if what == "ping":
                pings[kind] = r["ms"]
            if what != "latency":
                continue
            # runs before the label mapped the linear map with blocks
            key = (r["path"], r["online"], r.get("linear", "blocks"))
            cell = data.setdefault(key, {}).setdefault(kind, {}).setdefault(
                int(r["size_mib"]), {"add": [], "remove": [], "floors": []})
            cell["add"].append(r["add_ms"])
            cell["remove"].append(r["remove_ms"])
            cell["floors"].append(r["floor_ms"])
    for kernels in data.values():
        for sizes in kernels.values():
            for cell in sizes.values():
                cell["floor"] = statistics.median(cell["floors"])
    return data, pings


def stats(values):
    return statistics.median(values), min(values), max(values)


def svg_plot(path, title, series, floor):
    """Log-log chart of latency against size: one line per (kernel, op), and the floor."""
    w, h, left, bottom, top, right = 640, 360, 70, 40, 24, 190
    sizes = sorted(floor)
    xs = {s: math.log2(s) for s in sizes}
    values = [v for pts in series.values() for v in pts.values()] + list(floor.values())
    ymin, ymax = math.floor(math.log10(min(values))), math.ceil(math.log10(max(values)))

    def px(s):
        span = (xs[sizes[-1]] - xs[sizes[0]]) or 1
        return left + (xs[s] - xs[sizes[0]]) / span * (w - left - right)

    def py(v):
        return h - bottom - (math.log10(v) - ymin) / ((ymax - ymin) or 1) * (h - top - bottom)

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" '
           f'font-family="sans-serif" font-size="11">',
           f'<rect width="{w}" height="{h}" fill="white"/>',
           f'<text x="{left}" y="{top - 8}">{title}</text>']
    for e in range(ymin, ymax + 1):
        out.append(f'<line x1="{left}" x2="{w - right}" y1="{py(10 ** e):.1f}" '
                   f'y2="{py(10 ** e):.1f}" stroke="#ddd"/><text x="{left - 6}" '
                   f'y="{py(10 ** e) + 4:.1f}" text-anchor="end">{10.0 ** e:g} ms</text>')
    for s in sizes:
        label = f"{s // 1024} GiB" if s >= 1024 else f"{s} MiB"
        out.append(f'<text x="{px(s):.1f}" y="{h - bottom + 16}" text-anchor="middle">'
                   f'{label}</text>')
    lines = list(series.items()) + [(("floor", "memmap memset"), floor)]
    others = [k for k in dict.fromkeys(kind for kind, _ in series) if k not in COLOURS]
    for i, ((kind, op), pts) in enumerate(lines):
        colour = COLOURS.get(kind) or ("#000000" if kind == "floor" else
                                       OTHER_COLOURS[others.index(kind) % len(OTHER_COLOURS)])
        dash = ' stroke-dasharray="5,3"' if op == "remove" else \
            ' stroke-dasharray="1,3"' if kind == "floor" else ""
        coords = " ".join(f"{px(s):.1f},{py(v):.1f}" for s, v in sorted(pts.items()))
        out.append(f'<polyline points="{coords}" fill="none" stroke="{colour}" '
                   f'stroke-width="2"{dash}/>')
        out.append(f'<line x1="{w - right + 10}" x2="{w - right + 34}" y1="{top + 14 * i}" '
                   f'y2="{top + 14 * i}" stroke="{colour}" stroke-width="2"{dash}/>'
                   f'<text x="{w - right + 40}" y="{top + 14 * i + 4}">{kind} {op}</text>')
    out.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


def per_gib_spread(kind, series):
    """[(op, ms per GiB at each size from 1 GiB, the largest size's / the least of them)]:
    fixed costs make small sizes dear per GiB; what grows faster than the size shows at the top"""
    out = []
    for op in ("add", "remove"):
        pts = {s: v for s, v in series.get((kind, op), {}).items() if s >= 1024}
        if len(pts) > 1:
            per = [pts[s] * 1024 / s for s in sorted(pts)]
            out.append((op, per, per[-1] / min(per)))
    return out


def report(outdir, rundirs):
    data, pings = load(rundirs)
    order = list(dict.fromkeys(kernel_kind(r) for r in rundirs))
    missed = []
    csv = ["path,online,linear,kernel,size_mib,op,median_ms,min_ms,max_ms,rounds,floor_ms"]
    for (path, online, linear), kernels in sorted(data.items()):
        kinds = [k for k in order if k in kernels]
        print(f"\n{path} ({online} online, linear map in {linear}): ms, median (min-max) of the "
              f"rounds; x floor = "
              f"the last kernel's median / pre-faulted memset of the memory map")
        if path == "bootmem":
            print("  removals only: the probe path times the add")
        if path == "dimm":
            print("  includes the host round trip of the request: " + ", ".join(
                f"{k} {pings[k]:.2f} ms" for k in kinds if k in pings))
        print(f"{'size':>7} {'op':>6} " + " ".join(f"{k:>24}" for k in kinds) +
              f" {'floor':>7} {'x floor':>8}" + (f" {'vs base':>7}" if "baseline" in kinds
                                                 and "patched" in kinds else ""))
        # boot memory's add is a probe add of it back, whose memory map lands in memory the
        # host has not backed yet (first writes: 26 ms of memmap_init_range() per GiB against 8
        # in the probe path): the probe path times adds
        ops = ("remove",) if path == "bootmem" else ("add", "remove")
        series, floor = {}, {}
        for size in sorted({s for k in kinds for s in kernels[k]}):
            for op in ops:
                cells, last = [], None
                for k in kinds:
                    cell = kernels[k].get(size)
                    if not cell:
                        cells.append(f"{'-':>24}")
                        continue
                    med, lo, hi = stats(cell[op])
                    series.setdefault((k, op), {})[size] = med
                    floor[size] = cell["floor"]
                    cells.append(f"{med:9.2f} ({lo:6.2f}-{hi:6.2f})")
                    csv.append(f"{path},{online},{linear},{k},{size},{op},{med:.3f},{lo:.3f},{hi:.3f},"
                               f"{len(cell[op])},{cell['floor']:.3f}")
                    last = (k, med, cell["floor"])
                ratio = ""
                if "baseline" in kinds and "patched" in kinds and size in kernels["baseline"] \
                        and size in kernels["patched"]:
                    pm = stats(kernels["patched"][size][op])[0]
                    bm, _, bhi = stats(kernels["baseline"][size][op])
                    ratio = f" {pm / bm:7.2f}"
                    if pm > bhi:
                        missed.append(f"slower than the baseline: {path} {online} {linear} "
                                      f"{size} MiB {op}: patched {pm:.1f} ms, "
                                      f"baseline {bm:.1f} ms (max {bhi:.1f})")
                xfloor = f"{last[1] / last[2]:8.1f}" if last else ""
                label = f"{size // 1024}G" if size >= 1024 else f"{size}M"
                print(f"{label:>7} {op:>6} " + " ".join(cells) +
                      f" {floor.get(size, 0):7.2f} {xfloor}{ratio}")
        flat = per_gib_spread(kinds[-1], series)
        if flat:
            print(f"  {kinds[-1]}, ms per GiB from 1 GiB up: " + "; ".join(
                f"{op} " + " ".join(f"{v:.1f}" for v in per) + f" (largest size / least {spread:.2f})"
                for op, per, spread in flat))
            for op, per, spread in flat:
                if spread > 1.25:
                    missed.append(f"{path} {online} {linear} {op}: {kinds[-1]}'s cost per GiB "
                                  f"at the largest size is {spread:.2f}x its least (from 1 GiB up)")
        name = f"latency-{path}" + ("" if online == "auto" else f"-{online}") + \
            ("" if linear == "blocks" else f"-{linear}") + ".svg"
        svg_plot(os.path.join(outdir, name), f"{path}, {online} online, linear map in {linear}: "
                 "latency against size "
                 "(medians; dashed: remove; dotted: floor)", series, floor)
        print(f"wrote {outdir}/{name}")
    with open(os.path.join(outdir, "latency.csv"), "w") as f:
        f.write("\n".join(csv) + "\n")
    print(f"wrote {outdir}/latency.csv")
    for m in missed:
        print(f"TARGET MISSED: {m}")
    return 1 if missed else 0


LINE = re.compile(r"^\s*\d+\)\s+(?:\S+\s+\|)?\s*(?:[+!#*@$]\s*)?([\d.]+)\s+(us|ms|s)\s*\|"
                  r"\s*(?:\}\s*/\*\s*(\S+)\s*\*/|(\S+)\(\);)")


def profile(rundirs, top=14):
    scale = {"us": 1e-3, "ms": 1.0, "s": 1e3}
    for rundir in rundirs:
        kernel = os.path.basename(os.path.dirname(rundir.rstrip("/")))
        totals, what = {}, None
        with open(os.path.join(rundir, "serial.log"), errors="replace") as f:
            for line in f:
                i = line.find("# P|")
                if i < 0:
                    continue
                text = line[i + 4:].rstrip("\n")
                if text.startswith(("begin ", "end ")):
                    what = text.split()[1] if text.startswith("begin") else None
                    continue
                m = LINE.match(text)
                if what and m:
                    name = m.group(3) or m.group(4)
                    t = totals.setdefault(what, {})
                    t[name] = t.get(name, 0) + float(m.group(1)) * scale[m.group(2)]
        for what, t in totals.items():
            print(f"\n{kernel}, one {what}: inclusive ms under function_graph, top {top}")
            for name, ms in sorted(t.items(), key=lambda kv: -kv[1])[:top]:
                print(f"  {ms:9.2f}  {name}")
    return 0


if __name__ == "__main__":
    if sys.argv[1] == "--profile":
        sys.exit(profile(sys.argv[2:]))
    sys.exit(report(sys.argv[1], sys.argv[2:]))
