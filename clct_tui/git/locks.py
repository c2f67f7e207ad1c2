"""Git writes another process may be making at the same moment.

libgit2 (like git) takes a lock file for each write — ``.git/config.lock`` for a setting, a branch
deleted or a placeholder dropped — and fails at once when that file exists. One clct runs its git
operations one at a time, but two clct processes on one repository (or a `git` command beside
one) still meet on ``.git/config``: such writes wait a moment for the lock and try again, like
SQLite's busy timeout, and give a clear error if it never comes free.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

import pygit2

from clct_tui.errors import GitError

T = TypeVar("T")
LOCK_PATIENCE = 5.0  # seconds a write waits for another process's lock


def is_locked(error: pygit2.GitError) -> bool:
    """libgit2 could not take a lock file because it exists (held by someone else)."""
    text = str(error)  # "failed to lock file '….lock' for writing", "failed to create locked file '….lock': File exists"
    return ".lock'" in text and ("failed to lock" in text or "locked file" in text)


def when_unlocked(write: Callable[[], T], patience: float = LOCK_PATIENCE) -> T:
    """Run ``write``, trying again while another process holds the lock it needs."""
    deadline = time.monotonic() + patience
    pause = 0.01
    while True:
        try:
            return write()
        except pygit2.GitError as exc:
            if not is_locked(exc):
                raise
            if time.monotonic() > deadline:
                raise GitError(f"{exc}; another git process holds that lock (if none runs, one that crashed "
                               "left it behind: remove the .lock file)") from None
            time.sleep(pause)
            pause = min(pause * 2, 0.2)
