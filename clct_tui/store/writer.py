"""The one writer: a thread that owns every write, batching transcript events.

Events are queued without waiting and land in one transaction per batch (never
one per token), at most ``flush_interval`` after they arrive. Other writes are
queued behind them, so a run's result is never on disk before its events.
"""

from __future__ import annotations

import json
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

import peewee as pw

from clct_tui.domain import EventKind, TranscriptEvent
from clct_tui.errors import StoreError
from clct_tui.store.models import Models
from clct_tui.store.sql import Sql
from clct_tui.store.transaction import atomic

_COALESCED = (EventKind.TEXT.value, EventKind.THINKING.value)
_MAX_PENDING = 5000  # a flood is written in slices of this many events, before the interval ends


class Writer:
    """Owns the write connection. Every method but the loop may be called from any thread."""

    def __init__(self, db: pw.Database, models: Models, flush_interval: float = 0.2,
                 name: str = "the database") -> None:
        self.db = db
        self.models = models
        self.flush_interval = flush_interval
        self.name = name  # how errors name the database: "the database /path/to/history.db"
        self.events_received = 0  # events appended, before coalescing (for benchmarks)
        self.rows_written = 0  # event rows committed, after coalescing
        self.last_error: StoreError | None = None
        # Called on the writer thread when events stop being written (once per outage); it must not block.
        self.on_error: Callable[[StoreError], None] | None = None
        self._queue: queue.SimpleQueue[tuple[str, Any]] = queue.SimpleQueue()
        self._pending: list[dict[str, Any]] = []
        self._next_seq: dict[int, int] = {}  # writer thread: the next seq of each run seen
        # Runs started by this process are numbered as their events are appended, so the caller learns
        # each event's seq at once (the app pages a transcript by (run, seq) without waiting for the disk).
        self._seq_lock = threading.Lock()
        self._live_seq: dict[int, int] = {}
        self._insert_sql = _insert_sql(db, models)
        self._thread = threading.Thread(target=self._loop, name="clct-store-writer", daemon=True)
        self._thread.start()

    # -- called from any thread ----------------------------------------------------------

    def begin_run(self, run_id: int) -> None:
        """A run with no events yet: its events are numbered from 0 as they are appended."""
        with self._seq_lock:
            self._live_seq[run_id] = 0

    def end_run(self, run_id: int) -> None:
        with self._seq_lock:
            self._live_seq.pop(run_id, None)

    def append_event(self, run_id: int, event: TranscriptEvent) -> int | None:
        """Queue one event and return its seq. Never blocks.

        A run begun here is numbered now; any other is numbered on the writer thread, in queue
        order, after its stored events (then None is returned).
        """
        kind = event.kind.value if isinstance(event.kind, EventKind) else str(event.kind)
        with self._seq_lock:
            seq = self._live_seq.get(run_id)
            if seq is not None:
                self._live_seq[run_id] = seq + 1
        self._queue.put(("event", {"run": run_id, "seq": seq, "kind": kind, "text": event.text or "",
                                   "data": dict(event.data) if event.data else None, "ts": event.ts}))
        return seq

    def call(self, fn: Callable[..., Any], *args: Any, timeout: float | None = None, **kwargs: Any) -> Any:
        """Run ``fn`` on the writer thread in one transaction, after everything queued before it."""
        if threading.current_thread() is self._thread:
            return fn(*args, **kwargs)
        future: Future[Any] = Future()
        self._queue.put(("call", (fn, args, kwargs, future)))
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            try:
                return future.result(timeout=0.5)
            except FutureTimeout:
                # A stopped thread would leave the caller waiting forever.
                if not self._thread.is_alive():
                    raise StoreError("the store is closed; nothing more can be written") from None
                if deadline is not None and time.monotonic() > deadline:
                    raise StoreError(f"the database did not finish writing within {timeout:g} s") from None

    def flush(self, timeout: float = 5.0) -> None:
        """Wait until everything queued so far is on disk; StoreError if events could not be written."""
        self.call(_nothing, timeout=timeout)
        if self._pending and self.last_error is not None:
            raise self.last_error

    def close(self) -> None:
        """Write what is queued, then stop the thread and close its connection."""
        if self._thread.is_alive():
            self._queue.put(("stop", None))
            self._thread.join(timeout=30)

    @property
    def is_alive(self) -> bool:
        return self._thread.is_alive()

    # -- the thread -----------------------------------------------------------------------

    def _loop(self) -> None:
        deadline: float | None = None  # when the oldest pending event must be written; None: nothing pending
        while True:
            try:
                # Nothing pending: sleep until something arrives (no polling while clct is idle).
                timeout = None if deadline is None else max(0.0, deadline - time.monotonic())
                kind, item = self._queue.get(timeout=timeout)
            except queue.Empty:
                kind, item = "tick", None
            if kind == "event":
                self.events_received += 1
                self._pending.append(item)
                if deadline is None:
                    deadline = time.monotonic() + self.flush_interval
                # Checked per event too: under a steady stream get() never times out.
                if len(self._pending) < _MAX_PENDING and time.monotonic() < deadline:
                    continue
            # A tick, a full batch, a call or stop: the events queued before go first, in order.
            self._flush_events()
            # Events kept after a failed write are tried again at the next tick.
            deadline = time.monotonic() + self.flush_interval if self._pending else None
            if kind == "call":
                self._run_call(*item)
            elif kind == "stop":
                self.db.close()
                return

    def _run_call(self, fn: Callable[..., Any], args: tuple, kwargs: dict, future: Future[Any]) -> None:
        try:
            with atomic(self.db):
                result = fn(*args, **kwargs)
        except StoreError as exc:
            future.set_exception(exc)
        except (pw.DatabaseError, pw.InterfaceError, OSError) as exc:
            future.set_exception(StoreError(f"{self.name} could not be written: {exc}"))
        except BaseException as exc:  # a bug or bad input (TaskGraphError, ValueError): hand it back as it is
            future.set_exception(exc)
        else:
            future.set_result(result)

    def _flush_events(self) -> None:
        if not self._pending:
            return
        dropped = 0
        try:
            try:
                with atomic(self.db):
                    self._number(self._pending)
                    rows = coalesce(self._pending)
                    self._insert(rows)
            except pw.IntegrityError:
                # A bad row (an event of a run that does not exist) must not block every later event.
                rows, dropped = self._insert_row_by_row()
        except Exception as exc:  # noqa: BLE001 - the writer thread must outlive any failure
            self._report(StoreError(f"{self.name} could not be written: {exc}"))
            return  # kept in memory, with their seq; tried again at the next tick
        self.rows_written += len(rows)
        self._pending = []
        if dropped:
            self._report(StoreError(f"{dropped} transcript events of unknown runs were dropped"))
        else:
            self.last_error = None

    def _number(self, rows: list[dict[str, Any]]) -> None:
        """Give each row the next seq of its run; a run seen for the first time continues after its stored rows."""
        Event = self.models.Event
        for row in rows:
            run_id = row["run"]
            if row["seq"] is not None:  # numbered when appended, or in an earlier, failed attempt
                self._next_seq[run_id] = max(self._next_seq.get(run_id, 0), row["seq"] + 1)
                continue
            if run_id not in self._next_seq:
                last = Event.select(pw.fn.MAX(Event.seq)).where(Event.run == run_id).scalar()
                self._next_seq[run_id] = 0 if last is None else last + 1
            row["seq"] = self._next_seq[run_id]
            self._next_seq[run_id] += 1

    def _insert(self, rows: list[dict[str, Any]]) -> None:
        # executemany on one prepared statement: several times faster than building a query per chunk.
        with pw.__exception_wrapper__:  # driver errors become peewee's, as in execute_sql
            self.db.cursor().executemany(self._insert_sql, [
                (r["run"], r["seq"], r["kind"], r["text"], None if r["data"] is None else json.dumps(r["data"]),
                 r["ts"]) for r in rows])

    def _insert_row_by_row(self) -> tuple[list[dict[str, Any]], int]:
        written: list[dict[str, Any]] = []
        dropped = 0
        with atomic(self.db):
            for row in coalesce(self._pending):
                try:
                    with self.db.atomic():  # a savepoint: one bad row is undone alone
                        self._insert([row])
                    written.append(row)
                except pw.IntegrityError:
                    dropped += 1
        return written, dropped

    def _report(self, error: StoreError) -> None:
        # The callback hears of each outage once, not at every retry tick.
        first = self.last_error is None
        self.last_error = error
        if first and self.on_error is not None:
            try:
                self.on_error(error)
            except Exception:  # a broken callback must not stop the writer
                pass


