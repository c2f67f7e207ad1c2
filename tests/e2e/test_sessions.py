"""Sessions end to end: plans stored in SQLite, run by the real CLI in real worktrees, merged with real git.

Only the model is scripted. A task's agent commits its work when the task succeeds, so a
dependent task (which branches from it), a restack and a session merge all see that work.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from clct_tui import Orchestrator
from clct_tui.errors import AgentError, GitError, TaskGraphError
from clct_tui.testing.scripted_api import status, text, tool_use, user_texts
from tests.e2e.conftest import rows

RESULT_KEYS = {"success", "output", "error", "session_id", "cost_usd", "duration_ms", "num_turns"}


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True).stdout.strip()


def is_ancestor(repo: Path, older: str, newer: str) -> bool:
    return subprocess.run(["git", "merge-base", "--is-ancestor", older, newer], cwd=repo, check=False).returncode == 0


def writes(file: str, content: str, answer: str = "done") -> list:
    """A scripted turn: the model writes one file, then answers."""
    return [tool_use("Write", {"file_path": file, "content": content}), text(answer)]


def prompts_sent(api) -> list[str]:
    """The first words of every conversation request the CLI sent, in order."""
    return ["\n".join(user_texts(next(m for m in r["messages"] if m["role"] == "user"))) for r in api.requests]


def worktree_of(orch: Orchestrator, result: dict, task: str) -> Path:
    row = next(r for r in result["results"] if r["name"] == task)
    return orch.get_instance(row["agent_id"]).worktree.path


# -- a plan stored in the database ------------------------------------------------------------


async def test_a_session_planned_in_one_orchestrator_runs_in_the_next(scripted_api, git_repo, config):
    scripted_api.script("write the schema", writes("schema.sql", "create table t;\n"))
    scripted_api.script("write the api", writes("api.py", "# api\n"))
    async with Orchestrator(git_repo, config) as orch:
        session = orch.sessions.create_session("release", "ship the api")
        orch.sessions.add_task(session.id, "api", "write the api", priority=2, dependencies=["schema"],
                               context={"framework": "flask"})
        orch.sessions.add_task(session.id, "schema", "write the schema")
    assert scripted_api.requests == []

    async with Orchestrator(git_repo, config) as orch:
        (stored,) = orch.sessions.list_sessions()
        assert (stored.id, stored.name, stored.description, stored.status) == (session.id, "release", "ship the api",
                                                                                "pending")
        tasks = {t.name: t for t in orch.sessions.tasks(session.id)}
        assert tasks["api"].depends_on == ["schema"] and tasks["api"].context == {"framework": "flask"}
        assert tasks["api"].priority == 2 and {t.status for t in tasks.values()} == {"pending"}

        result = await orch.sessions.execute_session(session.id)
        assert result["success"], result
        assert [r["name"] for r in result["results"]] == ["schema", "api"]
        api = worktree_of(orch, result, "api")
        assert (api / "schema.sql").exists() and (api / "api.py").exists()
        assert orch.sessions.get_session(session.id).status == "done"
    assert '"framework": "flask"' in prompts_sent(scripted_api)[-1]


async def test_running_a_finished_session_again_runs_nothing(scripted_api, git_repo, config):
    scripted_api.script("write one", writes("one.txt", "1"))
    async with Orchestrator(git_repo, config) as orch:
        session = orch.sessions.create_session("once")
        orch.sessions.add_task(session.id, "one", "write one")
        first = await orch.sessions.execute_session(session.id)
        assert first["success"], first
    sent = len(scripted_api.requests)

    async with Orchestrator(git_repo, config) as orch:
        again = await orch.sessions.execute_session(session.id)
    assert again["success"] and again["results"] == first["results"]
    assert len(scripted_api.requests) == sent
    assert rows(config, "select count(*) from run") == [(1,)]


async def test_a_resumed_session_runs_only_its_unfinished_tasks(scripted_api, git_repo, config):
    scripted_api.script("lay the foundation", writes("foundation.txt", "solid"))
    scripted_api.default = lambda words: status(400)  # every other prompt fails until the API "recovers"
    flaky = config.with_overrides(max_retries=0)
    async with Orchestrator(git_repo, flaky) as orch:
        session = orch.sessions.create_session("house")
        orch.sessions.add_task(session.id, "foundation", "lay the foundation")
        orch.sessions.add_task(session.id, "walls", "build the walls", dependencies=["foundation"])
        orch.sessions.add_task(session.id, "roof", "put on the roof", dependencies=["walls"])
        first = await orch.sessions.execute_session(session.id)
    assert [r["status"] for r in first["results"]] == ["done", "failed", "skipped"]
    foundation_agent = first["results"][0]["agent_id"]
    walls_agent = first["results"][1]["agent_id"]

    scripted_api.default = lambda words: text("ok")
    scripted_api.requests.clear()
    async with Orchestrator(git_repo, flaky) as orch:
        second = await orch.sessions.execute_session(session.id)
        assert second["success"], second
        roof = worktree_of(orch, second, "roof")
        assert (roof / "foundation.txt").read_text() == "solid"
    assert [r["agent_id"] for r in second["results"][:2]] == [foundation_agent, walls_agent]
    assert not any("lay the foundation" in p for p in prompts_sent(scripted_api))
    assert rows(config, "select count(*) from run r join agent a on r.agent_id = a.id where a.id = ?",
                (foundation_agent,)) == [(1,)]


async def test_a_duplicate_task_name_is_refused_naming_it(scripted_api, git_repo, config):
    async with Orchestrator(git_repo, config) as orch:
        session = orch.sessions.create_session("twice")
        orch.sessions.add_task(session.id, "build", "build it")
        with pytest.raises(TaskGraphError, match="duplicate task name: build"):
            orch.sessions.add_task(session.id, "build", "build it again")
        assert [t.name for t in orch.sessions.tasks(session.id)] == ["build"]


async def test_an_unknown_dependency_is_refused_before_anything_runs(scripted_api, git_repo, config):
    async with Orchestrator(git_repo, config) as orch:
        session = orch.sessions.create_session("dangling")
        orch.sessions.add_task(session.id, "setup", "set up")
        orch.sessions.add_task(session.id, "deploy", "deploy it", dependencies=["setup", "tests"])
        with pytest.raises(TaskGraphError, match=r"task 'deploy' depends on unknown task\(s\): tests"):
            await orch.sessions.execute_session(session.id)
        assert orch.list_instances() == []
        assert orch.sessions.get_session(session.id).status == "pending"
        assert {t.status for t in orch.sessions.tasks(session.id)} == {"pending"}
    assert scripted_api.requests == []
    assert git(git_repo, "worktree", "list").count("\n") == 0


# -- branches: several parents, restacking, merging the session ---------------------------------


async def test_a_task_with_two_dependencies_starts_from_a_merge_of_both(scripted_api, git_repo, config):
    scripted_api.script("write the models", writes("models.py", "# models\n"))
    scripted_api.script("write the views", writes("views.py", "# views\n"))
    scripted_api.script("wire the app", writes("app.py", "# app\n"))
    async with Orchestrator(git_repo, config) as orch:
        result = await orch.sessions.run_plan([
            {"name": "models", "description": "write the models"},
            {"name": "views", "description": "write the views"},
            {"name": "app", "description": "wire the app", "dependencies": ["models", "views"]},
        ], session_name="web")
        assert result["success"], result
        app = worktree_of(orch, result, "app")
        assert sorted(p.name for p in app.iterdir() if p.name != ".git") == ["README.md", "app.py", "models.py",
                                                                               "views.py"]
        branches = {r["name"]: r["branch"] for r in result["results"]}
    assert is_ancestor(git_repo, branches["models"], branches["app"])
    assert is_ancestor(git_repo, branches["views"], branches["app"])


async def test_restack_rebases_a_child_onto_its_parents_new_head(scripted_api, git_repo, config):
    scripted_api.script("write the base", writes("base.txt", "base\n"))
    scripted_api.script("write the top", writes("top.txt", "top\n"))
    scripted_api.script("add a fix to the base", writes("fix.txt", "fix\n"))
    async with Orchestrator(git_repo, config) as orch:
        result = await orch.sessions.run_plan([
            {"name": "base", "description": "write the base"},
            {"name": "top", "description": "write the top", "dependencies": ["base"]},
        ], session_name="stack")
        assert result["success"], result
        parent, child = (orch.get_instance(r["agent_id"]) for r in result["results"])
        assert (await parent.send("add a fix to the base"))["success"]
        await orch.commit(parent.instance_id, "fix the base")
        parent_head = git(git_repo, "rev-parse", parent.worktree.branch)
        assert not (child.worktree.path / "fix.txt").exists()

        head = await orch.sessions.restack(result["session_id"], "top")

        assert head == git(git_repo, "rev-parse", child.worktree.branch)
        assert git(git_repo, "rev-parse", f"{head}~1") == parent_head
        assert (child.worktree.path / "fix.txt").exists() and (child.worktree.path / "top.txt").exists()
        assert git(child.worktree.path, "status", "--porcelain") == ""


async def test_merging_a_session_brings_every_task_into_the_base_branch(scripted_api, git_repo, config):
    scripted_api.script("create the schema", writes("schema.sql", "create table t;\n"))
    scripted_api.script("write the api", writes("api.py", "# api\n"))
    scripted_api.script("write the docs", writes("docs.md", "# docs\n"))
    async with Orchestrator(git_repo, config) as orch:
        result = await orch.sessions.run_plan([
            {"name": "schema", "description": "create the schema"},
            {"name": "api", "description": "write the api", "dependencies": ["schema"]},
            {"name": "docs", "description": "write the docs"},
        ], session_name="ship")
        assert result["success"], result

        merges = await orch.sessions.merge_session(result["session_id"])

        assert [m.into for m in merges] == ["main", "main", "main"]
        for r in result["results"]:
            assert is_ancestor(git_repo, r["branch"], "main"), r["name"]
    assert sorted(git(git_repo, "ls-tree", "--name-only", "main").split()) == ["README.md", "api.py", "docs.md",
                                                                               "schema.sql"]
    assert (git_repo / "api.py").exists() and git(git_repo, "status", "--porcelain") == ""


async def test_a_session_with_uncommitted_work_is_not_merged(scripted_api, git_repo, config):
    scripted_api.script("write the page", writes("page.html", "<p>v1</p>\n"))
    scripted_api.script("polish the page", writes("page.html", "<p>v2</p>\n"))
    async with Orchestrator(git_repo, config) as orch:
        result = await orch.sessions.run_plan([{"name": "page", "description": "write the page"}], session_name="site")
        assert result["success"], result
        agent = orch.get_instance(result["results"][0]["agent_id"])
        assert (await agent.send("polish the page"))["success"]  # after the task: not committed
        main = git(git_repo, "rev-parse", "main")

        with pytest.raises(GitError, match="uncommitted changes in worktree\\(s\\) site-page;.*nothing was merged"):
            await orch.sessions.merge_session(result["session_id"])
    assert git(git_repo, "rev-parse", "main") == main


async def test_a_task_worktree_never_takes_the_name_of_an_existing_branch(scripted_api, git_repo, config):
    git(git_repo, "branch", "ship-docs")  # left from earlier work whose worktree was deleted by hand
    async with Orchestrator(git_repo, config) as orch:
        result = await orch.sessions.run_plan([{"name": "docs", "description": "write the docs"}], session_name="ship")
    assert result["success"], result
    assert (result["results"][0]["worktree"], result["results"][0]["branch"]) == ("ship-docs-2", "ship-docs-2")
    assert git(git_repo, "rev-parse", "ship-docs") == git(git_repo, "rev-parse", "main")


# -- budgets and cost ---------------------------------------------------------------------------


async def test_a_session_over_its_budget_starts_no_more_tasks(scripted_api, git_repo, config):
    scripted_api.script("spend", [text("spent")])
    scripted_api.script("more", [text("never")])
    async with Orchestrator(git_repo, config) as orch:
        result = await orch.sessions.run_plan([
            {"name": "first", "description": "spend"},
            {"name": "second", "description": "more", "dependencies": ["first"]},
        ], session_name="tight", max_budget_usd=0.0001)
    first, second = result["results"]
    assert first["status"] == "done" and first["cost_usd"] > 0.0001
    assert second["status"] == "failed" and second["agent_id"] is None
    assert re.search(r"session 'tight' has spent \$0\.000\d of its \$0\.0001 budget", second["error"])
    assert not any("more" in p for p in prompts_sent(scripted_api))


async def test_cost_adds_up_from_runs_to_agents_to_the_session(scripted_api, git_repo, config):
    scripted_api.script("write a", writes("a.txt", "a"))
    scripted_api.script("write b", writes("b.txt", "b"))
    async with Orchestrator(git_repo, config) as orch:
        result = await orch.sessions.run_plan([{"name": "a", "description": "write a"},
                                               {"name": "b", "description": "write b"}])
        agents = [r["agent_id"] for r in result["results"]]
        session_cost = await orch.store_call("cost_for_session", result["session_id"])
        agent_costs = [await orch.store_call("cost_for_agent", a) for a in agents]
    run_costs = [c for (c,) in rows(config, "select cost_usd from run")]
    assert all(c > 0 for c in run_costs) and len(run_costs) == 2
    assert session_cost == pytest.approx(sum(agent_costs)) == pytest.approx(sum(run_costs))
    assert [r["cost_usd"] for r in result["results"]] == pytest.approx(agent_costs)


async def test_each_run_of_a_conversation_costs_only_what_it_added(scripted_api, git_repo, config):
    # The CLI reports the conversation's running total, restored when it resumes.
    scripted_api.script("one", [text("same answer")])
    scripted_api.script("two", [text("same answer")])
    scripted_api.script("three", [text("same answer")])
    async with Orchestrator(git_repo, config) as orch:
        agent = await orch.create_instance(worktree_name="thrifty")
        costs = [(await agent.run_task("one"))["cost_usd"], (await agent.run_task("two"))["cost_usd"]]
        agent_id = agent.instance_id
    async with Orchestrator(git_repo, config) as orch:
        agent = orch.get_instance(agent_id)
        costs.append((await agent.run_task("three"))["cost_usd"])
        assert agent.cost_usd == pytest.approx(sum(costs))
        assert await orch.store_call("cost_for_agent", agent_id) == pytest.approx(sum(costs))
    assert costs[0] > 0 and costs == pytest.approx([costs[0]] * 3)
    assert rows(config, "select cost_usd from agent") == [(pytest.approx(sum(costs)),)]
    stored = [json.loads(d)["cost_usd"] for (d,) in rows(config, "select data from event where kind = 'result'")]
    assert stored == pytest.approx(costs)


# -- new worktrees: .worktreeinclude and the setup command ---------------------------------------


def ignore_env_file(repo: Path) -> None:
    (repo / ".gitignore").write_text(".env\n")
    (repo / ".worktreeinclude").write_text("# copied into every worktree\n.env\n")
    git(repo, "add", ".gitignore", ".worktreeinclude")
    git(repo, "commit", "-q", "-m", "ignore .env")
    (repo / ".env").write_text("API_TOKEN=local-only\n")


async def test_an_ignored_file_named_in_worktreeinclude_is_copied_into_each_task_worktree(
    scripted_api, git_repo, config
):
    ignore_env_file(git_repo)
    async with Orchestrator(git_repo, config) as orch:
        result = await orch.sessions.run_plan([
            {"name": "left", "description": "go left"},
            {"name": "right", "description": "go right", "dependencies": ["left"]},
        ])
        assert result["success"], result
        for task in ("left", "right"):
            assert (worktree_of(orch, result, task) / ".env").read_text() == "API_TOKEN=local-only\n"


async def test_a_worktreeinclude_file_is_never_committed_with_the_task(scripted_api, git_repo, config):
    ignore_env_file(git_repo)
    scripted_api.script("write code", writes("code.py", "# code\n"))
    async with Orchestrator(git_repo, config) as orch:
        result = await orch.sessions.run_plan([{"name": "code", "description": "write code"}])
        assert result["success"], result
    branch = result["results"][0]["branch"]
    assert ".env" not in git(git_repo, "ls-tree", "-r", "--name-only", branch).split()
    assert "code.py" in git(git_repo, "ls-tree", "-r", "--name-only", branch).split()


async def test_the_setup_command_runs_in_each_new_worktree(git_repo, config):
    setup = config.with_overrides(setup_command="python3 -c \"open('ready', 'w').write('yes')\"")
    async with Orchestrator(git_repo, setup) as orch:
        one = await orch.create_instance(worktree_name="one")
        two = await orch.create_instance(worktree_name="two")
    assert (one.worktree.path / "ready").read_text() == (two.worktree.path / "ready").read_text() == "yes"
    assert not (git_repo / "ready").exists()


async def test_a_failing_setup_command_is_an_agent_error_and_leaves_no_worktree(git_repo, config):
    broken = config.with_overrides(setup_command="python3 -c \"import sys; print('npm is missing'); sys.exit(3)\"")
    async with Orchestrator(git_repo, broken) as orch:
        with pytest.raises(AgentError, match="failed with exit status 3: npm is missing"):
            await orch.create_instance(worktree_name="doomed", branch="feature/doomed")
        assert orch.list_instances() == []
    assert not (config.worktree_base_path / "doomed").exists()
    assert git(git_repo, "worktree", "list").count("\n") == 0
    assert git(git_repo, "branch", "--list", "feature/doomed") == ""
    assert rows(config, "select count(*) from agent") == [(0,)]


# -- the README's library example --------------------------------------------------------------


async def test_the_readme_library_example_runs_as_written(scripted_api, git_repo, config):
    scripted_api.script("Create a module", [text("Module planned.")])
    scripted_api.script("create new file", [text("File planned.")])
    scripted_api.script("What does the module do?", [text("It greets.")])
    async with Orchestrator(git_repo, config) as orchestrator:
        instance = await orchestrator.create_instance(worktree_name="feature-branch", branch="feature/new",
                                                      base_branch=None)
        await instance.start()
        result = await instance.run_task("Create a module", context={"style": "pep8"})
        assert set(result) == RESULT_KEYS and result["success"] and result["output"] == "Module planned."
        command = await instance.execute_command("create new file")
        query = await instance.execute_query("What does the module do?", timeout=120, max_retries=3)
        assert command["output"] == "File planned." and query["output"] == "It greets."
        health = await instance.health_check()
        assert health["healthy"] and health["worktree_exists"] and health["process_running"]
        info = instance.get_status_info()
        assert (info["worktree"], info["branch"], info["base"], info["state"]) == ("feature-branch", "feature/new",
                                                                                   "main", "done")
        assert info["session_id"] == result["session_id"]
        await instance.stop()
        assert orchestrator.get_instance(instance.instance_id) is instance
        assert orchestrator.list_instances() == [instance]
        await orchestrator.remove_instance(instance.instance_id, remove_worktree=True)
        assert orchestrator.list_instances() == [] and not instance.worktree.path.exists()
        report = await orchestrator.health_check()
        assert set(report) == {"healthy", "checks", "instances", "running", "max_concurrent"}
        assert all(set(c) == {"ok", "detail"} for c in report["checks"].values())
        assert report["checks"]["repository"]["ok"] and report["checks"]["database"]["ok"]
        cleaned = await orchestrator.cleanup(max_age_hours=24)
        assert cleaned == {"removed": [], "kept": [], "pruned": [], "dry_run": False}
    assert '"style": "pep8"' in prompts_sent(scripted_api)[0]
    assert git(git_repo, "branch", "--list", "feature/new") == ""
