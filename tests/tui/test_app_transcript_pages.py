"""A transcript longer than the pane holds: read from the store a page at a time as it is scrolled.

The history is real (a real database written through the store); the app holds a window of it,
so scrolling from the newest event to the first and back shows every event while the pane never
holds more than MAX_WINDOW_ENTRIES entries.
"""

from __future__ import annotations

import pytest

from clct_tui import Orchestrator
from clct_tui.domain import EventKind, TranscriptEvent
from clct_tui.tui.widgets.transcript import MAX_WINDOW_ENTRIES, TranscriptView
from tests.tui.conftest import engine_ready, wait_for

RUNS, PER_RUN = 12, 1_000  # 12,000 one-line entries: more than the tail read at start and than a window


@pytest.fixture
async def long_history(git_repo, config):
    async with Orchestrator(git_repo, config) as orch:
        instance = await orch.create_instance(worktree_name="long")
        for r in range(RUNS):
            run = orch.store.start_run(instance.instance_id, f"prompt {r}")
            for i in range(PER_RUN):
                orch.store.append_event(run.id, TranscriptEvent(EventKind.SYSTEM, f"note {r * PER_RUN + i}"))
            orch.store.finish_run(run.id, state="done", success=True)
        orch.store.flush()


def shown(view: TranscriptView) -> list[str]:
    view.flush()
    return [view.render_line(y).text.strip() for y in range(view.size.height)]


async def scroll_to_edge(pilot, view: TranscriptView, top: bool) -> int:
    """Scroll to the top (or bottom) until no page is left beyond it; returns the largest window seen."""
    largest = view.entry_count
    for _ in range(100):
        if not (view.has_older if top else view.has_newer):
            break
        view.scroll_to(y=0 if top else view.max_scroll_y, animate=False, immediate=True)
        await pilot.pause(0.05)
        largest = max(largest, view.entry_count)
    view.scroll_to(y=0 if top else view.max_scroll_y, animate=False, immediate=True)
    await pilot.pause()
    return largest


async def opened(pilot) -> TranscriptView:
    await engine_ready(pilot)
    view = pilot.app.main.query_one("#transcript", TranscriptView)
    await wait_for(pilot, lambda: view.entry_count > 0, what="the transcript's tail")
    return view


async def test_a_long_transcript_opens_on_its_newest_events_without_reading_it_all(long_history, make_app):
    app = make_app()
    async with app.run_test(size=(140, 40)) as pilot:
        view = await opened(pilot)
        assert f"note {RUNS * PER_RUN - 1}" in shown(view)[-1]
        assert view.has_older and view.entry_count < RUNS * PER_RUN


async def test_scrolling_up_reaches_the_first_event_holding_no_more_than_a_window(long_history, make_app):
    app = make_app()
    async with app.run_test(size=(140, 40)) as pilot:
        view = await opened(pilot)
        view.focus()
        largest = await scroll_to_edge(pilot, view, top=True)
        assert shown(view)[0] == "· note 0"
        assert largest <= MAX_WINDOW_ENTRIES and view.has_newer


async def test_scrolling_back_down_reaches_the_newest_event_again(long_history, make_app):
    app = make_app()
    async with app.run_test(size=(140, 40)) as pilot:
        view = await opened(pilot)
        await scroll_to_edge(pilot, view, top=True)
        largest = await scroll_to_edge(pilot, view, top=False)
        assert f"note {RUNS * PER_RUN - 1}" in shown(view)[-1]
        assert largest <= MAX_WINDOW_ENTRIES and not view.has_newer


async def test_scrolled_pages_join_without_losing_or_repeating_an_entry(long_history, make_app):
    app = make_app()
    async with app.run_test(size=(140, 40)) as pilot:
        view = await opened(pilot)
        await scroll_to_edge(pilot, view, top=True)
        notes = [int(e.text.split()[1]) for e in view._entries]
        assert notes == list(range(notes[0], notes[0] + len(notes))) and notes[0] == 0


async def test_home_jumps_to_the_first_event_and_end_back_to_the_newest(long_history, make_app):
    app = make_app()
    async with app.run_test(size=(140, 40)) as pilot:
        view = await opened(pilot)
        view.focus()
        await pilot.press("home")
        await wait_for(pilot, lambda: not view.has_older, what="the first page")
        await pilot.pause()
        assert shown(view)[0] == "· note 0" and view.cursor == 0
        await pilot.press("end")
        await wait_for(pilot, lambda: not view.has_newer, what="the last page")
        assert f"note {RUNS * PER_RUN - 1}" in " ".join(shown(view)) and view.following


async def test_after_home_scrolling_down_reaches_the_newest_event(long_history, make_app):
    app = make_app()
    async with app.run_test(size=(140, 40)) as pilot:
        view = await opened(pilot)
        view.focus()
        await pilot.press("home")
        await wait_for(pilot, lambda: not view.has_older, what="the first page")
        largest = await scroll_to_edge(pilot, view, top=False)
        assert f"note {RUNS * PER_RUN - 1}" in shown(view)[-1] and largest <= MAX_WINDOW_ENTRIES
