"""The git layer: worktrees on pygit2. Knows nothing of agents or storage."""

from clct_tui.git.records import (
    FileChange,
    FileDiff,
    MergeResult,
    WorktreeDiff,
    WorktreeInfo,
    WorktreeStatus,
)
from clct_tui.git.worktrees import STRATEGIES, WorktreeManager

__all__ = [
    "STRATEGIES",
    "FileChange",
    "FileDiff",
    "MergeResult",
    "WorktreeDiff",
    "WorktreeInfo",
    "WorktreeManager",
    "WorktreeStatus",
]
