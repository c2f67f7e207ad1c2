"""The git layer: worktrees on pygit2. Knows nothing of agents or storage."""

from clct_tui.git.records import FileChange, FileDiff, MergeResult, WorktreeDiff, WorktreeInfo, WorktreeStatus
from clct_tui.git.worktrees import STRATEGIES, WorktreeManager

__all__ = ["FileChange", "FileDiff", "MergeResult", "STRATEGIES", "WorktreeDiff", "WorktreeInfo",
           "WorktreeManager", "WorktreeStatus"]
