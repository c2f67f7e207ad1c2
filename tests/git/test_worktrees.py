"""WorktreeManager on real repositories: names, create, status, diff, commit, merge, remove."""

from __future__ import annotations

import pytest

from clct_tui.errors import (
    GitError,
    InvalidNameError,
    MergeConflictError,
    UnsafeRemovalError,
    WorktreeExistsError,
    WorktreeNotFoundError,
)
from clct_tui.git import WorktreeManager

from .conftest import commit_file, git, make_repo


@pytest.mark.parametrize("name", ["../x", "a b", "", "/abs", "x" * 300, "..", "a/b", "-flag", "bad~name", "tab\there"])
def test_bad_names_are_refused(wm, name):
    with pytest.raises(InvalidNameError):
        wm.create_worktree(name)


def test_a_unicode_name_that_git_accepts_works(wm):
    assert wm.create_worktree("café").path.name == "café"


def test_an_existing_branch_needs_reuse(wm, repo):
    git(repo, "branch", "taken")
    with pytest.raises(WorktreeExistsError, match="reuse=True"):
        wm.create_worktree("taken")
    assert wm.create_worktree("taken", reuse=True).branch == "taken"


def test_a_taken_worktree_name_is_refused(wm):
    wm.create_worktree("one")
    with pytest.raises(WorktreeExistsError):
        wm.create_worktree("one", branch="other")


def test_a_worktree_holds_the_base_and_stays_under_the_base_path(wm, tmp_path):
    info = wm.create_worktree("feature", branch="feature/new")
    assert info.path == (tmp_path / "worktrees" / "feature").resolve()
    assert (info.path / "README.md").read_text() == "# project\n"
    assert (info.branch, info.base) == ("feature/new", "main")


def test_a_base_can_be_another_branch_or_a_commit(wm, repo):
    first = git(repo, "rev-parse", "HEAD")
    git(repo, "checkout", "-q", "-b", "dev")
    commit_file(repo, "dev.txt", "dev\n")
    git(repo, "checkout", "-q", "main")
    assert (wm.create_worktree("from-dev", base="dev").path / "dev.txt").exists()
    from_commit = wm.create_worktree("from-sha", base=first)
    assert from_commit.base == first and not (from_commit.path / "dev.txt").exists()


def test_a_missing_base_branch_names_it_and_the_branches_there(tmp_path):
    repo = make_repo(tmp_path / "m", branch="master")
    wm = WorktreeManager(repo, tmp_path / "wt")
    with pytest.raises(GitError, match="'main' is neither a branch nor a commit.*master"):
        wm.create_worktree("x", base="main")
    assert wm.create_worktree("y").base == "master"


def test_worktreeinclude_copies_ignored_files(wm, repo):
    (repo / ".env").write_text("SECRET=1\n")
    (repo / ".worktreeinclude").write_text(".env\n")
    assert (wm.create_worktree("env").path / ".env").read_text() == "SECRET=1\n"


def test_list_shows_managed_worktrees(wm):
    wm.create_worktree("b")
    wm.create_worktree("a")
    assert [w.name for w in wm.list_worktrees()] == ["a", "b"]


def test_status_counts_changes_and_commits_ahead(wm):
    info = wm.create_worktree("s")
    (info.path / "new.txt").write_text("x\n")
    (info.path / "README.md").write_text("changed\n")
    status = wm.status("s")
    assert {c.path: c.status for c in status.changed} == {"new.txt": "untracked", "README.md": "modified"}
    wm.commit("s", "work")
    status = wm.status("s")
    assert (status.dirty, status.ahead, status.behind) == (False, 1, 0)


def test_diff_covers_commits_uncommitted_and_new_files(wm):
    info = wm.create_worktree("d")
    commit_file(info.path, "committed.py", "a\nb\n")
    (info.path / "README.md").write_text("# project\nmore\n")
    (info.path / "brand_new.txt").write_text("1\n2\n3\n")
    diff = wm.diff("d")
    files = {f.path: (f.status, f.additions, f.deletions) for f in diff.files}
    assert files == {"committed.py": ("added", 2, 0), "README.md": ("modified", 1, 0), "brand_new.txt": ("added", 3, 0)}
    assert "+more" in diff.patch and diff.additions == 6


