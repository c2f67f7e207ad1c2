"""The Tasks pane: the session's task graph, in dependency order, edges drawn."""

from __future__ import annotations

from dataclasses import dataclass, field

from textual import on
from textual.content import Content
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from clct_tui.domain import TaskStatus

TASK_GLYPH: dict[str, tuple[str, str]] = {
    TaskStatus.PENDING.value: ("○", "$text-muted"),
    TaskStatus.RUNNING.value: ("●", "bold $success"),
    TaskStatus.DONE.value: ("✓", "$primary"),
    TaskStatus.FAILED.value: ("✗", "$error"),
    TaskStatus.SKIPPED.value: ("⊘", "$text-muted"),
    TaskStatus.INTERRUPTED.value: ("‖", "$warning"),
}


@dataclass(frozen=True)
class TaskRow:
    name: str
    status: str
    depends_on: list[str] = field(default_factory=list)
    agent_id: str | None = None


def layout_rows(tasks: list[TaskRow]) -> list[tuple[TaskRow, int]]:
    """Tasks in dependency order with their depth (longest path from a root)."""
    by_name = {t.name: t for t in tasks}
    depth: dict[str, int] = {}
    pending = list(tasks)
    while pending:
        progressed = False
        for task in list(pending):
            deps = [d for d in task.depends_on if d in by_name]
            if all(d in depth for d in deps):
                depth[task.name] = 1 + max((depth[d] for d in deps), default=-1)
                pending.remove(task)
                progressed = True
        if not progressed:  # a cycle: show the rest flat rather than hang
            for task in pending:
                depth[task.name] = 0
            break
    position = {t.name: i for i, t in enumerate(tasks)}
    ordered = sorted(tasks, key=lambda t: (depth[t.name], position[t.name]))
    return [(t, depth[t.name]) for t in ordered]


class TaskGraph(OptionList):
    """One line per task: indentation by depth, arrows from its parents, state glyph."""

    DEFAULT_CSS = """
    TaskGraph, TaskGraph:focus { border: none; padding: 0 0 0 1; background: transparent; }
    TaskGraph { text-wrap: nowrap; text-overflow: ellipsis; }
    """

    @dataclass
    class TaskSelected(Message):
        task_graph: TaskGraph
        task_name: str
        agent_id: str | None

        @property
        def control(self) -> TaskGraph:
            return self.task_graph

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._tasks: dict[str, TaskRow] = {}
        self.session_name: str | None = None

    def set_tasks(self, tasks: list[TaskRow], session_name: str | None = None) -> None:
        """Show these tasks; rebuilding never counts as the person choosing a task."""
        self.session_name = session_name
        self._tasks = {t.name: t for t in tasks}
        rows = layout_rows(tasks)
        with self.prevent(OptionList.OptionHighlighted):
            if tasks and [t.name for t, _ in rows] == [self.get_option_at_index(i).id for i in range(self.option_count)]:
                for i, (task, depth) in enumerate(rows):
                    self.replace_option_prompt_at_index(i, self._render(task, depth))
                return
            keep = self.highlighted
            self.clear_options()
            if not tasks:
                self.add_option(Option(Content.styled("no session — t opens a task file", "$text-muted"),
                                       disabled=True))
                return
            self.add_options([Option(self._render(task, depth), id=task.name) for task, depth in rows])
            if keep is not None and keep < self.option_count:
                self.highlighted = keep

    def update_task(self, name: str, status: str, agent_id: str | None = None) -> None:
        old = self._tasks.get(name)
        if old is None:
            return
        self._tasks[name] = TaskRow(name, status, old.depends_on, agent_id or old.agent_id)
        self.set_tasks(list(self._tasks.values()), self.session_name)

    @property
    def tasks(self) -> list[TaskRow]:
        return list(self._tasks.values())

    @staticmethod
    def _render(task: TaskRow, depth: int) -> Content:
        glyph, style = TASK_GLYPH.get(task.status, ("?", ""))
        running = task.status == TaskStatus.RUNNING.value
        parts: list[tuple[str, str] | str] = ["   " * max(depth - 1, 0)]
        if depth:
            parts.append(("└→ ", "$text-muted"))
        parts += [(f"{glyph} ", style), (task.name, "bold $success" if running else ""),
                  (f"  {task.status}", "$text-muted")]
        if len(task.depends_on) > 1:
            parts.append((f"  ← {', '.join(task.depends_on)}", "$text-muted"))
        return Content.assemble(*parts)

    @on(OptionList.OptionHighlighted)
    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionHighlighted | OptionList.OptionSelected) -> None:
        event.stop()
        task = self._tasks.get(event.option.id or "")
        if task is not None:
            self.post_message(self.TaskSelected(self, task.name, task.agent_id))
