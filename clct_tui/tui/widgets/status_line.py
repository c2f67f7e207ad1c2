"""The status line: how many agents run against the limit, approvals waiting, cost today."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.timer import Timer
from textual.widget import Widget

from clct_tui.summaries import money


class StatusLine(Widget):
    DEFAULT_CSS = """
    StatusLine { height: 1; background: $panel; color: $text; padding: 0 1; }
    """

    running: reactive[int] = reactive(0)
    """Agents holding a run slot right now."""
    limit: reactive[int] = reactive(3)
    """max_concurrent_instances."""
    queued: reactive[int] = reactive(0)
    waiting: reactive[int] = reactive(0)
    """Agents waiting for a tool approval."""
    cost_today: reactive[float] = reactive(0.0)
    repo: reactive[str] = reactive("")
    message: reactive[str] = reactive("")
    """A short note such as 'opening…' or an error that belongs to no agent."""
    notice: reactive[str] = reactive("")
    """What just happened and needs nothing from anyone (runs that finished); it fades after a while."""

    NOTICE_SECONDS = 10.0
    _notice_timer: Timer | None = None

    def show_notice(self, notice: str) -> None:
        """Show ``notice`` for a while. A status line redraws alone: a toast lays out the whole screen."""
        self.notice = notice
        if self._notice_timer is not None:
            self._notice_timer.stop()
        self._notice_timer = self.set_timer(self.NOTICE_SECONDS, self._fade, name="status notice")

    def _fade(self) -> None:
        self._notice_timer = None
        self.notice = ""

    def render(self) -> Text:
        text = Text.assemble(("clct", "bold"), "  ", (self.repo, "dim"), "   ")
        text.append(f"● {self.running}/{self.limit} running")
        if self.queued:
            text.append(f" · ◔ {self.queued} queued")
        if self.waiting:
            text.append(f" · ◐ {self.waiting} waiting for approval", style="bold")
        text.append(f" · {money(self.cost_today)} today")
        if self.notice:
            text.append(f"   ✓ {self.notice}", style="italic")
        if self.message:
            text.append(f"   {self.message}", style="italic")
        return text