def test_commit_returns_none_when_there_is_nothing(wm):
    wm.create_worktree("c")
    assert wm.commit("c", "nothing") is None


def test_a_fast_forward_merge_updates_the_checked_out_base(wm, repo):
    info = wm.create_worktree("ff")
    (info.path / "feature.txt").write_text("f\n")
    wm.commit("ff", "feature")
    result = wm.merge("ff")
    assert result.commit == git(repo, "rev-parse", "main") and "fast-forward" in result.message
    assert (repo / "feature.txt").read_text() == "f\n"
    assert git(repo, "status", "--porcelain") == ""


def test_a_merge_after_the_base_moved_makes_a_merge_commit(wm, repo):
    info = wm.create_worktree("mc")
    commit_file(info.path, "theirs.txt", "t\n")
    commit_file(repo, "ours.txt", "o\n")
    result = wm.merge("mc")
    assert git(repo, "log", "-1", "--format=%P", "main").count(" ") == 1
    assert (repo / "theirs.txt").exists() and result.commit


def test_squash_makes_one_commit_with_one_parent(wm, repo):
    info = wm.create_worktree("sq")
    commit_file(info.path, "a.txt", "a\n")
    commit_file(info.path, "b.txt", "b\n")
    wm.merge("sq", strategy="squash")
    assert " " not in git(repo, "log", "-1", "--format=%P", "main")
    assert "Squashed sq" in git(repo, "log", "-1", "--format=%B", "main")
    assert (repo / "a.txt").exists() and (repo / "b.txt").exists()


def test_rebase_replays_the_commits_on_top_of_the_base(wm, repo):
    info = wm.create_worktree("rb")
    commit_file(info.path, "mine.txt", "m\n", "mine")
    commit_file(repo, "other.txt", "o\n", "other")
    wm.merge("rb", strategy="rebase")
    assert git(repo, "log", "--format=%s", "main").splitlines()[:3] == ["mine", "other", "first"]
    assert git(repo, "rev-parse", "main") == git(info.path, "rev-parse", "HEAD")


def test_a_worktree_can_be_merged_twice(wm, repo):
    info = wm.create_worktree("twice")
    commit_file(info.path, "one.txt", "1\n")
    wm.merge("twice")
    commit_file(info.path, "two.txt", "2\n")
    wm.merge("twice")
    assert (repo / "two.txt").exists()
    assert wm.merge("twice").commit is None


def test_a_conflict_changes_nothing_and_names_the_paths(wm, repo):
    info = wm.create_worktree("clash")
    commit_file(info.path, "README.md", "theirs\n")
    commit_file(repo, "README.md", "ours\n")
    before = git(repo, "rev-parse", "main"), git(info.path, "rev-parse", "HEAD")
    for strategy in ("merge", "squash", "rebase"):
        with pytest.raises(MergeConflictError) as caught:
            wm.merge("clash", strategy=strategy)
        assert caught.value.paths == ["README.md"]
    assert (git(repo, "rev-parse", "main"), git(info.path, "rev-parse", "HEAD")) == before
    assert (repo / "README.md").read_text() == "ours\n"
    assert git(repo, "status", "--porcelain") == "" and not (repo / ".git" / "MERGE_HEAD").exists()


def test_a_merge_refuses_to_overwrite_uncommitted_changes_in_the_main_checkout(wm, repo):
    info = wm.create_worktree("careful")
    commit_file(info.path, "README.md", "from agent\n")
    (repo / "README.md").write_text("my local edit\n")
    with pytest.raises(MergeConflictError, match="uncommitted changes to README.md"):
        wm.merge("careful")
    assert (repo / "README.md").read_text() == "my local edit\n"


def test_remove_refuses_uncommitted_work(wm):
    info = wm.create_worktree("dirty")
    (info.path / "work.txt").write_text("precious\n")
    with pytest.raises(UnsafeRemovalError, match="1 uncommitted change"):
        wm.remove_worktree("dirty")
    assert (info.path / "work.txt").exists()


