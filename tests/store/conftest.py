"""Fixtures for the store: real SQLite files in tmp_path, a short flush interval."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from clct_tui.domain import EventKind, TranscriptEvent
from clct_tui.store import AgentRecord, RepoRecord, RunRecord, Store, WorktreeRecord


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "history.db"


@pytest.fixture
def url(db_path: Path) -> str:
    return f"sqlite:///{db_path}"


@pytest.fixture
def store(url: str):
    with Store(url, flush_interval=0.05) as store:
        yield store


@pytest.fixture
def repo(store: Store) -> RepoRecord:
    return store.ensure_repo("/src/app", "main")


@pytest.fixture
def worktree(store: Store, repo: RepoRecord) -> WorktreeRecord:
    return store.add_worktree(repo.id, "auth", "/wt/auth", "clct/auth", "main")


@pytest.fixture
def agent(store: Store, repo: RepoRecord, worktree: WorktreeRecord) -> AgentRecord:
    return store.add_agent(repo.id, worktree.id, "auth", "sonnet", "acceptEdits")


@pytest.fixture
def run(store: Store, agent: AgentRecord) -> RunRecord:
    return store.start_run(agent.id, "add a login page", "task")


def text(chunk: str, block: str = "m1:0", kind: EventKind = EventKind.TEXT) -> TranscriptEvent:
    return TranscriptEvent(kind, chunk, {"block": block})


def raw(db_path: Path, sql: str, *params: Any) -> list[tuple]:
    """Read through a connection of our own, as a second process would."""
    db = sqlite3.connect(db_path)
    try:
        return db.execute(sql, params).fetchall()
    finally:
        db.close()
