"""SDK messages -> transcript events. Pure functions of the message and a little stream state."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from claude_agent_sdk import (
    AssistantMessage,
    ResultMessage,
    StreamEvent,
    SystemMessage,
    UserMessage,
)
from claude_agent_sdk.types import (
    TextBlock,
    ThinkingBlock,
    ToolResultBlock,
    ToolUseBlock,
)

from clct_tui.domain import EventKind, RunResult, TranscriptEvent

TRANSIENT_STATUSES = {408, 429, 500, 502, 503, 504, 529}


@dataclass
class StreamState:
    """What earlier messages of a run told us: the current message id, which messages streamed text."""

    message_id: str = ""
    streamed: set[str] = field(default_factory=set)
    session_id: str | None = None


def flatten(content: Any) -> str:
    """A tool result's content as text (it may be a string or a list of blocks)."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for block in content:
            if isinstance(block, dict):
                parts.append(block.get("text") or (f"[{block.get('type')}]" if block.get("type") else str(block)))
            else:
                parts.append(str(block))
        return "\n".join(parts)
    return str(content)


def translate(message: Any, state: StreamState) -> list[TranscriptEvent]:
    """The transcript events one SDK message stands for (often none)."""
    session_id = getattr(message, "session_id", None)
    if session_id:
        state.session_id = session_id
    if isinstance(message, StreamEvent):
        return _stream_event(message.event, state)
    if isinstance(message, SystemMessage):
        return _system(message)
    if isinstance(message, AssistantMessage):
        if message.error:
            # The CLI's own message (model "<synthetic>") saying why the API call failed: not the model's words.
            said = " ".join(b.text for b in message.content if isinstance(b, TextBlock) and b.text)
            return [TranscriptEvent(EventKind.ERROR, said or f"the API call failed ({message.error})")]
        events = []
        streamed = message.message_id in state.streamed if message.message_id else False
        for i, block in enumerate(message.content):
            if isinstance(block, ToolUseBlock):
                events.append(TranscriptEvent(EventKind.TOOL_USE, data={"id": block.id, "name": block.name,
                                                                         "input": block.input}))
            elif isinstance(block, TextBlock) and not streamed and block.text:
                events.append(TranscriptEvent(EventKind.TEXT, block.text, {"block": f"{message.message_id}:{i}"}))
            elif isinstance(block, ThinkingBlock) and not streamed and block.thinking:
                events.append(TranscriptEvent(EventKind.THINKING, block.thinking, {"block": f"{message.message_id}:{i}"}))
        return events
    if isinstance(message, UserMessage) and isinstance(message.content, list):
        return [
            TranscriptEvent(EventKind.TOOL_RESULT, flatten(block.content),
                            {"tool_use_id": block.tool_use_id, "is_error": bool(block.is_error)})
            for block in message.content
            if isinstance(block, ToolResultBlock)
        ]
    return []


def _system(message: SystemMessage) -> list[TranscriptEvent]:
    """The CLI's retry notices: the transcript says why the agent is waiting (it retries 5xx, 429, cut streams)."""
    if message.subtype != "api_retry":
        return []
    data = message.data
    problem = api_problem(data.get("error_status"), str(data.get("error") or ""))
    delay = float(data.get("retry_delay_ms") or 0) / 1000
    return [TranscriptEvent(EventKind.SYSTEM, f"{problem}; Claude Code retries in {delay:.1f} s "
                                              f"(attempt {data.get('attempt')} of {data.get('max_retries')})",
                            {"api_retry": {k: data.get(k) for k in ("attempt", "max_retries", "error_status", "error")}})]


