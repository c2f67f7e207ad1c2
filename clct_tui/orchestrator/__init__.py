"""The orchestrator layer: instances, task graphs, limits, retries and engine events."""

from clct_tui.orchestrator.core import Orchestrator
from clct_tui.orchestrator.events import (
    AgentAdded,
    AgentRemoved,
    AgentStateChanged,
    ApprovalRequested,
    EngineEvent,
    EngineFailure,
    RunFinished,
    TaskChanged,
    TranscriptAppended,
    WorktreeChanged,
)
from clct_tui.orchestrator.graph import TaskSpec
from clct_tui.orchestrator.instance import ClaudeInstance
from clct_tui.orchestrator.sessions import SessionManager
from clct_tui.orchestrator.taskfile import load_task_file

__all__ = [
    "AgentAdded", "AgentRemoved", "AgentStateChanged", "ApprovalRequested", "ClaudeInstance", "EngineEvent",
    "EngineFailure", "Orchestrator", "RunFinished", "SessionManager", "TaskChanged", "TaskSpec",
    "TranscriptAppended", "WorktreeChanged", "load_task_file",
]
