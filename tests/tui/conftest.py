"""Fixtures for app tests: the real app over the real engine, CLI and git; only the model is scripted."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest

from clct_tui.config import Config
from clct_tui.tui.app import ClctApp
from clct_tui.tui.screens.new_agent import NewAgentScreen
from clct_tui.tui.widgets.transcript import TranscriptView
from tests.e2e.conftest import (  # noqa: F401 (fixtures)
    git_repo,
    isolated_env,
    make_config,
    make_repo,
    scripted_api,
)

SIZE = (140, 40)


@pytest.fixture
def config(tmp_path) -> Config:
    return make_config(tmp_path, max_concurrent_instances=3)  # three agents at once, as the snapshots show


@pytest.fixture
def make_app(git_repo, config) -> Callable[..., ClctApp]:
    def build(repo: Path | None = None, cfg: Config | None = None) -> ClctApp:
        return ClctApp(repo or git_repo, cfg or config, show_clock=False)

    return build


async def wait_for(pilot, condition: Callable[[], object], timeout: float = 20.0, what: str = "") -> None:
    """Let the app run until ``condition()`` is true; fail naming ``what`` after ``timeout`` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what or condition}")
        await pilot.pause(0.05)


async def engine_ready(pilot) -> None:
    await wait_for(pilot, pilot.app._engine_ready.is_set, what="the engine to open")


def notifications(app: ClctApp) -> list[str]:
    return [f"{n.title or ''} {n.message}".strip() for n in app._notifications]


def screen_text(app: ClctApp) -> str:
    """Every word on the active screen, as a person would read it."""
    strips = app.screen._compositor.render_strips()
    return " ".join(" ".join(strip.text for strip in strips).split())


def only_agent(app):
    (instance,) = app.orchestrator.list_instances()
    return instance


def transcript_text(app) -> str:
    """The words the transcript pane shows right now."""
    view = app.main.query_one("#transcript", TranscriptView)
    view.flush()
    return " ".join(" ".join(view.render_line(y).text for y in range(view.size.height)).split())


async def start_agent(pilot, prompt: str, name: str = ""):
    """Press n, type the prompt (and the name), Enter; returns the new agent."""
    before = {i.instance_id for i in pilot.app.orchestrator.list_instances()}
    await pilot.press("n")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, NewAgentScreen), what="the new-agent dialog")
    await pilot.press(*prompt)
    if name:
        await pilot.press("tab", *name)
    await pilot.press("enter")
    new = lambda: [i for i in pilot.app.orchestrator.list_instances() if i.instance_id not in before]
    await wait_for(pilot, new, what="the agent to be created")
    return new()[0]
