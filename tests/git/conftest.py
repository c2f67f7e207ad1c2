from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from clct_tui.git import WorktreeManager


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


def make_repo(path: Path, branch: str = "main") -> Path:
    path.mkdir(parents=True)
    git(path, "init", "-q", "-b", branch)
    git(path, "config", "user.name", "Test Person")
    git(path, "config", "user.email", "test@example.com")
    (path / "README.md").write_text("# project\n")
    (path / ".gitignore").write_text(".env\n")
    git(path, "add", ".")
    git(path, "commit", "-q", "-m", "first")
    return path


def commit_file(cwd: Path, name: str, content: str, message: str | None = None) -> None:
    (cwd / name).write_text(content)
    git(cwd, "add", name)
    git(cwd, "commit", "-q", "-m", message or f"add {name}")


@pytest.fixture
def repo(tmp_path) -> Path:
    return make_repo(tmp_path / "repo")


@pytest.fixture
def wm(repo, tmp_path) -> WorktreeManager:
    return WorktreeManager(repo, tmp_path / "worktrees")
