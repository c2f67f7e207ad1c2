"""The agents layer: Claude Code conversations through claude-agent-sdk. Knows nothing of git or storage.

Importing the SDK takes ~0.4 s, so ``AgentDriver`` is loaded on first use: commands
that never start an agent (``clct list``, ``history``…) do not pay for it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from clct_tui.agents.health import CLIStatus, cli_status, find_cli
from clct_tui.agents.options import AgentOptions

if TYPE_CHECKING:
    from clct_tui.agents.driver import AgentDriver

__all__ = ["AgentDriver", "AgentOptions", "CLIStatus", "cli_status", "find_cli", "load_driver"]


def load_driver() -> type[AgentDriver]:
    """The driver class, importing the SDK if this is the first time (call it off the event loop)."""
    from clct_tui.agents.driver import AgentDriver

    return AgentDriver


def __getattr__(name: str) -> Any:
    if name == "AgentDriver":
        return load_driver()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
