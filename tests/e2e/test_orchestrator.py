"""The Orchestrator end to end: the real CLI, real worktrees, real SQLite; only the model is scripted."""

from __future__ import annotations

import asyncio

import pytest

from clct_tui import Orchestrator
from clct_tui.domain import AgentState
from clct_tui.errors import TaskGraphError
from clct_tui.orchestrator import ApprovalRequested, EngineFailure, RunFinished, WorktreeChanged
from clct_tui.testing.scripted_api import hang, status, text, tool_use
from tests.e2e.conftest import rows


async def test_a_file_written_by_the_agent_lands_in_its_own_worktree_only(scripted_api, git_repo, config):
    scripted_api.script("write hello", [tool_use("Write", {"file_path": "hello.txt", "content": "hi\n"}), text("Done.")])
    async with Orchestrator(git_repo, config) as orch:
        one = await orch.create_instance(worktree_name="one")
        two = await orch.create_instance(worktree_name="two")
        result = await one.run_task("write hello")
        assert result["success"], result
        assert (one.worktree.path / "hello.txt").read_text() == "hi\n"
        assert not (two.worktree.path / "hello.txt").exists()
        assert not (git_repo / "hello.txt").exists()
        assert result["session_id"] and result["num_turns"] >= 1 and result["cost_usd"] >= 0


async def test_a_run_that_used_a_tool_tells_that_its_worktree_changed(scripted_api, git_repo, config):
    scripted_api.script("write it", [tool_use("Write", {"file_path": "it.txt", "content": "it\n"}), text("Done.")])
    async with Orchestrator(git_repo, config) as orch:
        heard = []
        orch.subscribe(lambda event: heard.append(type(event)))
        agent = await orch.create_instance(worktree_name="writer")
        await agent.run_task("write it")
    assert heard.count(WorktreeChanged) == 1 and heard.index(WorktreeChanged) > heard.index(RunFinished)


async def test_a_run_that_only_answered_does_not_tell_that_its_worktree_changed(scripted_api, git_repo, config):
    # Its worktree's status is not read again: at full speed agents end several runs a second.
    scripted_api.script("just talk", [text("Nothing to change.")])
    async with Orchestrator(git_repo, config) as orch:
        heard = []
        orch.subscribe(lambda event: heard.append(type(event)))
        agent = await orch.create_instance(worktree_name="talker")
        await agent.run_task("just talk")
    assert RunFinished in heard and WorktreeChanged not in heard


async def test_a_run_and_its_transcript_are_stored(scripted_api, git_repo, config):
    scripted_api.script("say hi", [text("Hello from the scripted model.")])
    async with Orchestrator(git_repo, config) as orch:
        agent = await orch.create_instance(worktree_name="talker")
        await agent.execute_command("say hi")
    (state, success, session_id), = rows(config, "select state, success, session_id from run")
    assert (state, success) == ("done", 1) and session_id
    texts = rows(config, "select text from event where kind = 'text' order by seq")
    assert "".join(t for (t,) in texts) == "Hello from the scripted model."


async def test_three_parallel_tasks_never_exceed_the_limit(scripted_api, git_repo, config):
    for name in ("alpha", "beta", "gamma"):
        scripted_api.script(f"make {name}", [tool_use("Write", {"file_path": f"{name}.txt", "content": name}),
                                             text(f"{name} done")])
    async with Orchestrator(git_repo, config) as orch:
        result = await orch.run_parallel_tasks(
            [{"name": n, "description": f"make {n}"} for n in ("alpha", "beta", "gamma")], session_name="trio"
        )
        assert result["success"], result
        assert orch.peak_running == 2
        worktrees = {r["name"]: r["worktree"] for r in result["results"]}
        assert len(set(worktrees.values())) == 3
        for r in result["results"]:
            path = orch.get_instance(r["agent_id"]).worktree.path
            assert (path / f"{r['name']}.txt").read_text() == r["name"]


async def test_a_dependent_task_starts_from_its_dependencys_work(scripted_api, git_repo, config):
    scripted_api.script("create the schema", [tool_use("Write", {"file_path": "schema.sql", "content": "create table t;\n"}),
                                               text("schema written")])
    scripted_api.script("write the api", [tool_use("Write", {"file_path": "api.py", "content": "# api\n"}), text("ok")])
    async with Orchestrator(git_repo, config) as orch:
        result = await orch.run_parallel_tasks([
            {"name": "api", "description": "write the api", "dependencies": ["schema"]},
            {"name": "schema", "description": "create the schema"},
        ])
        assert result["success"], result
        api = next(r for r in result["results"] if r["name"] == "api")
        api_path = orch.get_instance(api["agent_id"]).worktree.path
        assert (api_path / "schema.sql").exists() and (api_path / "api.py").exists()
        assert [r["name"] for r in result["results"]] == ["schema", "api"]


async def test_a_failed_task_skips_its_dependents_and_the_rest_go_on(scripted_api, git_repo, config):
    scripted_api.script("break", [status(400, times=10)])
    scripted_api.script("fine", [text("fine")])
    async with Orchestrator(git_repo, config.with_overrides(max_retries=0)) as orch:
        result = await orch.run_parallel_tasks([
            {"name": "broken", "description": "break"},
            {"name": "child", "description": "never runs", "dependencies": ["broken"]},
            {"name": "other", "description": "fine"},
        ])
    by_name = {r["name"]: r for r in result["results"]}
    assert not result["success"]
    assert by_name["broken"]["status"] == "failed"
    assert by_name["child"]["status"] == "skipped" and "broken" in by_name["child"]["error"]
    assert by_name["other"]["status"] == "done"


