"""The agents layer: Claude Code conversations through claude-agent-sdk. Knows nothing of git or storage."""

from clct_tui.agents.driver import AgentDriver, AgentOptions
from clct_tui.agents.health import CLIStatus, cli_status, find_cli

__all__ = ["AgentDriver", "AgentOptions", "CLIStatus", "cli_status", "find_cli"]
