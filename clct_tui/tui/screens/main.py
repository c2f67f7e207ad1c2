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
        # The actions live on the app (they drive the engine); the keys belong to this screen only,
        # so dialogs and the diff and history screens are not crowded with them.
        Binding("n", "app.new_agent", "New", id="app.new", tooltip="Start a new agent in a new worktree"),
        Binding("a", "app.approve", "Approve", id="app.approve", tooltip="Approve the selected agent's pending tool call"),
        Binding("d", "app.deny", "Deny", id="app.deny", tooltip="Deny the selected agent's pending tool call"),
        Binding("i", "app.interrupt", "Interrupt", id="app.interrupt", tooltip="Interrupt the selected agent"),
        Binding("D", "app.diff", "Diff", key_display="D", id="app.diff", tooltip="Diff of the worktree against its base"),
        Binding("c", "app.commit", "Commit", id="app.commit", tooltip="Commit the worktree's changes"),
        Binding("m", "app.merge", "Merge", id="app.merge", tooltip="Merge the worktree's branch into its base"),
        Binding("x", "app.remove", "Remove", id="app.remove", tooltip="Remove the worktree"),
        Binding("t", "app.open_tasks", "Tasks", id="app.tasks", tooltip="Open a task file (TOML or JSON)"),
        Binding("r", "app.run_tasks", "Run", id="app.run", tooltip="Run the opened task file"),
        Binding("h", "app.history", "History", id="app.history", tooltip="Past sessions and runs"),
        Binding("question_mark", "app.help", "Help", key_display="?", id="app.help", tooltip="Show every key"),
        Binding("q", "app.quit_app", "Quit", id="app.quit", tooltip="Quit (asks first while agents run)"),
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
