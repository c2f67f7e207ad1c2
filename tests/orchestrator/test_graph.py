"""Task graphs are refused before anything runs when they cannot be run."""

import pytest

from clct_tui.errors import TaskGraphError
from clct_tui.orchestrator.graph import (
    TaskSpec,
    dependents_of,
    find_cycle,
    topological_order,
    validate,
)


def spec(name: str, *deps: str, priority: int = 0) -> TaskSpec:
    return TaskSpec(name=name, description=f"do {name}", dependencies=list(deps), priority=priority)


def test_a_cycle_is_refused_naming_its_tasks():
    with pytest.raises(TaskGraphError, match=r"cycle: .*a.*b.*c"):
        validate([spec("a", "c"), spec("b", "a"), spec("c", "b")])


def test_a_self_dependency_is_refused():
    with pytest.raises(TaskGraphError, match="'a' depends on itself"):
        validate([spec("a", "a")])


def test_an_unknown_dependency_is_refused_naming_it():
    with pytest.raises(TaskGraphError, match="'b' depends on unknown task.*ghost"):
        validate([spec("a"), spec("b", "ghost")])


def test_duplicate_names_are_refused():
    with pytest.raises(TaskGraphError, match="duplicate task name.*a"):
        validate([spec("a"), spec("a")])


def test_an_empty_plan_is_refused():
    with pytest.raises(TaskGraphError, match="no tasks"):
        validate([])


def test_order_puts_dependencies_first_and_higher_priority_first_among_ready():
    tasks = [spec("docs", "core"), spec("core", "setup"), spec("low"), spec("setup", priority=5)]
    names = [t.name for t in topological_order(tasks)]
    assert names.index("setup") < names.index("core") < names.index("docs")
    assert names[0] == "setup"


def test_dependents_are_found_transitively():
    tasks = [spec("a"), spec("b", "a"), spec("c", "b"), spec("d")]
    assert dependents_of("a", tasks) == {"b", "c"}


def test_a_ten_thousand_task_chain_is_checked_without_recursion():
    tasks = [spec("t0")] + [spec(f"t{i}", f"t{i - 1}") for i in range(1, 10_000)]
    validate(tasks)
    assert find_cycle({t.name: t.dependencies for t in tasks}) is None


def test_from_dict_accepts_the_original_shape():
    task = TaskSpec.from_dict({"name": "x", "description": "y", "priority": 2, "dependencies": ["w"], "context": {"k": 1}})
    assert (task.priority, task.dependencies, task.context) == (2, ["w"], {"k": 1})


@pytest.mark.parametrize(
    "raw, problem",
    [
        ({"description": "no name"}, "non-empty 'name'"),
        ({"name": "x"}, "'description'"),
        ({"name": "x", "description": "y", "priority": "high"}, "'priority' must be an integer"),
        ({"name": "x", "description": "y", "dependencies": 3}, "'dependencies' must be a list"),
        ({"name": "x", "description": "y", "colour": "red"}, "unknown key.*colour"),
    ],
)
def test_from_dict_names_what_is_wrong(raw, problem):
    with pytest.raises(TaskGraphError, match=problem):
        TaskSpec.from_dict(raw)