async def test_a_cycle_is_refused_before_anything_runs(scripted_api, git_repo, config):
    async with Orchestrator(git_repo, config) as orch:
        with pytest.raises(TaskGraphError, match="cycle"):
            await orch.run_parallel_tasks([
                {"name": "a", "description": "A", "dependencies": ["b"]},
                {"name": "b", "description": "B", "dependencies": ["a"]},
            ])
        assert orch.list_instances() == []
    assert scripted_api.requests == []


async def test_a_sequential_workflow_shares_one_worktree(scripted_api, git_repo, config):
    scripted_api.script("step one", [tool_use("Write", {"file_path": "one.txt", "content": "1"}), text("ok")])
    scripted_api.script("step two", [tool_use("Write", {"file_path": "two.txt", "content": "2"}), text("ok")])
    async with Orchestrator(git_repo, config) as orch:
        result = await orch.run_sequential_workflow(
            [{"name": "one", "description": "step one"}, {"name": "two", "description": "step two"}]
        )
        assert result["success"], result
        assert len({r["worktree"] for r in result["results"]}) == 1
        path = orch.get_instance(result["results"][1]["agent_id"]).worktree.path
        assert (path / "one.txt").exists() and (path / "two.txt").exists()


async def test_an_approved_bash_call_runs_and_a_denied_one_does_not(scripted_api, git_repo, config):
    scripted_api.script("run it", [tool_use("Bash", {"command": "python3 -c \"open('approved.txt', 'w')\""}), text("ran")])
    scripted_api.script("try it", [tool_use("Bash", {"command": "python3 -c \"open('denied.txt', 'w')\""}), text("gave up")])
    async with Orchestrator(git_repo, config) as orch:
        agent = await orch.create_instance(worktree_name="bash")
        answers = iter([True, False])

        def answer(event):
            if isinstance(event, ApprovalRequested):
                assert agent.state is AgentState.WAITING
                agent.answer_approval(event.request.request_id, next(answers), "not today")

        orch.subscribe(answer)
        assert (await agent.run_task("run it"))["success"]
        assert (agent.worktree.path / "approved.txt").exists()
        await agent.run_task("try it")
        assert not (agent.worktree.path / "denied.txt").exists()
    assert "not today" in str(scripted_api.requests[-1]["messages"][-1])


async def test_an_interrupt_stops_the_run_and_the_conversation_goes_on(scripted_api, git_repo, config):
    scripted_api.script("think forever", [hang()])
    scripted_api.script("after", [text("still here")])
    async with Orchestrator(git_repo, config) as orch:
        agent = await orch.create_instance(worktree_name="stoppable")
        run = asyncio.create_task(agent.run_task("think forever"))
        while agent.state is not AgentState.RUNNING or not scripted_api.requests:
            await asyncio.sleep(0.05)
        await agent.interrupt()
        result = await asyncio.wait_for(run, 30)
        assert not result["success"] and result["error"] == "interrupted"
        assert agent.state is AgentState.INTERRUPTED
        assert (await agent.run_task("after"))["success"]


async def test_a_conversation_resumes_in_a_new_orchestrator_on_the_same_database(scripted_api, git_repo, config):
    scripted_api.script("remember the number 42", [text("I will remember 42.")])
    scripted_api.script("what was the number", [text("It was 42.")])
    async with Orchestrator(git_repo, config) as orch:
        agent = await orch.create_instance(worktree_name="memory")
        first = await agent.run_task("remember the number 42")
        agent_id = agent.instance_id
    async with Orchestrator(git_repo, config) as orch:
        agent = orch.get_instance(agent_id)
        assert agent is not None and agent.session_id == first["session_id"]
        assert (await agent.run_task("what was the number"))["success"]
    assert "remember the number 42" in str(scripted_api.requests[-1]["messages"])


async def test_overloaded_answers_are_retried_until_the_api_recovers(scripted_api, git_repo, config):
    scripted_api.script("busy", [status(529, times=3), text("finally")])
    async with Orchestrator(git_repo, config) as orch:
        agent = await orch.create_instance(worktree_name="patient")
        result = await agent.run_task("busy")
    assert result["success"] and result["output"] == "finally"


async def test_a_run_that_outlives_instance_timeout_fails_with_that_reason(scripted_api, git_repo, config):
    scripted_api.script("slow", [hang()])
    async with Orchestrator(git_repo, config.with_overrides(instance_timeout=3, max_retries=0)) as orch:
        agent = await orch.create_instance(worktree_name="slow")
        result = await agent.run_task("slow")
    assert not result["success"] and "timed out after 3 s" in result["error"]
    assert rows(config, "select state from run") == [("failed",)]


async def test_a_queued_write_that_fails_on_a_bug_is_told_and_the_later_writes_still_land(scripted_api, git_repo,
                                                                                          config):
    # Every run waits for the writes queued before its own: one that raised must not stop them all.
    scripted_api.script("say hi", [text("hi")])
    async with Orchestrator(git_repo, config) as orch:
        failures = []
        orch.subscribe(lambda event: failures.append(event) if isinstance(event, EngineFailure) else None)
        agent = await orch.create_instance(worktree_name="talker")
        orch.store_write_soon("update_agent", agent.instance_id, no_such_field=1)
        result = await asyncio.wait_for(agent.execute_command("say hi"), 60)
        assert result["success"], result
        assert [f.message for f in failures] == [
            "clct could not store a change (update_agent): Agent has no field 'no_such_field' that can be updated"]
    (state,) = rows(config, "select state from agent")[0]
    assert state == "done"
