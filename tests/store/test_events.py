"""Transcript events: queued without waiting, batched, coalesced, ordered, on disk within half a second."""

from __future__ import annotations

import sqlite3
import threading
import time

import pytest

from clct_tui.domain import EventKind, TranscriptEvent
from clct_tui.errors import StoreError
from clct_tui.store import Store
from clct_tui.store.writer import coalesce

from .conftest import raw, text


def wait_for(predicate, within: float = 0.5) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return predicate()


def test_events_come_back_in_the_order_they_were_appended(store, run):
    kinds = [EventKind.PROMPT, EventKind.TOOL_USE, EventKind.TOOL_RESULT, EventKind.ERROR, EventKind.RESULT]
    for kind in kinds:
        store.append_event(run.id, TranscriptEvent(kind, kind.value, {"n": kind.value}))
    store.flush()
    stored = store.events(run.id)
    assert [e.kind for e in stored] == kinds
    assert [e.seq for e in stored] == sorted(e.seq for e in stored) and len({e.seq for e in stored}) == len(kinds)
    assert stored[1].data == {"n": "tool_use"} and stored[1].run_id == run.id


def test_an_event_keeps_its_timestamp(store, run):
    store.append_event(run.id, TranscriptEvent(EventKind.SYSTEM, "note", ts=1234.5))
    store.flush()
    assert store.events(run.id)[0].ts == 1234.5


def test_seq_continues_after_reopening(url, run, store):
    store.append_event(run.id, TranscriptEvent(EventKind.PROMPT, "first"))
    store.close()
    with Store(url) as again:
        again.append_event(run.id, TranscriptEvent(EventKind.PROMPT, "second"))
        again.flush()
        assert [(e.seq, e.text) for e in again.events(run.id)] == [(0, "first"), (1, "second")]


def test_token_deltas_are_coalesced_without_changing_the_text(store, run):
    chunks = [f"t{i} " for i in range(1000)]
    for chunk in chunks:
        store.append_event(run.id, text(chunk))
    store.flush()
    stored = store.events(run.id)
    assert "".join(e.text for e in stored) == "".join(chunks)
    assert len(stored) < 100
    assert (store.events_received, store.rows_written) == (1000, len(stored))


def test_chunks_of_different_blocks_kinds_or_runs_stay_apart():
    def row(run, kind, chunk, block):
        return {"run": run, "seq": None, "kind": kind, "text": chunk, "data": {"block": block}, "ts": 0.0}

    rows = [row(1, "text", "a", "x"), row(1, "text", "b", "x"), row(1, "text", "c", "y"),
            row(1, "thinking", "d", "y"), row(1, "thinking", "e", "y"), row(2, "thinking", "f", "y"),
            row(2, "tool_use", "", "y"), row(2, "tool_use", "", "y")]
    assert [r["text"] for r in coalesce(rows)] == ["ab", "c", "de", "f", "", ""]


def test_chunks_of_runs_streaming_at_once_are_coalesced_per_run():
    def row(run, chunk, kind="text"):
        return {"run": run, "seq": None, "kind": kind, "text": chunk, "data": {"block": f"b{run}"}, "ts": 0.0}

    # Eight agents stream together: their chunks interleave in one batch.
    rows = [row(run, f"{run}{i}") for i in range(3) for run in range(8)]
    merged = coalesce(rows)
    assert [(r["run"], r["text"]) for r in merged] == [(run, f"{run}0{run}1{run}2") for run in range(8)]


def test_a_run_event_between_two_chunks_keeps_them_apart_even_when_other_runs_interleave():
    rows = [{"run": 1, "seq": None, "kind": "text", "text": "a", "data": {"block": "x"}, "ts": 0.0},
            {"run": 2, "seq": None, "kind": "text", "text": "z", "data": {"block": "x"}, "ts": 0.0},
            {"run": 1, "seq": None, "kind": "tool_use", "text": "", "data": {"id": "t"}, "ts": 0.0},
            {"run": 1, "seq": None, "kind": "text", "text": "b", "data": {"block": "x"}, "ts": 0.0}]
    assert [(r["run"], r["kind"], r["text"]) for r in coalesce(rows)] == [
        (1, "text", "a"), (2, "text", "z"), (1, "tool_use", ""), (1, "text", "b")]


def test_coalescing_leaves_the_input_rows_alone():
    rows = [{"run": 1, "seq": i, "kind": "text", "text": c, "data": {"block": "x"}, "ts": 0.0}
            for i, c in enumerate("ab")]
    coalesce(rows)
    assert [r["text"] for r in rows] == ["a", "b"]


def test_an_event_is_readable_from_another_connection_within_half_a_second(run, url, db_path):
    with Store(url) as store:  # the default flush interval, as the app runs it
        store.append_event(run.id, text("hello"))
        assert wait_for(lambda: raw(db_path, "select text from event") == [("hello",)], within=0.5)


