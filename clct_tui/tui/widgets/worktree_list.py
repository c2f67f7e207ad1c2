"""The Worktrees pane: every agent's worktree and the main checkout, with live state."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.binding import Binding
from textual.content import Content
from textual.geometry import Region
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from clct_tui.domain import AgentState
from clct_tui.summaries import money

MAIN_ID = "__main__"

# One glyph and one theme colour per state, so a glance tells them apart even without colour.
STATE_STYLE: dict[AgentState | None, tuple[str, str]] = {
    AgentState.RUNNING: ("●", "$success"),
    AgentState.QUEUED: ("◔", "$secondary"),
    AgentState.WAITING: ("◐", "$warning"),
    AgentState.IDLE: ("○", "$text-muted"),
    AgentState.DONE: ("✓", "$primary"),
    AgentState.FAILED: ("✗", "$error"),
    AgentState.INTERRUPTED: ("‖", "$warning"),
    AgentState.STOPPED: ("■", "$text-muted"),
    None: ("◆", "$accent"),  # the main checkout
}


@dataclass(frozen=True)
class AgentRow:
    """What the pane shows of one worktree; built by the app from the engine."""

    agent_id: str
    name: str
    branch: str
    state: AgentState | None = None  # None: the main checkout
    changed: int = 0
    ahead: int = 0
    behind: int = 0
    cost_usd: float = 0.0
    approvals: int = 0

    @property
    def is_main(self) -> bool:
        return self.agent_id == MAIN_ID


class WorktreeList(OptionList):
    """Rows of worktrees; highlighting one selects its agent everywhere."""

    BINDINGS = [
        Binding("enter", "open_prompt", "Prompt", id="worktrees.prompt", tooltip="Focus the prompt for this agent"),
        Binding("j", "cursor_down", show=False),
        Binding("k", "cursor_up", show=False),
    ]

    DEFAULT_CSS = """
    WorktreeList, WorktreeList:focus {
        border: none;
        padding: 0;
        background: transparent;
    }
    """

    @dataclass
    class Selected(Message):
        """The highlighted worktree changed."""

        worktree_list: WorktreeList
        agent_id: str

        @property
        def control(self) -> WorktreeList:
            return self.worktree_list

    @dataclass
    class PromptRequested(Message):
        """Enter on a worktree: the person wants to type to its agent."""

        worktree_list: WorktreeList
        agent_id: str

        @property
        def control(self) -> WorktreeList:
            return self.worktree_list

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._rows: dict[str, AgentRow] = {}

    @property
    def selected_id(self) -> str | None:
        if self.highlighted is None or self.option_count == 0:
            return None
        return self.get_option_at_index(self.highlighted).id

    def set_rows(self, rows: list[AgentRow]) -> None:
        """Show exactly these rows (in this order), keeping the selection where it can."""
        keep = self.selected_id
        order = [r.agent_id for r in rows]
        self._rows = {r.agent_id: r for r in rows}
        if order == [self.get_option_at_index(i).id for i in range(self.option_count)]:
            for i, row in enumerate(rows):
                self.replace_option_prompt_at_index(i, self._render_row(row))
            return
        with self.app.batch_update():
            self.clear_options()
            self.add_options([Option(self._render_row(r), id=r.agent_id) for r in rows])
            if rows:
                self.highlighted = order.index(keep) if keep in order else 0

    def update_row(self, row: AgentRow) -> None:
        """Redraw one row in place (the common case while agents stream)."""
        if row.agent_id not in self._rows or self._rows[row.agent_id] == row:
            return
        self._rows[row.agent_id] = row
        index = self.get_option_index(row.agent_id)
        option = self.get_option_at_index(index)
        # OptionList.replace_option_prompt forgets every row's rendering and repaints the whole list;
        # with many agents changing state that was most of a frame. A row is always two lines, so
        # only this option's rendering is dropped and only its lines are repainted.
        option._set_prompt(self._render_row(row))
        cache = self._option_render_cache
        for key in [k for k in cache.keys() if k[0] is option]:
            cache.discard(key)
        line = self._index_to_line.get(index)
        if line is None or not self.is_mounted:
            self.refresh()
            return
        self.refresh(Region(0, line - self.scroll_offset.y, self.size.width, self._heights[index]))

    def row(self, agent_id: str) -> AgentRow | None:
        return self._rows.get(agent_id)

    def select(self, agent_id: str) -> None:
        try:
            self.highlighted = self.get_option_index(agent_id)
        except Exception:  # OptionDoesNotExist: the agent went away meanwhile
            pass

    def _render_row(self, row: AgentRow) -> Content:
        # Colours are theme variables, resolved when drawn: a theme switch recolours every row.
        glyph, colour = STATE_STYLE[row.state]
        state = row.state.value if row.state else "main"
        if row.approvals and row.state is AgentState.WAITING:
            state = f"needs ok ({row.approvals})" if row.approvals > 1 else "needs ok"
        first = Content.assemble((f"{glyph} ", colour), (row.name, "bold"))
        width = max(self.content_region.width if self.is_mounted else 30, 24)
        pad = max(1, width - first.cell_length - len(state) - 1)
        first = Content.assemble(first, " " * pad, (state, colour))
        details = []
        if row.changed:
            details.append(f"{row.changed} file{'s' if row.changed != 1 else ''}")
        if row.ahead or row.behind:
            details.append(f"↑{row.ahead} ↓{row.behind}")
        if row.cost_usd:
            details.append(money(row.cost_usd))
        # Numbers right-aligned and never cut; the branch takes what room is left.
        numbers = " ".join(details)
        room = max(4, width - len(numbers) - 4)
        branch = Content.styled(f"  ⎇ {row.branch}", "$text-muted").truncate(room, ellipsis=True)
        second = Content.assemble(branch, " " * max(1, width - branch.cell_length - len(numbers) - 1),
                                  (numbers, "$text-muted"))
        return Content("\n").join([first.truncate(width, ellipsis=True), second])

    @on(OptionList.OptionHighlighted)
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        if event.option.id:
            self.post_message(self.Selected(self, event.option.id))

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id:
            self.post_message(self.PromptRequested(self, event.option.id))

    def action_open_prompt(self) -> None:
        if self.selected_id:
            self.post_message(self.PromptRequested(self, self.selected_id))

    def on_resize(self) -> None:
        # Right-aligned states depend on the width.
        for i in range(self.option_count):
            option_id = self.get_option_at_index(i).id
            if option_id in self._rows:
                self.replace_option_prompt_at_index(i, self._render_row(self._rows[option_id]))
