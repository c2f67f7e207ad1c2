"""clct: run many Claude Code agents at once, each in its own git worktree."""

__version__ = "0.1.0"
