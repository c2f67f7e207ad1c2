"""Plain records the store hands upward; callers never see Peewee models."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from clct_tui.domain import EventKind, TranscriptEvent


@dataclass(frozen=True)
class RepoRecord:
    id: int
    path: str
    default_branch: str | None
    created_at: float = 0.0


@dataclass(frozen=True)
class WorktreeRecord:
    id: int
    repo_id: int
    name: str
    path: str
    branch: str
    base: str | None
    created_at: float
    removed_at: float | None


@dataclass(frozen=True)
class AgentRecord:
    """``state`` is an AgentState value; ``session_id`` is the SDK conversation id used to resume."""

    id: str
    repo_id: int
    worktree_id: int | None
    name: str
    model: str | None
    permission_mode: str
    session_id: str | None
    state: str
    cost_usd: float
    input_tokens: int
    output_tokens: int
    last_prompt: str | None
    created_at: float
    updated_at: float
    pid: int | None = None  # the clct process holding it while it works (see Store.claim_agent)


@dataclass(frozen=True)
class RunRecord:
    id: int
    agent_id: str
    prompt: str
    kind: str
    state: str
    started_at: float
    ended_at: float | None
    result_text: str | None
    error: str | None
    success: bool | None
    cost_usd: float
    num_turns: int
    duration_ms: int
    session_id: str | None
    agent_name: str = ""


@dataclass(frozen=True)
class EventRecord:
    id: int
    run_id: int
    seq: int
    kind: EventKind
    text: str
    data: dict[str, Any]
    ts: float

    def to_event(self) -> TranscriptEvent:
        return TranscriptEvent(self.kind, self.text, dict(self.data), self.ts)


@dataclass(frozen=True)
class SessionRecord:
    id: str
    repo_id: int
    name: str
    description: str | None
    status: str
    max_budget_usd: float | None
    created_at: float
    updated_at: float

    @property
    def session_id(self) -> str:  # the original library's name
        return self.id


@dataclass(frozen=True)
class TaskRecord:
    id: int
    session_id: str
    name: str
    description: str
    priority: int
    depends_on: list[str] = field(default_factory=list)
    context: dict[str, Any] = field(default_factory=dict)
    branch: str | None = None
    base: str | None = None
    model: str | None = None
    max_budget_usd: float | None = None
    max_turns: int | None = None
    status: str = "pending"
    agent_id: str | None = None
    output: str | None = None
    error: str | None = None
    cost_usd: float = 0.0
    started_at: float | None = None
    ended_at: float | None = None
