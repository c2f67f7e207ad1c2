"""How the app looks: each screen and each agent state, over fixed history (tests/tui/seed.py)."""

from __future__ import annotations

import pytest
from textual.pilot import Pilot

from clct_tui.domain import AgentState, ApprovalRequest
from clct_tui.tui.app import ClctApp
from clct_tui.tui.screens.approval import ApprovalScreen
from clct_tui.tui.widgets.task_graph import TaskGraph
from clct_tui.tui.widgets.transcript import TranscriptView
from tests.tui.conftest import SIZE, wait_for
from tests.tui.seed import AGENTS, TASKS, seed

# Agents that would be mid-run: no model runs in a snapshot, so their state is set directly.
LIVE_STATES = {"docs-site": AgentState.RUNNING, "fix-login": AgentState.WAITING,
               "refactor-auth": AgentState.QUEUED}


@pytest.fixture
def seeded(git_repo, config):
    seed(git_repo, config)

    def build(theme: str = "clct-dark") -> ClctApp:
        config.theme = theme
        return ClctApp(git_repo, config, show_clock=False)

    return build


async def settled(pilot: Pilot) -> None:
    """Wait until the engine, the transcript, the task graph and every row's git counts are in."""
    app = pilot.app
    await wait_for(pilot, app._engine_ready.is_set, what="the engine")
    await wait_for(pilot, lambda: len(app._git_counts) == len(AGENTS), what="git counts")
    await wait_for(pilot, lambda: len(app.main.query_one(TaskGraph).tasks) == len(TASKS), what="the task graph")
    await wait_for(pilot, lambda: app.main.query_one(TranscriptView).entry_count > 0, what="the transcript")
    for instance in app.orchestrator.list_instances():
        if instance.name in LIVE_STATES:
            instance._set_state(LIVE_STATES[instance.name])
    await pilot.pause()
    app.main.query_one(TranscriptView).flush()
    await pilot.pause()


def test_main_screen_with_agents_in_every_state(snap_compare, seeded):
    assert snap_compare(seeded(), terminal_size=SIZE, run_before=settled)


def test_main_screen_in_the_light_theme(snap_compare, seeded):
    assert snap_compare(seeded("clct-light"), terminal_size=SIZE, run_before=settled)


def test_main_screen_in_the_high_contrast_theme(snap_compare, seeded):
    assert snap_compare(seeded("clct-high-contrast"), terminal_size=SIZE, run_before=settled)


def test_new_agent_dialog(snap_compare, seeded):
    assert snap_compare(seeded(), terminal_size=SIZE, run_before=settled,
                        press=["n", *"add a changelog", "tab", *"changelog"])


def test_approval_dialog_shows_the_command_in_full(snap_compare, seeded):
    async def ask(pilot: Pilot) -> None:
        await settled(pilot)
        request = ApprovalRequest("r1", "Bash", {"command": "pytest -x tests/test_login.py",
                                                  "description": "Run the login tests"})
        pilot.app.push_screen(ApprovalScreen("fix-login", request))
        await pilot.pause()

    assert snap_compare(seeded(), terminal_size=SIZE, run_before=ask)


def test_diff_screen(snap_compare, seeded):
    assert snap_compare(seeded(), terminal_size=SIZE, run_before=settled, press=["D", "_"])


def test_merge_question(snap_compare, seeded):
    assert snap_compare(seeded(), terminal_size=SIZE, run_before=settled, press=["m", "_"])


def test_history_screen_with_a_transcript_open(snap_compare, seeded):
    assert snap_compare(seeded(), terminal_size=SIZE, run_before=settled, press=["h", "_", "_", "enter", "_", "_"])


def test_help_screen(snap_compare, seeded):
    assert snap_compare(seeded(), terminal_size=SIZE, run_before=settled, press=["question_mark", "_"])
