"""parallel runs a task file: independent tasks side by side, dependents on their parents' work."""

from __future__ import annotations

import json

from clct_tui.testing.scripted_api import status, text, tool_use
from tests.commands.conftest import git


def writes(api, prompt: str, filename: str) -> None:
    api.script(prompt, [tool_use("Write", {"file_path": filename, "content": f"{filename}\n"}), text(f"{filename} written")])


def test_a_json_task_file_runs_its_tasks_in_their_own_worktrees(clct, scripted_api, tmp_path):
    writes(scripted_api, "make the left file", "left.txt")
    writes(scripted_api, "make the right file", "right.txt")
    tasks = tmp_path / "tasks.json"
    tasks.write_text(json.dumps([
        {"name": "left", "description": "make the left file", "priority": 1},
        {"name": "right", "description": "make the right file", "context": {"side": "right"}},
    ]))
    result = clct.ok("parallel", tasks, "--session-name", "sides", "--max-concurrent", "2")
    lines = result.out.splitlines()
    assert lines[0] == "session sides: 2 task(s), at most 2 at once"
    # Not a terminal: one plain line per change of state, no cursor movement.
    progress = [line.split("] ", 1)[1] for line in lines if line.startswith("[")]
    assert sorted(progress) == sorted(["● left: running", "● right: running", "✓ left: done", "✓ right: done"])
    assert "\x1b" not in result.out
    table = lines[lines.index("") + 1:]
    assert table[0].split() == ["TASK", "STATUS", "WORKTREE", "BRANCH", "COST", "ERROR"]
    assert [row.split()[:4] for row in table[1:3]] == [["left", "done", "sides-left", "sides-left"],
                                                       ["right", "done", "sides-right", "sides-right"]]
    assert table[3].startswith("session sides (") and table[3].endswith("2/2 tasks done")

    assert (clct.worktree("sides-left") / "left.txt").is_file()
    assert not (clct.worktree("sides-left") / "right.txt").exists()
    assert (clct.worktree("sides-right") / "right.txt").is_file()
    assert clct.rows("select name, status from session") == [("sides", "done")]
    assert sorted(clct.rows("select name, status, branch from task")) == [
        ("left", "done", "sides-left"), ("right", "done", "sides-right")]
    # Finished work is committed on the task's branch.
    assert git(clct.repo, "log", "--format=%s", "-1", "sides-left").startswith("left: make the left file")


def test_a_toml_task_file_with_dependencies_builds_on_the_parents_work(clct, scripted_api, tmp_path):
    writes(scripted_api, "create the schema", "schema.sql")
    writes(scripted_api, "write the api", "api.py")
    tasks = tmp_path / "plan.toml"
    tasks.write_text('''
[session]
name = "stack"

[[task]]
name = "schema"
description = "create the schema"

[[task]]
name = "api"
description = "write the api"
dependencies = ["schema"]
model = "claude-api-model"
''')
    result = clct.ok("parallel", tasks, "--json").json()
    assert result["success"] and result["session_name"] == "stack"
    by_name = {r["name"]: r for r in result["results"]}
    assert [r["name"] for r in result["results"]] == ["schema", "api"]
    api_worktree = clct.worktree(by_name["api"]["worktree"])
    assert (api_worktree / "schema.sql").read_text() == "schema.sql\n"  # the parent's work is there
    assert (api_worktree / "api.py").is_file()
    assert not (clct.worktree(by_name["schema"]["worktree"]) / "api.py").exists()
    api_requests = [r for r in scripted_api.requests if "write the api" in json.dumps(r["messages"][0])]
    assert api_requests and {r["model"] for r in api_requests} == {"claude-api-model"}
    assert clct.rows("select model from agent where id = ?", by_name["api"]["agent_id"]) == [("claude-api-model",)]


def test_a_failed_task_exits_1_skips_its_dependents_and_the_rest_go_on(clct, scripted_api, tmp_path):
    scripted_api.script("break this", [status(400, times=10)])
    writes(scripted_api, "fine work", "fine.txt")
    tasks = tmp_path / "tasks.json"
    tasks.write_text(json.dumps([
        {"name": "broken", "description": "break this"},
        {"name": "after", "description": "never runs", "dependencies": ["broken"]},
        {"name": "fine", "description": "fine work"},
    ]))
    result = clct("parallel", tasks)
    assert result.code == 1, str(result)
    rows = {line.split()[0]: line for line in result.out.splitlines()[-4:-1]}
    assert rows["broken"].split()[1] == "failed"
    assert rows["after"].split()[1] == "skipped" and "dependency 'broken' failed" in rows["after"]
    assert rows["fine"].split()[1] == "done"
    assert result.out.splitlines()[-1].endswith("1/3 tasks done")
    assert "✗ broken: failed" in result.out and "⊘ after: skipped" in result.out
    assert clct.rows("select status from session") == [("failed",)]


def test_a_bad_task_file_exits_2_naming_the_problem_and_creates_nothing(clct, tmp_path):
    cycle = tmp_path / "cycle.toml"
    cycle.write_text('[[task]]\nname = "egg"\ndescription = "lay"\ndependencies = ["hen"]\n'
                     '[[task]]\nname = "hen"\ndescription = "hatch"\ndependencies = ["egg"]\n')
    unknown = tmp_path / "unknown.json"
    unknown.write_text(json.dumps([{"name": "api", "description": "x", "dependencies": ["shcema"]}]))
    malformed = tmp_path / "broken.json"
    malformed.write_text('[{"name": "a", "description": ')
    cases = {
        cycle: ["cycle", "egg", "hen"],
        unknown: ["unknown", "shcema", "api"],
        malformed: ["not valid JSON"],
        tmp_path / "missing.toml": ["does not exist"],
    }
    for (path, words), result in zip(cases.items(), clct.each(*(["parallel", path] for path in cases))):
        assert result.code == 2, str(result)
        assert result.err.startswith("clct parallel: ") and str(path) in result.err, str(result)
        assert all(word in result.err for word in words), str(result)
        assert result.out == ""
    ok = tmp_path / "ok.json"
    ok.write_text(json.dumps([{"name": "a", "description": "x"}]))
    zero = clct("parallel", ok, "--max-concurrent", "0")
    assert zero.code == 2 and "--max-concurrent must be at least 1" in zero.err
    assert not clct.worktree_base.exists()
    assert git(clct.repo, "worktree", "list").count("\n") == 1
    assert not clct.database.exists() or clct.rows("select count(*) from session") == [(0,)]
