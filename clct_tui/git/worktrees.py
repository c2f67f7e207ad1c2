"""WorktreeManager: git worktrees for agents, on pygit2."""

from __future__ import annotations

import contextlib
import shutil
from pathlib import Path

import pygit2
from pygit2.enums import CheckoutStrategy, FileStatus, RepositoryState

from clct_tui.errors import (
    GitError,
    MergeConflictError,
    UnsafeRemovalError,
    WorktreeExistsError,
    WorktreeNotFoundError,
)
from clct_tui.git.checkout import add_worktree
from clct_tui.git.history import commits_between, merge_tree, replay, signature
from clct_tui.git.locks import when_unlocked
from clct_tui.git.names import check_branch, check_name
from clct_tui.git.records import (
    FileChange,
    FileDiff,
    MergeResult,
    WorktreeDiff,
    WorktreeInfo,
    WorktreeStatus,
)

STRATEGIES = ("merge", "squash", "rebase")
_DIFF_FLAGS = (
    pygit2.enums.DiffOption.INCLUDE_UNTRACKED
    | pygit2.enums.DiffOption.RECURSE_UNTRACKED_DIRS
    | pygit2.enums.DiffOption.SHOW_UNTRACKED_CONTENT
)
_STATUS_NAMES = [
    (FileStatus.CONFLICTED, "conflicted"),
    (FileStatus.WT_NEW, "untracked"),
    (FileStatus.INDEX_NEW, "added"),
    (FileStatus.INDEX_DELETED | FileStatus.WT_DELETED, "deleted"),
    (FileStatus.INDEX_RENAMED | FileStatus.WT_RENAMED, "renamed"),
]
_DELTA_NAMES = {"A": "added", "D": "deleted", "M": "modified", "R": "renamed", "?": "added", "T": "modified"}


def _status_name(flags: int) -> str:
    for mask, name in _STATUS_NAMES:
        if flags & mask:
            return name
    return "modified"


