"""Task files: the original JSON list, or TOML with [[task]] tables."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from clct_tui.errors import TaskFileError, TaskGraphError
from clct_tui.orchestrator.graph import TaskSpec, validate

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


def load_task_file(path: str | Path) -> tuple[list[TaskSpec], dict]:
    """Read and check a task file; returns the tasks and the file's session settings.

    Raises TaskFileError (unreadable, empty, not JSON/TOML) or TaskGraphError
    (bad task, cycle, unknown dependency, duplicate name), each naming the file.
    """
    path = Path(path)
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise TaskFileError(f"task file {path} does not exist") from None
    except IsADirectoryError:
        raise TaskFileError(f"task file {path} is a folder, not a file") from None
    except UnicodeDecodeError as exc:
        raise TaskFileError(f"task file {path} is not text: byte 0x{exc.object[exc.start]:02x} at position "
                            f"{exc.start} is not UTF-8 (a task file is JSON or TOML)") from None
    except OSError as exc:
        raise TaskFileError(f"task file {path} cannot be read: {exc.strerror or exc}") from None
    if not raw.strip():
        raise TaskFileError(f"task file {path} is empty")
    entries, settings = _parse(path, raw)
    try:
        tasks = [TaskSpec.from_dict(e, where=f"task #{i + 1}") for i, e in enumerate(entries)]
        validate(tasks)
    except TaskGraphError as exc:
        raise TaskGraphError(f"{path}: {exc}") from None
    return tasks, settings


def _parse(path: Path, raw: str) -> tuple[list, dict]:
    if path.suffix.lower() == ".json" or raw.lstrip().startswith(("[", "{")):
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as exc:
            if path.suffix.lower() == ".json":
                raise TaskFileError(f"task file {path} is not valid JSON: {exc}") from None
        else:
            if isinstance(data, list):
                return data, {}
            if isinstance(data, dict) and isinstance(data.get("tasks"), list):
                return data["tasks"], {k: v for k, v in data.items() if k != "tasks"}
            raise TaskFileError(f"task file {path}: expected a JSON list of tasks or {{\"tasks\": [...]}}")
    try:
        data = tomllib.loads(raw)
    except tomllib.TOMLDecodeError as exc:
        raise TaskFileError(f"task file {path} is neither JSON nor TOML: {exc}") from None
    tasks = data.get("task", data.get("tasks"))
    if not isinstance(tasks, list):
        raise TaskFileError(f"task file {path}: no [[task]] tables found")
    settings = data.get("session", {})
    if not isinstance(settings, dict):
        raise TaskFileError(f"task file {path}: [session] must be a table")
    return tasks, settings
