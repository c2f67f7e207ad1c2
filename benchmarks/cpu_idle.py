"""clct's own CPU with 8 idle agents: each ran a prompt to its end and waits, its CLI still connected.

Anything above nothing comes from a timer or a loop that wakes without a reason.
"""

from __future__ import annotations

import asyncio

from benchmarks.harness import ApiProcess, CpuMeter, load, median, sandbox, until
from benchmarks.live import live_app
from benchmarks.table import Figure

AGENTS = 8
RUNS = 3
WINDOW = 10.0


async def measure() -> Figure:
    shares, details = [], []
    with sandbox() as sb, ApiProcess(2_000, 8) as api:
        async with live_app(sb, api) as live:
            agents = await live.add_agents(AGENTS, "idle")
            live.worktree_list.select(agents[0].instance_id)
            await asyncio.gather(*(a.send(f"bench idle agent {i}.") for i, a in enumerate(agents)))
            await until(lambda: all(not a.state.is_active for a in agents), 30, "the runs to end")
            await live.app.workers.wait_for_complete()
            await asyncio.sleep(2.0)  # toasts time out, git status refreshes land
            for run in range(RUNS):
                meter = CpuMeter(exclude={api.pid})
                frames = live.clock.frames
                meter.start()
                await asyncio.sleep(WINDOW)
                sample = meter.stop()
                shares.append(sample.own_share)
                details.append(f"run {run + 1}: clct {sample.own_share:.2%} of a core over {sample.wall:.1f} s, "
                               f"{live.clock.frames - frames} frames drawn; the {sample.n_children} idle CLIs "
                               f"{sample.children_share:.2%}; {load()}")
    share = median(shares)
    return Figure(
        "clct's own CPU, 8 idle agents",
        "< 1% of one core",
        f"{share:.2%} of a core",
        share < 0.01,
        before="0.10% (the store writer woke 5×/s)",
        notes=["Idle: 8 agents that each ran a prompt to its end, their CLI processes connected and waiting for "
               "the next prompt, the app open on one of them; 10 s windows. The benchmark's own loop sleeps."],
        details=details,
    )
