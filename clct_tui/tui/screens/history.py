"""`h`: past runs from the database, searchable; a transcript reopened read-only."""

from __future__ import annotations

import time
from dataclasses import dataclass

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Input, Label

from clct_tui.summaries import money
from clct_tui.tui.widgets.transcript import TranscriptView


@dataclass(frozen=True)
class HistoryRow:
    run_id: int
    agent_id: str
    agent_name: str
    started_at: float
    state: str
    cost_usd: float
    prompt: str


@dataclass(frozen=True)
class SessionRow:
    session_id: str
    name: str
    status: str
    done: int
    total: int
    cost_usd: float
    created_at: float


class HistoryScreen(Screen[None]):
    """Runs (`/` searches, Enter opens the transcript, `r` resumes it) or sessions (`s`; Enter opens one)."""

    DEFAULT_CSS = """
    HistoryScreen #search { dock: top; margin: 0 1; }
    HistoryScreen #runs, HistoryScreen #sessions { height: 1fr; }
    HistoryScreen #sessions { display: none; }
    HistoryScreen.sessions #sessions { display: block; }
    HistoryScreen.sessions #runs, HistoryScreen.sessions #search { display: none; }
    HistoryScreen #viewer { height: 2fr; border-top: solid $panel; display: none; }
    HistoryScreen.viewing #viewer { display: block; }
    HistoryScreen #viewer-title { background: $panel; padding: 0 1; width: 100%; }
    """
    BINDINGS = [
        Binding("escape", "back", "Back", id="history.back"),
        Binding("slash", "search", "Search", id="history.search"),
        Binding("r", "resume", "Resume", id="history.resume"),
        Binding("s", "toggle_sessions", "Runs/Sessions", id="history.sessions"),
    ]

    @dataclass
    class ResumeRequested(Message):
        agent_id: str

    @dataclass
    class SessionChosen(Message):
        session_id: str

    def __init__(self, engine, *, clock: bool = True) -> None:
        super().__init__()
        self._engine = engine
        self._rows: list[HistoryRow] = []
        self._clock = clock

    def compose(self) -> ComposeResult:
        yield Input(placeholder="search prompts and results…", id="search")
        yield DataTable(id="runs", cursor_type="row", zebra_stripes=True)
        yield DataTable(id="sessions", cursor_type="row", zebra_stripes=True)
        with Vertical(id="viewer"):
            yield Label("", id="viewer-title")
            yield TranscriptView(id="history-transcript")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#runs", DataTable)
        table.add_columns("run", "agent", "started", "state", "cost", "prompt")
        self.query_one("#sessions", DataTable).add_columns("session", "created", "status", "tasks done", "cost")
        self.query_one("#history-transcript", TranscriptView).read_only = True
        table.focus()
        self.load()

    @work(exclusive=True, group="history", exit_on_error=False, description="load history")
    async def load(self, search: str | None = None) -> None:
        self._rows = await self._engine.history_rows(search=search)
        table = self.query_one("#runs", DataTable)
        table.clear()
        for row in self._rows:
            started = self._when(row.started_at)
            prompt = row.prompt.splitlines()[0][:80] if row.prompt else ""
            table.add_row(str(row.run_id), row.agent_name, started, row.state, money(row.cost_usd), prompt,
                          key=str(row.run_id))

    @on(Input.Submitted, "#search")
    def _search(self, event: Input.Submitted) -> None:
        self.load(event.value.strip() or None)
        self.query_one("#runs", DataTable).focus()

    @on(DataTable.RowSelected, "#runs")
    def _open(self, event: DataTable.RowSelected) -> None:
        self.open_run(int(event.row_key.value))

    @work(exclusive=True, group="history-open", exit_on_error=False, description="open transcript")
    async def open_run(self, run_id: int) -> None:
        events = await self._engine.run_events(run_id)
        row = next((r for r in self._rows if r.run_id == run_id), None)
        viewer = self.query_one("#history-transcript", TranscriptView)
        viewer.clear()
        viewer.extend(events)
        title = f"run {run_id} · {row.agent_name if row else ''} · read-only · r resumes this conversation"
        self.query_one("#viewer-title", Label).update(title)
        self.add_class("viewing")

    def _current(self) -> HistoryRow | None:
        table = self.query_one("#runs", DataTable)
        if not self._rows or table.cursor_row is None or table.cursor_row >= len(self._rows):
            return None
        return self._rows[table.cursor_row]

    def _when(self, ts: float) -> str:
        return time.strftime("%Y-%m-%d %H:%M", time.localtime(ts)) if self._clock else "—"

    @work(exclusive=True, group="history-sessions", exit_on_error=False, description="load sessions")
    async def load_sessions(self) -> None:
        table = self.query_one("#sessions", DataTable)
        table.clear()
        for row in await self._engine.session_rows():
            table.add_row(row.name, self._when(row.created_at), row.status, f"{row.done}/{row.total}",
                          money(row.cost_usd), key=row.session_id)

    def action_toggle_sessions(self) -> None:
        showing = self.toggle_class("sessions").has_class("sessions")
        self.remove_class("viewing")
        if showing:
            self.load_sessions()
        self.query_one("#sessions" if showing else "#runs", DataTable).focus()

    @on(DataTable.RowSelected, "#sessions")
    def _open_session(self, event: DataTable.RowSelected) -> None:
        self.dismiss()
        self.app.post_message(self.SessionChosen(str(event.row_key.value)))

    def action_search(self) -> None:
        self.query_one("#search", Input).focus()

    def action_resume(self) -> None:
        if self.has_class("sessions"):
            sessions = self.query_one("#sessions", DataTable)
            if sessions.row_count:
                key = sessions.coordinate_to_cell_key(sessions.cursor_coordinate).row_key
                self.dismiss()
                self.app.post_message(self.SessionChosen(str(key.value)))
            return
        row = self._current()
        if row is not None:
            self.dismiss()
            self.app.post_message(self.ResumeRequested(row.agent_id))

    def action_back(self) -> None:
        if self.has_class("viewing"):
            self.remove_class("viewing")
            self.query_one("#runs", DataTable).focus()
        else:
            self.dismiss()
