"""StopWatch: another clct process's `clct stop`, seen by one look at the database for every running agent.

The database is the only channel between clct processes. It is asked only while this process runs
an agent, and once per interval for all of them: with eight agents streaming, one look per agent
each half second was a thread hop every 60 ms.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Iterator

from clct_tui.errors import ClctError

STOP_POLL = 0.5  # seconds between looks


class StopWatch:
    """Calls an agent's ``on_stop`` once when another process asked to stop it, while it is watched."""

    def __init__(self, ask: Callable[[list[str]], Awaitable[set[str]]], every: float = STOP_POLL) -> None:
        self._ask = ask  # agent ids -> those another process asked to stop
        self._every = every
        self._watched: dict[str, Callable[[], None]] = {}
        self._task: asyncio.Task[None] | None = None

    @contextlib.contextmanager
    def watching(self, agent_id: str, on_stop: Callable[[], None]) -> Iterator[None]:
        self._watched[agent_id] = on_stop
        if self._task is None or self._task.done():
            self._task = asyncio.ensure_future(self._loop())
        try:
            yield
        finally:
            self._watched.pop(agent_id, None)

    def close(self) -> None:
        if self._task is not None:
            self._task.cancel()

    async def _loop(self) -> None:
        while self._watched:
            await asyncio.sleep(self._every)
            if not self._watched:
                return
            try:
                asked = await self._ask(list(self._watched))
            except ClctError:
                continue  # the database failing is reported by the writes; the agents are being stopped
            for agent_id in asked:
                on_stop = self._watched.pop(agent_id, None)
                if on_stop is not None:
                    on_stop()
