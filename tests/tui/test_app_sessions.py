"""Task files (t, r), history (h), help (?), the palette, quitting (q) and coming back."""

from __future__ import annotations

import json

from textual.command import CommandPalette

from clct_tui.domain import AgentState
from clct_tui.testing.scripted_api import hang, text, tool_use
from clct_tui.tui.screens.dialogs import ConfirmScreen, TextPromptScreen
from clct_tui.tui.screens.help import HelpScreen
from clct_tui.tui.screens.history import HistoryScreen
from clct_tui.tui.widgets.task_graph import TaskGraph
from clct_tui.tui.widgets.worktree_list import WorktreeList
from tests.tui.conftest import (
    SIZE,
    engine_ready,
    screen_text,
    start_agent,
    transcript_text,
    wait_for,
)


def write_plan(path, tasks) -> str:
    path.write_text(json.dumps(tasks))
    return str(path)


async def open_task_file(pilot, path: str) -> None:
    await pilot.press("t")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, TextPromptScreen), what="the file dialog")
    await pilot.press(*path, "enter")


async def test_t_shows_the_task_file_as_a_graph_and_r_runs_it_in_dependency_order(
    scripted_api, make_app, tmp_path
):
    scripted_api.script("make the schema", [tool_use("Write", {"file_path": "schema.sql", "content": "create"}),
                                            text("schema done")])
    scripted_api.script("build the api", [text("api done")])
    plan = write_plan(tmp_path / "plan.json", [
        {"name": "schema", "description": "make the schema"},
        {"name": "api", "description": "build the api", "dependencies": ["schema"]},
    ])
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await engine_ready(pilot)
        await open_task_file(pilot, plan)
        graph = app.main.query_one(TaskGraph)
        await wait_for(pilot, lambda: [t.name for t in graph.tasks] == ["schema", "api"], what="the graph")
        shown = screen_text(app)
        assert "schema" in shown and "└→" in shown
        await pilot.press("r")
        await wait_for(pilot, lambda: {t.status for t in graph.tasks} == {"done"}, timeout=40, what="both tasks")
        api_agent = next(i for i in app.orchestrator.list_instances() if i.name.endswith("api"))
        assert (api_agent.worktree.path / "schema.sql").exists()


async def test_a_task_file_with_a_cycle_is_refused_with_the_tasks_named(scripted_api, make_app, tmp_path):
    plan = write_plan(tmp_path / "loop.json", [
        {"name": "a", "description": "A", "dependencies": ["b"]},
        {"name": "b", "description": "B", "dependencies": ["a"]},
    ])
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await engine_ready(pilot)
        await open_task_file(pilot, plan)
        await wait_for(pilot, lambda: app._notifications, what="the error")
        message = " ".join(n.message for n in app._notifications)
        assert "cycle" in message and "a" in message and "b" in message
        assert app.orchestrator.list_instances() == []
        await pilot.press("r")
        await pilot.pause(0.2)
        assert scripted_api.requests == []


async def test_selecting_a_task_selects_its_agent(scripted_api, make_app, tmp_path):
    plan = write_plan(tmp_path / "plan.json", [{"name": "one", "description": "task one"},
                                               {"name": "two", "description": "task two"}])
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await engine_ready(pilot)
        await open_task_file(pilot, plan)
        await pilot.press("r")
        graph = app.main.query_one(TaskGraph)
        await wait_for(pilot, lambda: {t.status for t in graph.tasks} == {"done"}, timeout=40)
        graph.focus()
        await pilot.press("home", "down")
        two = next(t for t in graph.tasks if t.name == "two")
        await wait_for(pilot, lambda: app.main.query_one(WorktreeList).selected_id == two.agent_id)


async def test_h_lists_past_runs_and_enter_reopens_a_transcript_read_only(scripted_api, make_app):
    scripted_api.script("tell a story", [text("Once upon a time.")])
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await engine_ready(pilot)
        agent = await start_agent(pilot, "tell a story")
        await wait_for(pilot, lambda: agent.state is AgentState.DONE)
        await pilot.press("h")
        await wait_for(pilot, lambda: isinstance(app.screen, HistoryScreen) and "tell a story" in screen_text(app),
                       what="the run in the history table")
        await pilot.press("enter")
        await wait_for(pilot, lambda: "Once upon a time." in screen_text(app), what="the stored transcript")
        assert "read-only" in screen_text(app)
        await pilot.press("escape", "escape")
        assert app.screen is app.main


async def test_history_search_keeps_only_matching_runs(scripted_api, make_app):
    scripted_api.script("alpha job", [text("a")])
    scripted_api.script("beta job", [text("b")])
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await engine_ready(pilot)
        for prompt in ("alpha job", "beta job"):
            agent = await start_agent(pilot, prompt)
            await wait_for(pilot, lambda: agent.state is AgentState.DONE)
        await pilot.press("h")
        await wait_for(pilot, lambda: isinstance(app.screen, HistoryScreen) and "beta job" in screen_text(app))
        await pilot.press("slash", *"alpha", "enter")
        await wait_for(pilot, lambda: "beta job" not in screen_text(app), what="the search")
        assert "alpha job" in screen_text(app)


