"""The agent driver against the real CLI: streaming, tools, approvals, interrupts, resume, faults."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest

from clct_tui.agents import AgentDriver, AgentOptions
from clct_tui.domain import EventKind
from clct_tui.errors import CLINotFoundError, TransientAgentError
from clct_tui.testing.scripted_api import hang, status, text, tool_use

PY_TOUCH = "python3 -c \"open('{}', 'w')\""  # a command acceptEdits does not allow by itself


def driver(git_repo, events, on_approval=None, **options):
    return AgentDriver(AgentOptions(cwd=git_repo, **options), on_event=events.append, on_approval=on_approval)


@contextlib.asynccontextmanager
async def connected(git_repo, events, **options) -> AsyncIterator[AgentDriver]:
    """A driver for the test's runs, its CLI process ended afterwards whatever happened."""
    agent = driver(git_repo, events, **options)
    try:
        yield agent
    finally:
        await agent.disconnect()


async def test_streamed_text_adds_up_to_what_was_sent_and_every_delta_is_counted(scripted_api, git_repo):
    answer = "The quick brown fox jumps over the lazy dog. " * 5
    scripted_api.script("tell me", [text(answer, chunk_size=5)])
    events = []
    async with connected(git_repo, events) as agent:
        result = await agent.run("tell me")
    chunks = [e for e in events if e.kind is EventKind.TEXT]
    assert "".join(e.text for e in chunks) == answer
    assert agent.deltas_read == (len(answer) // 5, len(answer))  # joined per read, none lost
    assert events[0].kind is EventKind.PROMPT and events[-1].kind is EventKind.RESULT
    assert result.success and result.session_id and result.num_turns == 1 and result.output == answer


async def test_text_streamed_slowly_arrives_as_it_comes_not_at_the_end(scripted_api, git_repo):
    answer = "One sentence at a time, a fifth of a second apart. " * 4
    scripted_api.script("tell me slowly", [text(answer, chunk_size=len(answer) // 4, delay=0.2)])
    events = []
    async with connected(git_repo, events) as agent:
        await agent.run("tell me slowly")
    chunks = [e.text for e in events if e.kind is EventKind.TEXT]
    assert len(chunks) >= 3 and "".join(chunks) == answer


async def test_a_write_tool_call_writes_the_file_in_the_working_folder(scripted_api, git_repo):
    scripted_api.script("make a file", [tool_use("Write", {"file_path": "made.txt", "content": "x\n"}), text("ok")])
    events = []
    async with connected(git_repo, events) as agent:
        await agent.run("make a file")
    assert (git_repo / "made.txt").read_text() == "x\n"
    kinds = [e.kind for e in events]
    assert EventKind.TOOL_USE in kinds and EventKind.TOOL_RESULT in kinds


async def test_an_approved_command_runs(scripted_api, git_repo):
    scripted_api.script("run something", [tool_use("Bash", {"command": PY_TOUCH.format("ran.txt")}), text("done")])
    events = []
    def approve(request):
        agent.answer(request.request_id, True)

    async with connected(git_repo, events, on_approval=approve) as agent:
        assert (await agent.run("run something")).success
    assert (git_repo / "ran.txt").exists()
    asked = next(e for e in events if e.kind is EventKind.APPROVAL_ASKED)
    assert asked.data["tool"] == "Bash" and "ran.txt" in asked.data["input"]["command"]


async def test_a_denied_command_does_not_run_and_the_model_hears_why(scripted_api, git_repo):
    scripted_api.script("run something", [tool_use("Bash", {"command": PY_TOUCH.format("no.txt")}), text("fine")])
    events = []
    def deny(request):
        agent.answer(request.request_id, False, "not on my machine")

    async with connected(git_repo, events, on_approval=deny) as agent:
        await agent.run("run something")
    assert not (git_repo / "no.txt").exists()
    assert "not on my machine" in str(scripted_api.requests[-1]["messages"][-1])


async def test_an_unanswered_approval_is_denied_after_the_timeout(scripted_api, git_repo):
    scripted_api.script("run something", [tool_use("Bash", {"command": PY_TOUCH.format("late.txt")}), text("ok")])
    events = []
    async with connected(git_repo, events, approval_timeout=1) as agent:
        await agent.run("run something")
    answered = next(e for e in events if e.kind is EventKind.APPROVAL_ANSWERED)
    assert answered.data["allow"] is False and "no answer within 1 s" in answered.data["reason"]
    assert not (git_repo / "late.txt").exists()


async def test_an_interrupt_ends_the_run_and_the_conversation_goes_on(scripted_api, git_repo):
    scripted_api.script("wait forever", [hang()])
    scripted_api.script("and now", [text("back")])
    events = []
    async with connected(git_repo, events) as agent:
        run = asyncio.ensure_future(agent.run("wait forever"))
        while not scripted_api.requests:
            await asyncio.sleep(0.05)
        await agent.interrupt()
        result = await asyncio.wait_for(run, 30)
        assert not result.success and result.error == "interrupted"
        assert (await agent.run("and now")).success


async def test_a_new_driver_resumes_a_stored_session(scripted_api, git_repo):
    scripted_api.script("first words", [text("noted")])
    scripted_api.script("second words", [text("I remember")])
    events = []
    async with connected(git_repo, events) as first:
        session_id = (await first.run("first words")).session_id
    async with connected(git_repo, events, resume=session_id) as second:
        result = await second.run("second words")
    assert result.success and "first words" in str(scripted_api.requests[-1]["messages"])


async def test_overloaded_answers_are_retried_by_the_cli(scripted_api, git_repo):
    scripted_api.script("busy", [status(529, times=2), text("made it")])
    async with connected(git_repo, []) as agent:
        result = await agent.run("busy")
    assert result.success and result.output == "made it"


async def test_an_api_that_stays_overloaded_is_a_transient_failure(scripted_api, git_repo, monkeypatch):
    monkeypatch.setenv("CLAUDE_CODE_MAX_RETRIES", "1")
    scripted_api.script("busy", [status(529, times=50)])
    async with connected(git_repo, []) as agent:
        with pytest.raises(TransientAgentError, match="529"):
            await agent.run("busy")


async def test_a_run_that_outlives_its_timeout_fails_with_that_reason(scripted_api, git_repo):
    scripted_api.script("slow", [hang()])
    events = []
    async with connected(git_repo, events) as agent:
        result = await agent.run("slow", timeout=2)
    assert not result.success and result.error == "timed out after 2 s (instance_timeout)"
    assert events[-1].kind is EventKind.ERROR


async def test_a_missing_cli_says_how_to_get_one(git_repo, tmp_path):
    agent = driver(git_repo, [], cli_path=str(tmp_path / "no-such-claude"))
    with pytest.raises(CLINotFoundError, match="cli_path"):
        await agent.connect()
