#!/usr/bin/env python3
"""Message filter for 'git filter-branch --msg-filter' (run by scripts/cc-series.sh): replace a
commit's Cc: lines, but Cc: stable, with those scripts/get_maintainer.pl gives for its diff, placed
before the last Signed-off-by: line (ours; a backport keeps its upstream tags above it). Needs GIT_COMMIT (set by filter-branch) and KTREE, the kernel
work tree whose get_maintainer.pl and MAINTAINERS to use."""
import os
import re
import subprocess
import sys
import tempfile

msg = sys.stdin.read().rstrip("\n") + "\n"
patch = subprocess.run(["git", "format-patch", "-1", "--stdout", os.environ["GIT_COMMIT"]],
                       check=True, capture_output=True, text=True).stdout
with tempfile.NamedTemporaryFile("w", suffix=".patch") as f:
    f.write(patch)
    f.flush()
    out = subprocess.run(["perl", "scripts/get_maintainer.pl", "--no-git", "--no-git-fallback",
                          "--no-rolestats", "--no-fixes", f.name],
                         check=True, capture_output=True, text=True, cwd=os.environ["KTREE"]).stdout
cc = ["Cc: " + line.strip() for line in out.splitlines() if line.strip()]
lines = [l for l in msg.split("\n") if not (l.startswith("Cc: ") and "stable@" not in l)]
sob = max(i for i, l in enumerate(lines) if l.startswith("Signed-off-by:"))
lines[sob:sob] = cc
sys.stdout.write("\n".join(lines))
