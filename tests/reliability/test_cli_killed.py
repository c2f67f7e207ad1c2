"""The agent's Claude Code process killed mid-run (SIGKILL, as the OOM killer would).

Three agents stream through one Orchestrator in this process; the CLI of one of them is found
under this process in /proc by its working directory (its worktree) and killed. That run fails
with a reason that says what happened — or, when the retry policy allows, is run again in a new
CLI that resumes the conversation — and the two other agents finish their answers untouched.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import time

from clct_tui import Orchestrator
from clct_tui.testing.scripted_api import text, tool_use
from tests.reliability import procs
from tests.reliability.slow_work import (
    read,
    sqlite_file,
    stored,
    stored_answer,
    work_content,
    work_file,
)

VICTIM, NEIGHBOURS = "victim", ["left", "right"]
LONG = "".join(f"The victim's sentence {i}, streaming slowly. " for i in range(150))  # ~6 s of words
NEIGHBOUR_ANSWER = "".join(f"A neighbour's sentence {i}. " for i in range(100))  # ~3 s of words


def script(api) -> None:
    api.script("victim's work.", [tool_use("Write", {"file_path": work_file(VICTIM), "content": work_content(VICTIM)}),
                                  text(LONG, chunk_size=10, delay=0.01)])
    for name in NEIGHBOURS:
        api.script(f"{name}'s work.", [text(NEIGHBOUR_ANSWER, chunk_size=10, delay=0.01)])


async def kill_the_victims_cli(api, victim) -> int:
    """Once the victim streams, SIGKILL the Claude Code process working in its worktree; its pid."""
    deadline = asyncio.get_running_loop().time() + 60
    # Killed once 2,000 characters were sent: the CLI may not have passed on the last of them yet (a
    # loaded machine lags by tenths of a second), but the first 1,000 came through before the kill.
    while len(api.sent_text.get("victim's work.", "")) < 2_000:
        assert asyncio.get_running_loop().time() < deadline, "the victim never streamed"
        await asyncio.sleep(0.02)
    (cli,) = [p for p in procs.claude_processes(os.getpid()) if p.cwd == victim.worktree.path]
    os.kill(cli.pid, signal.SIGKILL)
    return cli.pid


async def run_three_and_kill_one(api, orch: Orchestrator) -> tuple[dict, list[dict], int]:
    victim = await orch.create_instance(worktree_name=VICTIM)
    neighbours = [await orch.create_instance(worktree_name=name) for name in NEIGHBOURS]
    runs = asyncio.gather(victim.run_task("victim's work."), *(n.run_task(f"{n.name}'s work.") for n in neighbours))
    killed = await kill_the_victims_cli(api, victim)
    result, *others = await runs
    return result, others, killed


def the_neighbours_finished(config, results: list[dict]) -> None:
    assert [r["success"] for r in results] == [True, True]
    db_path = sqlite_file(config.database_url)
    for name in NEIGHBOURS:
        run_id, events = stored(db_path, name)
        assert stored_answer(events) == NEIGHBOUR_ANSWER
        assert read(db_path, "select state from run where id = ?", run_id) == [("done",)]


async def test_a_killed_cli_fails_its_run_saying_so_and_the_other_agents_finish(scripted_api, git_repo, config):
    script(scripted_api)
    async with Orchestrator(git_repo, config.with_overrides(max_concurrent_instances=3, max_retries=0)) as orch:
        result, others, killed = await run_three_and_kill_one(scripted_api, orch)
        victim = orch.require_instance(VICTIM)
        assert not procs.alive(killed)
        assert victim.state.value == "failed"
    assert not result["success"]
    assert result["error"] == "Claude Code was killed (SIGKILL) before the run finished"
    db_path = sqlite_file(config.database_url)
    run_id, events = stored(db_path, VICTIM)
    assert read(db_path, "select state, error from run where id = ?", run_id) == [("failed", result["error"])]
    # What it streamed before it died is kept, and ends with the reason.
    assert [k for k, _ in events[:3]] == ["prompt", "tool_use", "tool_result"]
    assert LONG.startswith(stored_answer(events)) and len(stored_answer(events)) >= 1_000
    assert events[-1] == ("error", result["error"])
    assert (victim.worktree.path / work_file(VICTIM)).read_text() == work_content(VICTIM)
    the_neighbours_finished(config, others)


async def test_a_killed_cli_is_retried_in_a_new_process_that_resumes_the_conversation(scripted_api, git_repo, config):
    script(scripted_api)
    async with Orchestrator(git_repo, config.with_overrides(max_concurrent_instances=3, max_retries=1)) as orch:
        result, others, killed = await run_three_and_kill_one(scripted_api, orch)
    assert result["success"], result
    assert result["output"] == LONG
    db_path = sqlite_file(config.database_url)
    run_id, events = stored(db_path, VICTIM)
    assert read(db_path, "select state from run where id = ?", run_id) == [("done",)]
    notes = [t for k, t in events if k == "system"]
    assert any(n.startswith("Claude Code was killed (SIGKILL) before the run finished; retry 1/1") for n in notes), notes
    # The retry resumed the conversation: its request carried the first attempt's tool call.
    victim_requests = [r for r in scripted_api.requests if "victim's work." in str(r["messages"][0])]
    assert "tool_use" in str(victim_requests[-1]["messages"])
    the_neighbours_finished(config, others)


def test_clct_run_task_whose_cli_is_killed_says_so_once_and_exits_1(clct, scripted_api):
    script(scripted_api)
    clct.create(VICTIM)
    env = {**clct.env, "CLCT_MAX_RETRIES": "0"}
    runner = subprocess.Popen(clct.argv("run-task", VICTIM, "victim's work."), cwd=clct.repo, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while len(scripted_api.sent_text.get("victim's work.", "")) < 1_000:
            assert time.monotonic() < deadline, "the victim never streamed"
            time.sleep(0.02)
        (cli,) = procs.claude_processes(runner.pid)
        os.kill(cli.pid, signal.SIGKILL)
        out, err = runner.communicate(timeout=60)
    finally:
        runner.kill()
    assert runner.returncode == 1, (out, err)
    assert out.splitlines()[-1].startswith("result: failed: Claude Code was killed (SIGKILL) before the run finished")
    # The reason once, as the result; no log line or traceback from the SDK beside it.
    assert err == "", err
    assert clct.rows("select state, error from run") == [("failed", "Claude Code was killed (SIGKILL) before the run finished")]
