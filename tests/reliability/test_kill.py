"""clct killed with SIGKILL while three agents stream — the headless runner and the app.

Nothing is mocked: `clct parallel` (a subprocess) or the real app (in a child process, driven by
keys through Textual's headless pilot) runs three real Claude Code CLIs against the scripted
server, each agent writing a file and then streaming a long answer. The test kills that process
with SIGKILL mid-stream, then opens the same database and repository again and checks that
nothing written was lost, the runs are `interrupted`, the worktrees kept their uncommitted
work, no CLI outlived clct, and every conversation can be resumed.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from clct_tui.domain import AgentState
from clct_tui.store.store import ORPHAN_ERROR
from clct_tui.tui.widgets.prompt_bar import PromptBar
from clct_tui.tui.widgets.worktree_list import WorktreeList
from tests.commands.conftest import git, isolated_env
from tests.reliability import procs
from tests.reliability.slow_work import (
    Streaming,
    follow_up,
    integrity,
    prompt,
    read,
    script_slow_work,
    sqlite_file,
    stored,
    stored_answer,
    work_content,
    work_file,
)
from tests.tui.conftest import (
    SIZE,
    engine_ready,
    notifications,
    transcript_text,
    wait_for,
)

NAMES = ["alpha", "beta", "gamma"]
ROOT = Path(__file__).resolve().parents[2]


def kill_mid_stream(processes: list[subprocess.Popen], api) -> tuple[Streaming, list[int]]:
    """SIGKILL the processes once the three agents are streaming; what had been sent, and their CLIs' pids."""
    streaming = Streaming.wait(api, NAMES)
    clis = [p.pid for process in processes for p in procs.claude_processes(process.pid)]
    for process in processes:
        os.kill(process.pid, signal.SIGKILL)
    # Read right at the kill: the CLIs (and so the server) may send a little more while they stop.
    streaming.sent = {n: api.sent_text[prompt(n)] for n in NAMES}
    for process in processes:
        process.wait(timeout=10)  # reaped: a zombie would still look alive to the next clct
    return streaming, clis


def assert_nothing_written_was_lost(db_path: Path, agent_of: dict[str, str], streaming: Streaming) -> dict[str, int]:
    """Every run kept its prompt, its tool call and result, and its answer up to the last fraction of a second.

    Returns the characters of each answer that reached the database.
    """
    assert integrity(db_path) == "ok"
    kept = {}
    for name in NAMES:
        _, events = stored(db_path, agent_of[name])
        kinds = [kind for kind, _ in events]
        assert kinds[:3] == ["prompt", "tool_use", "tool_result"], events[:4]
        assert events[0][1] == prompt(name)
        answer, sent = stored_answer(events), streaming.sent[name]
        assert sent.startswith(answer), f"{name}: the stored answer is not what the server sent"
        lost = len(sent) - len(answer)
        assert lost <= streaming.allowed_loss, (
            f"{name}: {lost} characters lost, more than {streaming.allowed_loss} "
            f"({streaming.rate:.0f} characters/s for {len(sent)} sent)")
        kept[name] = len(answer)
    print(f"\nat the kill ({streaming.rate:.0f} chars/s per agent): "
          + ", ".join(f"{n} sent {len(streaming.sent[n])} stored {kept[n]}" for n in NAMES))
    return kept


def assert_runs_interrupted(db_path: Path, agent_of: dict[str, str]) -> None:
    for name in NAMES:
        run_id, _ = stored(db_path, agent_of[name])
        (state, success, error, ended), = read(db_path, "select state, success, error, ended_at from run where id = ?",
                                               run_id)
        assert (state, success, error) == ("interrupted", 0, ORPHAN_ERROR) and ended is not None
        assert read(db_path, "select state from agent where name = ?", agent_of[name]) == [("interrupted",)]


def assert_worktrees_untouched(worktrees: dict[str, Path], base: str) -> None:
    """Each worktree still holds the file its agent wrote, uncommitted, on the commit it started from."""
    for name, path in worktrees.items():
        assert (path / work_file(name)).read_text() == work_content(name)
        assert git(path, "status", "--porcelain").splitlines() == [f"?? {work_file(name)}"]
        assert git(path, "rev-parse", "HEAD").strip() == base


