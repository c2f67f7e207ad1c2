"""clct: run many Claude Code agents at once, each in its own git worktree.

The library API::

    from clct_tui import Orchestrator, Config
"""

from __future__ import annotations

from typing import TYPE_CHECKING

__version__ = "0.1.0"
__all__ = ["ClaudeInstance", "Config", "Orchestrator", "SessionManager", "TaskSpec", "WorktreeManager"]

if TYPE_CHECKING:
    from clct_tui.config import Config
    from clct_tui.git import WorktreeManager
    from clct_tui.orchestrator import (
        ClaudeInstance,
        Orchestrator,
        SessionManager,
        TaskSpec,
    )


def __getattr__(name: str):
    # Lazy, so `clct --help` and the app's first frame do not pay for importing the whole engine.
    if name == "Config":
        from clct_tui.config import Config

        return Config
    if name == "WorktreeManager":
        from clct_tui.git import WorktreeManager

        return WorktreeManager
    if name in {"Orchestrator", "SessionManager", "ClaudeInstance", "TaskSpec"}:
        from clct_tui import orchestrator

        return getattr(orchestrator, name)
    raise AttributeError(f"module 'clct_tui' has no attribute {name!r}")
