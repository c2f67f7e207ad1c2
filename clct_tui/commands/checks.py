"""Checks of the arguments that need neither the repository nor the database.

``--context`` JSON, the task file (its syntax and its task graph) and numeric
limits are checked before the orchestrator opens, so bad input is refused at
once and nothing is created. Kept apart from handlers.py so that refusing bad
input does not wait for the agent SDK to import.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from clct_tui.errors import ClctError
from clct_tui.prompts import check_prompt


class BadInput(ClctError):
    """An argument that cannot be used (bad JSON, a limit out of range, an agent busy elsewhere)."""


def check_args(args: argparse.Namespace) -> None:
    """Refuse bad input before touching the repository or the database."""
    if args.command == "run-task":
        args.context_obj = _parse_context(args.context)
        if args.description == "-":
            args.description = _read_stdin("the task description")
        if not args.description.strip():
            raise BadInput("the task description is empty")
        try:
            check_prompt(args.description)
        except ClctError as exc:
            raise BadInput(str(exc)) from None
        _positive(args.timeout, "--timeout")
    elif args.command == "parallel":
        from clct_tui.orchestrator.taskfile import (
            load_task_file,  # imports the engine (and the SDK)
        )

        args.specs, args.settings = load_task_file(args.tasks_file)
        if args.max_concurrent is not None and args.max_concurrent < 1:
            raise BadInput(f"--max-concurrent must be at least 1, got {args.max_concurrent}")
    elif args.command == "stop":
        if not 0 <= args.wait < float("inf"):  # also refuses nan
            raise BadInput(f"--wait must be a number of seconds, 0 or more, got {args.wait:g}")
    elif args.command == "history":
        if args.limit < 1:
            raise BadInput(f"--limit must be at least 1, got {args.limit}")
    elif args.command == "cleanup":
        if args.max_age_hours < 0:
            raise BadInput(f"--max-age-hours must not be negative, got {args.max_age_hours:g}")


def _read_stdin(what: str) -> str:
    """All of standard input as UTF-8 text (a long prompt does not fit in an argument: Linux caps one at 128 KiB)."""
    data = sys.stdin.buffer.read()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadInput(f"{what} read from standard input is not UTF-8 text "
                       f"(byte 0x{data[exc.start]:02x} at position {exc.start})") from None


def _parse_context(raw: str | None) -> dict[str, Any] | None:
    if raw is None:
        return None
    try:
        context = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise BadInput(f"--context is not valid JSON ({exc.msg} at column {exc.colno}): {raw[:80]!r}") from None
    if not isinstance(context, dict):
        raise BadInput(f"--context must be a JSON object like '{{\"key\": \"value\"}}', got {type(context).__name__}")
    return context


def _positive(value: float | None, option: str) -> None:
    if value is not None and value <= 0:
        raise BadInput(f"{option} must be more than 0, got {value:g}")
