"""Repos, worktrees, agents, runs, sessions, tasks and costs: what goes in comes back as plain records."""

from __future__ import annotations

import dataclasses
import datetime
import sqlite3
import time

import pytest

from clct_tui.domain import AgentState, TaskStatus
from clct_tui.errors import StoreError, TaskGraphError, WorktreeExistsError
from clct_tui.store import RunRecord

# -- repos and worktrees ----------------------------------------------------------------


def test_a_repo_is_created_once_and_remembers_a_new_default_branch(store):
    first = store.ensure_repo("/src/app", "main")
    again = store.ensure_repo("/src/app", "trunk")
    assert again.id == first.id and again.default_branch == "trunk"
    assert store.ensure_repo("/src/app", None).default_branch == "trunk"


def test_a_worktree_is_found_by_name(store, repo, worktree):
    assert store.get_worktree_by_name(repo.id, "auth") == worktree
    assert store.get_worktree(worktree.id) == worktree
    assert (worktree.path, worktree.branch, worktree.base, worktree.removed_at) == ("/wt/auth", "clct/auth", "main",
                                                                                     None)


def test_a_second_worktree_of_the_same_name_is_refused(store, repo, worktree):
    with pytest.raises(WorktreeExistsError, match="auth"):
        store.add_worktree(repo.id, "auth", "/wt/auth2", "clct/auth2", "main")


def test_a_removed_worktree_is_hidden_and_its_name_free_again(store, repo, worktree):
    store.mark_worktree_removed(worktree.id)
    assert store.get_worktree_by_name(repo.id, "auth") is None
    assert store.list_worktrees(repo.id) == []
    again = store.add_worktree(repo.id, "auth", "/wt/auth", "clct/auth", "main")
    assert [w.id for w in store.list_worktrees(repo.id, include_removed=True)] == [worktree.id, again.id]


# -- agents -----------------------------------------------------------------------------------


def test_an_agent_is_stored_idle_with_its_settings(store, repo, worktree, agent):
    assert store.get_agent(agent.id) == agent
    assert (agent.repo_id, agent.worktree_id, agent.name, agent.model, agent.permission_mode, agent.state) == (
        repo.id, worktree.id, "auth", "sonnet", "acceptEdits", "idle")
    assert len(agent.id) == 32


def test_an_unknown_agent_is_none(store):
    assert store.get_agent("0" * 32) is None


def test_an_agent_is_updated_by_field_name(store, agent):
    store.update_agent(agent.id, state=AgentState.WAITING, session_id="sdk-1")
    updated = store.get_agent(agent.id)
    assert (updated.state, updated.session_id) == ("waiting", "sdk-1")
    assert updated.updated_at >= agent.updated_at


def test_updating_a_field_that_does_not_exist_is_a_bug(store, agent):
    with pytest.raises(ValueError, match="colour"):
        store.update_agent(agent.id, colour="blue")


def test_agent_cost_and_tokens_add_up(store, agent):
    store.add_agent_cost(agent.id, 0.25, 100, 10)
    store.add_agent_cost(agent.id, 0.5, 1, 2)
    updated = store.get_agent(agent.id)
    assert (updated.cost_usd, updated.input_tokens, updated.output_tokens) == (0.75, 101, 12)


def test_agents_of_removed_worktrees_are_listed_only_on_request(store, repo, worktree, agent):
    loose = store.add_agent(repo.id, None, "loose", None, "default")
    assert [a.id for a in store.list_agents(repo.id)] == [agent.id, loose.id]
    store.mark_worktree_removed(worktree.id)
    assert [a.id for a in store.list_agents(repo.id)] == [loose.id]
    assert [a.id for a in store.list_agents(repo.id, include_removed=True)] == [agent.id, loose.id]


def test_agents_are_listed_per_repo(store, agent):
    other = store.ensure_repo("/src/other", "main")
    store.add_agent(other.id, None, "elsewhere", None, "default")
    assert [a.id for a in store.list_agents(agent.repo_id)] == [agent.id]
    assert len(store.list_agents()) == 2


