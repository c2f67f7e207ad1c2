"""Adding a worktree as fast as `git worktree add`.

libgit2 checks out every file through its filter list (end-of-line conversion, ident, custom
filters), and loading that list resolves the attributes of each path with a realpath() of its
folder: a readlink() per path component, per file. On a 20,000-file repository that made
`add_worktree` ~1.7× slower than `git worktree add`. When nothing can set a filter — no
.gitattributes in the tree, no info/attributes, no user or system attributes file, no
core.autocrlf — every filter is a no-op, so the files are checked out with filters off.

pygit2 has no option for that on `add_worktree`, whose own checkout cannot be skipped, so the
worktree is added on a placeholder branch whose commit has an empty tree (nothing to check out),
then pointed at the real branch and checked out through libgit2's checkout with filters off.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import pygit2
from pygit2 import C, ffi
from pygit2.callbacks import git_checkout_options
from pygit2.enums import CheckoutStrategy

from clct_tui.git.locks import when_unlocked

# A fixed author and time make the placeholder the same object every time: one tiny object, ever.
_PLACEHOLDER_SIGNATURE = pygit2.Signature("clct", "clct@localhost", 0, 0)


def add_worktree(repo: pygit2.Repository, name: str, path: Path, branch: pygit2.Branch) -> None:
    """``repo.add_worktree(name, path, branch)``, with the checkout done without filters when none can apply."""
    tree = branch.peel(pygit2.Tree)
    if filters_may_apply(repo, tree):
        _add(repo, name, path, branch)
        return
    placeholder = _placeholder_branch(repo)
    try:
        _add(repo, name, path, placeholder)
        worktree = pygit2.Repository(str(path))
        worktree.set_head(branch.name)
    finally:
        when_unlocked(placeholder.delete)  # a branch deleted drops its section of .git/config: a shared lock
    try:
        _checkout_without_filters(worktree, tree)
    except BaseException:
        # Half-written files under a valid worktree record: take the worktree back, as git would.
        shutil.rmtree(path, ignore_errors=True)
        repo.lookup_worktree(name).prune(True)
        raise


def _add(repo: pygit2.Repository, name: str, path: Path, branch: pygit2.Branch) -> None:
    try:
        repo.add_worktree(name, str(path), branch)
    except pygit2.GitError as exc:
        # libgit2 makes .git/worktrees and fails if another process made it in the meantime (two clct
        # processes adding their first worktrees at once); it exists now, so once more succeeds.
        if "directory exists" not in str(exc):
            raise
        repo.add_worktree(name, str(path), branch)


def filters_may_apply(repo: pygit2.Repository, tree: pygit2.Tree) -> bool:
    """True when some attribute or setting could make a checkout filter change a file."""
    try:
        if repo.config.get_bool("core.autocrlf"):
            return True
    except (KeyError, pygit2.GitError, ValueError):
        # Unset is false; "input" is not a boolean and converts line endings too.
        if "core.autocrlf" in repo.config:
            return True
    candidates = [Path(repo.path) / "info" / "attributes", Path("/etc/gitattributes")]
    if "core.attributesFile" in repo.config:
        candidates.append(Path(os.path.expanduser(repo.config["core.attributesFile"])))
    config_home = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    candidates.append(Path(config_home) / "git" / "attributes")
    if any(p.is_file() for p in candidates):
        return True
    return _tree_has_attributes(tree)


def _tree_has_attributes(tree: pygit2.Tree) -> bool:
    pending = [tree]
    while pending:
        current = pending.pop()
        if ".gitattributes" in current:
            return True
        pending.extend(entry for entry in current if isinstance(entry, pygit2.Tree))
    return False


def _placeholder_branch(repo: pygit2.Repository) -> pygit2.Branch:
    empty_tree = repo.TreeBuilder().write()
    commit = repo.create_commit(None, _PLACEHOLDER_SIGNATURE, _PLACEHOLDER_SIGNATURE,
                                "clct: placeholder for adding a worktree", empty_tree, [])
    return repo.branches.local.create(f"clct-placeholder-{uuid.uuid4().hex[:12]}", repo[commit])


def _checkout_without_filters(worktree: pygit2.Repository, tree: pygit2.Tree) -> None:
    # Repository.checkout_tree with one more option set: pygit2 does not expose disable_filters.
    with git_checkout_options(strategy=CheckoutStrategy.FORCE) as payload:
        payload.checkout_options.disable_filters = 1
        pointer = ffi.new("git_object **")
        ffi.buffer(pointer)[:] = worktree[tree.id]._pointer[:]
        payload.check_error(C.git_checkout_tree(worktree._repo, pointer[0], payload.checkout_options))
