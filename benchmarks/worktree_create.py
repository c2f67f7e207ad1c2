"""Worktree creation on a 20,000-file repository, against `git worktree add` on the same repository.

Both make a new branch from main and check it out in a new folder; they alternate, so a warm or
cold page cache favours neither, and the figure is the median of the per-pair ratios.
"""

from __future__ import annotations

import subprocess
import time

from benchmarks.harness import load, median, sandbox
from benchmarks.table import Figure
from clct_tui.git import WorktreeManager

FILES = 20_000
PAIRS = 5


def measure_sync() -> Figure:
    ratios, ours, theirs, details = [], [], [], []
    with sandbox(files=FILES) as sb:
        manager = WorktreeManager(sb.repo, sb.root / "worktrees")
        for i in range(PAIRS):
            t0 = time.perf_counter()
            manager.create_worktree(f"clct-{i}")
            t1 = time.perf_counter()
            subprocess.run(["git", "worktree", "add", "-q", "-b", f"git-{i}", str(sb.root / "plain" / f"git-{i}"),
                            "main"], cwd=sb.repo, check=True, capture_output=True)
            t2 = time.perf_counter()
            ours.append(t1 - t0)
            theirs.append(t2 - t1)
            ratios.append((t1 - t0) / (t2 - t1))
            details.append(f"pair {i + 1}: WorktreeManager.create_worktree {t1 - t0:.2f} s, git worktree add "
                           f"{t2 - t1:.2f} s, ratio {ratios[-1]:.2f}; {load()}")
        files = sum(1 for p in (sb.root / "worktrees" / "clct-0").rglob("*") if p.is_file())
    ratio = median(ratios)
    return Figure(
        "worktree creation, 20,000-file repository",
        "within 1.5× of git worktree add",
        f"{ratio:.2f}× ({median(ours):.2f} s vs {median(theirs):.2f} s)",
        ratio <= 1.5,
        before="1.65×",
        notes=[f"{FILES:,} files of ~60 bytes in 40 folders; each pair creates a new branch from main and checks it "
               f"out (clct's worktree had {files:,} files); the ratio is the median of the {PAIRS} pairs' ratios."],
        details=details,
    )


async def measure() -> Figure:
    return measure_sync()
