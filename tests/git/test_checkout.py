"""Adding a worktree with checkout filters off when none can apply, and on when one can."""

from __future__ import annotations

import os

from .conftest import commit_file, git


def test_a_new_worktree_is_clean_on_its_branch_and_leaves_no_placeholder_branch(wm, repo):
    commit_file(repo, "src.py", "print('hi')\n")
    info = wm.create_worktree("feature")
    assert git(info.path, "status", "--porcelain") == ""
    assert git(info.path, "branch", "--show-current") == "feature"
    assert (info.path / "src.py").read_text() == "print('hi')\n"
    assert git(repo, "branch", "--format=%(refname:short)").split() == ["feature", "main"]


def test_a_gitattributes_filter_still_applies_in_a_new_worktree(wm, repo):
    commit_file(repo, ".gitattributes", "*.txt text eol=crlf\n")
    commit_file(repo, "notes.txt", "one\ntwo\n")
    info = wm.create_worktree("crlf")
    assert (info.path / "notes.txt").read_bytes() == b"one\r\ntwo\r\n"
    assert git(info.path, "status", "--porcelain") == ""


def test_core_autocrlf_still_applies_in_a_new_worktree(wm, repo):
    commit_file(repo, "notes.txt", "one\ntwo\n")
    git(repo, "config", "core.autocrlf", "true")
    info = wm.create_worktree("autocrlf")
    assert (info.path / "notes.txt").read_bytes() == b"one\r\ntwo\r\n"


def test_an_executable_file_keeps_its_mode_in_a_new_worktree(wm, repo):
    commit_file(repo, "run.sh", "#!/bin/sh\necho hi\n")
    os.chmod(repo / "run.sh", 0o755)
    git(repo, "commit", "-q", "-am", "executable")
    info = wm.create_worktree("modes")
    assert os.access(info.path / "run.sh", os.X_OK)
    assert git(info.path, "status", "--porcelain") == ""
