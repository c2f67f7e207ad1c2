"""The API misbehaving, through the Orchestrator: the real Claude Code CLI against a scripted server
that answers 529/500/429, garbage, a stream cut half-way, or nothing at all.

For each fault: the run ends in a state and with an error a person can read (naming what happened),
the transcript up to the fault is kept, and an agent running beside it is not disturbed.
Already covered in tests/e2e: 529 then recovery (the result), and the bare instance_timeout reason.
"""

from __future__ import annotations

import asyncio
import json

import pytest

from clct_tui import Orchestrator
from clct_tui.testing.scripted_api import (
    Reply,
    ScriptedAPI,
    cut_stream,
    garbage,
    hang,
    status,
    text,
    tool_use,
)
from tests.e2e.conftest import rows

NAMED = {529: "API overloaded (529)", 500: "API server error (500)", 429: "API rate limited (429)"}
HEALTHY_ANSWER = "I am the agent next door and I finish my sentence. " * 4


async def beside_a_healthy_agent(api: ScriptedAPI, orch: Orchestrator, prompt: str) -> tuple[dict, dict]:
    """Run ``prompt`` in one agent while another streams a slow answer; both results."""
    api.script("next door", [text(HEALTHY_ANSWER, chunk_size=8, delay=0.02)])
    faulty = await orch.create_instance(worktree_name="faulty")
    healthy = await orch.create_instance(worktree_name="healthy")
    return await asyncio.gather(faulty.run_task(prompt), healthy.run_task("next door"))


def the_healthy_agent_finished(config) -> None:
    """The neighbour's run is done and its whole answer is stored, in order."""
    (run_id, state), = rows(config, "select run.id, run.state from run join agent on run.agent_id = agent.id "
                                    "where agent.name = 'healthy'")
    assert state == "done"
    stored = "".join(t for (t,) in rows(config, "select text from event where run_id = ? and kind = 'text' "
                                                "order by seq", (run_id,)))
    assert stored == HEALTHY_ANSWER


def faulty_run(config) -> tuple[str, str | None, list[tuple[str, str]]]:
    """The faulty agent's last run: state, error and its transcript (kind, text), in order."""
    (run_id, state, error), = rows(config, "select run.id, run.state, run.error from run join agent "
                                           "on run.agent_id = agent.id where agent.name = 'faulty'")
    events = rows(config, "select kind, text from event where run_id = ? order by seq", (run_id,))
    return state, error, events


def agent_state(config, name: str) -> str:
    (state,), = rows(config, "select state from agent where name = ?", (name,))
    return state


# -- errors the CLI retries itself, then recovery -------------------------------------------------


@pytest.mark.parametrize("code", [529, 500, 429])
async def test_an_api_error_then_recovery_completes_the_run_and_the_transcript_says_why_it_waited(
        code, scripted_api, git_repo, config):
    scripted_api.script("flaky", [status(code, times=2), text("the whole answer, after all")])
    async with Orchestrator(git_repo, config) as orch:
        result, beside = await beside_a_healthy_agent(scripted_api, orch, "flaky")
    assert result["success"] and result["output"] == "the whole answer, after all"
    assert beside["success"]
    state, error, events = faulty_run(config)
    assert (state, error) == ("done", None)
    notes = [t for k, t in events if k == "system"]
    assert len(notes) == 2 and all(n.startswith(f"{NAMED[code]}; Claude Code retries in") for n in notes), notes
    assert "".join(t for k, t in events if k == "text") == "the whole answer, after all"
    assert events[0] == ("prompt", "flaky") and events[-1][0] == "result"
    the_healthy_agent_finished(config)


@pytest.mark.parametrize("code", [529, 500, 429])
async def test_an_api_error_that_does_not_clear_fails_the_run_naming_it(code, scripted_api, git_repo, config,
                                                                       monkeypatch):
    monkeypatch.setenv("CLAUDE_CODE_MAX_RETRIES", "0")  # the CLI gives up at once; clct's own retries remain
    scripted_api.script("down", [status(code, times=100)])
    async with Orchestrator(git_repo, config.with_overrides(max_retries=1)) as orch:
        result, beside = await beside_a_healthy_agent(scripted_api, orch, "down")
    assert not result["success"] and beside["success"]
    state, error, events = faulty_run(config)
    assert state == "failed"
    assert error.startswith(f"{NAMED[code]} — ") and error.endswith("(gave up after 2 attempts)"), error
    assert events[-1] == ("error", error)
    assert [k for k, _ in events].count("prompt") == 2  # clct tried twice; both attempts are in the transcript
    assert "text" not in [k for k, _ in events]  # the CLI's error message is not stored as the model's words
    assert agent_state(config, "faulty") == "failed"
    the_healthy_agent_finished(config)


# -- garbage ------------------------------------------------------------------------------------------


async def test_one_unreadable_answer_is_retried_by_the_cli_and_the_run_completes(scripted_api, git_repo, config):
    scripted_api.script("garble", [garbage(), text("read me fine")])
    async with Orchestrator(git_repo, config) as orch:
        result, beside = await beside_a_healthy_agent(scripted_api, orch, "garble")
    assert result["success"] and result["output"] == "read me fine" and beside["success"]
    state, error, events = faulty_run(config)
    assert (state, error) == ("done", None)
    assert "".join(t for k, t in events if k == "text") == "read me fine"
    the_healthy_agent_finished(config)


