"""Keys that start and steer agents, pressed in the real app over the real engine and CLI."""

from __future__ import annotations

from clct_tui.domain import AgentState
from clct_tui.testing.scripted_api import hang, text, tool_use
from clct_tui.tui.screens.approval import ApprovalScreen
from clct_tui.tui.screens.new_agent import NewAgentScreen
from clct_tui.tui.widgets.prompt_bar import PromptBar
from clct_tui.tui.widgets.status_line import StatusLine
from clct_tui.tui.widgets.worktree_list import WorktreeList
from tests.tui.conftest import (
    SIZE,
    engine_ready,
    only_agent,
    screen_text,
    start_agent,
    transcript_text,
    wait_for,
)

APPROVAL_COMMAND = "python3 -c \"open('ran.txt', 'w')\""


async def test_n_starts_an_agent_whose_answer_streams_into_the_transcript_and_whose_file_lands_in_its_worktree(
    scripted_api, make_app
):
    scripted_api.script("write hello", [tool_use("Write", {"file_path": "hello.txt", "content": "hi\n"}),
                                        text("I wrote **hello.txt** for you.")])
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await engine_ready(pilot)
        await start_agent(pilot, "write hello")
        agent = only_agent(app)
        await wait_for(pilot, lambda: agent.state is AgentState.DONE, what="the run to finish")
        await wait_for(pilot, lambda: "I wrote hello.txt for you." in transcript_text(app), what="the answer")
        assert (agent.worktree.path / "hello.txt").read_text() == "hi\n"
        assert not (app.orchestrator.worktrees.repo_path / "hello.txt").exists()
        assert app.main.query_one(WorktreeList).selected_id == agent.instance_id
        assert "Write" in transcript_text(app) and "hello.txt" in transcript_text(app)


async def test_the_new_agent_dialog_opens_on_the_prompt_and_tab_reaches_the_name(scripted_api, make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await engine_ready(pilot)
        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, NewAgentScreen))
        assert app.focused.id == "prompt"
        await pilot.press(*"make docs", "tab", *"docs-agent", "enter")
        await wait_for(pilot, lambda: app.orchestrator.list_instances())
        assert only_agent(app).name == "docs-agent"


async def test_an_empty_prompt_keeps_the_dialog_open_with_a_message(scripted_api, make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await engine_ready(pilot)
        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, NewAgentScreen))
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, NewAgentScreen)
        assert "Type a prompt" in str(app.screen.query_one("#error").render())
        assert app.orchestrator.list_instances() == []


async def test_enter_on_a_worktree_focuses_the_prompt_and_a_follow_up_continues_the_conversation(
    scripted_api, make_app
):
    scripted_api.script("first words", [text("first answer")])
    scripted_api.script("second words", [text("second answer")])
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await engine_ready(pilot)
        await start_agent(pilot, "first words")
        agent = only_agent(app)
        await wait_for(pilot, lambda: agent.state is AgentState.DONE)
        app.main.query_one(WorktreeList).focus()
        await pilot.press("enter")
        assert isinstance(app.focused, PromptBar)
        await pilot.press(*"second words", "enter")
        await wait_for(pilot, lambda: "second answer" in transcript_text(app), what="the follow-up's answer")
        assert "first answer" in transcript_text(app)
    # The follow-up went to the same conversation: the server saw the first turn in it.
    assert "first answer" in str(scripted_api.requests[-1]["messages"])


async def approval_pending(pilot, scripted_api, then: str) -> object:
    scripted_api.script("run the tool", [tool_use("Bash", {"command": APPROVAL_COMMAND}), text(then)])
    await start_agent(pilot, "run the tool")
    agent = only_agent(pilot.app)
    await wait_for(pilot, lambda: agent.state is AgentState.WAITING, what="the approval request")
    return agent


async def test_a_shows_the_pending_call_in_full_and_approving_runs_it(scripted_api, make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await engine_ready(pilot)
        agent = await approval_pending(pilot, scripted_api, then="it ran")
        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, ApprovalScreen), what="the approval dialog")
        assert "open('ran.txt', 'w')" in screen_text(app)
        await pilot.press("a")
        await wait_for(pilot, lambda: agent.state is AgentState.DONE, what="the run to finish")
        assert (agent.worktree.path / "ran.txt").exists()
        assert "approved" in transcript_text(app).lower()


async def test_d_denies_the_pending_call_with_a_reason_and_it_does_not_run(scripted_api, make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await engine_ready(pilot)
        agent = await approval_pending(pilot, scripted_api, then="I will not run it")
        await pilot.press("d")
        await wait_for(pilot, lambda: isinstance(app.screen, ApprovalScreen))
        await pilot.press(*"not on main", "enter")
        await wait_for(pilot, lambda: agent.state is AgentState.DONE, what="the run to finish")
        assert not (agent.worktree.path / "ran.txt").exists()
        assert "not on main" in transcript_text(app)
    assert "not on main" in str(scripted_api.requests[-1]["messages"][-1])


async def test_a_with_nothing_pending_says_so(scripted_api, make_app):
    scripted_api.script("just talk", [text("hello")])
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await engine_ready(pilot)
        await start_agent(pilot, "just talk")
        agent = only_agent(app)
        await wait_for(pilot, lambda: agent.state is AgentState.DONE)
        await pilot.press("a")
        await pilot.pause()
        assert not isinstance(app.screen, ApprovalScreen)
        assert any("no tool call waiting" in n.message for n in app._notifications)


async def test_i_interrupts_a_running_agent_and_the_conversation_goes_on(scripted_api, make_app):
    scripted_api.script("think forever", [hang()])
    scripted_api.script("are you there", [text("still here")])
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await engine_ready(pilot)
        await start_agent(pilot, "think forever")
        agent = only_agent(app)
        await wait_for(pilot, lambda: agent.state is AgentState.RUNNING and scripted_api.requests)
        await pilot.press("i")
        await wait_for(pilot, lambda: agent.state is AgentState.INTERRUPTED, what="the interrupt")
        app.main.query_one(PromptBar).focus()
        await pilot.press(*"are you there", "enter")
        await wait_for(pilot, lambda: "still here" in transcript_text(app), what="the next answer")


async def test_a_finished_run_is_told_in_the_status_line_not_in_a_toast(scripted_api, make_app):
    scripted_api.script("say done", [text("Done.")])
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await engine_ready(pilot)
        await start_agent(pilot, "say done")
        agent = only_agent(app)
        status = app.main.query_one(StatusLine)
        await wait_for(pilot, lambda: status.notice, what="the notice")
        assert status.notice.startswith(f"{agent.name} ($") and status.notice.endswith(") finished")
        assert "finished" in screen_text(app)
        assert not [n for n in app._notifications if "finished" in n.message]
