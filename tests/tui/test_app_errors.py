"""Bad input gets a clear message in the app, never a traceback, and changes nothing."""

from __future__ import annotations

from clct_tui.domain import AgentState
from clct_tui.testing.scripted_api import text
from clct_tui.tui.app import ClctApp
from tests.tui.conftest import (
    SIZE,
    engine_ready,
    start_agent,
    transcript_text,
    wait_for,
)


def messages(app: ClctApp) -> str:
    return " ".join(f"{n.title or ''} {n.message}" for n in app._notifications)


async def test_a_folder_that_is_not_a_git_repository_is_named_in_a_message(config, tmp_path):
    plain = tmp_path / "plain"
    plain.mkdir()
    app = ClctApp(plain, config, show_clock=False)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app._notifications, what="the error")
        assert "is not inside a git repository" in messages(app) and "plain" in messages(app)
        await pilot.press("n")
        await pilot.pause()
        assert app.screen is app.main
    assert not (plain / ".git").exists()


async def test_a_taken_worktree_name_is_refused_with_the_name(scripted_api, make_app):
    scripted_api.script("first", [text("one")])
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await engine_ready(pilot)
        await start_agent(pilot, "first", name="same")
        await pilot.press("n", *"second", "tab", *"same", "enter")
        await wait_for(pilot, lambda: "same" in messages(app) and "Cannot create" in messages(app), what="refusal")
        assert len(app.orchestrator.list_instances()) == 1


async def test_an_invalid_worktree_name_is_refused(scripted_api, make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await engine_ready(pilot)
        await pilot.press("n", *"work", "tab", *"../escape", "enter")
        await wait_for(pilot, lambda: "Cannot create" in messages(app), what="the refusal")
        assert "../escape" in messages(app)
        assert app.orchestrator.list_instances() == []


async def test_a_missing_claude_cli_fails_the_agent_with_what_to_do(scripted_api, make_app, config, tmp_path):
    app = make_app(cfg=config.with_overrides(cli_path=str(tmp_path / "no-such-claude")))
    async with app.run_test(size=SIZE) as pilot:
        await engine_ready(pilot)
        agent = await start_agent(pilot, "hello")
        await wait_for(pilot, lambda: agent.state is AgentState.FAILED, what="the failure")
        shown = transcript_text(app)
        assert "Claude Code" in shown and "install" in shown.lower()
    assert scripted_api.requests == []