# -- runs --------------------------------------------------------------------------------


def test_a_run_starts_running_and_becomes_the_agents_last_prompt(store, agent, run):
    assert (run.agent_id, run.prompt, run.kind, run.state, run.ended_at) == (
        agent.id, "add a login page", "task", "running", None)
    assert store.get_agent(agent.id).last_prompt == "add a login page"


def test_an_unknown_run_kind_is_refused(store, agent):
    with pytest.raises(ValueError, match="chat"):
        store.start_run(agent.id, "hi", "chat")


def test_a_finished_run_keeps_its_outcome(store, run):
    store.finish_run(run.id, state="done", success=True, result_text="done it", cost_usd=0.1, num_turns=3,
                     duration_ms=1500, session_id="sdk-9")
    finished = store.get_run(run.id)
    assert (finished.state, finished.success, finished.result_text, finished.error, finished.cost_usd,
            finished.num_turns, finished.duration_ms, finished.session_id, finished.agent_name) == (
        "done", True, "done it", None, 0.1, 3, 1500, "sdk-9", "auth")
    assert finished.ended_at is not None


def test_a_failed_run_keeps_its_error(store, run):
    store.finish_run(run.id, state="failed", success=False, error="API overloaded")
    assert (store.get_run(run.id).state, store.get_run(run.id).error) == ("failed", "API overloaded")


def test_an_unknown_run_is_none(store):
    assert store.get_run(4242) is None


def test_runs_are_listed_newest_first(store, agent, run):
    later = store.start_run(agent.id, "write tests", "followup")
    assert [r.id for r in store.list_runs()] == [later.id, run.id]
    assert [r.id for r in store.list_runs(limit=1)] == [later.id]
    assert store.last_run(agent.id).id == later.id


def test_runs_are_listed_per_agent_and_per_repo(store, repo, agent, run):
    other_repo = store.ensure_repo("/src/other", "main")
    other = store.add_agent(other_repo.id, None, "other", None, "default")
    theirs = store.start_run(other.id, "elsewhere", "query")
    assert [r.id for r in store.list_runs(agent_id=other.id)] == [theirs.id]
    assert [r.id for r in store.list_runs(repo_id=repo.id)] == [run.id]


def test_history_is_searched_in_prompts_and_results(store, agent, run):
    other = store.start_run(agent.id, "fix the build", "task")
    store.finish_run(other.id, state="done", success=True, result_text="Added a LOGIN check to CI")
    assert {r.id for r in store.list_runs(search="login")} == {run.id, other.id}
    assert [r.id for r in store.list_runs(search="build")] == [other.id]
    assert store.list_runs(search="nothing like it") == []


def test_records_are_plain_dataclasses(run):
    assert dataclasses.is_dataclass(run) and type(run) is RunRecord


# -- sessions and tasks ------------------------------------------------------------------------------


def test_a_session_is_found_by_id_and_by_name(store, repo):
    session = store.create_session(repo.id, "auth-plan", "log in and out", max_budget_usd=2.5)
    assert store.get_session(session.id) == session
    assert store.get_session_by_name(repo.id, "auth-plan") == session
    assert (session.description, session.max_budget_usd, session.status) == ("log in and out", 2.5, "pending")
    assert store.get_session("nope") is None and store.get_session_by_name(repo.id, "nope") is None


def test_sessions_are_listed_newest_first(store, repo):
    first = store.create_session(repo.id, "one")
    second = store.create_session(repo.id, "two")
    assert [s.id for s in store.list_sessions(repo.id)] == [second.id, first.id]
    assert [s.id for s in store.list_sessions(repo.id, limit=1)] == [second.id]


def test_a_session_status_is_updated(store, repo):
    session = store.create_session(repo.id, "plan")
    store.update_session(session.id, status="done")
    assert store.get_session(session.id).status == "done"


