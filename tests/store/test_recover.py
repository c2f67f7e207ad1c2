"""recover(): runs whose clct process is gone become `interrupted`; live ones are left alone."""

from __future__ import annotations

import sqlite3

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
