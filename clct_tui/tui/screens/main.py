"""The main screen: worktrees left, transcript centre, tasks right, prompt and status below."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Label

from clct_tui.tui.widgets.prompt_bar import PromptBar
from clct_tui.tui.widgets.status_line import StatusLine
from clct_tui.tui.widgets.task_graph import TaskGraph
from clct_tui.tui.widgets.transcript import TranscriptView
from clct_tui.tui.widgets.worktree_list import WorktreeList


class MainScreen(Screen[None]):
    BINDINGS = [
        Binding("escape", "focus_worktrees", "Worktrees", show=False, id="main.worktrees"),
        Binding("tab", "app.focus_next", show=False),
    ]

    def compose(self) -> ComposeResult:
        yield StatusLine(id="status")
        with Horizontal(id="panes"):
            with Vertical(id="left"):
                yield Label("Worktrees", classes="pane-title")
                yield WorktreeList(id="worktrees")
            with Vertical(id="centre"):
                yield Label("Transcript", id="transcript-title", classes="pane-title")
                yield TranscriptView(id="transcript")
            with Vertical(id="right"):
                yield Label("Tasks", id="tasks-title", classes="pane-title")
                yield TaskGraph(id="tasks")
        yield PromptBar(id="prompt")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(TaskGraph).set_tasks([])
        self.query_one(WorktreeList).focus()

    def action_focus_worktrees(self) -> None:
        self.query_one(WorktreeList).focus()
