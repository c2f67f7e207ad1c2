"""Soak (make soak, not make test): eight agents × fifty runs each, the scripted model streaming at full speed.

At the end nothing is lost — every run's stored text is exactly what the server sent, and the
database holds every row the writer was handed — no CLI process outlives the engine, and the
memory of this process stays flat after warm-up. The RSS curve is printed (run with -s to see it).
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from clct_tui import Orchestrator
from clct_tui.orchestrator import TranscriptAppended
from clct_tui.testing.scripted_api import text, tool_use
from tests.e2e.conftest import rows

AGENTS = 8
RUNS = int(os.environ.get("SOAK_RUNS", "50"))
WARM_UP = 10  # runs per agent before memory is expected to settle
ANSWER = "All of this arrives in small pieces, as fast as the server can write them. " * 8


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS in /proc/self/status")


def cli_children() -> set[int]:
    """Pids of live (not zombie) processes whose parent is this process."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        state, parent = fields[0], int(fields[1])
        if parent == os.getpid() and state != "Z":
            found.add(int(stat.parent.name))
    return found


def prompt(agent: int, run: int) -> str:
    return f"soak agent {agent} run {run}."  # the full stop keeps "run 1." from matching "run 10."


def script(api) -> None:
    for agent in range(AGENTS):
        # The first run of each agent also writes a file, so tool events are in the stream too.
        api.script(prompt(agent, 0), [tool_use("Write", {"file_path": "soak.txt", "content": "soak\n"}, say="Writing."),
                                      text(ANSWER, chunk_size=4)])
        for run in range(1, RUNS):
            api.script(prompt(agent, run), [text(ANSWER, chunk_size=4)])


@pytest.mark.slow
@pytest.mark.timeout(1800)
async def test_eight_agents_fifty_runs_each_lose_nothing_leave_no_process_and_keep_memory_flat(
    scripted_api, git_repo, config
):
    script(scripted_api)
    scripted_api.keep_requests = False
    config = config.with_overrides(max_concurrent_instances=AGENTS, instance_timeout=300)
    emitted = 0
    curve: list[tuple[int, float]] = []

    def count(event) -> None:
        nonlocal emitted
        if isinstance(event, TranscriptAppended):
            emitted += 1

    async with Orchestrator(git_repo, config) as orch:
        orch.subscribe(count)
        agents = [await orch.create_instance(worktree_name=f"soak-{i}") for i in range(AGENTS)]

        async def work(index: int, agent) -> None:
            for n in range(RUNS):
                result = await agent.send(prompt(index, n))
                assert result["success"], result
                if index == 0 and (n + 1) % 5 == 0:
                    curve.append((n + 1, rss_mb()))

        await asyncio.gather(*(work(i, a) for i, a in enumerate(agents)))
        children = cli_children()
        assert children, "the agents' CLI processes should be running until shutdown"
        await orch.drain_writes()
        orch.store.flush()
        received, written = orch.store.events_received, orch.store.rows_written

    assert cli_children() == set(), "CLI processes outlived the engine"

    runs = rows(config, "select id, prompt, state from run order by id")
    assert len(runs) == AGENTS * RUNS and {state for _, _, state in runs} == {"done"}
    for run_id, words, _ in runs:
        stored = "".join(t for (t,) in rows(config, "select text from event where run_id = ? and kind = 'text' "
                                                    "order by seq", (run_id,)))
        sent = scripted_api.sent_text[words]
        assert stored == sent, f"run {run_id} ({words}): stored {len(stored)} characters of {len(sent)} sent"
    (stored_rows,), = rows(config, "select count(*) from event")
    assert received == emitted and stored_rows == written

    settled = [mb for runs_done, mb in curve if runs_done >= WARM_UP]
    sent_chars = sum(len(scripted_api.sent_text[words]) for _, words, _ in runs)
    sent_deltas = sum(-(-len(scripted_api.sent_text[words]) // 4) for _, words, _ in runs)
    print(f"\nthe model sent {sent_deltas} text deltas ({sent_chars} characters) in {len(runs)} runs; every run's "
          f"stored text is what was sent; events emitted (deltas joined per frame) {emitted}, handed to the "
          f"writer {received}, rows stored {stored_rows} (coalesced)")
    print("RSS after runs of agent 0: " + ", ".join(f"{n}:{mb:.0f} MB" for n, mb in curve))
    print(f"peak RSS {max(mb for _, mb in curve):.0f} MB; growth after warm-up {settled[-1] - settled[0]:+.1f} MB")
    assert settled[-1] - settled[0] < max(20.0, 0.1 * settled[0]), "memory keeps growing after warm-up"
