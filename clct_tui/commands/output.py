"""Printing for people (text) and machines (--json)."""

from __future__ import annotations

import json
import sys
import time
from dataclasses import asdict, is_dataclass
from typing import Any, TextIO

from clct_tui.domain import EventKind, TranscriptEvent
from clct_tui.summaries import tool_summary


def to_jsonable(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return to_jsonable(asdict(value))
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [to_jsonable(v) for v in value]
    if hasattr(value, "value") and hasattr(value, "name") and not isinstance(value, (int, float, str)):
        return value.value  # enums
    if hasattr(value, "__fspath__"):
        return str(value)
    return value


def print_json(value: Any, out: TextIO = sys.stdout) -> None:
    out.write(json.dumps(to_jsonable(value), indent=2, sort_keys=True) + "\n")


def table(rows: list[list[str]], headers: list[str], out: TextIO = sys.stdout) -> None:
    """A plain aligned table: readable in a terminal, a log file and a CI page alike."""
    widths = [len(h) for h in headers]
    for row in rows:
        widths = [max(w, len(c)) for w, c in zip(widths, row)]
    line = "  ".join(h.upper().ljust(w) for h, w in zip(headers, widths))
    out.write(line.rstrip() + "\n")
    for row in rows:
        out.write("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() + "\n")


def ago(ts: float | None) -> str:
    if not ts:
        return "-"
    seconds = max(0, time.time() - ts)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{int(seconds // size)}{unit} ago"
    return f"{int(seconds)}s ago"


class TranscriptPrinter:
    """Streams transcript events as text: assistant text as it comes, tools as one line each."""

    def __init__(self, out: TextIO = sys.stdout) -> None:
        self.out = out
        self._block: str | None = None

    def __call__(self, event: TranscriptEvent) -> None:
        kind = event.kind
        if kind in (EventKind.TEXT, EventKind.THINKING):
            if event.block != self._block:
                self._newline()
                self._block = event.block
            if kind is EventKind.TEXT:
                self.out.write(event.text)
                self.out.flush()
            return
        self._newline()
        if kind is EventKind.PROMPT:
            first = event.text.splitlines()[0] if event.text.strip() else ""
            # A prompt read from a file can be megabytes on one line: show its start, not all of it.
            self._line(f"> {first[:200]}…  ({len(event.text):,} characters)" if len(first) > 200 else f"> {first}")
        elif kind is EventKind.TOOL_USE:
            self._line(f"▸ {tool_summary(event.data.get('name', '?'), event.data.get('input') or {})}")
        elif kind is EventKind.TOOL_RESULT and event.data.get("is_error"):
            self._line(f"  ✗ {event.text.strip().splitlines()[0][:200] if event.text.strip() else 'tool failed'}")
        elif kind is EventKind.APPROVAL_ASKED:
            self._line(f"? {event.data.get('tool')} asks for approval")
        elif kind is EventKind.APPROVAL_ANSWERED:
            verdict = "approved" if event.data.get("allow") else f"denied: {event.data.get('reason', '')}"
            self._line(f"  {verdict}")
        elif kind in (EventKind.ERROR, EventKind.SYSTEM):
            self._line(f"! {event.text}")

    def _newline(self) -> None:
        if self._block is not None:
            self.out.write("\n")
            self._block = None

    def _line(self, text: str) -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def finish(self) -> None:
        self._newline()


def result_line(result: dict[str, Any]) -> str:
    verdict = "success" if result.get("success") else f"failed: {result.get('error')}"
    turns = result.get("num_turns") or 0
    line = (f"result: {verdict} · ${result.get('cost_usd') or 0:.4f} · {turns} turn{'' if turns == 1 else 's'} · "
            f"{(result.get('duration_ms') or 0) / 1000:.1f} s")
    if result.get("run_id") is not None:
        line += f" · run {result['run_id']}"
    return line
