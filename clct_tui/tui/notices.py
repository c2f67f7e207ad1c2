"""Runs that finish close together share one notice.

A finished run needs nothing from anyone, so it is told in the status line rather than a toast
(a toast that comes or goes lays the whole screen out again: eight agents finishing short runs
kept the app redrawing whole frames, and a key pressed meanwhile waited for them), and runs that
finish within a moment of each other are told as one.
"""

from __future__ import annotations

from collections.abc import Callable

from textual.timer import Timer

GATHER = 1.0  # seconds finished runs are gathered before they are told
NAMED = 3  # agents named in one notice; the rest are counted


def finished_notice(finished: list[str]) -> str:
    """One line for runs that finished (each given as "name ($cost)")."""
    if len(finished) == 1:
        return f"{finished[0]} finished"
    named = ", ".join(finished[:NAMED])
    more = f" and {len(finished) - NAMED} more" if len(finished) > NAMED else ""
    return f"{len(finished)} runs finished: {named}{more}"


class FinishedNotices:
    """Gathers finished runs and tells them through ``tell`` once a moment has passed."""

    def __init__(self, set_timer: Callable[..., Timer], tell: Callable[[str], None]) -> None:
        self._set_timer = set_timer
        self._tell = tell
        self._finished: list[str] = []
        self._timer: Timer | None = None

    def add(self, finished: str) -> None:
        self._finished.append(finished)
        if self._timer is None:
            self._timer = self._set_timer(GATHER, self._flush, name="finished notices")

    def _flush(self) -> None:
        self._timer = None
        finished, self._finished = self._finished, []
        if finished:
            self._tell(finished_notice(finished))
