"""`D`: the selected worktree against its base, file by file, syntax-highlighted."""

from __future__ import annotations

from rich.syntax import Syntax
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Label, OptionList, Static
from textual.widgets.option_list import Option


class DiffScreen(Screen[None]):
    """Files on the left with +/- counts; the selected file's patch on the right."""

    DEFAULT_CSS = """
    DiffScreen #diff-title { dock: top; height: 1; background: $panel; padding: 0 1; text-style: bold; }
    DiffScreen #files { width: 40; border-right: solid $panel; }
    DiffScreen #patch { padding: 0 1; }
    DiffScreen .empty { color: $text-muted; padding: 1 2; }
    """
    BINDINGS = [
        Binding("escape,q", "app.pop_screen", "Back", id="diff.back"),
        Binding("j", "next_file", "Next file", show=False),
        Binding("k", "previous_file", "Previous file", show=False),
    ]

    def __init__(self, title: str, diff) -> None:
        super().__init__()
        self._title = title
        self._diff = diff

    def compose(self) -> ComposeResult:
        diff = self._diff
        yield Label(
            f"{self._title} · {len(diff.files)} file(s) · +{diff.additions} −{diff.deletions} against {diff.base}",
            id="diff-title",
        )
        if not diff.files:
            yield Static("No changes against the base.", classes="empty")
        else:
            with Horizontal():
                yield OptionList(*[Option(self._file_label(f), id=str(i)) for i, f in enumerate(diff.files)], id="files")
                with VerticalScroll(id="patch"):
                    yield Static(id="patch-body")
        yield Footer()

    def on_mount(self) -> None:
        if self._diff.files:
            files = self.query_one("#files", OptionList)
            files.highlighted = 0
            files.focus()

    @staticmethod
    def _file_label(file) -> Content:
        return Content.assemble(
            (file.path, "bold"), "  ", (f"+{file.additions}", "$success"), " ", (f"−{file.deletions}", "$error"),
            (f"  {file.status}", "$text-muted"),
        )

    @on(OptionList.OptionHighlighted, "#files")
    def _show_file(self, event: OptionList.OptionHighlighted) -> None:
        file = self._diff.files[int(event.option.id)]
        body = Syntax(file.patch or "(binary or empty)", "diff", theme="ansi_dark", word_wrap=False)
        self.query_one("#patch-body", Static).update(body)
        self.query_one("#patch", VerticalScroll).scroll_home(animate=False)

    def action_next_file(self) -> None:
        self.query_one("#files", OptionList).action_cursor_down()

    def action_previous_file(self) -> None:
        self.query_one("#files", OptionList).action_cursor_up()
