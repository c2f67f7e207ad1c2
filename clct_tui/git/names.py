"""Names become branch and folder names only after this check."""

from __future__ import annotations

import pygit2

from clct_tui.errors import InvalidNameError

MAX_NAME = 100
MAX_BRANCH_BYTES = 250


def _is_text(value: str) -> bool:
    try:
        value.encode("utf-8")  # lone surrogates: bytes that were not UTF-8; git and the database take text
    except UnicodeEncodeError:
        return False
    return True


def check_branch(branch: str) -> str:
    if branch and not _is_text(branch):
        raise InvalidNameError(f"branch name {branch!r} holds bytes that are not UTF-8 text")
    if not branch or not pygit2.reference_is_valid_name(f"refs/heads/{branch}") or branch.startswith("-"):
        raise InvalidNameError(f"{branch!r} is not a valid git branch name")
    if len(branch.encode()) > MAX_BRANCH_BYTES:  # git stores a branch as a file: NAME_MAX is 255 bytes
        raise InvalidNameError(f"branch name {branch[:40]!r}… is {len(branch.encode())} bytes long; "
                               f"at most {MAX_BRANCH_BYTES} are allowed")
    if branch == "HEAD":  # a valid ref under refs/heads, but git refuses it: it would shadow HEAD
        raise InvalidNameError("'HEAD' is not a valid git branch name")
    if any(c.isspace() for c in branch):
        raise InvalidNameError(f"branch name {branch!r} contains whitespace")
    return branch


def check_name(name: str) -> str:
    """A worktree name: one path segment that is also a valid branch name."""
    if not name:
        raise InvalidNameError("the worktree name is empty")
    if not _is_text(name):
        raise InvalidNameError(f"worktree name {name!r} holds bytes that are not UTF-8 text")
    if len(name) > MAX_NAME:
        raise InvalidNameError(f"the worktree name is {len(name)} characters long; at most {MAX_NAME} are allowed")
    if name in (".", "..") or "/" in name or "\\" in name:
        raise InvalidNameError(f"worktree name {name!r} must be a single folder name (no '/', '\\\\', '.' or '..')")
    if any(c.isspace() or ord(c) < 32 for c in name):
        raise InvalidNameError(f"worktree name {name!r} contains whitespace or control characters")
    if name.startswith("-"):
        raise InvalidNameError(f"worktree name {name!r} must not start with '-'")
    try:
        check_branch(name)
    except InvalidNameError:
        raise InvalidNameError(f"worktree name {name!r} is not usable as a git branch name") from None
    return name
