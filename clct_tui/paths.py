"""Every location clct uses, resolved in one place (platformdirs, app "clct").

Functions rather than constants: tests and users move XDG_* at run time.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import platformdirs

APP = "clct"


def user_config_dir() -> Path:
    return Path(platformdirs.user_config_dir(APP, appauthor=False))


def user_data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP, appauthor=False))


def config_file() -> Path:
    return user_config_dir() / "config.toml"


def user_themes_dir() -> Path:
    return user_config_dir() / "themes"


def default_database_url() -> str:
    return f"sqlite:///{user_data_dir() / 'history.db'}"


def default_worktree_base() -> Path:
    return user_data_dir() / "worktrees"


def repo_worktree_folder(base: Path, repo_path: Path) -> Path:
    """One folder per repository: its name plus a short hash of its full path (two `app` repos differ)."""
    resolved = Path(repo_path).resolve()
    digest = hashlib.sha1(str(resolved).encode()).hexdigest()[:8]
    return Path(base) / f"{resolved.name}-{digest}"
