"""Commit-graph work done in memory: merges and replays that change nothing until they succeed."""

from __future__ import annotations

import pygit2

from clct_tui.errors import MergeConflictError


def signature(repo: pygit2.Repository) -> pygit2.Signature:
    try:
        return repo.default_signature
    except (KeyError, pygit2.GitError):
        return pygit2.Signature("clct", "clct@localhost")


def conflict_paths(index: pygit2.Index) -> list[str]:
    paths = set()
    for ancestor, ours, theirs in index.conflicts or []:
        for entry in (ancestor, ours, theirs):
            if entry is not None:
                paths.add(entry.path)
    return sorted(paths)


def merge_tree(repo: pygit2.Repository, ours: pygit2.Oid, theirs: pygit2.Oid, what: str) -> pygit2.Oid:
    """The tree of merging ``theirs`` into ``ours``; MergeConflictError names the paths."""
    index = repo.merge_commits(ours, theirs)
    if index.conflicts is not None:
        paths = conflict_paths(index)
        raise MergeConflictError(f"{what} conflicts in {len(paths)} file(s): {', '.join(paths)}; nothing was changed",
                                 paths)
    return index.write_tree(repo)


def commits_between(repo: pygit2.Repository, base: pygit2.Oid, head: pygit2.Oid) -> list[pygit2.Commit]:
    """Commits reachable from ``head`` but not ``base``, oldest first."""
    walker = repo.walk(head, pygit2.enums.SortMode.TOPOLOGICAL | pygit2.enums.SortMode.REVERSE)
    walker.hide(base)
    return list(walker)


def replay(repo: pygit2.Repository, commits: list[pygit2.Commit], onto: pygit2.Oid, what: str) -> pygit2.Oid:
    """Cherry-pick ``commits`` onto ``onto`` in memory (a rebase); returns the new head."""
    head = onto
    for commit in commits:
        if len(commit.parents) > 1:
            continue  # merge commits are flattened by replaying their first-parent changes
        parent_tree = commit.parents[0].tree if commit.parents else repo.get(repo.TreeBuilder().write())
        index = repo.merge_trees(parent_tree, repo[head].tree, commit.tree)
        if index.conflicts is not None:
            paths = conflict_paths(index)
            raise MergeConflictError(
                f"{what}: commit {str(commit.id)[:8]} conflicts in {', '.join(paths)}; nothing was changed", paths)
        tree = index.write_tree(repo)
        head = repo.create_commit(None, commit.author, signature(repo), commit.message, tree, [head])
    return head
