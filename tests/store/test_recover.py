"""recover(): runs whose clct process is gone become `interrupted`; live ones are left alone.

Also the claims that hold an agent for one process, and writes made together in one transaction.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import time

import pytest

from clct_tui.errors import AgentBusyError
from clct_tui.store import Store
from clct_tui.store.store import ORPHAN_ERROR


def set_pid(db_path, pid: int) -> None:
    with sqlite3.connect(db_path) as db:
        db.execute("update run set pid = ?", (pid,))
    db.close()


def test_a_run_left_by_a_closed_store_is_interrupted(url, store, run):
    store.update_agent(run.agent_id, state="running")
    store.close()  # as if clct had been killed mid-run
    with Store(url) as again:
        assert again.recover() == [run.id]
        orphan = again.get_run(run.id)
        assert (orphan.state, orphan.success, orphan.error) == ("interrupted", False, ORPHAN_ERROR)
        assert orphan.ended_at is not None
        assert again.get_agent(run.agent_id).state == "interrupted"


def test_a_run_of_a_process_that_is_gone_is_interrupted(store, run, db_path):
    set_pid(db_path, 999_999_999)
    assert store.recover() == [run.id]


def test_a_run_of_another_live_process_is_left_alone(store, run, db_path):
    set_pid(db_path, 1)  # pid 1 is always alive
    store.update_agent(run.agent_id, state="running")
    assert store.recover() == []
    assert store.get_run(run.id).state == "running"
    assert store.get_agent(run.agent_id).state == "running"


def test_a_run_of_another_open_store_in_this_process_is_left_alone(url, store, run):
    with Store(url) as other:
        assert other.recover() == []
    assert store.get_run(run.id).state == "running"


def test_finished_runs_and_settled_agents_are_untouched(url, store, agent, run, repo):
    store.finish_run(run.id, state="done", success=True)
    idle = store.add_agent(repo.id, None, "idle", None, "default")
    store.update_agent(agent.id, state="waiting")
    store.close()
    with Store(url) as again:
        assert again.recover() == []
        assert again.get_run(run.id).state == "done"
        assert again.get_agent(idle.id).state == "idle"
        assert again.get_agent(agent.id).state == "interrupted"  # it waited on a run that is over


# -- agents held by a process (claim_agent / release_agent) -------------------------------------


def set_agent_pid(db_path, pid: int) -> None:
    with sqlite3.connect(db_path) as db:
        db.execute("update agent set pid = ?", (pid,))
    db.close()


def test_an_agent_held_by_another_live_process_cannot_be_claimed_and_the_refusal_names_it(store, agent, db_path):
    set_agent_pid(db_path, 1)
    store.update_agent(agent.id, state="queued")
    with pytest.raises(AgentBusyError, match=r"agent auth is queued in another clct process \(pid 1\)"):
        store.claim_agent(agent.id)


def test_an_agent_held_by_a_process_that_is_gone_is_taken_over(store, agent, db_path):
    set_agent_pid(db_path, 999_999_999)
    store.claim_agent(agent.id)
    assert store.get_agent(agent.id).pid == os.getpid()


def test_another_open_store_of_this_process_cannot_claim_a_held_agent(url, store, agent):
    store.claim_agent(agent.id)
    with Store(url) as other, pytest.raises(AgentBusyError, match="another engine of this process"):
        other.claim_agent(agent.id)


def test_a_release_that_lands_after_the_next_claim_keeps_the_agent_held(store, agent):
    first = store.claim_agent(agent.id)
    store.claim_agent(agent.id)  # the next prompt, before the first run's release was written
    store.release_agent(agent.id, first)
    assert store.get_agent(agent.id).pid == os.getpid()


def test_a_release_leaves_an_agent_another_process_has_taken_over_since(store, agent, db_path):
    claim = store.claim_agent(agent.id)
    set_agent_pid(db_path, 1)  # this process looked gone to another, which took the agent over
    store.release_agent(agent.id, claim)
    assert store.get_agent(agent.id).pid == 1


def test_a_queued_agent_of_another_live_process_is_left_alone_by_recover(store, agent, db_path):
    store.update_agent(agent.id, state="queued")  # waiting for a slot there: no run yet
    set_agent_pid(db_path, 1)
    assert store.recover() == []
    assert (store.get_agent(agent.id).state, store.get_agent(agent.id).pid) == ("queued", 1)


def test_an_agent_held_by_a_process_that_is_gone_is_interrupted_and_let_go(url, store, agent, db_path):
    store.claim_agent(agent.id)
    store.update_agent(agent.id, state="queued")
    store.close()  # as if clct had been killed while the agent waited for a slot
    with Store(url) as again:
        again.recover()
        assert (again.get_agent(agent.id).state, again.get_agent(agent.id).pid) == ("interrupted", None)


def test_the_tasks_of_an_agent_whose_process_is_gone_and_their_session_are_interrupted(url, store, agent, repo):
    session = store.create_session(repo.id, "plan")
    task = store.add_task(session.id, "login", "add a login page")
    waiting = store.add_task(session.id, "docs", "document it", depends_on=["login"])
    store.update_session(session.id, status="running")
    store.update_task(task.id, status="running", agent_id=agent.id)
    store.claim_agent(agent.id)
    store.update_agent(agent.id, state="running")
    store.close()  # killed mid-task
    with Store(url) as again:
        again.recover()
        (login, docs) = again.tasks(session.id)
        assert (login.status, login.error) == ("interrupted", ORPHAN_ERROR) and login.ended_at is not None
        assert docs.status == "pending" and docs.id == waiting.id  # never started: left to run on resume
        assert again.get_session(session.id).status == "interrupted"


def test_a_run_whose_pid_now_belongs_to_a_younger_process_is_interrupted(store, run, db_path):
    """The pid was reused (a reboot, a container restart): a process started after the run cannot be running it."""
    with sqlite3.connect(db_path) as db:
        db.execute("update run set started_at = started_at - 60")
    db.close()
    younger = subprocess.Popen(["sleep", "30"])
    try:
        set_pid(db_path, younger.pid)
        assert store.recover() == [run.id]
    finally:
        younger.kill()
        younger.wait()


def test_a_run_whose_process_is_a_zombie_is_interrupted(store, run, db_path):
    """Killed, and not reaped yet by its parent: the pid answers signals, but nothing runs."""
    dead = subprocess.Popen(["true"])
    deadline = time.monotonic() + 10
    while procs_state(dead.pid) != "Z":
        assert time.monotonic() < deadline, "`true` did not end"
        time.sleep(0.01)
    try:
        set_pid(db_path, dead.pid)
        assert store.recover() == [run.id]
    finally:
        dead.wait()


def procs_state(pid: int) -> str:
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().rsplit(")", 1)[1].split()[0]


# -- several writes in one transaction (together) ---------------------------------------------------


def test_writes_made_together_all_land_and_return_their_results_in_order(store, agent):
    _, claim = store.together([("update_agent", (agent.id,), {"state": "queued"}), ("claim_agent", (agent.id,), {})])
    stored = store.get_agent(agent.id)
    assert claim == 1 and (stored.state, stored.pid) == ("queued", os.getpid())


def test_writes_made_together_are_undone_together_when_one_fails(store, agent, db_path):
    # A refused claim leaves no trace of the state written with it.
    set_agent_pid(db_path, 1)
    with pytest.raises(AgentBusyError):
        store.together([("update_agent", (agent.id,), {"state": "running"}), ("claim_agent", (agent.id,), {})])
    assert store.get_agent(agent.id).state == "idle"


def test_together_refuses_what_is_not_a_method_of_the_store(store, agent):
    with pytest.raises(ValueError, match="'_write' is not a method of the store"):
        store.together([("update_agent", (agent.id,), {"state": "running"}), ("_write", (print,), {})])
    assert store.get_agent(agent.id).state == "idle"


def test_only_the_agents_this_process_holds_and_was_asked_to_stop_are_told(store, repo, worktree, agent, db_path):
    asked, quiet = agent, store.add_agent(repo.id, worktree.id, "quiet", "sonnet", "acceptEdits")
    theirs = store.add_agent(repo.id, worktree.id, "theirs", "sonnet", "acceptEdits")
    store.claim_agent(asked.id)
    store.claim_agent(quiet.id)
    with sqlite3.connect(db_path) as db:  # what `clct stop` in another process writes
        db.execute("update agent set stop_requested = 1 where id in (?, ?)", (asked.id, theirs.id))
        db.execute("update agent set pid = 1 where id = ?", (theirs.id,))
    db.close()
    assert store.stops_requested([asked.id, quiet.id, theirs.id]) == {asked.id}
    assert store.stops_requested([quiet.id]) == set()