def assert_resumed(api, name: str) -> None:
    """The follow-up went to the same conversation: the server saw the first prompt and the file written in it."""
    request = next(r for r in reversed(api.requests) if follow_up(name) in json.dumps(r["messages"]))
    earlier = json.dumps(request["messages"])
    assert prompt(name) in earlier and work_file(name) in earlier


# -- the headless runner ---------------------------------------------------------------------------


def test_clct_parallel_killed_mid_stream_loses_nothing_written_and_every_conversation_resumes(
        clct, scripted_api, tmp_path):
    script_slow_work(scripted_api, NAMES)
    tasks = tmp_path / "crash.json"
    tasks.write_text(json.dumps([{"name": n, "description": prompt(n)} for n in NAMES]))
    base = git(clct.repo, "rev-parse", "HEAD").strip()
    runner = subprocess.Popen(clct.argv("parallel", tasks, "--max-concurrent", "3"), cwd=clct.repo, env=clct.env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    streaming, clis = kill_mid_stream([runner], scripted_api)
    try:
        # The CLIs end with clct: none goes on working in a worktree nobody watches.
        assert procs.wait_until_gone(clis, timeout=10) == [], "Claude Code outlived the clct that ran it"
    finally:
        procs.kill_all(clis)
    assert len(clis) == 3

    agent_of = dict(clct.rows("select task.name, agent.name from task join agent on task.agent_id = agent.id"))
    assert sorted(agent_of) == NAMES
    assert_nothing_written_was_lost(clct.database, agent_of, streaming)

    # The next clct (any command) finds the orphans and marks them interrupted.
    listed = {a["name"]: a for a in clct.ok("list", "--json").json()}
    assert {listed[agent_of[n]]["state"] for n in NAMES} == {"interrupted"}
    assert_runs_interrupted(clct.database, agent_of)
    # So are its tasks and its session: none is left looking as if it still ran.
    assert sorted(clct.rows("select name, status, error from task")) == [(n, "interrupted", ORPHAN_ERROR) for n in NAMES]
    assert clct.rows("select name, status from session") == [("crash", "interrupted")]
    assert_worktrees_untouched({n: clct.worktree(agent_of[n]) for n in NAMES}, base)

    # Each conversation goes on where it was cut off.
    results = clct.each(*(["run-task", agent_of[n], follow_up(n)] for n in NAMES))
    assert [r.code for r in results] == [0, 0, 0], "\n".join(map(str, results))
    for name in NAMES:
        assert_resumed(scripted_api, name)
    assert integrity(clct.database) == "ok"


def test_three_clct_run_task_processes_killed_at_once_leave_one_whole_database_and_resumable_agents(
        clct, scripted_api):
    """Three processes writing one SQLite file (WAL), all killed mid-write."""
    script_slow_work(scripted_api, NAMES)
    for name in NAMES:
        clct.create(name)
    base = git(clct.repo, "rev-parse", "HEAD").strip()
    runners = [subprocess.Popen(clct.argv("run-task", n, prompt(n)), cwd=clct.repo, env=clct.env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for n in NAMES]
    try:
        streaming, clis = kill_mid_stream(runners, scripted_api)
        assert procs.wait_until_gone(clis, timeout=10) == [], "Claude Code outlived the clct that ran it"
    finally:
        for runner in runners:
            runner.kill()
        procs.kill_all(clis)
    agent_of = {n: n for n in NAMES}
    assert_nothing_written_was_lost(clct.database, agent_of, streaming)
    assert {a["state"] for a in clct.ok("list", "--json").json()} == {"interrupted"}
    assert_runs_interrupted(clct.database, agent_of)
    assert_worktrees_untouched({n: clct.worktree(n) for n in NAMES}, base)
    results = clct.each(*(["run-task", n, follow_up(n)] for n in NAMES))
    assert [r.code for r in results] == [0, 0, 0], "\n".join(map(str, results))
    for name in NAMES:
        assert_resumed(scripted_api, name)


# -- the app ---------------------------------------------------------------------------------------


def start_app_in_child(env: dict[str, str], repo: Path) -> subprocess.Popen:
    """The real app, headless, in its own process, pressing `n` and typing each prompt (tests/reliability/app_driver.py)."""
    return subprocess.Popen([sys.executable, "-m", "tests.reliability.app_driver", str(repo),
                             *(prompt(n) for n in NAMES)],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


async def test_the_app_killed_mid_stream_loses_nothing_written_and_reopens_with_every_conversation_resumable(
        scripted_api, git_repo, config, make_app, tmp_path):
    script_slow_work(scripted_api, NAMES)
    env = isolated_env(tmp_path / "home", scripted_api)  # the same HOME (and so CLI sessions) as this process
    env.update(CLCT_DATABASE_URL=config.database_url, CLCT_WORKTREE_BASE_PATH=str(config.worktree_base_path),
               CLCT_MAX_CONCURRENT_INSTANCES="3")
    base = git(git_repo, "rev-parse", "HEAD").strip()
    app_process = start_app_in_child(env, git_repo)
    try:
        streaming, clis = kill_mid_stream([app_process], scripted_api)
        assert procs.wait_until_gone(clis, timeout=10) == [], "Claude Code outlived the clct that ran it"
    finally:
        app_process.kill()
        procs.kill_all(procs.claude_processes(app_process.pid))
    assert len(clis) == 3, app_process.stderr.read()

    db_path = sqlite_file(config.database_url)
    agent_of = {n: name for n in NAMES for (name, last) in read(db_path, "select name, last_prompt from agent")
                if last == prompt(n)}
    assert_nothing_written_was_lost(db_path, agent_of, streaming)

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await engine_ready(pilot)
        assert any("3 run(s) were interrupted" in n for n in notifications(app)), notifications(app)
        instances = {i.name: i for i in app.orchestrator.list_instances()}
        assert {instances[agent_of[n]].state for n in NAMES} == {AgentState.INTERRUPTED}
        assert_runs_interrupted(db_path, agent_of)
        assert_worktrees_untouched({n: instances[agent_of[n]].worktree.path for n in NAMES}, base)

        worktree_list = app.main.query_one(WorktreeList)
        for name in NAMES:  # select the agent, Enter, type the follow-up: the conversations go on, side by side
            worktree_list.select(instances[agent_of[name]].instance_id)
            worktree_list.focus()
            await pilot.press("enter")
            await wait_for(pilot, lambda: isinstance(app.focused, PromptBar), what="the prompt bar")
            await pilot.press(*follow_up(name), "enter")
        for name in NAMES:
            agent = instances[agent_of[name]]
            await wait_for(pilot, lambda: agent.state is AgentState.DONE, what=f"{name}'s follow-up")
            assert_resumed(scripted_api, name)
        # The last one selected shows its answer.
        await wait_for(pilot, lambda: f"{NAMES[-1]} carries on" in transcript_text(app), what="the answer")
    assert integrity(db_path) == "ok"


# -- SIGTERM: the polite kill ------------------------------------------------------------------------


def test_clct_parallel_stopped_by_sigterm_starts_none_of_its_queued_agents_and_ends_without_a_traceback(
        clct, scripted_api, tmp_path):
    """A CI job cancelled: the running agent is interrupted; those waiting for a slot are not started then."""
    script_slow_work(scripted_api, NAMES)
    tasks = tmp_path / "ci.json"
    tasks.write_text(json.dumps([{"name": n, "description": prompt(n)} for n in NAMES]))
    # All three agents are created at once; one runs, two wait for the one slot.
    runner = subprocess.Popen(clct.argv("parallel", tasks, "--max-concurrent", "3"), cwd=clct.repo,
                              env={**clct.env, "CLCT_MAX_CONCURRENT_INSTANCES": "1"},
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while max(map(len, scripted_api.sent_text.values()), default=0) < 500:
            assert time.monotonic() < deadline, "nothing streamed"
            time.sleep(0.02)
        clis = [p.pid for p in procs.claude_processes(runner.pid)]
        runner.send_signal(signal.SIGTERM)
        err = runner.communicate(timeout=60)[1]
    finally:
        runner.kill()
    assert (runner.returncode, err) == (1, "clct parallel: interrupted\n")
    assert procs.wait_until_gone(clis, timeout=10) == []
    assert len(scripted_api.sent_text) == 1  # no queued agent reached the model during shutdown
    assert clct.rows("select state from run") == [("interrupted",)]
    assert clct.rows("select state, pid from agent") == [("interrupted", None)] * 3
    assert clct.rows("select status from task") == [("interrupted",)] * 3  # left for a resume
