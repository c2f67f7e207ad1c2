"""Help reads well and exits 0; bad usage and bad input exit 2 with a clear message, never a traceback."""

from __future__ import annotations

import subprocess

from clct_tui.commands.parser import COMMAND_HELP
from clct_tui.testing.scripted_api import text, tool_use
from tests.commands.conftest import make_repo


def test_help_and_every_subcommands_help_exit_0(clct):
    top = clct.ok("--help")
    for command in COMMAND_HELP:
        assert command in top.out
    assert "Exit status: 0 success, 1 the work failed, 2 bad usage or bad input" in top.out
    for command in COMMAND_HELP:
        result = clct.ok(command, "--help")
        assert result.out.startswith(f"usage: clct {command}"), str(result)
        assert "--repo" in result.out and "--json" in result.out


def test_bad_usage_exits_2_with_the_reason(clct):
    unknown_option = clct("list", "--frobnicate")
    assert unknown_option.code == 2 and "unrecognized arguments: --frobnicate" in unknown_option.err
    typo = clct("lsit")
    assert typo.code == 2 and "'lsit' is neither a command nor a folder" in typo.err
    bad_choice = clct("run-task", "x", "do it", "--approve", "maybe")
    assert bad_choice.code == 2 and "invalid choice: 'maybe'" in bad_choice.err
    not_a_number = clct("show", "seven")
    assert not_a_number.code == 2 and "invalid int value: 'seven'" in not_a_number.err


def test_an_unknown_agent_id_or_run_id_exits_2_naming_it(clct):
    commands = (["start", "nope"], ["stop", "nope"], ["remove", "nope"], ["run-task", "nope", "do it"])
    *agents, run = clct.each(*commands, ["show", "99"])
    for command, result in zip(commands, agents):
        assert result.code == 2, str(result)
        assert result.err.strip() == f"clct {command[0]}: no agent with id or name 'nope'"
        assert result.out == ""
    assert run.code == 2 and run.err.strip() == "clct show: no run with id 99; `clct history` lists them"


def test_a_taken_name_a_missing_base_and_a_bad_name_exit_2_and_create_nothing(clct):
    clct.create("taken")
    taken, missing_base, escape = clct.each(
        ["create", "-n", "taken"],
        ["create", "-n", "fresh", "--base-branch", "no-such-branch"],
        ["create", "-n", "../outside"],
    )
    assert taken.code == 2 and "worktree 'taken' already exists" in taken.err
    assert missing_base.code == 2
    assert "base 'no-such-branch' is neither a branch nor a commit" in missing_base.err
    assert escape.code == 2 and "clct create:" in escape.err
    assert [name for (name,) in clct.rows("select name from agent")] == ["taken"]
    assert not clct.worktree("fresh").exists()
    assert not (clct.worktree_base.parent / "outside").exists()


def test_outside_a_git_repository_exits_2_with_a_clear_message(clct, tmp_path):
    plain = tmp_path / "plain"
    plain.mkdir()
    from_cwd = clct("list", cwd=plain)
    assert from_cwd.code == 2
    assert "is not inside a git repository" in from_cwd.err and "git init" in from_cwd.err
    from_option, missing = clct.each(["-r", plain, "create"], ["list", "-r", tmp_path / "does-not-exist"])
    assert from_option.code == 2 and "is not inside a git repository" in from_option.err
    assert missing.code == 2 and "is not inside a git repository" in missing.err


def test_repo_option_works_from_anywhere_before_or_after_the_command(clct, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    agent_id = clct.ok("-r", clct.repo, "create", "-n", "remote", cwd=elsewhere).out.strip()
    sub = clct.repo / "src"
    sub.mkdir()
    listed = clct.ok("list", "--repo", clct.repo, "--json", cwd=elsewhere).json()
    assert [a["instance_id"] for a in listed] == [agent_id]
    # A subfolder of the repository finds the repository around it.
    assert [a["name"] for a in clct.ok("list", "--json", cwd=sub).json()] == ["remote"]


def test_config_file_option_is_read_and_a_bad_value_is_named(clct, tmp_path):
    good = tmp_path / "good.toml"
    good.write_text('claude_model = "model-from-config"\n')
    agent_id = clct.ok("-c", good, "create", "-n", "configured").out.strip()
    assert clct.rows("select model from agent where id = ?", agent_id) == [("model-from-config",)]
    bad = tmp_path / "bad.toml"
    bad.write_text("max_concurrent_instances = 0\n")
    result = clct("list", "--config", bad)
    assert result.code == 2
    assert "max_concurrent_instances" in result.err and str(bad) in result.err
    missing = clct("list", "-c", tmp_path / "nowhere.toml")
    assert missing.code == 2 and "does not exist" in missing.err


def test_a_repository_whose_default_branch_is_master_works(clct, tmp_path, scripted_api):
    scripted_api.script("write on master", [tool_use("Write", {"file_path": "m.txt", "content": "m\n"}), text("ok")])
    master = make_repo(tmp_path / "old-style", branch="master")
    agent_id = clct.create("legacy", repo=master)
    (info,) = clct.ok("list", "--json", cwd=master).json()
    assert (info["instance_id"], info["base"], info["branch"]) == (agent_id, "master", "legacy")
    result = clct.ok("run-task", "legacy", "write on master", cwd=master)
    assert "result: success" in result.out
    assert (clct.worktree("legacy", master) / "m.txt").read_text() == "m\n"
    assert subprocess.run(["git", "rev-parse", "--verify", "master"], cwd=master, capture_output=True).returncode == 0


def test_the_task_file_shown_in_parallel_help_is_a_valid_task_file(tmp_path):
    from clct_tui.commands.parser import EPILOGS
    from clct_tui.orchestrator.taskfile import load_task_file

    help_text = EPILOGS["parallel"]
    example = help_text[help_text.index("  [session]"):help_text.index("The file is checked")]
    path = tmp_path / "example.toml"
    path.write_text("\n".join(line[2:] for line in example.splitlines()))
    specs, settings = load_task_file(path)
    assert [(s.name, s.dependencies, s.branch) for s in specs] == [("schema", [], None), ("api", ["schema"], "feature/api")]
    assert settings == {"name": "auth", "max_budget_usd": 5.0}
