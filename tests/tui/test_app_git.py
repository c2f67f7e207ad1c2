"""Keys that act on a worktree's git state: D diff, c commit, m merge, x remove."""

from __future__ import annotations

import subprocess

from clct_tui.domain import AgentState
from clct_tui.testing.scripted_api import text, tool_use
from clct_tui.tui.screens.dialogs import ConfirmScreen, TextPromptScreen
from clct_tui.tui.screens.diff import DiffScreen
from tests.tui.conftest import SIZE, engine_ready, screen_text, start_agent, wait_for


def git(repo, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True).stdout


async def agent_that_wrote(pilot, scripted_api, filename: str = "notes.md", content: str = "# notes\nline\n"):
    scripted_api.script(f"write {filename}", [tool_use("Write", {"file_path": filename, "content": content}),
                                              text("written")])
    agent = await start_agent(pilot, f"write {filename}")
    await wait_for(pilot, lambda: agent.state is AgentState.DONE, what="the run to finish")
    return agent


async def commit_with_prefilled_message(pilot) -> None:
    await pilot.press("c")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, TextPromptScreen), what="the commit dialog")
    await pilot.press("enter")
    await wait_for(pilot, lambda: not isinstance(pilot.app.screen, TextPromptScreen))


async def test_a_row_counts_the_files_its_agent_changed_once_the_run_ends(scripted_api, make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await engine_ready(pilot)
        await agent_that_wrote(pilot, scripted_api, "notes.md")
        await wait_for(pilot, lambda: "1 file" in screen_text(app), what="the row to count the written file")


async def test_D_shows_each_changed_file_with_its_counts_and_patch(scripted_api, make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await engine_ready(pilot)
        await agent_that_wrote(pilot, scripted_api, "notes.md", "# notes\nfirst\nsecond\n")
        await pilot.press("D")
        await wait_for(pilot, lambda: isinstance(app.screen, DiffScreen), what="the diff screen")
        await pilot.pause()
        shown = screen_text(app)
        assert "notes.md" in shown and "+3" in shown and "+second" in shown
        await pilot.press("escape")
        assert app.screen is app.main


async def test_c_commits_with_the_task_as_the_prefilled_message(scripted_api, make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await engine_ready(pilot)
        agent = await agent_that_wrote(pilot, scripted_api)
        await commit_with_prefilled_message(pilot)
        await wait_for(pilot, lambda: "write notes.md" in git(agent.worktree.path, "log", "-1", "--format=%s"))
        assert git(agent.worktree.path, "status", "--porcelain") == ""


async def test_m_asks_first_then_merges_the_branch_into_its_base(scripted_api, make_app, git_repo):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await engine_ready(pilot)
        await agent_that_wrote(pilot, scripted_api)
        await commit_with_prefilled_message(pilot)
        await pilot.press("m")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the merge question")
        assert not (git_repo / "notes.md").exists()
        await pilot.press("y")
        await wait_for(pilot, lambda: "notes.md" in git(git_repo, "ls-tree", "--name-only", "main"), what="merge")


async def test_m_declined_changes_nothing(scripted_api, make_app, git_repo):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await engine_ready(pilot)
        await agent_that_wrote(pilot, scripted_api)
        await commit_with_prefilled_message(pilot)
        head = git(git_repo, "rev-parse", "main")
        await pilot.press("m")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("n")
        await pilot.pause(0.3)
        assert git(git_repo, "rev-parse", "main") == head


async def test_m_with_a_conflict_names_the_path_and_changes_nothing(scripted_api, make_app, git_repo):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await engine_ready(pilot)
        await agent_that_wrote(pilot, scripted_api, "README.md", "# the agent's readme\n")
        await commit_with_prefilled_message(pilot)
        (git_repo / "README.md").write_text("# someone else's readme\n")
        git(git_repo, "commit", "-qam", "a change on main")
        head = git(git_repo, "rev-parse", "main")
        await pilot.press("m")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_for(pilot, lambda: any("conflict" in (n.title or "").lower() for n in app._notifications))
        conflict = next(n for n in app._notifications if "conflict" in (n.title or "").lower())
        assert "README.md" in conflict.message
        assert git(git_repo, "rev-parse", "main") == head
        assert git(git_repo, "status", "--porcelain") == ""


async def test_x_removes_a_worktree_with_nothing_to_lose_after_asking(scripted_api, make_app):
    scripted_api.script("just look", [text("nothing to change")])
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await engine_ready(pilot)
        agent = await start_agent(pilot, "just look")
        await wait_for(pilot, lambda: agent.state is AgentState.DONE)
        await pilot.press("x")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the remove question")
        await pilot.press("y")
        await wait_for(pilot, lambda: not app.orchestrator.list_instances(), what="the removal")
        assert not agent.worktree.path.exists()


async def test_x_refuses_uncommitted_work_until_confirmed_a_second_time(scripted_api, make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await engine_ready(pilot)
        agent = await agent_that_wrote(pilot, scripted_api)
        await pilot.press("x")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen) and "lost" in screen_text(app),
                       what="the second, stronger question")
        assert agent.worktree.path.exists()
        await pilot.press("n")
        await pilot.pause(0.3)
        assert agent.worktree.path.exists() and app.orchestrator.list_instances()
        await pilot.press("x")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen) and "lost" in screen_text(app))
        await pilot.press("y")
        await wait_for(pilot, lambda: not agent.worktree.path.exists(), what="the forced removal")
