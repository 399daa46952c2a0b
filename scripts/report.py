#!/usr/bin/env python3
"""Print the result of QEMU runs as a table: each guest test case, its result and what the
guest noted about it.   report.py RUNDIR...   (RUNDIR holds the result.json of qemu.py)"""
import json
import os
import sys
import textwrap


def main():
    worst = 0
    for rundir in sys.argv[1:]:
        try:
            with open(os.path.join(rundir, "result.json")) as f:
                r = json.load(f)
        except OSError as e:
            print(f"{rundir}: no result ({e.strerror})")
            worst = 1
            continue
        verdict = "PASS" if r["passed"] else "FAIL"
        print(f"\n{r['scenario']} on {r['kernel']}: {verdict} in {r['seconds']} s")
        print(f"  {'case':<28} {'result':<7} what the guest saw")
        for t in r["tests"]:
            for c in t["cases"]:
                res = "skip" if c["skip"] else "ok" if c["ok"] else "FAIL"
                notes = c["notes"] or ([c["reason"]] if c["reason"] else [""])
                for i, n in enumerate(notes):
                    for j, part in enumerate(textwrap.wrap(n, 70) or [""]):
                        first = i == 0 and j == 0
                        print(f"  {c['name'] if first else '':<28} {res if first else '':<7} "
                              f"{'' if j == 0 else '  '}{part}")
        for p in r["problems"]:
            print(f"  problem: {p}")
        worst |= not r["passed"]
    return worst


if __name__ == "__main__":
    sys.exit(main())
