"""Repositories in odd states, through the Orchestrator and the `clct` command: a worktree folder
deleted by hand, a branch deleted or force-moved outside clct, a rebase in progress, a detached
HEAD, a bare repository, a submodule, LFS pointer files.

Each gets a correct result or a clear message — never a traceback (the `clct` fixture asserts that on
every call). tests/git/test_worktrees.py covers the WorktreeManager alone (bare, detached, a folder
deleted by hand); here it is what a person meets through the engine and the commands.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from clct_tui import Orchestrator
from clct_tui.errors import GitError, WorktreeNotFoundError
from clct_tui.testing.scripted_api import text
from tests.e2e.conftest import make_repo, rows
from tests.reliability.conftest import Clct, git


def commit_in(worktree: Path, name: str, content: str = "work\n") -> str:
    """Work of the kind an agent leaves: a committed file; returns the commit id."""
    (worktree / name).write_text(content)
    git(worktree, "add", name)
    git(worktree, "commit", "-q", "-m", f"add {name}")
    return git(worktree, "rev-parse", "HEAD").strip()


def branches(repo: Path) -> set[str]:
    return set(git(repo, "branch", "--format=%(refname:short)").split())


# -- a worktree folder deleted by hand ----------------------------------------------------------------


def test_an_agent_whose_worktree_folder_was_deleted_by_hand_is_still_listed_with_the_problem(clct: Clct):
    clct.create("kept")
    clct.create("vanished")
    shutil.rmtree(clct.worktree("vanished"))
    listed = clct.ok("list")
    assert "vanished" in listed.out and "kept" in listed.out
    assert f"vanished: agent vanished: its worktree folder {clct.worktree('vanished')} is gone" in listed.err
    as_json = {a["name"]: a for a in clct.ok("list", "--json").json()}
    assert as_json["vanished"]["changed_files"] is None and "deleted outside clct" in as_json["vanished"]["problem"]
    assert as_json["kept"]["problem"] is None


def test_removing_an_agent_whose_folder_was_deleted_by_hand_keeps_the_branch_that_holds_its_commits(clct: Clct):
    clct.create("vanished")
    work = commit_in(clct.worktree("vanished"), "work.txt")
    shutil.rmtree(clct.worktree("vanished"))
    removed = clct.ok("remove", "vanished", "--remove-worktree")
    assert "removed with its worktree; its branch vanished is kept" in removed.out
    assert git(clct.repo, "rev-parse", "vanished").strip() == work  # the work is still reachable
    assert "vanished" not in git(clct.repo, "worktree", "list")
    assert clct.ok("list", "--json").json() == []


def test_an_agent_whose_folder_and_git_record_are_gone_is_removed_with_its_empty_branch_and_the_name_is_free(
        clct: Clct):
    clct.create("vanished")
    shutil.rmtree(clct.worktree("vanished"))
    git(clct.repo, "worktree", "prune")  # git forgot it too
    assert "branch_removed" in clct.ok("remove", "vanished", "--remove-worktree", "--json").json()
    assert "vanished" not in branches(clct.repo)
    clct.create("vanished")  # the name can be used again
    assert clct.worktree("vanished").is_dir()


async def test_a_run_in_a_worktree_deleted_by_hand_fails_naming_the_folder_and_git_calls_say_why(
        scripted_api, git_repo, config):
    async with Orchestrator(git_repo, config) as orch:
        agent = await orch.create_instance(worktree_name="vanished")
        beside = await orch.create_instance(worktree_name="beside")
    shutil.rmtree(agent.worktree.path)
    scripted_api.script("do work", [text("working")])
    async with Orchestrator(git_repo, config) as orch:
        agent = orch.require_instance("vanished")
        result = await agent.run_task("do work")
        assert not result["success"]
        assert result["error"] == f"the worktree folder {agent.worktree.path} does not exist (removed outside clct?)"
        for call in (orch.status, orch.diff, orch.merge):
            with pytest.raises(WorktreeNotFoundError, match="its worktree folder .* is gone"):
                await call(agent.instance_id)
        assert (await orch.require_instance(beside.name).run_task("do work"))["success"]  # the others go on
    assert rows(config, "select state, error from run order by id")[0] == ("failed", result["error"])


# -- a branch deleted or force-moved outside clct ---------------------------------------------------------


def test_an_agent_whose_branch_was_deleted_outside_clct_is_listed_with_the_problem_and_removed_only_by_force(
        clct: Clct):
    clct.create("orphan")
    commit_in(clct.worktree("orphan"), "work.txt")
    git(clct.repo, "update-ref", "-d", "refs/heads/orphan")  # `git branch -D` refuses; this does not
    listed = clct.ok("list")
    assert "orphan: worktree 'orphan': its branch 'orphan' was deleted outside clct" in listed.err
    refused = clct("remove", "orphan", "--remove-worktree")
    assert refused.code == 2 and "recreate the branch, or force the removal" in refused.err
    assert clct.worktree("orphan").is_dir()  # nothing was touched
    clct.ok("remove", "orphan", "--remove-worktree", "--force")
    assert not clct.worktree("orphan").exists()
    assert "orphan" not in git(clct.repo, "worktree", "list")


async def test_a_branch_force_moved_outside_clct_is_seen_where_it_is_now(git_repo, config):
    async with Orchestrator(git_repo, config) as orch:
        agent = await orch.create_instance(worktree_name="moved")
        commit_in(agent.worktree.path, "first.txt")
        # Someone points the agent's branch at other work (git update-ref: `git branch -f` refuses).
        git(git_repo, "checkout", "-q", "-b", "elsewhere")
        elsewhere = commit_in(git_repo, "elsewhere.txt")
        git(git_repo, "checkout", "-q", "main")
        git(git_repo, "update-ref", "refs/heads/moved", elsewhere)
        status = await orch.status(agent.instance_id)
        assert status.ahead == 1 and status.unmerged == 1
        # The worktree's files are still those of its old commit: they show as changes against the new one.
        assert {c.path for c in status.changed} == {"first.txt", "elsewhere.txt"}
        merged = await orch.merge(agent.instance_id)
        assert merged.commit == elsewhere  # main now has what the branch points at, nothing else
        assert (git_repo / "elsewhere.txt").exists() and not (git_repo / "first.txt").exists()


async def test_merging_into_a_base_branch_deleted_outside_clct_names_it(git_repo, config):
    git(git_repo, "branch", "feature")
    async with Orchestrator(git_repo, config) as orch:
        agent = await orch.create_instance(worktree_name="child", base_branch="feature")
        commit_in(agent.worktree.path, "work.txt")
        git(git_repo, "branch", "-D", "feature")
        assert (await orch.status(agent.instance_id)).ahead == 0  # nothing to count against; no error
        with pytest.raises(GitError, match="started from branch 'feature', which no longer exists"):
            await orch.merge(agent.instance_id)


# -- a rebase in progress ----------------------------------------------------------------------------


def diverge(repo: Path) -> None:
    """`side` and `main` each change README.md their own way."""
    git(repo, "checkout", "-q", "-b", "side")
    (repo / "README.md").write_text("side\n")
    git(repo, "commit", "-q", "-am", "side")
    git(repo, "checkout", "-q", "main")
    (repo / "README.md").write_text("main\n")
    git(repo, "commit", "-q", "-am", "main moves on")


def rebase_side_onto_main(repo: Path) -> None:
    """Stopped at the conflict, HEAD detached, as git leaves it."""
    git(repo, "checkout", "-q", "side")
    assert subprocess.run(["git", "rebase", "main"], cwd=repo, capture_output=True).returncode != 0
    assert (repo / ".git" / "rebase-merge").is_dir()


def rebase_with_a_conflict(repo: Path) -> None:
    diverge(repo)
    rebase_side_onto_main(repo)


async def test_merging_into_a_branch_that_is_being_rebased_is_refused_and_the_rebase_can_finish(git_repo, config):
    diverge(git_repo)
    async with Orchestrator(git_repo, config) as orch:
        agent = await orch.create_instance(worktree_name="helper", base_branch="side")
        commit_in(agent.worktree.path, "helper.txt")
        rebase_side_onto_main(git_repo)
        side_before = git(git_repo, "rev-parse", "side").strip()
        with pytest.raises(GitError, match="side is being rebased in .*; finish or abort that rebase first"):
            await orch.merge(agent.instance_id)
        assert git(git_repo, "rev-parse", "side").strip() == side_before  # not moved under the rebase
    (git_repo / "README.md").write_text("resolved\n")
    git(git_repo, "add", "README.md")
    done = subprocess.run(["git", "-c", "core.editor=true", "rebase", "--continue"], cwd=git_repo,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr  # clct left the person's rebase as it was


def test_creating_an_agent_during_a_rebase_asks_for_a_base_and_works_with_one(clct: Clct):
    rebase_with_a_conflict(clct.repo)
    refused = clct("create", "-n", "helper")
    assert refused.code == 2
    assert "is in the middle of a rebase of side; finish it (git rebase --continue) or abort it" in refused.err
    assert not clct.worktree("helper").exists() and "helper" not in branches(clct.repo)
    clct.create("helper", "--base-branch", "main")
    assert (clct.worktree("helper") / "README.md").read_text() == "main\n"


# -- a detached HEAD ------------------------------------------------------------------------------------


async def test_with_a_detached_head_an_agent_starts_from_the_commit_and_merge_says_there_is_no_branch(
        git_repo, config):
    git(git_repo, "checkout", "-q", "--detach")
    head = git(git_repo, "rev-parse", "HEAD").strip()
    async with Orchestrator(git_repo, config) as orch:
        agent = await orch.create_instance(worktree_name="detached")
        assert agent.worktree.base == head and agent.worktree.branch == "detached"
        commit_in(agent.worktree.path, "work.txt")
        status = await orch.status(agent.instance_id)
        assert (status.ahead, status.unmerged) == (1, 1)
        assert [f.path for f in (await orch.diff(agent.instance_id)).files] == ["work.txt"]
        with pytest.raises(GitError, match=f"started from {head[:12]}, which is not a branch"):
            await orch.merge(agent.instance_id)
        cleanup = await orch.cleanup(max_age_hours=0, dry_run=True)
        assert cleanup["kept"] == [{"name": "detached", "reason": f"1 commit(s) not merged into {head} or HEAD"}]


# -- a bare repository ------------------------------------------------------------------------------------


def test_clct_in_a_bare_repository_says_it_needs_a_working_tree_and_writes_nothing(clct: Clct, tmp_path):
    bare = tmp_path / "bare.git"
    git(tmp_path, "clone", "-q", "--bare", str(clct.repo), str(bare))
    for args in (["list"], ["create", "-n", "x"], ["health"]):
        result = clct(*args, cwd=bare)
        assert result.code == 2, str(result)
        assert "is a bare repository: it has no working tree" in result.err
    assert not clct.database.exists() and not clct.worktree_base.exists()


# -- a submodule ---------------------------------------------------------------------------------------------


async def test_a_repository_with_a_submodule_goes_through_create_status_diff_commit_merge_and_remove(
        git_repo, config, tmp_path):
    library = make_repo(tmp_path / "library")
    subprocess.run(["git", "-c", "protocol.file.allow=always", "submodule", "-q", "add", str(library), "lib"],
                   cwd=git_repo, check=True, capture_output=True)
    git(git_repo, "commit", "-q", "-m", "add the library")
    gitlink = git(git_repo, "rev-parse", "HEAD:lib").strip()
    async with Orchestrator(git_repo, config) as orch:
        agent = await orch.create_instance(worktree_name="with-sub")
        path = agent.worktree.path
        # As with `git worktree add`, the submodule is not checked out in the new worktree: an empty folder.
        assert (path / "lib").is_dir() and list((path / "lib").iterdir()) == []
        (path / "feature.txt").write_text("new\n")
        status = await orch.status(agent.instance_id)
        assert [(c.path, c.status) for c in status.changed] == [("feature.txt", "untracked")]
        assert [f.path for f in (await orch.diff(agent.instance_id)).files] == ["feature.txt"]
        assert await orch.commit(agent.instance_id, "add feature") is not None
        await orch.merge(agent.instance_id)
        await orch.remove_instance(agent.instance_id)
    assert git(git_repo, "rev-parse", "HEAD:lib").strip() == gitlink  # the submodule is untouched
    assert git(git_repo, "ls-tree", "HEAD", "lib").split()[:2] == ["160000", "commit"]
    assert git(git_repo, "status", "--porcelain") == ""


# -- LFS pointer files ----------------------------------------------------------------------------------------


POINTER = ("version https://git-lfs.github.com/spec/v1\n"
           "oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 12345\n")
NEW_POINTER = POINTER.replace("4d7a2146", "aaaa2146").replace("12345", "99")


async def test_lfs_pointer_files_go_through_create_status_diff_commit_merge_and_remove(git_repo, config):
    # git-lfs is not installed here (`git lfs` is unknown), and the repository is configured as if it
    # were — filter.lfs.* set, required — the way `git lfs install` leaves it. libgit2 runs no external
    # filters, so clct sees pointer files as the text they are, installed or not: nothing is smudged.
    (git_repo / ".gitattributes").write_text("*.bin filter=lfs diff=lfs merge=lfs -text\n")
    (git_repo / "model.bin").write_text(POINTER)
    git(git_repo, "add", ".")
    git(git_repo, "commit", "-q", "-m", "a model in LFS")
    for key, value in (("process", "git-lfs filter-process"), ("required", "true"),
                       ("clean", "git-lfs clean -- %f"), ("smudge", "git-lfs smudge -- %f")):
        git(git_repo, "config", f"filter.lfs.{key}", value)
    async with Orchestrator(git_repo, config) as orch:
        agent = await orch.create_instance(worktree_name="lfs")
        path = agent.worktree.path
        assert (path / "model.bin").read_text() == POINTER
        (path / "model.bin").write_text(NEW_POINTER)
        status = await orch.status(agent.instance_id)
        assert [(c.path, c.status) for c in status.changed] == [("model.bin", "modified")]
        diff = await orch.diff(agent.instance_id)
        assert "-size 12345" in diff.patch and "+size 99" in diff.patch
        assert await orch.commit(agent.instance_id, "new model") is not None
        merged = await orch.merge(agent.instance_id)
        assert merged.commit is not None
        await orch.remove_instance(agent.instance_id)
    assert (git_repo / "model.bin").read_text() == NEW_POINTER
    assert git(git_repo, "show", "HEAD:model.bin") == NEW_POINTER


# -- found along the way ---------------------------------------------------------------------------------------


def test_an_agent_named_like_the_start_of_another_agents_id_is_found_by_its_name(clct: Clct):
    first = clct.create("first")
    name = first[:3]  # e.g. "c45": also the start of the first agent's id
    second = clct.create(name)
    shown = clct.ok("remove", name, "--json").json()
    assert (shown["name"], shown["removed"]) == (name, second)
    assert [a["instance_id"] for a in clct.ok("list", "--json").json()] == [first]
