"""Agents are background work: their Claude Code processes run at a lower priority than clct itself,
so the person's keys are answered first when the agents keep every core busy."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from clct_tui.agents import AgentDriver, AgentOptions
from clct_tui.agents.launcher import CLI_NICENESS, launcher_path


def children() -> list[int]:
    """Live processes whose parent is this process."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == os.getpid() and fields[0] != "Z":
            found.append(int(stat.parent.name))
    return found


@pytest.mark.skipif(launcher_path() is None, reason="the launcher (and its lower priority) is Linux only")
async def test_a_claude_code_process_runs_at_a_lower_priority_than_clct(scripted_api, git_repo):
    before = set(children())
    agent = AgentDriver(AgentOptions(cwd=git_repo), on_event=lambda event: None)
    await agent.connect()
    try:
        started = [pid for pid in children() if pid not in before]
        assert started, "the CLI process should be a child of clct"
        expected = min(19, os.getpriority(os.PRIO_PROCESS, 0) + CLI_NICENESS)  # 19 is the lowest there is
        assert {os.getpriority(os.PRIO_PROCESS, pid) for pid in started} == {expected}
    finally:
        await agent.disconnect()