def test_a_task_keeps_its_plan(store, repo):
    session = store.create_session(repo.id, "plan")
    store.add_task(session.id, "b", "B", priority=3, depends_on=["a"], context={"k": [1]}, branch="feat/b",
                   base="main", model="opus", max_budget_usd=1.5, max_turns=7)
    (task,) = store.tasks(session.id)
    assert (task.session_id, task.name, task.description, task.priority, task.depends_on, task.context,
            task.branch, task.base, task.model, task.max_budget_usd, task.max_turns, task.status) == (
        session.id, "b", "B", 3, ["a"], {"k": [1]}, "feat/b", "main", "opus", 1.5, 7, "pending")


def test_tasks_come_back_in_the_order_they_were_added(store, repo):
    session = store.create_session(repo.id, "plan")
    for name in ["setup", "core", "docs"]:
        store.add_task(session.id, name, name.upper())
    assert [t.name for t in store.tasks(session.id)] == ["setup", "core", "docs"]


def test_a_duplicate_task_name_is_refused_naming_it(store, repo):
    session = store.create_session(repo.id, "plan")
    store.add_task(session.id, "setup", "A")
    with pytest.raises(TaskGraphError, match="duplicate task name: setup"):
        store.add_task(session.id, "setup", "again")


def test_the_same_task_name_is_fine_in_another_session(store, repo):
    for name in ["one", "two"]:
        store.add_task(store.create_session(repo.id, name).id, "setup", "A")


def test_a_task_is_updated_with_its_agent_and_outcome(store, repo, agent):
    session = store.create_session(repo.id, "plan")
    task = store.add_task(session.id, "setup", "A")
    store.update_task(task.id, status=TaskStatus.DONE, agent_id=agent.id, output="ok", cost_usd=0.3,
                      started_at=1.0, ended_at=2.0)
    (done,) = store.tasks(session.id)
    assert (done.status, done.agent_id, done.output, done.cost_usd, done.started_at, done.ended_at) == (
        "done", agent.id, "ok", 0.3, 1.0, 2.0)


# -- cost ---------------------------------------------------------------------------------


def test_cost_is_summed_per_agent_and_session(store, repo, agent, run):
    store.finish_run(run.id, state="done", success=True, cost_usd=0.25)
    store.finish_run(store.start_run(agent.id, "more", "followup").id, state="done", success=True, cost_usd=0.5)
    session = store.create_session(repo.id, "plan")
    for name, cost in [("a", 0.1), ("b", 0.2)]:
        store.update_task(store.add_task(session.id, name, name).id, cost_usd=cost)
    assert store.cost_for_agent(agent.id) == pytest.approx(0.75)
    assert store.cost_for_session(session.id) == pytest.approx(0.3)


def test_cost_today_counts_only_runs_started_since_midnight(store, agent, run, db_path):
    store.finish_run(run.id, state="done", success=True, cost_usd=0.25)
    old = store.start_run(agent.id, "yesterday's work", "task")
    store.finish_run(old.id, state="done", success=True, cost_usd=9.0)
    yesterday = datetime.datetime.combine(datetime.date.today(), datetime.time()).timestamp() - 60
    with sqlite3.connect(db_path) as db:
        db.execute("update run set started_at = ? where id = ?", (yesterday, old.id))
    db.close()
    assert store.cost_today() == pytest.approx(0.25)
    assert store.cost_today(agent.repo_id) == pytest.approx(0.25)
    assert store.cost_today(store.ensure_repo("/src/other", None).id) == 0.0


def test_a_failed_write_raises_store_error(store, repo, db_path):
    session = store.create_session(repo.id, "plan")
    # As root nothing makes the file read-only; a missing table fails the write the same way.
    with sqlite3.connect(db_path) as db:
        db.execute("drop table task")
    db.close()
    with pytest.raises(StoreError, match="could not be written"):
        store.add_task(session.id, "a", "A")


def test_timestamps_are_seconds_since_the_epoch(store, agent):
    assert abs(agent.created_at - time.time()) < 5