def api_problem(status: int | None, detail: str = "") -> str:
    """Name an API failure the way a person would say it: its HTTP status, or what the CLI says went wrong.

    Without a status the CLI's words are all there is: a lost connection says ``ECONNRESET`` or
    ``stream_truncated``, an answer that is not the Messages API ``malformed`` or ``JSON Parse error``.
    """
    if status == 529:
        return "API overloaded (529)"
    if status == 429:
        return "API rate limited (429)"
    if status == 408:
        return "API request timed out (408)"
    if status is not None and status >= 500:
        return f"API server error ({status})"
    if status is not None and status >= 400:
        return f"API refused the request ({status})"
    lowered = detail.lower()
    if any(sign in lowered for sign in _CONNECTION_LOST):
        return "the connection to the API was lost"
    if any(sign in lowered for sign in _UNREADABLE):
        return "the API's answer could not be read (not a Messages API response: a proxy or a wrong ANTHROPIC_BASE_URL?)"
    if "econnrefused" in lowered or "unable to connect" in lowered:
        return "the API could not be reached"
    return "the API call failed (no status: the connection was lost or the answer could not be read)"


# How the CLI words what it has no HTTP status for (checked against Claude Code 2.1.x).
_CONNECTION_LOST = ("stream_truncated", "streamtruncated", "econnreset", "connection to the api was lost",
                    "socket hang up")
_UNREADABLE = ("malformed", "no_events", "json parse error")


def _stream_event(event: dict[str, Any], state: StreamState) -> list[TranscriptEvent]:
    kind = event.get("type")
    if kind == "message_start":
        state.message_id = (event.get("message") or {}).get("id", "")
        return []
    if kind != "content_block_delta":
        return []
    delta = event.get("delta") or {}
    block = f"{state.message_id}:{event.get('index', 0)}"
    if delta.get("type") == "text_delta" and delta.get("text"):
        state.streamed.add(state.message_id)
        return [TranscriptEvent(EventKind.TEXT, delta["text"], {"block": block})]
    if delta.get("type") == "thinking_delta" and delta.get("thinking"):
        state.streamed.add(state.message_id)
        return [TranscriptEvent(EventKind.THINKING, delta["thinking"], {"block": block})]
    return []


def run_result(message: ResultMessage, interrupted: bool = False) -> RunResult:
    """A ResultMessage as our RunResult: success only when the SDK says the run succeeded."""
    success = not message.is_error and message.subtype == "success"
    error = None
    if interrupted and not success:
        error = "interrupted"
    elif not success:
        error = describe_failure(message)
    return RunResult(
        success=success,
        output=message.result or "",
        error=error,
        session_id=message.session_id,
        cost_usd=message.total_cost_usd or 0.0,
        duration_ms=message.duration_ms or 0,
        num_turns=message.num_turns or 0,
    )


def describe_failure(message: ResultMessage) -> str:
    reasons = {
        "error_max_turns": "stopped at the max_turns limit",
        "error_max_budget_usd": "stopped at the max_budget_usd limit",
        "error_during_execution": "the run stopped with an error",
    }
    if message.is_error and message.subtype == "success" and (message.terminal_reason == "api_error"
                                                              or message.api_error_status or _cli_api_error(message)):
        # The API call failed and the CLI gave up: name the failure, keep the CLI's words as the detail.
        detail = (message.result or "").removeprefix("API Error: ").strip()
        problem = api_problem(message.api_error_status, message.result or "")
        return f"{problem} — {detail}" if detail else problem
    parts = [reasons.get(message.subtype, message.subtype)]
    if message.api_error_status:
        parts.append(f"API status {message.api_error_status}")
    if message.errors:
        parts.extend(message.errors)
    elif message.result and message.subtype == "success":
        parts = [message.result]
    return "; ".join(p for p in parts if p)


def _cli_api_error(message: ResultMessage) -> bool:
    return (message.result or "").startswith("API Error:")


def is_transient(message: ResultMessage) -> bool:
    """Overloaded, rate limited, a 5xx or a cut stream after the CLI's own retries: worth trying again later.

    An answer that is not the Messages API at all (a proxy's page, a wrong base URL) is not: trying
    again would fail the same way.
    """
    if message.api_error_status in TRANSIENT_STATUSES:
        return True
    text = " ".join([message.result or "", *(message.errors or [])]).lower()
    return ("overloaded" in text or "rate limit" in text or "529" in text
            or any(sign in text for sign in _CONNECTION_LOST))


def is_login_problem(message: ResultMessage) -> bool:
    text = " ".join([message.result or "", *(message.errors or [])]).lower()
    return message.api_error_status == 401 or "/login" in text or "invalid api key" in text
