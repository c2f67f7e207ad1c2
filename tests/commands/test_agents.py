"""create, list, start, stop and remove, each in a new process over the same database."""

from __future__ import annotations

from tests.commands.conftest import commit_file, git


def test_create_prints_an_id_that_list_in_a_new_process_shows(clct):
    assert clct.ok("list").out.startswith("no agents yet — `clct create` makes one")
    agent_id = clct.create("first")
    listed, as_json = clct.each(["list"], ["list", "--json"])
    header, row = listed.out.splitlines()
    assert header.split() == ["ID", "NAME", "STATE", "BRANCH", "CHANGED", "COST", "LAST", "ACTIVITY"]
    assert row.split()[:6] == [agent_id[:8], "first", "idle", "first", "0", "$0.0000"]
    (info,) = as_json.json()
    assert info["instance_id"] == agent_id and info["state"] == "idle"
    assert info["branch"] == "first" and info["base"] == "main" and info["changed_files"] == 0
    assert info["path"] == str(clct.worktree("first")) and clct.worktree("first").is_dir()
    assert clct.rows("select a.name, a.state, w.branch, w.removed_at from agent a join worktree w on a.worktree_id = w.id"
                     ) == [("first", "idle", "first", None)]


def test_create_without_a_name_picks_one_and_json_describes_the_agent(clct):
    info = clct.ok("create", "--json", "-b", "feature/x", "--model", "claude-test-model").json()
    assert info["name"].startswith("agent") and info["branch"] == "feature/x"
    assert info["model"] == "claude-test-model" and info["state"] == "idle"
    assert "feature/x" in git(clct.repo, "branch", "--list", "feature/x")
    assert clct.rows("select model from agent where id = ?", info["instance_id"]) == [("claude-test-model",)]


def test_list_counts_changed_files(clct):
    clct.create("busy")
    (clct.worktree("busy") / "new.txt").write_text("x")
    (clct.worktree("busy") / "README.md").write_text("changed")
    assert clct.ok("list", "--json").json()[0]["changed_files"] == 2


def test_verbose_create_says_where_the_worktree_is(clct):
    result = clct.ok("-v", "create", "-n", "chatty", "--base-branch", "main")
    assert f"worktree chatty at {clct.worktree('chatty')} on branch chatty from main" in result.err


def test_start_checks_the_cli_and_stop_marks_the_agent_stopped(clct):
    agent_id = clct.create("runner")
    started = clct.ok("start", agent_id[:6])
    assert started.out.startswith("runner: Claude Code started and ready")
    stopped = clct.ok("stop", "runner", "--json").json()
    assert stopped == {"instance_id": agent_id, "name": "runner", "state": "stopped"}
    assert clct.rows("select state from agent") == [("stopped",)]


def test_create_start_fails_with_exit_1_when_the_cli_cannot_run(clct, tmp_path):
    config = tmp_path / "broken-cli.toml"
    config.write_text(f'cli_path = "{tmp_path / "no-such-claude"}"\n')
    result = clct("-c", config, "create", "-n", "doomed", "--start")
    assert result.code == 1 and "the Claude Code CLI was not found" in result.err
    assert "was taken back" in result.err and result.out == ""
    assert clct.ok("list", "--json").json() == [] and not clct.worktree("doomed").exists()


def test_remove_keeps_the_worktree_unless_asked_and_the_agent_stays_gone(clct):
    agent_id = clct.create("keeper")
    removed = clct.ok("remove", agent_id)
    assert f"keeper: removed; its worktree stays at {clct.worktree('keeper')}" in removed.out
    assert clct.ok("list", "--json").json() == []  # a new process does not bring it back
    assert clct.worktree("keeper").is_dir()
    assert "keeper" in git(clct.repo, "branch", "--list", "keeper")


def test_remove_refuses_to_lose_unmerged_work_unless_forced(clct):
    clct.create("precious")
    commit_file(clct.worktree("precious"), "work.txt")
    refused = clct("remove", "precious", "--remove-worktree")
    assert refused.code == 2
    assert "1 commit(s) not merged into main" in refused.err and "force" in refused.err
    assert (clct.worktree("precious") / "work.txt").is_file()
    assert clct.rows("select removed_at from worktree where name = 'precious'") == [(None,)]

    forced = clct.ok("remove", "precious", "--remove-worktree", "--force", "--json").json()
    assert forced["worktree_removed"] is True
    assert not clct.worktree("precious").exists()
    assert git(clct.repo, "branch", "--list", "precious") == ""
    assert clct.rows("select removed_at is not null from worktree where name = 'precious'") == [(1,)]
    assert clct.ok("list", "--json").json() == []


def test_remove_with_worktree_of_merged_work_needs_no_force(clct):
    clct.create("clean")
    clct.ok("remove", "clean", "--remove-worktree")
    assert not clct.worktree("clean").exists()
    assert git(clct.repo, "worktree", "list").count("\n") == 1


def test_several_clct_processes_at_once_share_a_new_database(clct):
    results = clct.each(*(["create", "-n", f"side-{i}"] for i in range(3)))
    assert [r.code for r in results] == [0, 0, 0], "\n".join(map(str, results))
    assert sorted(a["name"] for a in clct.ok("list", "--json").json()) == ["side-0", "side-1", "side-2"]
