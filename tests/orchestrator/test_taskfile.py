"""Task files: JSON lists (the original format) and TOML [[task]] tables."""

import json

import pytest

from clct_tui.errors import TaskFileError, TaskGraphError
from clct_tui.orchestrator.taskfile import load_task_file


def test_a_json_list_is_read(tmp_path):
    path = tmp_path / "tasks.json"
    path.write_text(json.dumps([{"name": "a", "description": "A"}, {"name": "b", "description": "B", "dependencies": ["a"]}]))
    tasks, settings = load_task_file(path)
    assert [t.name for t in tasks] == ["a", "b"] and tasks[1].dependencies == ["a"] and settings == {}


def test_a_toml_file_with_task_tables_is_read(tmp_path):
    path = tmp_path / "tasks.toml"
    path.write_text(
        '[session]\nname = "auth"\n\n[[task]]\nname = "api"\ndescription = "Build it"\nbranch = "feat/api"\n'
        'model = "m"\n\n[[task]]\nname = "docs"\ndescription = "Write docs"\ndependencies = ["api"]\n'
    )
    tasks, settings = load_task_file(path)
    assert tasks[0].branch == "feat/api" and tasks[0].model == "m" and tasks[1].dependencies == ["api"]
    assert settings == {"name": "auth"}


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(TaskFileError, match="does not exist"):
        load_task_file(tmp_path / "nope.toml")


def test_an_empty_file_is_refused(tmp_path):
    (tmp_path / "t.toml").write_text("  \n")
    with pytest.raises(TaskFileError, match="is empty"):
        load_task_file(tmp_path / "t.toml")


def test_a_file_that_is_neither_json_nor_toml_is_refused(tmp_path):
    (tmp_path / "t.txt").write_text("this is { not a plan")
    with pytest.raises(TaskFileError, match="neither JSON nor TOML"):
        load_task_file(tmp_path / "t.txt")


def test_broken_json_names_the_json_error(tmp_path):
    (tmp_path / "t.json").write_text("[{")
    with pytest.raises(TaskFileError, match="not valid JSON"):
        load_task_file(tmp_path / "t.json")


def test_a_cycle_in_a_file_names_the_file_and_the_tasks(tmp_path):
    path = tmp_path / "t.json"
    path.write_text(json.dumps([{"name": "a", "description": "A", "dependencies": ["b"]},
                                {"name": "b", "description": "B", "dependencies": ["a"]}]))
    with pytest.raises(TaskGraphError, match=r"t\.json: dependency cycle"):
        load_task_file(path)


def test_binary_content_is_refused(tmp_path):
    (tmp_path / "t.toml").write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(TaskFileError, match="is not text: byte 0xff at position 0 is not UTF-8"):
        load_task_file(tmp_path / "t.toml")
