"""Two clct processes on one repository and one database at once.

Every `clct` here is its own process (tests/commands' fixture), against the real CLI, git and
SQLite. What must hold: the database stays whole and keeps both processes' events; one name
makes one worktree however many processes ask at once (the others are told why); an agent one
process is running is never run by another in the same worktree — that one is refused, told
which process holds it — and a process that opens the database meanwhile leaves the other's
work alone. (Concurrent creation of distinct agents: tests/commands/test_agents.py.)
"""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import threading
import time

from clct_tui.testing.scripted_api import text
from tests.commands.conftest import git
from tests.reliability import procs
from tests.reliability.slow_work import ANSWER, integrity

STORY = "".join(f"Line {i} of a slow story. " for i in range(120))  # ~3 s of words


def slow_story(api, words: str) -> None:
    api.script(words, [text(STORY, chunk_size=10, delay=0.01)])


def wait_streaming(api, words: str, chars: int = 300, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while len(api.sent_text.get(words, "")) < chars:
        assert time.monotonic() < deadline, f"{words!r} never streamed"
        time.sleep(0.02)


def start(clct, *args: str, env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen(clct.argv(*args), cwd=clct.repo, env=env or clct.env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def finish(proc: subprocess.Popen, timeout: float = 90) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=timeout)
    assert "Traceback" not in err, err
    return proc.returncode, out, err


def test_one_name_asked_for_by_three_processes_at_once_makes_one_worktree_and_two_clear_refusals(clct):
    results = clct.each(*(["create", "-n", "twin"] for _ in range(3)))
    assert sorted(r.code for r in results) == [0, 2, 2], "\n".join(map(str, results))
    for refused in (r for r in results if r.code == 2):
        assert "twin" in refused.err and "exists" in refused.err, str(refused)
    assert clct.rows("select name from agent") == [("twin",)]
    assert clct.rows("select name from worktree where removed_at is null") == [("twin",)]
    listed = git(clct.repo, "worktree", "list", "--porcelain")
    assert listed.count("worktree ") == 2 and listed.count("branch refs/heads/twin") == 1, listed
    assert integrity(clct.database) == "ok"


def test_an_agent_another_process_is_running_is_refused_naming_that_process(clct, scripted_api):
    slow_story(scripted_api, "tell the story")
    clct.create("teller")
    first = start(clct, "run-task", "teller", "tell the story")
    wait_streaming(scripted_api, "tell the story")
    second = clct("run-task", "teller", "something else")
    code, out, err = finish(first)
    assert code == 0, (out, err)
    assert second.code == 2, str(second)
    assert second.err.startswith(f"clct run-task: agent teller is running in another clct process (pid {first.pid})")
    assert clct.rows("select prompt, state from run") == [("tell the story", "done")]
    assert not (clct.rows("select count(*) from event where text like '%something else%'")[0][0])


def test_two_processes_giving_one_agent_a_task_at_the_same_moment_run_it_once(clct, scripted_api):
    """Both load the agent idle before either has marked it running: the store, not the load, decides."""
    for words in ("first claim", "second claim"):
        slow_story(scripted_api, words)
    clct.create("contested")
    racers = [start(clct, "run-task", "contested", words) for words in ("first claim", "second claim")]
    outcomes = [finish(p) for p in racers]
    assert sorted(code for code, _, _ in outcomes) == [0, 2], outcomes
    (refused_err,) = [err for code, _, err in outcomes if code == 2]
    (winner,) = [p for p, (code, _, _) in zip(racers, outcomes) if code == 0]
    assert f"agent contested is running in another clct process (pid {winner.pid})" in refused_err \
        or f"agent contested is queued in another clct process (pid {winner.pid})" in refused_err, refused_err
    (prompt, state), = clct.rows("select prompt, state from run")
    assert state == "done"
    assert len(scripted_api.sent_text) == 1  # one conversation reached the model, not two
    assert clct.rows("select state, pid from agent") == [("done", None)]


def all_created(clct) -> bool:
    try:
        return len(clct.rows("select id from agent")) == 3 and bool(clct.rows("select id from run"))
    except sqlite3.OperationalError:  # the runner has not created the tables yet
        return False


def test_a_process_opening_the_database_leaves_the_agents_another_process_runs_or_queues_alone(
        clct, scripted_api, tmp_path):
    for name in ("one", "two", "three"):
        scripted_api.script(f"story {name}", [text(ANSWER, chunk_size=10, delay=0.01)])  # still going at the end
    tasks = tmp_path / "three.json"
    tasks.write_text(json.dumps([{"name": n, "description": f"story {n}"} for n in ("one", "two", "three")]))
    # One agent runs at a time: the other two wait in the queue, with no run yet.
    runner = start(clct, "parallel", tasks, "--max-concurrent", "3",
                   env={**clct.env, "CLCT_MAX_CONCURRENT_INSTANCES": "1"})
    try:
        deadline = time.monotonic() + 60
        while not all_created(clct):
            assert time.monotonic() < deadline and runner.poll() is None, "the agents were not all created"
            time.sleep(0.05)
        listed = clct.ok("list", "--json").json()  # another process: opens the database, recovers orphans
        assert sorted(a["state"] for a in listed) == ["queued", "queued", "running"], listed
        queued = next(a for a in listed if a["state"] == "queued")
        refused = clct("run-task", queued["name"], "jump the queue")
        assert refused.code == 2, str(refused)
        assert f"is queued in another clct process (pid {runner.pid})" in refused.err, str(refused)
    finally:
        runner.send_signal(signal.SIGTERM)  # a CI job cancelled: it stops its agents cleanly
    finish(runner)
    assert clct.rows("select state from run") == [("interrupted",)]  # the queued ones never started
    assert clct.rows("select pid from agent") == [(None,)] * 3  # all let go
    assert integrity(clct.database) == "ok"


def test_two_processes_streaming_into_one_database_keep_every_event_of_both(clct, scripted_api, tmp_path):
    files = []
    for side in ("east", "west"):
        for n in range(2):
            slow_story(scripted_api, f"{side} story {n}")
        tasks = tmp_path / f"{side}.json"
        tasks.write_text(json.dumps([{"name": f"{side}-{n}", "description": f"{side} story {n}"} for n in range(2)]))
        files.append(tasks)
    runners = [start(clct, "parallel", f, "--max-concurrent", "2", "--json") for f in files]  # whole errors
    for runner in runners:
        code, out, err = finish(runner)
        assert code == 0, f"{out}\n{err}"
    assert integrity(clct.database) == "ok"
    runs = clct.rows("select run.id, run.prompt, run.state from run")
    assert sorted((prompt, state) for _, prompt, state in runs) == sorted(
        (f"{side} story {n}", "done") for side in ("east", "west") for n in range(2))
    for run_id, prompt, _ in runs:
        stored = "".join(t for (t,) in clct.rows("select text from event where run_id = ? and kind = 'text' "
                                                  "order by seq", run_id))
        assert stored == STORY == scripted_api.sent_text[prompt]


def test_a_git_lock_another_process_holds_for_a_moment_is_waited_for(clct):
    """Another process (a second clct, or git itself) is writing .git/config: it holds config.lock meanwhile."""
    lock = clct.repo / ".git" / "config.lock"
    lock.write_text("")
    released = threading.Timer(1.0, lock.unlink)
    released.start()
    try:
        clct.create("patient")
    finally:
        released.join()
    assert git(clct.repo, "config", "branch.patient.clctcreated").strip() == "true"


def test_a_git_lock_that_never_comes_free_is_a_clear_error_and_no_half_made_worktree(clct):
    lock = clct.repo / ".git" / "config.lock"
    lock.write_text("")  # left by a git that crashed
    refused = clct("create", "-n", "blocked")
    lock.unlink()
    assert refused.code == 2, str(refused)
    assert "config.lock" in refused.err and "remove the .lock file" in refused.err, str(refused)
    assert "bug in clct" not in refused.err
    assert clct.rows("select count(*) from agent") == [(0,)]
    assert "blocked" not in git(clct.repo, "worktree", "list")


# -- clct stop, for an agent another process runs ------------------------------------------------------


def test_clct_stop_stops_an_agent_another_process_is_running_and_its_run_ends_interrupted(clct, scripted_api):
    slow_story(scripted_api, "tell the story")
    clct.create("teller")
    runner = start(clct, "run-task", "teller", "tell the story")
    wait_streaming(scripted_api, "tell the story")
    clis = [p.pid for p in procs.claude_processes(runner.pid)]
    stopped = clct("stop", "teller")
    code, out, err = finish(runner)
    assert stopped.code == 0, str(stopped)
    assert stopped.out == f"teller: stopped in clct process {runner.pid}; its run was interrupted " \
                          "(its conversation resumes with the next run-task)\n"
    assert code == 1 and "interrupted" in out.splitlines()[-1], (out, err)
    assert procs.wait_until_gone(clis, timeout=10) == []
    assert clct.rows("select state from run") == [("interrupted",)]
    assert clct.rows("select state, pid, stop_requested from agent") == [("stopped", None, None)]
    assert clct.rows("select text from event where kind = 'system' and text like '%clct stop%'") == [
        ("stopped by `clct stop` from another process",)]


def test_clct_stop_of_an_agent_queued_in_another_process_keeps_its_prompt_from_being_sent(
        clct, scripted_api, tmp_path):
    for name in ("first", "second"):
        slow_story(scripted_api, f"story {name}")
    tasks = tmp_path / "two.json"
    tasks.write_text(json.dumps([{"name": n, "description": f"story {n}"} for n in ("first", "second")]))
    # Both agents are made at once; one runs, the other waits for the one slot.
    runner = start(clct, "parallel", tasks, "--max-concurrent", "2",
                   env={**clct.env, "CLCT_MAX_CONCURRENT_INSTANCES": "1"})
    wait_streaming(scripted_api, "story first")
    deadline = time.monotonic() + 30
    while not (queued_now := clct.rows("select name from agent where state = 'queued'")):
        assert time.monotonic() < deadline, "the second agent was never queued"
        time.sleep(0.05)
    (queued,), = queued_now
    stopped = clct("stop", queued, "--json")
    code, out, err = finish(runner)
    assert stopped.code == 0, str(stopped)
    assert stopped.json() == {"instance_id": stopped.json()["instance_id"], "name": queued, "state": "stopped",
                              "stopped_in_pid": runner.pid}
    assert code == 1, (out, err)  # one task did not get done
    assert list(scripted_api.sent_text) == ["story first"]  # the second prompt never reached the model
    assert clct.rows("select state, pid from agent where name = ?", queued) == [("stopped", None)]
    assert clct.rows("select name, status from task order by name") == [("first", "done"),
                                                                        ("second", "interrupted")]


def test_clct_stop_says_so_when_the_process_holding_the_agent_does_not_let_go_in_time(clct, scripted_api):
    slow_story(scripted_api, "tell the story")
    clct.create("teller")
    runner = start(clct, "run-task", "teller", "tell the story")
    wait_streaming(scripted_api, "tell the story")
    runner.send_signal(signal.SIGSTOP)  # a holder too busy to look (stopped outright here)
    try:
        asked = clct("stop", "teller", "--wait", "0.5")
    finally:
        runner.send_signal(signal.SIGCONT)
    assert asked.code == 1, str(asked)
    assert asked.out == f"teller: asked clct process {runner.pid} to stop it; it is still running after 0.5 s " \
                        "(it stops as soon as that process can interrupt it)\n"
    code, out, err = finish(runner)  # ...and when it can look again, it does stop
    assert code == 1 and "interrupted" in out.splitlines()[-1], (out, err)
    assert clct.rows("select state, pid from agent") == [("stopped", None)]
