"""Plain records shared by every layer: states, transcript events, results.

Nothing here imports from the rest of clct; git, agents, store, orchestrator
and the front ends all speak in these types.
"""

from __future__ import annotations

import enum
import time
from dataclasses import dataclass, field
from typing import Any


class AgentState(str, enum.Enum):
    IDLE = "idle"
    QUEUED = "queued"  # waiting for a free slot under max_concurrent_instances
    RUNNING = "running"
    WAITING = "waiting"  # waiting for a tool approval
    DONE = "done"
    FAILED = "failed"
    INTERRUPTED = "interrupted"
    STOPPED = "stopped"

    @property
    def is_active(self) -> bool:
        return self in (AgentState.QUEUED, AgentState.RUNNING, AgentState.WAITING)


class TaskStatus(str, enum.Enum):
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    SKIPPED = "skipped"
    INTERRUPTED = "interrupted"


class EventKind(str, enum.Enum):
    """Kinds of transcript entries, in the order a run usually produces them."""

    PROMPT = "prompt"  # text: the user's prompt
    TEXT = "text"  # text: assistant text chunk; data["block"] groups chunks of one block
    THINKING = "thinking"  # text: thinking chunk; data["block"]
    TOOL_USE = "tool_use"  # data: {"id", "name", "input"}
    TOOL_RESULT = "tool_result"  # text: result content; data: {"tool_use_id", "is_error"}
    APPROVAL_ASKED = "approval_asked"  # data: {"request_id", "tool", "input"}
    APPROVAL_ANSWERED = "approval_answered"  # data: {"request_id", "allow", "reason"}
    ERROR = "error"  # text: the reason
    RESULT = "result"  # data: RunResult.as_dict()
    SYSTEM = "system"  # text: notes such as retries, resume


@dataclass(slots=True)
class TranscriptEvent:
    """One transcript entry of a run.

    Streaming text arrives as many TEXT events with the same ``data["block"]``;
    readers concatenate consecutive chunks of one block, and the store may
    coalesce them into fewer rows without changing the concatenated text.
    """

    kind: EventKind
    text: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    ts: float = field(default_factory=time.time)

    @property
    def block(self) -> str | None:
        return self.data.get("block")


@dataclass(slots=True)
class RunResult:
    """The outcome of one prompt, shaped like the original library's dict."""

    success: bool
    output: str = ""
    error: str | None = None
    session_id: str | None = None
    cost_usd: float = 0.0
    duration_ms: int = 0
    num_turns: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "success": self.success,
            "output": self.output,
            "error": self.error,
            "session_id": self.session_id,
            "cost_usd": self.cost_usd,
            "duration_ms": self.duration_ms,
            "num_turns": self.num_turns,
        }


@dataclass(slots=True)
class ApprovalRequest:
    """A tool call the permission mode did not allow; someone must answer it."""

    request_id: str
    tool: str
    input: dict[str, Any]
