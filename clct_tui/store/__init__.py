"""The store layer: Peewee models behind one manager. Knows nothing of git or agents."""

from clct_tui.store.records import (
    AgentRecord,
    EventRecord,
    RepoRecord,
    RunRecord,
    SessionRecord,
    TaskRecord,
    WorktreeRecord,
)
from clct_tui.store.schema import SCHEMA_VERSION
from clct_tui.store.store import Store

__all__ = [
    "SCHEMA_VERSION",
    "AgentRecord",
    "EventRecord",
    "RepoRecord",
    "RunRecord",
    "SessionRecord",
    "Store",
    "TaskRecord",
    "WorktreeRecord",
]
