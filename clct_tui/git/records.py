"""What the git layer reports: plain, frozen records."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class WorktreeInfo:
    name: str
    path: Path
    branch: str
    base: str
    head: str
    is_main: bool = False


@dataclass(frozen=True)
class FileChange:
    path: str
    status: str  # added | modified | deleted | renamed | untracked | conflicted


@dataclass(frozen=True)
class WorktreeStatus:
    name: str
    branch: str
    base: str
    changed: list[FileChange]
    ahead: int
    behind: int
    unmerged: int = 0  # commits in neither the base nor the main checkout's branch: work removal would lose

    @property
    def dirty(self) -> bool:
        return bool(self.changed)

    @property
    def changed_count(self) -> int:
        return len(self.changed)


@dataclass(frozen=True)
class FileDiff:
    path: str
    status: str
    additions: int
    deletions: int
    patch: str


@dataclass(frozen=True)
class WorktreeDiff:
    name: str
    base: str
    files: list[FileDiff]
    patch: str

    @property
    def additions(self) -> int:
        return sum(f.additions for f in self.files)

    @property
    def deletions(self) -> int:
        return sum(f.deletions for f in self.files)


@dataclass(frozen=True)
class MergeResult:
    name: str
    strategy: str
    into: str
    commit: str | None
    message: str
