"""Typed events the orchestrator publishes; the app turns them into Messages."""

from __future__ import annotations

from dataclasses import dataclass

from clct_tui.domain import (
    AgentState,
    ApprovalRequest,
    RunResult,
    TaskStatus,
    TranscriptEvent,
)


@dataclass(frozen=True, slots=True)
class AgentStateChanged:
    agent_id: str
    state: AgentState
    detail: str = ""


@dataclass(frozen=True, slots=True)
class TranscriptAppended:
    agent_id: str
    run_id: int
    event: TranscriptEvent
    seq: int | None = None  # its place in the run, as stored: (run_id, seq) orders an agent's transcript


@dataclass(frozen=True, slots=True)
class ApprovalRequested:
    agent_id: str
    request: ApprovalRequest


@dataclass(frozen=True, slots=True)
class RunFinished:
    agent_id: str
    run_id: int
    result: RunResult


@dataclass(frozen=True, slots=True)
class AgentAdded:
    agent_id: str


@dataclass(frozen=True, slots=True)
class AgentRemoved:
    agent_id: str


@dataclass(frozen=True, slots=True)
class WorktreeChanged:
    """Files, commits or branches of an agent's worktree changed (commit, merge, run end)."""

    agent_id: str


@dataclass(frozen=True, slots=True)
class TaskChanged:
    session_id: str
    task_name: str
    status: TaskStatus
    agent_id: str | None = None


@dataclass(frozen=True, slots=True)
class EngineFailure:
    """Something the person must know about that belongs to no one agent (e.g. the disk is full)."""

    message: str


EngineEvent = (
    AgentStateChanged
    | TranscriptAppended
    | ApprovalRequested
    | RunFinished
    | AgentAdded
    | AgentRemoved
    | WorktreeChanged
    | TaskChanged
    | EngineFailure
)
