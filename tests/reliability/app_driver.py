"""The real clct app in a process of its own, for tests that kill it: `python -m tests.reliability.app_driver REPO PROMPT…`.

It opens ClctApp headless (Textual's headless driver: the real app, engine and CLI; only the
screen is virtual), starts one agent per prompt by pressing `n`, typing the prompt and Enter,
then runs until it is killed. Settings come from the environment (CLCT_* variables), as for `clct`.

Keys go through the app's driver as a terminal's would. The pilot's own ``press`` waits for the
app to be idle after every key, which takes most of a second while an agent streams, so the
agents would start many seconds apart; typed here, they start within a second or two.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from textual import events
from textual.keys import _character_to_key

from clct_tui.config import Config
from clct_tui.tui.app import ClctApp
from clct_tui.tui.screens.new_agent import NewAgentScreen
from tests.tui.conftest import SIZE, engine_ready, wait_for


def key(app: ClctApp, name: str, char: str | None) -> None:
    event = events.Key(name, char)
    event.set_sender(app)
    app._driver.send_message(event)


async def type_text(app: ClctApp, words: str) -> None:
    for char in words:
        key(app, char if char.isalnum() else _character_to_key(char), char)
        await asyncio.sleep(0.005)  # a fast typist


async def start_agent(pilot, prompt: str) -> None:
    app = pilot.app
    before = len(app.orchestrator.list_instances())
    key(app, "n", "n")
    await wait_for(pilot, lambda: isinstance(app.screen, NewAgentScreen), what="the new-agent dialog")
    await type_text(app, prompt)
    key(app, "enter", "\r")
    await wait_for(pilot, lambda: len(app.orchestrator.list_instances()) > before, what="the agent to be created")


async def main(repo: Path, prompts: list[str]) -> None:
    app = ClctApp(repo, Config.load(), show_clock=False)
    async with app.run_test(size=SIZE) as pilot:
        await engine_ready(pilot)
        for prompt in prompts:
            await start_agent(pilot, prompt)
        print("started", flush=True)
        while True:  # until killed
            await asyncio.sleep(0.1)


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]), sys.argv[2:]))
