"""A throw-away home for clct and the Claude Code CLI it starts, so neither reads nor writes the user's own."""

from __future__ import annotations

import os
from pathlib import Path


def home_env(home: Path) -> dict[str, str]:
    """HOME, CLAUDE_CONFIG_DIR and the XDG folders, all under ``home`` (which is created)."""
    home.mkdir(parents=True, exist_ok=True)
    env = {"HOME": str(home), "CLAUDE_CONFIG_DIR": str(home / ".claude")}
    for name in ("CONFIG", "DATA", "CACHE", "STATE"):
        env[f"XDG_{name}_HOME"] = str(home / f".xdg-{name.lower()}")
    return env


def isolate(home: Path) -> None:
    """Point this process at ``home`` and forget the user's CLCT_* settings."""
    os.environ.update(home_env(home))
    for var in [v for v in os.environ if v.startswith("CLCT_")]:
        del os.environ[var]
