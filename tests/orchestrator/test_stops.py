"""StopWatch: one look at the database per interval serves every running agent (`clct stop` from elsewhere).

The end-to-end behaviour (another process's `clct stop` reaching a running agent) is tested against real
processes in tests/reliability/test_two_processes.py; here ``ask`` stands in for the database's answer.
"""

from __future__ import annotations

import asyncio

from clct_tui.errors import StoreError
from clct_tui.orchestrator.stops import StopWatch


async def until(condition, timeout: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.005)


class Database:
    def __init__(self) -> None:
        self.asked: list[list[str]] = []
        self.stopped: set[str] = set()
        self.failing = False

    async def ask(self, ids: list[str]) -> set[str]:
        self.asked.append(sorted(ids))
        if self.failing:
            raise StoreError("the database is locked")
        return self.stopped & set(ids)


async def test_one_look_asks_for_every_watched_agent_at_once():
    db = Database()
    watch = StopWatch(db.ask, every=0.01)
    with watch.watching("a", lambda: None), watch.watching("b", lambda: None):
        await asyncio.sleep(0.035)
    assert db.asked and all(ids == ["a", "b"] for ids in db.asked)
    assert len(db.asked) <= 4


async def test_an_agent_asked_to_stop_is_told_once():
    db = Database()
    told: list[str] = []
    watch = StopWatch(db.ask, every=0.01)
    with watch.watching("a", lambda: told.append("a")), watch.watching("b", lambda: told.append("b")):
        db.stopped.add("a")
        await until(lambda: told)
        await asyncio.sleep(0.03)  # more looks: "a" is not told again
    assert told == ["a"]


async def test_nothing_is_asked_while_no_agent_runs():
    db = Database()
    watch = StopWatch(db.ask, every=0.01)
    with watch.watching("a", lambda: None):
        await asyncio.sleep(0.015)
    asked = len(db.asked)
    await asyncio.sleep(0.05)
    assert len(db.asked) == asked
    watch.close()


async def test_a_failing_database_is_asked_again_at_the_next_look():
    db = Database()
    db.failing = True
    told: list[str] = []
    watch = StopWatch(db.ask, every=0.01)
    with watch.watching("a", lambda: told.append("a")):
        await until(lambda: db.asked)
        db.failing, db.stopped = False, {"a"}
        await until(lambda: told)
    assert told == ["a"]
