"""An agent's pending tool call, shown in full before it is approved or denied."""

from __future__ import annotations

import json
from dataclasses import dataclass

from rich.syntax import Syntax
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Input, Label, Static

from clct_tui.domain import ApprovalRequest
from clct_tui.tui.screens.dialogs import DIALOG_CSS, Dialog


@dataclass(frozen=True)
class ApprovalAnswer:
    allow: bool
    reason: str = ""


class ApprovalScreen(Dialog[ApprovalAnswer | None]):
    """`a` approves, `d` asks for a reason and denies, Escape decides later."""

    DEFAULT_CSS = DIALOG_CSS.format(cls="ApprovalScreen") + """
    ApprovalScreen > Vertical { width: 100; }
    ApprovalScreen VerticalScroll { height: auto; max-height: 20; border: round $panel; }
    ApprovalScreen #reason { display: none; }
    ApprovalScreen.denying #reason { display: block; }
    ApprovalScreen .hint { color: $text-muted; }
    """
    BINDINGS = [
        Binding("a", "approve", "Approve", id="approval.approve"),
        Binding("d", "deny", "Deny", id="approval.deny"),
        Binding("escape", "later", "Later", id="approval.later"),
    ]

    def __init__(self, agent_name: str, request: ApprovalRequest, deny_first: bool = False) -> None:
        super().__init__()
        self._agent = agent_name
        self._request = request
        self._deny_first = deny_first

    def compose(self) -> ComposeResult:
        request = self._request
        with Vertical():
            yield Label(f"{self._agent} wants to use {request.tool}", classes="title")
            with VerticalScroll():
                command = request.input.get("command")
                if isinstance(command, str):
                    # A command is shown as the shell will read it, with the model's own description.
                    yield Static(Syntax(command, "bash", word_wrap=True, theme="ansi_dark"))
                    rest = {k: v for k, v in request.input.items() if k != "command"}
                    for key, value in rest.items():
                        yield Static(f"{key}: {value}", classes="hint", markup=False)
                else:
                    yield Static(Syntax(json.dumps(request.input, indent=2), "json", word_wrap=True, theme="ansi_dark"))
            yield Input(placeholder="reason for denying (optional), enter to deny", id="reason")
            yield Static("a approve · d deny · esc later", classes="hint")

    def on_mount(self) -> None:
        if self._deny_first:
            self.action_deny()

    def action_approve(self) -> None:
        self.answer(ApprovalAnswer(True))

    def action_deny(self) -> None:
        self.add_class("denying")
        self.query_one("#reason", Input).focus()

    @on(Input.Submitted, "#reason")
    def _denied(self, event: Input.Submitted) -> None:
        self.answer(ApprovalAnswer(False, event.value.strip() or "denied by the user"))

    def action_later(self) -> None:
        self.answer(None)
