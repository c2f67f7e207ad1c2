"""Token deltas joined before they reach the store and the subscribers.

The CLI streams an answer a few characters at a time: thousands of events a second per agent.
Each one stored, published and drawn on its own cost clct ~40 µs of CPU, most of it for nothing a
person could see; joined over a tenth of a second (how often the transcript redraws a streaming
answer) they cost that ten times a second per block. The text is unchanged and still arrives in
order; a run's other events end the join first.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from clct_tui.domain import EventKind, TranscriptEvent

WINDOW = 0.1  # seconds a delta may wait for the next ones of its block: one redraw of a streaming answer
_JOINED = (EventKind.TEXT, EventKind.THINKING)


class DeltaBuffer:
    """Holds consecutive text (or thinking) deltas of one block, then hands them on as one event.

    Used on the event loop only. ``emit(run_id, event)`` receives every event, in order.
    """

    def __init__(self, emit: Callable[[int, TranscriptEvent], None], window: float = WINDOW) -> None:
        self._emit = emit
        self._window = window
        self._run_id = 0
        self._first: TranscriptEvent | None = None
        self._chunks: list[str] = []
        self._timer: asyncio.TimerHandle | None = None

    def add(self, run_id: int, event: TranscriptEvent) -> None:
        joins = event.kind in _JOINED and event.block is not None
        first = self._first
        if joins and first is not None and run_id == self._run_id and event.kind is first.kind \
                and event.block == first.block:
            self._chunks.append(event.text)
            return
        self.flush()
        if not joins:
            self._emit(run_id, event)
            return
        self._run_id, self._first, self._chunks = run_id, event, [event.text]
        self._timer = asyncio.get_running_loop().call_later(self._window, self.flush)

    def flush(self) -> None:
        """Hand on what is held now (before a run's end is recorded, or when the window closes)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        first, self._first = self._first, None
        if first is None:
            return
        text = first.text if len(self._chunks) == 1 else "".join(self._chunks)
        self._chunks = []
        self._emit(self._run_id, TranscriptEvent(first.kind, text, first.data, first.ts))
