"""The store: real SQLite files, one writer, batched events, recovery, migrations."""

from __future__ import annotations

import sqlite3
import time

import pytest

from clct_tui.domain import EventKind, TranscriptEvent
from clct_tui.errors import StoreError, TaskGraphError
from clct_tui.store import SCHEMA_VERSION, Store
from clct_tui.store.writer import coalesce


@pytest.fixture
def db_path(tmp_path):
    return tmp_path / "data" / "history.db"


@pytest.fixture
def store(db_path):
    with Store(f"sqlite:///{db_path}", flush_interval=0.05) as store:
        yield store


@pytest.fixture
def run(store):
    repo = store.ensure_repo("/r", "main")
    wt = store.add_worktree(repo.id, "w", "/r/w", "w", "main")
    agent = store.add_agent(repo.id, wt.id, "w", None, "acceptEdits")
    return store.start_run(agent.id, "do it", "task")


def text(chunk: str, block: str = "m:0") -> TranscriptEvent:
    return TranscriptEvent(EventKind.TEXT, chunk, {"block": block})


def raw(db_path, sql):
    with sqlite3.connect(db_path) as db:
        return db.execute(sql).fetchall()


def test_the_database_uses_wal_and_foreign_keys(store, db_path):
    assert raw(db_path, "pragma journal_mode") == [("wal",)]
    assert store._read(lambda: store.db.execute_sql("pragma foreign_keys").fetchone()) == (1,)


def test_the_schema_version_is_recorded(store, db_path):
    assert raw(db_path, "select value from meta where key = 'schema_version'") == [(str(SCHEMA_VERSION),)]


def test_an_older_schema_is_migrated_on_open(db_path):
    Store(f"sqlite:///{db_path}").open().close()
    with sqlite3.connect(db_path) as db:
        db.execute("alter table run drop column pid")
        db.execute("update meta set value = '1' where key = 'schema_version'")
    Store(f"sqlite:///{db_path}").open().close()
    assert "pid" in {row[1] for row in raw(db_path, "pragma table_info(run)")}
    assert raw(db_path, "select value from meta where key = 'schema_version'") == [(str(SCHEMA_VERSION),)]


def test_a_file_that_is_not_a_database_is_a_clear_error(tmp_path):
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match=f"{bad}.*cannot be opened"):
        Store(f"sqlite:///{bad}").open()


def test_events_come_back_in_order(store, run):
    for kind, body in [(EventKind.PROMPT, "do it"), (EventKind.TOOL_USE, ""), (EventKind.ERROR, "boom")]:
        store.append_event(run.id, TranscriptEvent(kind, body))
    store.flush()
    assert [e.kind for e in store.events(run.id)] == [EventKind.PROMPT, EventKind.TOOL_USE, EventKind.ERROR]


def test_token_deltas_are_coalesced_without_changing_the_text(store, run):
    chunks = [f"t{i} " for i in range(1000)]
    for chunk in chunks:
        store.append_event(run.id, text(chunk))
    store.flush()
    stored = store.events(run.id)
    assert "".join(e.text for e in stored) == "".join(chunks)
    assert len(stored) < 100
    assert store.writer.events_received == 1000


def test_chunks_of_different_blocks_stay_apart():
    rows = [{"run": 1, "seq": i, "kind": "text", "text": t, "data": {"block": b}, "ts": 0}
            for i, (t, b) in enumerate([("a", "x"), ("b", "x"), ("c", "y")])]
    assert [r["text"] for r in coalesce(rows)] == ["ab", "c"]


def test_an_event_is_on_disk_within_half_a_second(store, run, db_path):
    store.append_event(run.id, text("hello"))
    deadline = time.monotonic() + 0.5
    while time.monotonic() < deadline:
        if raw(db_path, "select text from event"):
            break
        time.sleep(0.01)
    assert raw(db_path, "select text from event") == [("hello",)]


def test_a_run_result_lands_after_its_events(store, run):
    for i in range(50):
        store.append_event(run.id, text(str(i)))
    store.finish_run(run.id, state="done", success=True, result_text="ok")
    assert store.count_events(run.id) >= 1 and store.get_run(run.id).state == "done"


def test_recover_marks_orphaned_runs_and_their_agents_interrupted(store, run, db_path):
    with sqlite3.connect(db_path) as db:  # a run left behind by a process that no longer exists
        db.execute("update run set pid = 999999999")
    store.update_agent(run.agent_id, state="running")
    assert store.recover() == [run.id]
    assert store.get_run(run.id).state == "interrupted"
    assert store.get_agent(run.agent_id).state == "interrupted"


def test_a_live_process_keeps_its_runs(store, run, db_path):
    with sqlite3.connect(db_path) as db:
        db.execute("update run set pid = 1")  # pid 1 is always alive
    assert store.recover() == []


def test_a_duplicate_task_name_is_refused(store):
    repo = store.ensure_repo("/r", "main")
    session = store.create_session(repo.id, "s")
    store.add_task(session.id, "a", "A")
    with pytest.raises(TaskGraphError, match="duplicate task name: a"):
        store.add_task(session.id, "a", "again")


def test_tasks_keep_dependencies_and_context(store):
    repo = store.ensure_repo("/r", "main")
    session = store.create_session(repo.id, "s", max_budget_usd=2.5)
    store.add_task(session.id, "b", "B", priority=3, depends_on=["a"], context={"k": [1]}, branch="feat/b")
    (task,) = store.tasks(session.id)
    assert (task.priority, task.depends_on, task.context, task.branch) == (3, ["a"], {"k": [1]}, "feat/b")
    assert store.get_session(session.id).max_budget_usd == 2.5


def test_agent_events_returns_the_last_rows_across_runs(store, run):
    second = store.start_run(run.agent_id, "again")
    store.append_event(run.id, TranscriptEvent(EventKind.PROMPT, "first"))
    store.append_event(second.id, TranscriptEvent(EventKind.PROMPT, "second"))
    store.append_event(second.id, TranscriptEvent(EventKind.ERROR, "third"))
    store.flush()
    assert [e.text for e in store.agent_events(run.agent_id)] == ["first", "second", "third"]
    assert [e.text for e in store.agent_events(run.agent_id, limit=2)] == ["second", "third"]


def test_costs_are_summed_per_day_and_agent(store, run):
    store.finish_run(run.id, state="done", success=True, cost_usd=0.25)
    assert store.cost_today() == pytest.approx(0.25) and store.cost_for_agent(run.agent_id) == pytest.approx(0.25)


def test_history_can_be_searched(store, run):
    store.finish_run(run.id, state="done", success=True, result_text="added a login page")
    assert [r.id for r in store.list_runs(search="login")] == [run.id]
    assert store.list_runs(search="nothing like it") == []
