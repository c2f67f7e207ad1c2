"""The real app, headless (``App.run_test``), over the real engine, with agents streaming at full speed.

Key latency is measured the way a person feels it: the key is handed to the app as a terminal
would send it (``driver.send_message``, not ``pilot.press``, which waits for the whole process to
go idle and so never returns promptly while agents stream), and the clock stops at the end of the
first frame the compositor produces after the widget's state shows the key's effect. In headless
mode that frame is rendered in full (every changed line through ``render_line``) and then handed
to a driver that writes nothing, so the time includes everything but the terminal's own drawing.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

from textual import events

from benchmarks.harness import ApiProcess, Sandbox, until
from clct_tui.orchestrator import ClaudeInstance, TranscriptAppended
from clct_tui.tui.app import ClctApp
from clct_tui.tui.widgets.worktree_list import WorktreeList

SIZE = (160, 48)


class FrameClock:
    """Wraps the app's display hook: every composed frame calls back the waiters whose condition now holds."""

    def __init__(self, app: ClctApp) -> None:
        self.frames = 0
        self._waiters: list[tuple[Callable[[], bool], asyncio.Future[float]]] = []
        original = app._display

        def display(screen, update) -> None:
            original(screen, update)
            if update is None:
                return
            self.frames += 1
            now = time.perf_counter()
            for waiter in list(self._waiters):
                condition, future = waiter
                if not future.done() and condition():
                    future.set_result(now)
                    self._waiters.remove(waiter)

        app._display = display  # type: ignore[method-assign]

    def next_frame_where(self, condition: Callable[[], bool]) -> asyncio.Future[float]:
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self._waiters.append((condition, future))
        return future


@dataclass
class LiveApp:
    app: ClctApp
    pilot: object
    sandbox: Sandbox
    api: ApiProcess
    clock: FrameClock
    streaming: list[ClaudeInstance] = field(default_factory=list)
    agents: list[ClaudeInstance] = field(default_factory=list)
    appended: dict[str, int] = field(default_factory=dict)  # TranscriptAppended per agent (deltas joined)
    runs: dict[str, int] = field(default_factory=dict)  # finished runs per agent
    _stop: asyncio.Event = field(default_factory=asyncio.Event)
    _tasks: list[asyncio.Task] = field(default_factory=list)

    @property
    def worktree_list(self) -> WorktreeList:
        return self.app.main.query_one(WorktreeList)

    def count(self, event) -> None:
        if isinstance(event, TranscriptAppended):
            self.appended[event.agent_id] = self.appended.get(event.agent_id, 0) + 1

    @property
    def deltas(self) -> int:
        """Text deltas read from the CLIs' output, before clct joins any."""
        return sum(a._driver.deltas_read[0] for a in self.agents if a._driver is not None)

    @property
    def delta_chars(self) -> int:
        return sum(a._driver.deltas_read[1] for a in self.agents if a._driver is not None)

    async def add_agents(self, count: int, prefix: str) -> list[ClaudeInstance]:
        orch = self.app.orchestrator
        made = [await orch.create_instance(worktree_name=f"{prefix}{i:02d}") for i in range(count)]
        self.agents.extend(made)
        await asyncio.gather(*(a.start() for a in made))  # the CLI processes, connected
        return made

    def start_streaming(self, agents: list[ClaudeInstance]) -> None:
        """Each agent sends prompt after prompt, at full speed, until stop_streaming()."""
        self.streaming = agents
        self._stop.clear()

        async def loop(index: int, agent: ClaudeInstance) -> None:
            n = self.runs.get(agent.instance_id, 0)
            while not self._stop.is_set():
                result = await agent.send(f"bench agent {index:02d} run {n:05d}.")
                if not result["success"]:
                    raise RuntimeError(f"{agent.name} run {n} failed: {result['error']}")
                n += 1
                self.runs[agent.instance_id] = n

        self._tasks = [asyncio.create_task(loop(i, a)) for i, a in enumerate(agents)]

    async def stop_streaming(self) -> None:
        """Let every agent finish the run it is in, then stop."""
        self._stop.set()
        await asyncio.gather(*self._tasks)
        self._tasks = []

    async def press(self, key: str, effect: Callable[[], bool]) -> float:
        """Seconds from handing ``key`` to the app to the end of the first frame showing ``effect``."""
        frame = self.clock.next_frame_where(effect)
        start = time.perf_counter()
        self.app._driver.send_message(events.Key(key, None))
        return await asyncio.wait_for(frame, 10) - start

    async def key_latencies(self, presses: int, gap: float = 0.1) -> list[float]:
        """Move the worktree selection down to the last row and back up, ``presses`` keys, one every ``gap`` s."""
        wl = self.worktree_list
        wl.focus()
        await asyncio.sleep(0.2)
        latencies = []
        step = 1
        for _ in range(presses):
            now = wl.highlighted or 0
            if not 0 <= now + step < wl.option_count:
                step = -step
            target = now + step
            latencies.append(await self.press("down" if step > 0 else "up", lambda t=target: wl.highlighted == t))
            await asyncio.sleep(gap)
        return latencies


@contextlib.asynccontextmanager
async def live_app(sandbox: Sandbox, api: ApiProcess) -> AsyncIterator[LiveApp]:
    app = ClctApp(sandbox.repo, sandbox.config, show_clock=False)
    async with app.run_test(size=SIZE) as pilot:
        await until(app._engine_ready.is_set, 60, "the engine to open")
        live = LiveApp(app, pilot, sandbox, api, FrameClock(app))
        app.orchestrator.subscribe(live.count)
        try:
            yield live
        finally:
            if live._tasks:
                await live.stop_streaming()
            await app.orchestrator.shutdown()
