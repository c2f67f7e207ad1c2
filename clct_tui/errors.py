"""Errors a person can read: every one names the problem and what to do.

They live at the bottom of the layers so git, agents, store, the orchestrator
and the front ends all raise and catch the same types.
"""

from __future__ import annotations


class ClctError(Exception):
    """Base of every error clct reports to a person (never as a traceback)."""


class ConfigError(ClctError):
    """A configuration value is wrong; the message names the key and its source."""

    def __init__(self, key: str, source: str, problem: str) -> None:
        self.key = key
        self.source = source
        self.problem = problem
        super().__init__(f"config {key!r} from {source}: {problem}")


class GitError(ClctError):
    """A git operation could not be done (not a repository, bad ref, ...)."""


class InvalidNameError(GitError):
    """A worktree or branch name that cannot be used."""


class WorktreeExistsError(GitError):
    """The worktree or branch already exists."""


class WorktreeNotFoundError(GitError):
    """No worktree of that name is managed by clct."""


class UnsafeRemovalError(GitError):
    """Removing would lose uncommitted changes or unmerged commits."""


class MergeConflictError(GitError):
    """A merge or rebase would conflict; nothing was changed."""

    def __init__(self, message: str, paths: list[str]) -> None:
        self.paths = list(paths)
        super().__init__(message)


class AgentError(ClctError):
    """An agent could not be started or driven."""


class CLINotFoundError(AgentError):
    """The Claude Code CLI binary is missing."""


class CLIConnectionError(AgentError):
    """The CLI could not be started, or is not logged in."""


class AgentBusyError(AgentError):
    """Another clct process is running the agent: it must not run twice in one worktree."""


class StoreError(ClctError):
    """The database could not be opened or written."""


class TaskGraphError(ClctError):
    """A task graph is invalid: cycle, unknown dependency, duplicate name."""


class TaskFileError(ClctError):
    """A task file is missing or malformed."""


class BudgetExceededError(ClctError):
    """Starting more work would spend past a budget."""


class NotFoundError(ClctError):
    """An agent, run or session id that does not exist."""


class TransientAgentError(AgentError):
    """A failure worth retrying: the CLI process died, or the API was overloaded or rate limited."""


class NotOpenError(ClctError):
    """The engine was used before open() (or after shutdown)."""

    def __init__(self) -> None:
        super().__init__("the orchestrator is not open; call open() or use 'async with'")
