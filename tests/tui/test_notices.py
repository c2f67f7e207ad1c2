"""Runs that finish close together are told in one notice (each toast lays the screen out again)."""

from __future__ import annotations

from textual.app import App

from clct_tui.tui.notices import GATHER, FinishedNotices, finished_notice


def test_one_finished_run_is_told_by_name_and_cost():
    assert finished_notice(["alpha ($0.01)"]) == "alpha ($0.01) finished"


def test_a_few_finished_runs_are_all_named():
    assert finished_notice(["a ($0.01)", "b ($0.02)"]) == "2 runs finished: a ($0.01), b ($0.02)"


def test_many_finished_runs_name_three_and_count_the_rest():
    names = [f"agent-{i} ($0.01)" for i in range(8)]
    assert finished_notice(names) == ("8 runs finished: agent-0 ($0.01), agent-1 ($0.01), agent-2 ($0.01) "
                                      "and 5 more")


async def test_runs_finishing_within_the_gathering_moment_make_one_notice():
    told: list[str] = []
    app = App()
    async with app.run_test() as pilot:
        notices = FinishedNotices(app.set_timer, told.append)
        notices.add("a ($0.01)")
        notices.add("b ($0.02)")
        assert told == []  # not yet: more may come
        await pilot.pause(GATHER + 0.3)
        notices.add("c ($0.03)")
        await pilot.pause(GATHER + 0.3)
    assert told == ["2 runs finished: a ($0.01), b ($0.02)", "c ($0.03) finished"]
