"""The `n` dialog: a prompt, and optionally a name, a branch and a base."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input, Label, Static

from clct_tui.tui.screens.dialogs import DIALOG_CSS, Dialog


@dataclass(frozen=True)
class NewAgentRequest:
    prompt: str
    name: str | None
    branch: str | None
    base: str | None


class NewAgentScreen(Dialog[NewAgentRequest | None]):
    """Focus starts on the prompt; Tab reaches the optional fields; Enter anywhere starts the agent."""

    DEFAULT_CSS = DIALOG_CSS.format(cls="NewAgentScreen") + """
    NewAgentScreen Input { margin-bottom: 1; }
    NewAgentScreen .hint { color: $text-muted; }
    NewAgentScreen #error { color: $error; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="new.cancel")]

    def __init__(self, default_base: str = "") -> None:
        super().__init__()
        self._default_base = default_base

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("New agent", classes="title")
            yield Input(placeholder="What should the agent do?", id="prompt")
            yield Input(placeholder="name (from the prompt when empty)", id="name")
            yield Input(placeholder="branch (the name when empty)", id="branch")
            yield Input(placeholder=f"base (default: {self._default_base or 'current branch'})", id="base")
            yield Static("", id="error")
            yield Static("enter start · tab next field · esc cancel", classes="hint")

    def on_mount(self) -> None:
        self.query_one("#prompt", Input).focus()

    @on(Input.Submitted)
    def _submit(self) -> None:
        values = {i.id: i.value.strip() for i in self.query(Input)}
        if not values["prompt"]:
            self.query_one("#error", Static).update("Type a prompt first.")
            self.query_one("#prompt", Input).focus()
            return
        self.answer(
            NewAgentRequest(
                prompt=values["prompt"],
                name=values["name"] or None,
                branch=values["branch"] or None,
                base=values["base"] or None,
            )
        )

    def action_cancel(self) -> None:
        self.answer(None)