async def test_an_api_that_only_answers_garbage_fails_the_run_without_retrying(scripted_api, git_repo, config):
    scripted_api.script("garble", [garbage(times=100)])
    async with Orchestrator(git_repo, config.with_overrides(max_retries=3)) as orch:
        result, beside = await beside_a_healthy_agent(scripted_api, orch, "garble")
    assert not result["success"] and beside["success"]
    state, error, events = faulty_run(config)
    assert state == "failed"
    assert error.startswith("the API's answer could not be read (not a Messages API response"), error
    # Retrying cannot help when the answer is not the Messages API (a proxy, a wrong base URL): one
    # attempt, in which the CLI made its streaming request and its non-streaming fallback.
    assert [k for k, _ in events].count("prompt") == 1
    assert sum(1 for r in scripted_api.requests if "garble" in json.dumps(r["messages"])) == 2
    assert events[-1][0] == "result"
    (data,), = rows(config, "select event.data from event join run on event.run_id = run.id join agent on "
                            "run.agent_id = agent.id where agent.name = 'faulty' and event.kind = 'result'")
    assert json.loads(data)["error"] == error
    the_healthy_agent_finished(config)


# -- a stream cut half-way ----------------------------------------------------------------------------


async def test_a_stream_cut_once_is_retried_and_the_transcript_keeps_both_the_cut_words_and_the_answer(
        scripted_api, git_repo, config):
    scripted_api.script("fragile", [cut_stream("these words are cut off half-way through"), text("complete answer")])
    async with Orchestrator(git_repo, config) as orch:
        result, beside = await beside_a_healthy_agent(scripted_api, orch, "fragile")
    assert result["success"] and result["output"] == "complete answer" and beside["success"]
    state, error, events = faulty_run(config)
    assert (state, error) == ("done", None)
    kinds = [k for k, _ in events]
    note_at = kinds.index("system")
    note = events[note_at][1]
    assert note.startswith("the API call failed (no status: the connection was lost") and "retries in" in note
    # What the server sent, in order, nothing lost: the cut words before the retry note, the answer after.
    cut_words = "".join(t for k, t in events[:note_at] if k == "text")
    assert cut_words and "these words are cut off half-way through".startswith(cut_words)
    assert "".join(t for k, t in events[note_at:] if k == "text") == "complete answer"
    assert cut_words + "complete answer" == scripted_api.sent_text["fragile"]
    the_healthy_agent_finished(config)


async def test_a_stream_cut_every_time_fails_the_run_as_a_lost_connection_keeping_the_words_that_came(
        scripted_api, git_repo, config):
    scripted_api.script("fragile", [cut_stream("these words are cut off half-way through", times=100)])
    async with Orchestrator(git_repo, config.with_overrides(max_retries=1)) as orch:
        result, beside = await beside_a_healthy_agent(scripted_api, orch, "fragile")
    assert not result["success"] and beside["success"]
    state, error, events = faulty_run(config)
    assert state == "failed"
    assert error.startswith("the connection to the API was lost — ") and error.endswith("(gave up after 2 attempts)")
    assert events[-1] == ("error", error)
    # Everything the server managed to send before each cut is in the transcript.
    assert "".join(t for k, t in events if k == "text") == scripted_api.sent_text["fragile"]
    assert scripted_api.sent_text["fragile"].count("these words are ") >= 2
    the_healthy_agent_finished(config)


# -- no answer at all -------------------------------------------------------------------------------


async def test_an_api_that_stops_answering_mid_run_times_out_keeping_the_work_done_before(
        scripted_api, git_repo, config):
    scripted_api.script("stall", [tool_use("Write", {"file_path": "before.txt", "content": "done before\n"},
                                           say="Writing first."), hang()])
    async with Orchestrator(git_repo, config.with_overrides(instance_timeout=4, max_retries=0)) as orch:
        result, beside = await beside_a_healthy_agent(scripted_api, orch, "stall")
        faulty = next(i for i in orch.list_instances() if i.name == "faulty")
        assert (faulty.worktree.path / "before.txt").read_text() == "done before\n"
    assert not result["success"] and beside["success"]
    state, error, events = faulty_run(config)
    assert (state, error) == ("failed", "timed out after 4 s (instance_timeout)")
    kinds = [k for k, _ in events]
    assert kinds[:2] == ["prompt", "text"] and "tool_use" in kinds and "tool_result" in kinds
    assert ("error", error) in events
    assert agent_state(config, "faulty") == "failed"
    the_healthy_agent_finished(config)


def test_faults_take_no_turn_so_the_same_turn_gets_the_next_reply():
    """The scripted server's contract that the tests above rely on."""
    api = ScriptedAPI()
    api.script("x", [cut_stream(times=2), garbage(), status(529), text("answer")])
    body = {"messages": [{"role": "user", "content": "x"}], "tools": [{}]}
    kinds: list[Reply] = [api._choose(body)[1] for _ in range(5)]
    assert [r.kind for r in kinds] == ["cut", "cut", "garbage", "status", "text"]
