"""Make the README's screenshots from real runs: the real app, engine, CLI and git; a scripted model.

    make screenshots        # writes screenshots/*.svg

Everything happens in a temporary sandbox (see clct_tui.testing.demo): nothing of yours is read or written.
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from clct_tui.config import Config
from clct_tui.domain import AgentState
from clct_tui.testing.demo import demo_replies, make_example_repo, sandbox
from clct_tui.testing.scripted_api import ScriptedAPI, hang, status, text, tool_use
from clct_tui.tui.app import ClctApp
from clct_tui.tui.screens.new_agent import NewAgentScreen
from clct_tui.tui.widgets.transcript import TranscriptView
from clct_tui.tui.widgets.worktree_list import WorktreeList

OUT = Path(__file__).resolve().parent
SIZE = (150, 42)

PLAN = [
    {"name": "schema", "description": "Design the page schema"},
    {"name": "renderer", "description": "Render pages from the schema", "dependencies": ["schema"]},
    {"name": "themes", "description": "Add theme support", "dependencies": ["schema"]},
    {"name": "release", "description": "Write the release notes", "dependencies": ["renderer", "themes"]},
]


def script(api: ScriptedAPI) -> None:
    api.script("Design the page schema", [
        tool_use("Write", {"file_path": "schema.py", "content": "PAGE = {'title': str, 'body': str}\n"},
                 say="I'll describe a page as a small schema."), text("The schema is in `schema.py`.")])
    api.script("Render pages", [text("Rendering now follows the schema.")])
    api.script("theme support", [text("Themes are loaded from `themes/`.")])
    api.script("release notes", [text("Release notes written.")])
    api.script("Migrate the site config", [status(400, times=20)])
    api.script("Profile the build", [hang()])
    api.script("Explain the renderer", [text(
        "## How rendering works\n\n`render()` takes Markdown and returns HTML. It runs once per page, so a "
        "cache keyed by each page's hash would make rebuilds fast.\n\n- **hot path**: `render()`\n"
        "- **cold path**: reading files\n\nNext I would measure a full build before and after.", delay=0.2)])


async def wait_for(pilot, condition: Callable[[], object], timeout: float = 30.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise TimeoutError(f"waited too long for {condition}")
        await pilot.pause(0.05)


async def start(pilot, prompt: str, name: str):
    app = pilot.app
    before = {i.instance_id for i in app.orchestrator.list_instances()}
    await pilot.press("n")
    await wait_for(pilot, lambda: isinstance(app.screen, NewAgentScreen))
    await pilot.press(*prompt, "tab", *name, "enter")
    await wait_for(pilot, lambda: len(app.orchestrator.list_instances()) > len(before))
    return next(i for i in app.orchestrator.list_instances() if i.instance_id not in before)


def save(app: ClctApp, name: str) -> None:
    app.main.query_one(TranscriptView).flush()
    app.save_screenshot(str(OUT / f"{name}.svg"))
    print(f"wrote screenshots/{name}.svg")


async def shoot(repo: Path, plan: Path) -> None:
    config = Config.load().with_overrides(max_retries=0, max_concurrent_instances=4)
    app = ClctApp(repo, config)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, app._engine_ready.is_set)
        # A task graph, run to the end.
        await pilot.press("t")
        await pilot.pause(0.2)
        await pilot.press(*str(plan), "enter")
        await pilot.pause(0.2)
        await pilot.press("r")
        await wait_for(pilot, lambda: len(app.orchestrator.list_instances()) == 4
                       and all(i.state is AgentState.DONE for i in app.orchestrator.list_instances()), 90)
        # Agents in every state.
        changelog = await start(pilot, "Add a changelog", "changelog")
        await wait_for(pilot, lambda: changelog.state is AgentState.DONE)
        failing = await start(pilot, "Migrate the site config", "migrate-config")
        await wait_for(pilot, lambda: failing.state is AgentState.FAILED)
        profile = await start(pilot, "Profile the build", "profile")
        await wait_for(pilot, lambda: profile.state is AgentState.RUNNING)
        await pilot.pause(1.0)
        await pilot.press("i")
        await wait_for(pilot, lambda: profile.state is AgentState.INTERRUPTED)
        tests = await start(pilot, "Run the tests", "run-tests")
        await wait_for(pilot, lambda: tests.state is AgentState.WAITING)
        explain = await start(pilot, "Explain the renderer", "explain")
        await wait_for(pilot, lambda: explain.state is AgentState.RUNNING)
        await pilot.pause(4.0)
        save(app, "main")

        app.main.query_one(WorktreeList).select(tests.instance_id)
        await pilot.pause(0.5)
        await pilot.press("a")
        await pilot.pause(0.5)
        save(app, "approval")
        await pilot.press("a")
        await wait_for(pilot, lambda: tests.state is AgentState.DONE)

        app.main.query_one(WorktreeList).select(changelog.instance_id)
        await pilot.pause(0.5)
        await pilot.press("D")
        await pilot.pause(0.8)
        save(app, "diff")
        await pilot.press("escape")

        await wait_for(pilot, lambda: explain.state is AgentState.DONE, 60)
        await pilot.press("h")
        await pilot.pause(0.8)
        await pilot.press("enter")
        await pilot.pause(0.8)
        save(app, "history")
        await pilot.press("escape", "escape")
        await pilot.pause(0.2)


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="clct-shots-") as tmp, ScriptedAPI(
        default=lambda prompt: demo_replies(prompt, 0.0)
    ) as api:
        root = Path(tmp)
        sandbox(root, api)
        script(api)
        repo = make_example_repo(root / "pelican")
        plan = root / "launch.json"
        plan.write_text(json.dumps(PLAN, indent=2))
        asyncio.run(shoot(repo, plan))
    return 0


if __name__ == "__main__":
    sys.exit(main())
