"""make bench: every figure of issue 6, measured on this machine, as one table.

Each figure runs in a process of its own (memory, the garbage collector and the page cache of one
must not colour the next); this process only starts them and prints the table.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.harness import load
from benchmarks.table import Figure, render

# name -> module; in the order of the table
FIGURES = {
    "ingest": "ingest",
    "cpu-streaming": "cpu_streaming",
    "cpu-paced": "cpu_streaming:measure_paced",
    "cpu-idle": "cpu_idle",
    "many-agents": "many_agents",
    "startup": "startup",
    "rss": "rss",
    "worktree": "worktree_create",
}
RESULT = "BENCH-RESULT "  # the child's last line: this prefix, then the Figure as JSON


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), "unknown CPU")
    mem = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
               if line.startswith("MemTotal"))
    return f"{os.cpu_count()} cores ({cpu}), {mem / 2**20:.0f} GB RAM, Python {sys.version.split()[0]}"


def child(name: str) -> None:
    import importlib

    os.environ.setdefault("TEXTUAL_ANIMATIONS", "none")
    module_name, _, function = FIGURES[name].partition(":")
    module = importlib.import_module(f"benchmarks.{module_name}")
    figure = asyncio.run(getattr(module, function or "measure")())
    print(RESULT + json.dumps(dataclasses.asdict(figure)), flush=True)


def run_one(name: str) -> Figure:
    proc = subprocess.run([sys.executable, __file__, "--child", name], stdout=subprocess.PIPE, text=True)
    lines = [line for line in proc.stdout.splitlines() if line.startswith(RESULT)]
    if proc.returncode != 0 or not lines:
        return Figure(name, "", f"the benchmark failed (exit status {proc.returncode}; its error is above)", None)
    return Figure(**json.loads(lines[-1][len(RESULT):]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("figures", nargs="*", metavar="FIGURE", help=f"only these, of: {', '.join(FIGURES)}")
    parser.add_argument("--child", choices=FIGURES, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    unknown = [f for f in args.figures if f not in FIGURES]
    if unknown:
        parser.error(f"unknown figure {', '.join(unknown)}; choose from {', '.join(FIGURES)}")
    results = []
    started = time.monotonic()
    for name in args.figures or FIGURES:
        print(f"… {name} ({load()})", file=sys.stderr, flush=True)
        t0 = time.monotonic()
        results.append(run_one(name))
        print(f"  {name} took {time.monotonic() - t0:.0f} s", file=sys.stderr, flush=True)
    print(render(results, machine()))
    print(f"\n(make bench took {time.monotonic() - started:.0f} s; {load()} at the end)")


if __name__ == "__main__":
    main()
