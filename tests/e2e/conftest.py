"""Fixtures for end-to-end tests: the real Claude Code CLI against a scripted Messages API.

- ``isolated_env`` (autouse): HOME, CLAUDE_CONFIG_DIR and the XDG folders point at a temporary
  folder, so neither the CLI nor clct reads or writes the user's own state.
- ``scripted_api``: a started ScriptedAPI whose variables are set in the environment the CLI inherits.
- ``git_repo``: a real repository with one commit on ``main``.
- ``config``: a Config whose worktrees and database live in the test's temporary folder;
  ``rows(config, sql)`` reads that database back.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
from pathlib import Path

import pytest

from clct_tui import Config
from clct_tui.testing.home import home_env
from clct_tui.testing.scripted_api import ScriptedAPI


@pytest.fixture(autouse=True)
def isolated_env(tmp_path, monkeypatch):
    home = tmp_path / "home"
    for key, value in home_env(home).items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("TZ", "UTC")
    for var in [v for v in os.environ if v.startswith("CLCT_")]:
        monkeypatch.delenv(var)
    return home


@pytest.fixture
def scripted_api(monkeypatch):
    api = ScriptedAPI().start()
    for key, value in api.env().items():
        monkeypatch.setenv(key, value)
    yield api
    api.stop()


def make_repo(path: Path, branch: str = "main") -> Path:
    path.mkdir(parents=True, exist_ok=True)
    run = lambda *args: subprocess.run(["git", *args], cwd=path, check=True, capture_output=True)
    run("init", "-q", "-b", branch)
    run("config", "user.name", "Test Person")
    run("config", "user.email", "test@example.com")
    (path / "README.md").write_text("# a project\n")
    run("add", "README.md")
    run("commit", "-q", "-m", "first commit")
    return path


@pytest.fixture
def git_repo(tmp_path) -> Path:
    return make_repo(tmp_path / "repo")


def make_config(tmp_path: Path, **overrides) -> Config:
    """Worktrees and database in the test's folder, short retries; ``overrides`` change any setting."""
    settings = dict(
        max_concurrent_instances=2,
        worktree_base_path=tmp_path / "worktrees",
        database_url=f"sqlite:///{tmp_path / 'history.db'}",
        instance_timeout=60,
        retry_base_delay=0.1,
    )
    return Config(**{**settings, **overrides})


@pytest.fixture
def config(tmp_path) -> Config:
    return make_config(tmp_path)


def rows(config: Config, sql: str, params: tuple = ()) -> list[tuple]:
    """Read the test's database directly, as another process would."""
    path = config.database_url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as db:
        return db.execute(sql, params).fetchall()