def _insert_sql(db: pw.Database, models: Models) -> str:
    Event, sql = models.Event, Sql(db)
    fields = [Event._meta.fields[name] for name in ("run", "seq", "kind", "text", "data", "ts")]
    return (f"INSERT INTO {sql.table(Event)} ({', '.join(sql.column(field) for field in fields)}) "
            f"VALUES ({', '.join([sql.param] * len(fields))})")


def _nothing() -> None:
    return None


def coalesce(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Merge consecutive text (or thinking) chunks of one run and block; the concatenated text is unchanged.

    Consecutive within the run: several agents stream at once, so a batch interleaves their runs'
    chunks, and merging only neighbours in the batch would merge almost nothing. The merged row
    keeps the first chunk's ts and the last chunk's seq: the order of a run's events is kept, and a
    reader holding a row up to seq N knows it holds every chunk numbered N or less.
    """
    out: list[dict[str, Any]] = []
    last_of_run: dict[Any, dict[str, Any]] = {}
    chunks: dict[int, list[str]] = {}  # id(merged row) -> its texts, joined once at the end
    for row in rows:
        last = last_of_run.get(row["run"])
        if (last is not None and row["kind"] in _COALESCED and last["kind"] == row["kind"]
                and row["data"] and last["data"]
                and row["data"].get("block") is not None
                and row["data"].get("block") == last["data"].get("block")):
            chunks.setdefault(id(last), [last["text"]]).append(row["text"])
            last["seq"] = row["seq"]
        else:
            last = dict(row)
            out.append(last)
            last_of_run[row["run"]] = last
    for row in out:
        if id(row) in chunks:
            row["text"] = "".join(chunks[id(row)])
    return out
