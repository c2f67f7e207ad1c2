"""The one writer: a thread that owns every write, batching transcript events.

Events are queued without waiting and land in one transaction per batch (never
one per token), at most ``flush_interval`` after they arrive. Other writes are
queued behind them, so a run's result is never on disk before its events.
"""

from __future__ import annotations

import itertools
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

import peewee as pw

from clct_tui.domain import EventKind, TranscriptEvent
from clct_tui.errors import StoreError
from clct_tui.store.models import Event

_COALESCED = (EventKind.TEXT.value, EventKind.THINKING.value)
_STOP = object()


class Writer:
    def __init__(self, db: pw.Database, flush_interval: float = 0.2) -> None:
        self.db = db
        self.flush_interval = flush_interval
        self.events_received = 0
        self.rows_written = 0
        self.last_error: StoreError | None = None
        self.on_error: Callable[[StoreError], None] | None = None
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._pending: list[dict[str, Any]] = []
        self._seq: dict[int, itertools.count] = {}
        self._seq_lock = threading.Lock()
        self._thread = threading.Thread(target=self._loop, name="clct-store-writer", daemon=True)
        self._thread.start()

    # -- called from any thread ----------------------------------------------------------

    def append_event(self, run_id: int, event: TranscriptEvent) -> None:
        with self._seq_lock:
            counter = self._seq.setdefault(run_id, itertools.count())
            seq = next(counter)
        self._queue.put(("event", {"run": run_id, "seq": seq, "kind": event.kind.value, "text": event.text,
                                   "data": event.data or None, "ts": event.ts}))

    def call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run ``fn`` on the writer thread in a transaction, after everything queued before it."""
        if threading.current_thread() is self._thread:
            return fn(*args, **kwargs)
        future: Future = Future()
        self._queue.put(("call", (fn, args, kwargs, future)))
        return future.result()

    def flush(self, timeout: float = 5.0) -> None:
        self.call(lambda: None)
        if self._pending and self.last_error is not None:
            raise self.last_error

    def close(self) -> None:
        if self._thread.is_alive():
            self._queue.put(("stop", _STOP))
            self._thread.join(timeout=10)

    # -- the thread -----------------------------------------------------------------------

    def _loop(self) -> None:
        deadline = time.monotonic() + self.flush_interval
        while True:
            try:
                kind, item = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                self._flush_events()
                deadline = time.monotonic() + self.flush_interval
                continue
            if kind == "event":
                self.events_received += 1
                self._pending.append(item)
                if len(self._pending) >= 5000:
                    self._flush_events()
            elif kind == "call":
                self._flush_events()
                self._run_call(*item)
            else:
                self._flush_events()
                self.db.close()
                return

    def _run_call(self, fn, args, kwargs, future: Future) -> None:
        try:
            with self.db.atomic():
                result = fn(*args, **kwargs)
        except StoreError as exc:
            future.set_exception(exc)
        except (pw.DatabaseError, OSError) as exc:
            future.set_exception(StoreError(f"the database could not be written: {exc}"))
        except BaseException as exc:  # a bug or bad input: hand it back to the caller as it is
            future.set_exception(exc)
        else:
            future.set_result(result)

    def _flush_events(self) -> None:
        if not self._pending:
            return
        rows = coalesce(self._pending)
        try:
            with self.db.atomic():
                for i in range(0, len(rows), 500):
                    Event.insert_many(rows[i:i + 500]).execute()
        except (pw.DatabaseError, OSError) as exc:
            error = StoreError(f"transcript events could not be written: {exc}")
            self.last_error = error
            if self.on_error is not None:
                self.on_error(error)
            return  # kept in memory; tried again at the next tick
        self.rows_written += len(rows)
        self._pending = []
        self.last_error = None


def coalesce(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Merge consecutive text (or thinking) chunks of one block; the concatenated text is unchanged."""
    out: list[dict[str, Any]] = []
    for row in rows:
        last = out[-1] if out else None
        if (last is not None and row["kind"] in _COALESCED and last["kind"] == row["kind"]
                and last["run"] == row["run"] and row["data"] and last["data"]
                and row["data"].get("block") == last["data"].get("block")):
            out[-1] = {**last, "text": last["text"] + row["text"]}
        else:
            out.append(dict(row))
    return out
