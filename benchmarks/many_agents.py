"""50 agents listed, 8 of them streaming at full speed and 42 idle: the app's key latency.

The 42 idle agents are made through the engine (a real worktree each) and never prompted; the 8
stream as in the ingest benchmark. Keys move the selection through the whole list and back.
"""

from __future__ import annotations

from benchmarks.harness import ApiProcess, load, median, percentile, sandbox, until
from benchmarks.live import live_app
from benchmarks.table import Figure

STREAMING, IDLE = 8, 42
CHARS, CHUNK = 20_000, 8
RUNS = 3
PRESSES = 80
GAP = 0.08


async def measure() -> Figure:
    medians, p99s, details = [], [], []
    with sandbox() as sb, ApiProcess(CHARS, CHUNK) as api:
        async with live_app(sb, api) as live:
            orch = live.app.orchestrator
            for i in range(IDLE):
                await orch.create_instance(worktree_name=f"idle-{i:02d}")
            agents = await live.add_agents(STREAMING, "stream")
            await until(lambda: live.worktree_list.option_count == STREAMING + IDLE + 1, 30, "50 rows")
            live.worktree_list.select(agents[0].instance_id)
            live.start_streaming(agents)
            await until(lambda: live.deltas > 5_000, 60, "the agents to stream")
            for run in range(RUNS):
                ms = [x * 1000 for x in await live.key_latencies(PRESSES, GAP)]
                medians.append(median(ms))
                p99s.append(percentile(ms, 99))
                details.append(f"run {run + 1}: key median {medians[-1]:.1f} ms, p99 {p99s[-1]:.1f} ms over "
                               f"{len(ms)} keys, {live.worktree_list.option_count - 1} agents listed; {load()}")
            await live.stop_streaming()
    key_median = median(medians)
    return Figure(
        "50 agents listed (8 streaming, 42 idle): key latency",
        "median < 50 ms",
        f"median {key_median:.1f} ms (p99 {median(p99s):.1f} ms)",
        key_median < 50,
        notes=["The same key latency as above, with 51 rows in the Worktrees pane (the main checkout and 50 agents); "
               "the keys walk the selection down the whole list and back, each selection loading that agent's "
               "transcript."],
        details=details,
    )