async def test_question_mark_shows_every_key(scripted_api, make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await engine_ready(pilot)
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        shown = screen_text(app)
        for words in ("New", "Approve", "Deny", "Interrupt", "Diff", "Commit", "Merge", "Remove", "History", "Quit"):
            assert words in shown


async def test_the_command_palette_offers_every_action(scripted_api, make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await engine_ready(pilot)
        await pilot.press("ctrl+p")
        await wait_for(pilot, lambda: isinstance(app.screen, CommandPalette))
        await pilot.press(*"merge")
        await wait_for(pilot, lambda: "Merge" in screen_text(app), what="the merge action in the palette")


async def test_q_while_an_agent_runs_asks_then_interrupts_it_and_it_is_resumable_next_time(
    scripted_api, make_app, config
):
    scripted_api.script("long job", [hang()])
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await engine_ready(pilot)
        agent = await start_agent(pilot, "long job")
        await wait_for(pilot, lambda: agent.state is AgentState.RUNNING and scripted_api.requests)
        await pilot.press("q")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the quit question")
        await pilot.press("y")
        await wait_for(pilot, lambda: not app.is_running, timeout=30, what="the app to exit")
    assert agent.state is AgentState.INTERRUPTED

    scripted_api.script("pick it up", [text("picked up")])
    again = make_app()
    async with again.run_test(size=SIZE) as pilot:
        await engine_ready(pilot)
        (restored,) = again.orchestrator.list_instances()
        assert restored.state is AgentState.INTERRUPTED and restored.session_id
        again.main.query_one(WorktreeList).select(restored.instance_id)
        await pilot.press("enter", *"pick it up", "enter")
        await wait_for(pilot, lambda: "picked up" in transcript_text(again), what="the resumed conversation")
    assert "long job" in str(scripted_api.requests[-1]["messages"])


async def test_q_with_nothing_running_quits_at_once(scripted_api, make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await engine_ready(pilot)
        await pilot.press("q")
        await wait_for(pilot, lambda: not app.is_running, what="the app to exit")


async def test_coming_back_restores_worktrees_and_transcripts(scripted_api, make_app):
    scripted_api.script("remember me", [text("I will be remembered.")])
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await engine_ready(pilot)
        agent = await start_agent(pilot, "remember me", name="keeper")
        await wait_for(pilot, lambda: agent.state is AgentState.DONE)
    again = make_app()
    async with again.run_test(size=SIZE) as pilot:
        await engine_ready(pilot)
        (restored,) = again.orchestrator.list_instances()
        assert (restored.name, restored.state) == ("keeper", AgentState.DONE)
        await wait_for(pilot, lambda: "I will be remembered." in transcript_text(again), what="the transcript")
        assert "keeper" in screen_text(again)


async def test_a_chosen_theme_is_saved_to_config_toml_and_restored(scripted_api, make_app, tmp_path):
    import tomllib

    from clct_tui.config import Config
    from clct_tui.paths import user_config_dir

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await engine_ready(pilot)
        app.theme = "clct-light"
        await wait_for(pilot, lambda: (user_config_dir() / "config.toml").exists(), what="config.toml")
    saved = tomllib.loads((user_config_dir() / "config.toml").read_text())
    assert saved["theme"] == "clct-light"
    again = make_app(cfg=Config.load().with_overrides(database_url=app.config.database_url,
                                                     worktree_base_path=app.config.worktree_base_path))
    async with again.run_test(size=SIZE) as pilot:
        await engine_ready(pilot)
        assert again.theme == "clct-light"


async def test_history_lists_sessions_and_enter_puts_one_back_in_the_tasks_pane(scripted_api, make_app, tmp_path):
    plan = write_plan(tmp_path / "nightly.json", [{"name": "lint", "description": "lint it"},
                                                  {"name": "docs", "description": "doc it"}])
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await engine_ready(pilot)
        await open_task_file(pilot, plan)
        await pilot.press("r")
        graph = app.main.query_one(TaskGraph)
        await wait_for(pilot, lambda: {t.status for t in graph.tasks} == {"done"}, timeout=40)
        graph.set_tasks([])  # the pane forgets it, so only history can bring it back
        await pilot.press("h")
        await wait_for(pilot, lambda: isinstance(app.screen, HistoryScreen))
        await pilot.press("s")
        await wait_for(pilot, lambda: "nightly" in screen_text(app) and "2/2" in screen_text(app), what="sessions")
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen is app.main and len(graph.tasks) == 2, what="the session")
        assert "Tasks: nightly" in screen_text(app)
