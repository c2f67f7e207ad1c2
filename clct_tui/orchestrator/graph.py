"""Task graphs: checked before anything runs, then walked in dependency order."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from clct_tui.errors import InvalidNameError, TaskGraphError
from clct_tui.git.names import check_branch


@dataclass
class TaskSpec:
    """One task of a plan, as written in a task file or passed to the API."""

    name: str
    description: str
    priority: int = 0
    dependencies: list[str] = field(default_factory=list)
    context: dict[str, Any] = field(default_factory=dict)
    branch: str | None = None
    base: str | None = None
    model: str | None = None
    max_budget_usd: float | None = None
    max_turns: int | None = None

    @classmethod
    def from_dict(cls, raw: dict[str, Any], where: str = "task") -> TaskSpec:
        """Build from the original library's dict shape, naming what is wrong."""
        if not isinstance(raw, dict):
            raise TaskGraphError(f"{where}: expected a table with name and description, got {type(raw).__name__}")
        known = {f for f in cls.__dataclass_fields__} | {"depends_on"}
        unknown = sorted(set(raw) - known)
        if unknown:
            raise TaskGraphError(f"{where}: unknown key(s) {', '.join(unknown)}")
        name = raw.get("name")
        if not isinstance(name, str) or not name.strip():
            raise TaskGraphError(f"{where}: every task needs a non-empty 'name'")
        description = raw.get("description")
        if not isinstance(description, str) or not description.strip():
            raise TaskGraphError(f"task {name!r}: needs a non-empty 'description'")
        deps = raw.get("dependencies", raw.get("depends_on", [])) or []
        if isinstance(deps, str):
            deps = [deps]
        if not isinstance(deps, list) or not all(isinstance(d, str) for d in deps):
            raise TaskGraphError(f"task {name!r}: 'dependencies' must be a list of task names")
        context = raw.get("context") or {}
        if not isinstance(context, dict):
            raise TaskGraphError(f"task {name!r}: 'context' must be a table/object")
        priority = raw.get("priority", 0)
        if not isinstance(priority, int) or isinstance(priority, bool):
            raise TaskGraphError(f"task {name!r}: 'priority' must be an integer")
        for key in ("branch", "base", "model"):
            if raw.get(key) is not None and not isinstance(raw[key], str):
                raise TaskGraphError(f"task {name!r}: {key!r} must be a string")
        budget = raw.get("max_budget_usd")
        if budget is not None and (not isinstance(budget, (int, float)) or budget <= 0):
            raise TaskGraphError(f"task {name!r}: 'max_budget_usd' must be a positive number")
        turns = raw.get("max_turns")
        if turns is not None and (not isinstance(turns, int) or turns <= 0):
            raise TaskGraphError(f"task {name!r}: 'max_turns' must be a positive integer")
        return cls(
            name=name.strip(),
            description=description,
            priority=priority,
            dependencies=list(deps),
            context=dict(context),
            branch=raw.get("branch"),
            base=raw.get("base"),
            model=raw.get("model"),
            max_budget_usd=float(budget) if budget is not None else None,
            max_turns=turns,
        )


def validate(tasks: Sequence[TaskSpec]) -> None:
    """Refuse a graph with duplicate names, unknown or self dependencies, or a cycle."""
    if not tasks:
        raise TaskGraphError("the plan has no tasks")
    seen: set[str] = set()
    duplicates = sorted({t.name for t in tasks if t.name in seen or seen.add(t.name)})
    if duplicates:
        raise TaskGraphError(f"duplicate task name(s): {', '.join(duplicates)}")
    for task in tasks:
        if task.branch is not None:
            try:
                check_branch(task.branch)
            except InvalidNameError as exc:
                raise TaskGraphError(f"task {task.name!r}: {exc}") from None
    shared = sorted(b for b, n in Counter(t.branch for t in tasks if t.branch).items() if n > 1)
    if shared:  # two agents cannot work on one branch; the second would fail only after the first ran
        raise TaskGraphError(f"several tasks name the same branch: {', '.join(shared)}")
    for task in tasks:
        if task.name in task.dependencies:
            raise TaskGraphError(f"task {task.name!r} depends on itself")
        unknown = [d for d in task.dependencies if d not in seen]
        if unknown:
            raise TaskGraphError(f"task {task.name!r} depends on unknown task(s): {', '.join(unknown)}")
    cycle = find_cycle({t.name: t.dependencies for t in tasks})
    if cycle:
        raise TaskGraphError(f"dependency cycle: {' -> '.join(cycle)}")


def find_cycle(edges: dict[str, list[str]]) -> list[str] | None:
    """Return one cycle as a path of names (first == last), or None.

    Iterative, so a 10,000-task chain does not hit the recursion limit.
    """
    WHITE, GREY, BLACK = 0, 1, 2
    colour = dict.fromkeys(edges, WHITE)
    for root in edges:
        if colour[root] != WHITE:
            continue
        stack: list[tuple[str, int]] = [(root, 0)]
        path: list[str] = [root]
        colour[root] = GREY
        while stack:
            node, i = stack[-1]
            deps = edges.get(node, [])
            if i < len(deps):
                stack[-1] = (node, i + 1)
                nxt = deps[i]
                if colour.get(nxt, BLACK) == GREY:
                    start = path.index(nxt)
                    return list(reversed(path[start:] + [nxt]))
                if colour.get(nxt) == WHITE:
                    colour[nxt] = GREY
                    stack.append((nxt, 0))
                    path.append(nxt)
            else:
                colour[node] = BLACK
                stack.pop()
                path.pop()
    return None


def waves(tasks: Iterable[TaskSpec]) -> list[list[TaskSpec]]:
    """Tasks in the order they can start: each wave needs only earlier waves; by priority within a wave.

    Linear in tasks and edges (Kahn's algorithm, one level at a time), so a 10,000-task chain plans at once.
    """
    tasks = list(tasks)
    by_name = {t.name: t for t in tasks}
    position = {t.name: i for i, t in enumerate(tasks)}
    waiting = {t.name: len(set(t.dependencies)) for t in tasks}
    children: dict[str, list[str]] = {}
    for t in tasks:
        for d in set(t.dependencies):
            children.setdefault(d, []).append(t.name)
    ready = [n for n, count in waiting.items() if count == 0]
    out: list[list[TaskSpec]] = []
    placed = 0
    while ready:
        ready.sort(key=lambda n: (-by_name[n].priority, position[n]))
        out.append([by_name[n] for n in ready])
        placed += len(ready)
        following = []
        for name in ready:
            for child in children.get(name, []):
                waiting[child] -= 1
                if waiting[child] == 0:
                    following.append(child)
        ready = following
    if placed < len(tasks):  # validate() prevents this; never drop tasks silently
        stuck = sorted(n for n, count in waiting.items() if count > 0)
        raise TaskGraphError(f"dependency cycle among: {', '.join(stuck)}")
    return out


def topological_order(tasks: Iterable[TaskSpec]) -> list[TaskSpec]:
    """Dependencies first; among tasks ready together, higher priority first."""
    return [task for wave in waves(tasks) for task in wave]


def dependents_of(name: str, tasks: Iterable[TaskSpec]) -> set[str]:
    """Every task that depends on ``name``, directly or through others."""
    children: dict[str, list[str]] = {}
    for t in tasks:
        for d in t.dependencies:
            children.setdefault(d, []).append(t.name)
    found: set[str] = set()
    todo = [name]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found
