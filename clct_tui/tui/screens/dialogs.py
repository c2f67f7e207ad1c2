"""Small modal dialogs: confirm, ask for one line of text."""

from __future__ import annotations

from typing import TypeVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

T = TypeVar("T")

DIALOG_CSS = """
{cls} {{ align: center middle; background: $background 60%; }}
{cls} > Vertical {{
    width: 72; max-width: 90%; height: auto; max-height: 90%;
    border: thick $primary; background: $surface; padding: 1 2;
}}
{cls} .title {{ text-style: bold; margin-bottom: 1; }}
{cls} .body {{ margin-bottom: 1; }}
{cls} .warning {{ color: $warning; }}
{cls} Horizontal {{ height: auto; align-horizontal: right; }}
{cls} Button {{ margin-left: 1; }}
"""


class Dialog(ModalScreen[T]):
    """A modal question with one answer: the first given.

    Keys typed fast (or pasted) can all arrive before the dialog has closed: a second answer (Escape
    right behind Enter) would hand the asker a second result, and close the screen under the dialog
    too. The first handled is kept: an input's Enter arrives as a message, after a key typed behind it.
    """

    _answered = False

    def answer(self, result: T) -> None:
        if not self._answered:
            self._answered = True
            self.dismiss(result)


class ConfirmScreen(Dialog[bool]):
    """Yes or no; Enter or y confirms, Escape or n declines."""

    DEFAULT_CSS = DIALOG_CSS.format(cls="ConfirmScreen")
    BINDINGS = [
        Binding("y", "answer(True)", "Yes", id="confirm.yes"),
        Binding("n,escape", "answer(False)", "No", id="confirm.no"),
    ]

    def __init__(self, title: str, body: str = "", *, yes: str = "Yes", danger: bool = False) -> None:
        super().__init__()
        self._title, self._body, self._yes, self._danger = title, body, yes, danger

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self._title, classes="title")
            if self._body:
                yield Static(self._body, classes="body warning" if self._danger else "body", markup=False)
            with Horizontal():
                yield Button("No (n)", id="no")
                yield Button(f"{self._yes} (y)", id="yes", variant="error" if self._danger else "primary")

    def on_mount(self) -> None:
        self.query_one("#yes", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.answer(event.button.id == "yes")

    def action_answer(self, value: bool) -> None:
        self.answer(value)


class TextPromptScreen(Dialog[str | None]):
    """One line of text (a commit message, a file path); Enter submits, Escape cancels."""

    DEFAULT_CSS = DIALOG_CSS.format(cls="TextPromptScreen")
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="prompt.cancel")]

    def __init__(self, title: str, value: str = "", placeholder: str = "", note: str = "") -> None:
        super().__init__()
        self._title, self._value, self._placeholder, self._note = title, value, placeholder, note

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self._title, classes="title")
            if self._note:
                yield Static(self._note, classes="body", markup=False)
            yield Input(self._value, placeholder=self._placeholder, id="value")

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        self.answer(event.value.strip() or None)

    def action_cancel(self) -> None:
        self.answer(None)