def test_a_steady_stream_still_lands_within_half_a_second(run, url, db_path):
    stop = threading.Event()

    def stream(store: Store) -> None:
        while not stop.is_set():
            store.append_event(run.id, text("x"))
            time.sleep(0.001)

    with Store(url) as store:
        producer = threading.Thread(target=stream, args=(store,))
        producer.start()
        try:
            assert wait_for(lambda: raw(db_path, "select count(*) from event")[0][0] > 0, within=0.5)
        finally:
            stop.set()
            producer.join()


def test_appending_does_not_wait_for_the_disk(store, run):
    started = time.perf_counter()
    for i in range(10_000):
        store.append_event(run.id, text(str(i)))
    assert time.perf_counter() - started < 0.5
    store.flush()
    assert store.events_received == 10_000


def test_a_run_result_lands_after_its_events(store, run, db_path):
    for i in range(50):
        store.append_event(run.id, text(str(i)))
    store.finish_run(run.id, state="done", success=True, result_text="ok")
    # No flush: finish_run itself waited behind the queued events.
    assert "".join(t for (t,) in raw(db_path, "select text from event order by seq")) == "".join(map(str, range(50)))


def test_close_writes_what_is_queued(url, run, store):
    store.append_event(run.id, text("last words"))
    store.close()
    with Store(url) as again:
        assert [e.text for e in again.events(run.id)] == ["last words"]


def test_agent_events_read_across_runs_oldest_first(store, run):
    second = store.start_run(run.agent_id, "again", "followup")
    store.append_event(run.id, TranscriptEvent(EventKind.PROMPT, "first"))
    store.append_event(second.id, TranscriptEvent(EventKind.PROMPT, "second"))
    store.append_event(second.id, TranscriptEvent(EventKind.ERROR, "third"))
    store.flush()
    assert [e.text for e in store.agent_events(run.agent_id)] == ["first", "second", "third"]


def test_agent_events_with_a_limit_are_the_last_rows(store, run):
    second = store.start_run(run.agent_id, "again", "followup")
    for n, target in enumerate([run, run, run, second, second]):
        store.append_event(target.id, TranscriptEvent(EventKind.SYSTEM, str(n)))
    store.flush()
    assert [e.text for e in store.agent_events(run.agent_id, limit=3)] == ["2", "3", "4"]
    assert [e.text for e in store.agent_events(run.agent_id, limit=1)] == ["4"]
    assert store.agent_events(run.agent_id, limit=0) == []


def test_agent_events_leave_out_other_agents(store, run, repo):
    other = store.add_agent(repo.id, None, "other", None, "default")
    other_run = store.start_run(other.id, "elsewhere", "query")
    store.append_event(other_run.id, TranscriptEvent(EventKind.PROMPT, "not mine"))
    store.append_event(run.id, TranscriptEvent(EventKind.PROMPT, "mine"))
    store.flush()
    assert [e.text for e in store.agent_events(run.agent_id, limit=10)] == ["mine"]


def test_events_are_counted_per_run_and_in_all(store, run):
    second = store.start_run(run.agent_id, "again", "followup")
    store.append_event(run.id, TranscriptEvent(EventKind.PROMPT, "a"))
    store.append_event(second.id, TranscriptEvent(EventKind.PROMPT, "b"))
    store.append_event(second.id, TranscriptEvent(EventKind.ERROR, "c"))
    store.flush()
    assert (store.count_events(run.id), store.count_events(second.id), store.count_events()) == (1, 2, 3)


def test_an_event_write_failure_is_reported_once_and_retried(store, run, db_path):
    errors: list[StoreError] = []
    store.on_error = errors.append
    # Dropping the table under the running writer is the one failure we can cause as root
    # (chmod does not stop root); it fails the batch just as a full disk would.
    with sqlite3.connect(db_path) as db:
        db.execute("drop table event")
    db.close()
    store.append_event(run.id, text("kept in memory"))
    assert wait_for(lambda: store.last_error is not None, within=2)
    assert isinstance(errors[0], StoreError) and "could not be written" in str(errors[0])
    with pytest.raises(StoreError):
        store.flush()  # another attempt, failing too
    assert len(errors) == 1  # one outage, one report
    store.models.Event.create_table()  # the disk is back
    assert wait_for(lambda: store.last_error is None, within=2)
    assert [e.text for e in store.events(run.id)] == ["kept in memory"]


def test_an_event_of_an_unknown_run_is_dropped_without_blocking_the_rest(store, run):
    errors: list[StoreError] = []
    store.on_error = errors.append
    store.append_event(4242, text("nobody's"))
    store.append_event(run.id, text("mine"))
    store.flush()
    assert [e.text for e in store.events(run.id)] == ["mine"]
    assert "dropped" in str(store.last_error) and errors == [store.last_error]
