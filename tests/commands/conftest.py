"""Fixtures for the headless commands: every `clct` call is a new process.

- ``scripted_api``: the scripted Messages API of the end-to-end tests, started in this process;
  its ``requests`` show what the real Claude Code CLI (run by the `clct` subprocess) sent.
- ``git_repo``: a real repository with one commit on ``main`` (``make_repo`` makes others).
- ``clct``: runs ``python -m clct_tui.cli ARGS`` in the repository with an environment of its own:
  HOME, CLAUDE_CONFIG_DIR and XDG folders in the test's temporary folder, its own database
  (CLCT_DATABASE_URL) and worktree folder (CLCT_WORKTREE_BASE_PATH), the API pointed at the
  scripted server. Every call asserts that nothing printed a traceback.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from clct_tui.paths import repo_worktree_folder
from clct_tui.testing.home import home_env
from clct_tui.testing.scripted_api import ScriptedAPI
from tests.e2e.conftest import make_repo

__all__ = ["make_repo"]


@dataclass
class Result:
    args: list[str]
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)

    def __str__(self) -> str:  # what a failed assertion shows
        return f"clct {' '.join(self.args)} -> {self.code}\n--- stdout\n{self.out}\n--- stderr\n{self.err}"


class Clct:
    """The `clct` command, run as a subprocess against one repository, database and worktree folder."""

    def __init__(self, env: dict[str, str], repo: Path, home: Path) -> None:
        self.env = env
        self.repo = repo
        self.home = home
        self.database = home / "history.db"
        self.worktree_base = home / "worktrees"
        env["CLCT_DATABASE_URL"] = f"sqlite:///{self.database}"
        env["CLCT_WORKTREE_BASE_PATH"] = str(self.worktree_base)

    def argv(self, *args: Any) -> list[str]:
        return [sys.executable, "-m", "clct_tui.cli", *map(str, args)]

    def __call__(self, *args: Any, cwd: Path | None = None, env: dict[str, str] | None = None,
                 timeout: float = 90) -> Result:
        proc = subprocess.run(
            self.argv(*args), cwd=cwd or self.repo, env=env or self.env, capture_output=True, text=True,
            timeout=timeout,
        )
        result = Result([str(a) for a in args], proc.returncode, proc.stdout, proc.stderr)
        assert "Traceback" not in proc.stderr, str(result)
        return result

    def ok(self, *args: Any, **kwargs: Any) -> Result:
        result = self(*args, **kwargs)
        assert result.code == 0, str(result)
        return result

    def each(self, *calls: list[Any] | tuple[Any, ...]) -> list[Result]:
        """Several independent calls at once (each a new process, as a script in parallel would run them)."""
        with ThreadPoolExecutor(max_workers=3) as pool:
            return list(pool.map(lambda args: self(*args), calls))

    def create(self, name: str, *args: Any, repo: Path | None = None) -> str:
        result = self.ok("create", "-n", name, *args, cwd=repo)
        agent_id = result.out.strip()
        assert len(agent_id) == 32 and agent_id.isalnum(), str(result)
        return agent_id

    def worktree(self, name: str, repo: Path | None = None) -> Path:
        return repo_worktree_folder(self.worktree_base, repo or self.repo) / name

    def rows(self, sql: str, *params: Any) -> list[tuple]:
        with sqlite3.connect(self.database) as db:
            return db.execute(sql, params).fetchall()


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


def commit_file(worktree: Path, name: str, content: str = "work\n") -> None:
    """Work of the kind an agent leaves: a committed file on the worktree's branch."""
    (worktree / name).write_text(content)
    git(worktree, "add", name)
    git(worktree, "commit", "-q", "-m", f"add {name}")


@pytest.fixture
def scripted_api():
    api = ScriptedAPI().start()
    yield api
    api.stop()


@pytest.fixture
def git_repo(tmp_path) -> Path:
    return make_repo(tmp_path / "repo")


def isolated_env(home: Path, api: ScriptedAPI | None) -> dict[str, str]:
    """The process environment without the user's clct, Claude or API settings, plus the test's own."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("CLCT_", "ANTHROPIC_", "CLAUDE_", "XDG_"))}
    env.update(home_env(home), TZ="UTC", PYTHONUNBUFFERED="1", CLCT_INSTANCE_TIMEOUT="60", CLCT_RETRY_BASE_DELAY="0.1")
    if api is not None:
        env.update(api.env())
    return env


@pytest.fixture
def clct(tmp_path, scripted_api, git_repo) -> Clct:
    home = tmp_path / "home"
    return Clct(isolated_env(home, scripted_api), git_repo, home)