class WorktreeManager:
    """Create, inspect, commit, merge and remove the worktrees clct manages under ``base_path``."""

    def __init__(self, repo_path: str | Path, base_path: str | Path) -> None:
        found = pygit2.discover_repository(str(Path(repo_path).expanduser()))
        if found is None:
            raise GitError(f"{repo_path} is not inside a git repository (run `git init` there, or pick another folder)")
        repo = pygit2.Repository(found)
        if repo.is_bare:
            raise GitError(f"{found} is a bare repository: it has no working tree, and clct needs one to branch "
                           "worktrees from; clone it first")
        if repo.workdir is None:
            raise GitError(f"{found} has no working tree")
        # A path inside a linked worktree discovers that worktree: use its main repository instead.
        common = Path(repo.path).resolve()
        if common.parent.name == "worktrees":
            repo = pygit2.Repository(str(common.parent.parent))
        self.repo = repo
        self.repo_path = Path(repo.workdir).resolve()
        self.base_path = Path(base_path).expanduser().resolve()

    # -- refs -------------------------------------------------------------------------

    def current_branch(self) -> str | None:
        if self.repo.head_is_unborn or self.repo.head_is_detached:
            return None
        return self.repo.head.shorthand

    def branch_exists(self, branch: str) -> bool:
        return self.repo.branches.local.get(branch) is not None

    def branches(self) -> list[str]:
        return sorted(self.repo.branches.local)

    def resolve_base(self, base: str | None) -> str:
        """A branch name or a commit id that exists; None means where HEAD is now."""
        if self.repo.head_is_unborn:
            raise GitError(f"the repository {self.repo_path} has no commits yet; commit something first")
        if base is None:
            rebasing = _rebased_branch(self.repo)
            if rebasing is not None and self.repo.head_is_detached:
                # HEAD is a half-rebased commit: not something anyone means to start an agent from.
                raise GitError(f"{self.repo_path} is in the middle of a rebase of {rebasing or 'HEAD'}; finish it "
                               "(git rebase --continue) or abort it (git rebase --abort), or name a base branch")
            return self.current_branch() or str(self.repo.head.target)
        try:
            if self.branch_exists(base):
                return base
            commit = self.repo.revparse_single(base).peel(pygit2.Commit)
        except (KeyError, ValueError, pygit2.GitError, pygit2.InvalidSpecError):  # UnicodeError is a ValueError
            known = ", ".join(self.branches()[:10])
            raise GitError(f"base {base!r} is neither a branch nor a commit here; branches: {known}") from None
        return str(commit.id)

    def _is_commit(self, ref: str) -> bool:
        try:
            self.repo.revparse_single(ref).peel(pygit2.Commit)
        except (KeyError, ValueError, pygit2.GitError):
            return False
        return True

    def _tip(self, ref: str) -> pygit2.Oid:
        branch = self.repo.branches.local.get(ref)
        if branch is not None:
            return branch.target
        try:
            return self.repo.revparse_single(ref).peel(pygit2.Commit).id
        except (KeyError, ValueError, pygit2.GitError):
            raise GitError(f"{ref!r} no longer exists (deleted or moved outside clct?)") from None

    # -- config stored beside each branch, so no database is needed to know a base ------------

    def _get(self, branch: str, key: str) -> str | None:
        try:
            return self.repo.config[f"branch.{branch}.{key}"]
        except KeyError:
            return None

    def _set(self, branch: str, key: str, value: str) -> None:
        when_unlocked(lambda: self.repo.config.__setitem__(f"branch.{branch}.{key}", value))

    def _unset(self, branch: str) -> None:
        def drop() -> None:
            for key in ("clctbase", "clctcreated"):
                with contextlib.suppress(KeyError):
                    del self.repo.config[f"branch.{branch}.{key}"]

        when_unlocked(drop)  # a retry after a lock skips what the first try already dropped

    # -- worktrees -------------------------------------------------------------------

    def _path(self, name: str) -> Path:
        path = (self.base_path / name).resolve()
        if path.parent != self.base_path:  # check_name makes this impossible; belt and braces
            raise GitError(f"worktree {name!r} would escape {self.base_path}")
        return path

    def create_worktree(self, name: str, branch: str | None = None, base: str | None = None,
                        reuse: bool = False) -> WorktreeInfo:
        check_name(name)
        branch = check_branch(branch or name)
        path = self._path(name)
        if name in self.repo.list_worktrees():
            wt = self.repo.lookup_worktree(name)
            if not wt.is_prunable:
                raise WorktreeExistsError(f"worktree {name!r} already exists at {wt.path}")
            wt.prune(True)  # a record left behind by a folder deleted by hand
        if path.exists():
            raise WorktreeExistsError(f"folder {path} already exists")
        resolved_base = self.resolve_base(base)
        existing = self.repo.branches.local.get(branch)
        if existing is not None and not reuse:
            raise WorktreeExistsError(f"branch {branch!r} already exists; choose another name or branch "
                                      "(from Python, reuse=True works on it)")
        if existing is not None and existing.is_checked_out():
            raise WorktreeExistsError(f"branch {branch!r} is checked out elsewhere; two agents cannot share it")
        created = existing is None
        # The settings first: .git/config is the file another process may hold locked, and should
        # it stay locked, nothing has been made yet.
        self._set(branch, "clctbase", resolved_base)
        if created:
            self._set(branch, "clctcreated", "true")
            try:
                existing = self.repo.branches.local.create(branch, self.repo[self._tip(resolved_base)])
            except pygit2.GitError as exc:  # a name libgit2 refuses that check_branch let through
                with contextlib.suppress(GitError):
                    self._unset(branch)
                raise GitError(f"could not create branch {branch!r}: {exc}") from None
        self.base_path.mkdir(parents=True, exist_ok=True)
        try:
            add_worktree(self.repo, name, path, existing)
        except (pygit2.GitError, GitError) as exc:
            if created:
                with contextlib.suppress(pygit2.GitError, GitError):
                    when_unlocked(existing.delete)
                    self._unset(branch)
            raise GitError(f"could not create worktree {name!r}: {exc}") from None
        self._copy_included_files(path)
        return self.get_worktree(name)

    def _copy_included_files(self, target: Path) -> None:
        """Copy ignored files named in .worktreeinclude (e.g. .env) into a new worktree."""
        include = self.repo_path / ".worktreeinclude"
        if not include.is_file():
            return
        patterns = [p.strip() for p in include.read_text(errors="replace").splitlines()
                    if p.strip() and not p.strip().startswith("#")]
        for pattern in patterns:
            for source in self.repo_path.glob(pattern.lstrip("/")):
                rel = source.relative_to(self.repo_path)
                if ".git" in rel.parts or not self.repo.path_is_ignored(str(rel)):
                    continue
                files = [source] if source.is_file() else [p for p in source.rglob("*") if p.is_file()]
                for file in files:
                    dest = target / file.relative_to(self.repo_path)
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(file, dest)

    def _open(self, name: str) -> tuple[pygit2.Worktree, pygit2.Repository]:
        if name not in self.repo.list_worktrees():
            raise WorktreeNotFoundError(f"no worktree named {name!r}")
        wt = self.repo.lookup_worktree(name)
        if not Path(wt.path).resolve().is_relative_to(self.base_path):
            raise WorktreeNotFoundError(f"worktree {name!r} is not managed by clct")
        if wt.is_prunable or not Path(wt.path).is_dir():
            raise WorktreeNotFoundError(f"worktree {name!r}: its folder {wt.path} is gone (deleted by hand?)")
        return wt, pygit2.Repository(wt.path)

    def get_worktree(self, name: str) -> WorktreeInfo:
        wt, repo = self._open(name)
        if repo.head_is_unborn:
            # Its branch was deleted (git update-ref -d, another tool): HEAD names a branch that is gone.
            lost = str(repo.references["HEAD"].target).removeprefix("refs/heads/")
            raise GitError(f"worktree {name!r}: its branch {lost!r} was deleted outside clct; its files are still "
                           f"in {wt.path} (`git reflog` there finds its commits) — recreate the branch, or force "
                           "the removal")
        if repo.head_is_detached:
            branch = str(repo.head.target)
        else:
            branch = repo.head.shorthand
        base = self._get(branch, "clctbase") or self.current_branch() or ""
        return WorktreeInfo(name, Path(wt.path).resolve(), branch, base, str(repo.head.target))

    def list_worktrees(self) -> list[WorktreeInfo]:
        infos = []
        for name in sorted(self.repo.list_worktrees()):
            try:
                infos.append(self.get_worktree(name))
            except (GitError, pygit2.GitError):  # folder deleted, branch deleted: not usable as it is
                continue
        return infos

    def main_worktree(self) -> WorktreeInfo:
        branch = self.current_branch() or "(detached)"
        head = "" if self.repo.head_is_unborn else str(self.repo.head.target)
        return WorktreeInfo(self.repo_path.name, self.repo_path, branch, branch, head, is_main=True)

    def remove_worktree(self, name: str, force: bool = False) -> bool:
        """Remove the folder, the git record and the branch clct made. Refuses to lose work unless forced.

        True when the branch went too (it stays when clct did not make it, or when, its folder deleted by
        hand, the branch still has commits found nowhere else).
        """
        if name not in self.repo.list_worktrees():
            raise WorktreeNotFoundError(f"no worktree named {name!r}")
        wt = self.repo.lookup_worktree(name)
        path = Path(wt.path)
        branch = self._worktree_branch(name)
        if path.is_dir():
            if not force:
                status = self.status(name)
                problems = []
                if status.dirty:
                    problems.append(f"{status.changed_count} uncommitted change(s)")
                if status.unmerged:
                    main = self.current_branch() or "HEAD"
                    into = status.base if status.base == main else f"{status.base} or {main}"
                    problems.append(f"{status.unmerged} commit(s) not merged into {into}")
                if problems:
                    raise UnsafeRemovalError(f"worktree {name!r} has {' and '.join(problems)}; "
                                             "commit and merge them, or force the removal")
            shutil.rmtree(path)
        wt.prune(True)
        return bool(branch) and self.drop_branch(branch, force)

    def drop_branch(self, branch: str, force: bool = False) -> bool:
        """Delete a branch clct created and no checkout holds, unless it has commits found nowhere else.

        Forced, the commits go too. True when the branch was deleted.
        """
        if self._get(branch, "clctcreated") != "true":
            return False
        found = self.repo.branches.local.get(branch)
        if found is None:
            self._unset(branch)
            return False
        if found.is_checked_out() or (not force and self.status_ahead(branch)):
            return False
        when_unlocked(found.delete)  # deleting a branch drops its section of .git/config too
        self._unset(branch)
        return True

    def _worktree_branch(self, name: str) -> str | None:
        """The branch a worktree has checked out, read from its record (works with its folder gone)."""
        try:
            head = (Path(self.repo.path) / "worktrees" / name / "HEAD").read_text().strip()
        except OSError:
            return None
        return head.removeprefix("ref: refs/heads/") if head.startswith("ref: refs/heads/") else None

    def status_ahead(self, branch: str) -> int:
        """Commits of ``branch`` that removing it would lose: in neither its base nor the main checkout's HEAD."""
        return self._unmerged(self._tip(branch), self._get(branch, "clctbase"))

    def _unmerged(self, tip: pygit2.Oid, base: str | None) -> int:
        # Merged means reachable from the base it grew from, or from where the main checkout is now
        # (a session's child task branches from its parent, but is usually merged into main).
        counts = []
        for ref in (base, None if self.repo.head_is_unborn else str(self.repo.head.target)):
            if ref is None:
                continue
            try:
                counts.append(self.repo.ahead_behind(tip, self._tip(ref))[0])
            except GitError:
                continue
        return min(counts, default=0)

    def prune(self) -> list[str]:
        """Forget worktree records whose folders are gone."""
        pruned = []
        for name in self.repo.list_worktrees():
            wt = self.repo.lookup_worktree(name)
            if wt.is_prunable:
                wt.prune(True)
                pruned.append(name)
        return pruned

    # -- inspecting ------------------------------------------------------------------

    def status(self, name: str) -> WorktreeStatus:
        info = self.get_worktree(name)
        _, repo = self._open(name)
        changed = [FileChange(path, _status_name(flags)) for path, flags in sorted(repo.status().items())
                   if not flags & FileStatus.IGNORED]
        ahead = behind = 0
        head = self.repo.get(info.head).id
        if info.base:
            try:
                ahead, behind = self.repo.ahead_behind(head, self._tip(info.base))
            except GitError:
                pass
        return WorktreeStatus(name, info.branch, info.base, changed, ahead, behind, self._unmerged(head, info.base))

    def diff(self, name: str) -> WorktreeDiff:
        """Everything the worktree changed since it left its base: commits, uncommitted and new files."""
        info = self.get_worktree(name)
        _, repo = self._open(name)
        head = repo.head.target
        try:
            since = self.repo.merge_base(head, self._tip(info.base)) or head
        except GitError:
            since = head
        diff = repo[since].tree.diff_to_workdir(flags=_DIFF_FLAGS)
        diff.find_similar()
        files = []
        for patch in diff:
            delta = patch.delta
            _, additions, deletions = patch.line_stats
            files.append(FileDiff(delta.new_file.path, _DELTA_NAMES.get(delta.status_char(), "modified"),
                                  additions, deletions, patch.text or ""))
        return WorktreeDiff(name, info.base, files, diff.patch or "")

    # -- changing -----------------------------------------------------------------------

    def commit(self, name: str, message: str) -> str | None:
        """Commit every change in the worktree (new and deleted files too); None when there is nothing."""
        _, repo = self._open(name)
        index = repo.index
        index.add_all()
        index.write()
        tree = index.write_tree()
        parents = [] if repo.head_is_unborn else [repo.head.target]
        if parents and repo[parents[0]].tree.id == tree:
            return None
        sig = signature(repo)
        return str(repo.create_commit("HEAD", sig, sig, message.strip() or "clct: agent work", tree, parents))

    def merge(self, name: str, strategy: str = "merge", into: str | None = None) -> MergeResult:
        """Merge the worktree's commits into ``into`` (by default its base branch).

        A conflict changes nothing and names the paths.
        """
        if strategy not in STRATEGIES:
            raise GitError(f"unknown merge strategy {strategy!r}; use one of {', '.join(STRATEGIES)}")
        info = self.get_worktree(name)
        into = into or info.base
        if not self.branch_exists(into):
            if self._is_commit(into):
                raise GitError(f"{name!r} started from {into[:12]}, which is not a branch; there is nothing to merge "
                               "into")
            raise GitError(f"{name!r} started from branch {into!r}, which no longer exists (deleted outside clct?); "
                           "there is nothing to merge into")
        ours, theirs = self._tip(into), self._tip(info.branch)
        if ours == theirs or self.repo.descendant_of(ours, theirs):
            return MergeResult(name, strategy, into, None, f"{into} already has everything from {info.branch}")
        what = f"merging {info.branch} into {into}"
        sig = signature(self.repo)
        fast_forward = self.repo.descendant_of(theirs, ours)
        if strategy == "rebase":
            new = theirs if fast_forward else replay(
                self.repo, commits_between(self.repo, self.repo.merge_base(ours, theirs), theirs), ours, what)
        elif strategy == "squash":
            tree = self.repo[theirs].tree.id if fast_forward else merge_tree(self.repo, ours, theirs, what)
            subjects = [c.message.splitlines()[0] for c in commits_between(self.repo, ours, theirs) if c.message]
            message = f"Squashed {info.branch}\n\n" + "\n".join(f"* {s}" for s in subjects)
            new = self.repo.create_commit(None, sig, sig, message, tree, [ours])
        elif fast_forward:
            new = theirs
        else:
            tree = merge_tree(self.repo, ours, theirs, what)
            new = self.repo.create_commit(None, sig, sig, f"Merge branch '{info.branch}' into {into}", tree,
                                          [ours, theirs])
        self._move_branch(into, ours, new)
        if strategy == "rebase" and new != theirs:
            self._move_branch(info.branch, theirs, new)
        kind = "fast-forward" if fast_forward and strategy != "squash" else strategy
        return MergeResult(name, strategy, into, str(new), f"{kind}: {info.branch} into {into} at {str(new)[:8]}")

    def rebase_onto(self, name: str, new_base: str) -> str:
        """Replay the worktree's own commits onto ``new_base``'s tip (restacking a child task)."""
        info = self.get_worktree(name)
        head, target = self._tip(info.branch), self._tip(new_base)
        if self.repo.descendant_of(head, target) or head == target:
            return str(head)
        old_base = self._tip(info.base) if info.base else target
        since = self.repo.merge_base(head, old_base) or self.repo.merge_base(head, target)
        new = replay(self.repo, commits_between(self.repo, since, head), target, f"restacking {name} onto {new_base}")
        self._move_branch(info.branch, head, new)
        return str(new)

    def create_merged_base(self, name: str, branches: list[str]) -> str:
        """A new branch ``name`` holding a merge of ``branches`` (a task with several parents starts here)."""
        check_branch(name)
        if self.branch_exists(name):
            raise WorktreeExistsError(f"branch {name!r} already exists")
        if not branches:
            raise GitError("no branches to merge")
        head = self._tip(branches[0])
        sig = signature(self.repo)
        for branch in branches[1:]:
            other = self._tip(branch)
            if other == head or self.repo.descendant_of(head, other):
                continue
            if self.repo.descendant_of(other, head):
                head = other
                continue
            tree = merge_tree(self.repo, head, other, f"merging {', '.join(branches)}")
            head = self.repo.create_commit(None, sig, sig, f"Merge {branch} for {name}", tree, [head, other])
        self.repo.branches.local.create(name, self.repo[head])
        self._set(name, "clctcreated", "true")
        return str(head)

    def _move_branch(self, branch: str, old: pygit2.Oid, new: pygit2.Oid) -> None:
        """Point ``branch`` at ``new``, updating the files of whichever checkout has it checked out."""
        for repo in self._checkouts():
            if _rebased_branch(repo) == branch:
                # Moving it now would be undone (or refused) when that rebase finishes: the work would be lost.
                raise GitError(f"{branch} is being rebased in {repo.workdir}; finish or abort that rebase first")
        checkout = self._checkout_of(branch)
        if checkout is not None:
            if checkout.state() != RepositoryState.NONE:
                raise GitError(f"{checkout.workdir} is in the middle of a merge or rebase; finish it first")
            changed = {p for p, f in checkout.status().items() if not f & FileStatus.IGNORED}
            touched = {d.new_file.path for d in self.repo.diff(self.repo[old].tree, self.repo[new].tree).deltas} | \
                      {d.old_file.path for d in self.repo.diff(self.repo[old].tree, self.repo[new].tree).deltas}
            overlap = sorted(changed & touched)
            if overlap:
                raise MergeConflictError(
                    f"{checkout.workdir} has uncommitted changes to {', '.join(overlap)}; commit or stash them first",
                    overlap)
            checkout.checkout_tree(checkout[new].tree, strategy=CheckoutStrategy.SAFE)
        self.repo.references[f"refs/heads/{branch}"].set_target(new, f"clct: move {branch}")
        if checkout is not None:
            checkout.index.read_tree(checkout[new].tree)
            checkout.index.write()

    def _checkouts(self) -> list[pygit2.Repository]:
        """The main checkout and every linked worktree whose folder is there."""
        return [self.repo] + [
            pygit2.Repository(self.repo.lookup_worktree(n).path)
            for n in self.repo.list_worktrees()
            if not self.repo.lookup_worktree(n).is_prunable
        ]

    def _checkout_of(self, branch: str) -> pygit2.Repository | None:
        for repo in self._checkouts():
            if not repo.head_is_unborn and not repo.head_is_detached and repo.head.shorthand == branch:
                return repo
        return None


def _rebased_branch(repo: pygit2.Repository) -> str | None:
    """The branch a rebase in progress in this checkout will move when it finishes ("" when it rebases a
    detached HEAD); None when no rebase is in progress."""
    for folder in ("rebase-merge", "rebase-apply"):
        state = Path(repo.path) / folder
        if state.is_dir():
            try:
                head_name = (state / "head-name").read_text().strip()
            except OSError:
                return ""
            return head_name.removeprefix("refs/heads/") if head_name.startswith("refs/heads/") else ""
    return None
