"""One-line summaries of tool calls, shared by the app and the headless commands."""

from __future__ import annotations

from typing import Any

# The input key that says what a tool acts on, in order of preference.
_TARGET_KEYS = ("file_path", "notebook_path", "command", "pattern", "url", "query", "path", "description")


def tool_target(tool_input: dict[str, Any]) -> str:
    for key in _TARGET_KEYS:
        value = tool_input.get(key)
        if isinstance(value, str) and value:
            first = value.strip().splitlines()[0] if value.strip() else value
            return first if len(first) <= 80 else first[:79] + "…"
    return ""


def line_counts(tool: str, tool_input: dict[str, Any]) -> tuple[int, int] | None:
    """Lines added and removed by an edit-like tool call, or None for other tools."""

    def lines(text: Any) -> int:
        return len(text.splitlines()) if isinstance(text, str) and text else 0

    if tool == "Write":
        return lines(tool_input.get("content")), 0
    if tool == "Edit":
        return lines(tool_input.get("new_string")), lines(tool_input.get("old_string"))
    if tool == "MultiEdit":
        edits = tool_input.get("edits") or []
        return (sum(lines(e.get("new_string")) for e in edits if isinstance(e, dict)),
                sum(lines(e.get("old_string")) for e in edits if isinstance(e, dict)))
    return None


def tool_summary(tool: str, tool_input: dict[str, Any]) -> str:
    """'Edit  src/auth.py  (+42 −3)', 'Bash  npm test'."""
    parts = [tool]
    target = tool_target(tool_input)
    if target:
        parts.append(target)
    counts = line_counts(tool, tool_input)
    if counts is not None:
        plus, minus = counts
        parts.append(f"(+{plus} −{minus})" if minus else f"(+{plus})")
    return "  ".join(parts)


def money(usd: float) -> str:
    """Dollars as people read them: cents for real sums, more digits for the tiny sums of one run."""
    if usd == 0 or abs(usd) >= 1:
        return f"${usd:.2f}"
    return f"${usd:.4f}" if abs(usd) < 0.01 else f"${usd:.3f}"
