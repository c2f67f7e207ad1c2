"""How the transcript looks: snapshots of a tiny app holding only a TranscriptView."""

from __future__ import annotations

from textual.pilot import Pilot

from clct_tui.tui.widgets.transcript import TranscriptView
from tests.tui.transcript_app import (
    TranscriptApp,
    approval_waiting,
    failed_run,
    finished_conversation,
)

SIZE = (100, 30)


async def settled(pilot: Pilot) -> None:
    # The view coalesces updates on a frame timer; apply them before the picture is taken.
    await pilot.pause()
    pilot.app.query_one(TranscriptView).flush()
    await pilot.pause()


def test_a_finished_conversation(snap_compare):
    assert snap_compare("transcript_app.py", terminal_size=SIZE, run_before=settled)


def test_an_expanded_tool_call(snap_compare):
    app = TranscriptApp(finished_conversation())
    assert snap_compare(app, terminal_size=SIZE, run_before=settled, press=["home", "down", "down", "enter"])


def test_an_approval_waiting(snap_compare):
    assert snap_compare(TranscriptApp(approval_waiting()), terminal_size=SIZE, run_before=settled)


def test_an_error_and_a_failed_run(snap_compare):
    assert snap_compare(TranscriptApp(failed_run()), terminal_size=SIZE, run_before=settled)