def test_remove_refuses_unmerged_commits(wm):
    info = wm.create_worktree("unmerged")
    commit_file(info.path, "x.txt", "x\n")
    with pytest.raises(UnsafeRemovalError, match="1 commit"):
        wm.remove_worktree("unmerged")


def test_work_merged_into_the_main_branch_is_not_unmerged_though_its_base_is_another_branch(wm, repo):
    parent = wm.create_worktree("parent")
    commit_file(parent.path, "parent.txt", "p\n")
    child = wm.create_worktree("child", base="parent")
    commit_file(child.path, "child.txt", "c\n")
    assert wm.status("child").unmerged == 1
    git(repo, "merge", "-q", "--no-edit", "child")
    assert (wm.status("child").ahead, wm.status("child").unmerged) == (1, 0)
    wm.remove_worktree("child")
    assert not wm.branch_exists("child")


def test_forced_removal_deletes_folder_record_and_branch(wm):
    info = wm.create_worktree("gone")
    (info.path / "work.txt").write_text("x\n")
    wm.remove_worktree("gone", force=True)
    assert not info.path.exists() and not wm.branch_exists("gone") and wm.list_worktrees() == []


def test_removing_a_worktree_deleted_by_hand_works(wm):
    import shutil

    info = wm.create_worktree("vanished")
    shutil.rmtree(info.path)
    wm.remove_worktree("vanished")
    assert "vanished" not in wm.repo.list_worktrees()


def test_prune_forgets_folders_deleted_by_hand(wm):
    import shutil

    shutil.rmtree(wm.create_worktree("p").path)
    assert wm.prune() == ["p"]


def test_an_unknown_worktree_is_named(wm):
    with pytest.raises(WorktreeNotFoundError, match="'ghost'"):
        wm.status("ghost")


def test_rebase_onto_moves_a_child_onto_its_parents_new_head(wm):
    parent = wm.create_worktree("parent")
    commit_file(parent.path, "p1.txt", "1\n")
    child = wm.create_worktree("child", base="parent")
    commit_file(child.path, "c.txt", "c\n")
    commit_file(parent.path, "p2.txt", "2\n")
    wm.rebase_onto("child", "parent")
    assert (child.path / "p2.txt").exists() and (child.path / "c.txt").exists()


def test_create_merged_base_joins_several_branches(wm, repo):
    a, b = wm.create_worktree("a"), wm.create_worktree("b")
    commit_file(a.path, "a.txt", "a\n")
    commit_file(b.path, "b.txt", "b\n")
    wm.create_merged_base("both", ["a", "b"])
    info = wm.create_worktree("joined", branch="both", reuse=True)
    assert (info.path / "a.txt").exists() and (info.path / "b.txt").exists()


def test_create_merged_base_with_a_conflict_leaves_nothing_behind(wm):
    a, b = wm.create_worktree("a"), wm.create_worktree("b")
    commit_file(a.path, "same.txt", "a\n")
    commit_file(b.path, "same.txt", "b\n")
    with pytest.raises(MergeConflictError, match="same.txt"):
        wm.create_merged_base("both", ["a", "b"])
    assert not wm.branch_exists("both")


def test_not_a_repository_is_a_clear_error(tmp_path):
    (tmp_path / "plain").mkdir()
    with pytest.raises(GitError, match="not inside a git repository"):
        WorktreeManager(tmp_path / "plain", tmp_path / "wt")


def test_a_bare_repository_is_a_clear_error(tmp_path, repo):
    git(tmp_path, "clone", "-q", "--bare", str(repo), "bare.git")
    with pytest.raises(GitError, match="bare repository"):
        WorktreeManager(tmp_path / "bare.git", tmp_path / "wt")


def test_a_detached_head_gives_a_commit_base(wm, repo):
    git(repo, "checkout", "-q", "--detach")
    info = wm.create_worktree("detached")
    assert info.base == git(repo, "rev-parse", "HEAD")
