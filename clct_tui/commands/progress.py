"""A live view of a session's tasks while `clct parallel` runs."""

from __future__ import annotations

import sys
import time

from clct_tui.orchestrator import EngineEvent, TaskChanged, TaskSpec

GLYPH = {"pending": "○", "running": "●", "done": "✓", "failed": "✗", "skipped": "⊘", "interrupted": "‖"}


class TaskProgress:
    """On a terminal, one redrawn line per task; elsewhere (CI logs), one line per change."""

    def __init__(self, specs: list[TaskSpec], enabled: bool = True, out=None) -> None:
        self.out = out or sys.stdout
        self.enabled = enabled
        self.status = {s.name: "pending" for s in specs}
        self._live = enabled and self.out.isatty()
        self._drawn = 0
        self._start = time.monotonic()

    def __enter__(self) -> TaskProgress:
        self._draw()
        return self

    def __exit__(self, *exc: object) -> None:
        self._draw()

    def on_event(self, event: EngineEvent) -> None:
        if not isinstance(event, TaskChanged) or event.task_name not in self.status:
            return
        if self.status[event.task_name] == event.status.value:
            return
        self.status[event.task_name] = event.status.value
        if self._live:
            self._draw()
        elif self.enabled:
            elapsed = time.monotonic() - self._start
            self.out.write(f"[{elapsed:6.1f}s] {GLYPH.get(event.status.value, '?')} {event.task_name}: "
                           f"{event.status.value}\n")
            self.out.flush()

    def _draw(self) -> None:
        if not self._live:
            return
        if self._drawn:
            self.out.write(f"\x1b[{self._drawn}F")  # back to the first line of the last drawing
        for name, status in self.status.items():
            self.out.write(f"\x1b[2K{GLYPH.get(status, '?')} {name}  {status}\n")
        self._drawn = len(self.status)
        self.out.flush()
