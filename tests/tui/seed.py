"""Fixed history for snapshot tests: real worktrees and a real database, written without a model.

Every number, name and text on screen comes from here, so the pictures never change between runs.
Ids and timestamps are random or current, and the app never shows them.
"""

from __future__ import annotations

import asyncio
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from clct_tui import Config, Orchestrator
from clct_tui.domain import EventKind, TranscriptEvent


@dataclass(frozen=True)
class SeedAgent:
    name: str
    state: str  # the stored agent state
    prompt: str
    answer: str
    cost_usd: float
    files: dict[str, str] = field(default_factory=dict)  # written into the worktree, uncommitted
    commit: bool = False  # commit those files (the branch is then ahead of its base)
    error: str | None = None


AGENTS = [
    SeedAgent("api-client", "done", "Write a typed client for the REST API",
              "I wrote **`client.py`** with one method per endpoint and tests for each.", 0.0412,
              {"client.py": "class Client:\n    def get(self, path: str) -> dict:\n        return {}\n"}, commit=True),
    SeedAgent("docs-site", "done", "Build the documentation site", "The site builds with `mkdocs build`.", 0.0208,
              {"mkdocs.yml": "site_name: pelican\n", "docs/index.md": "# pelican\n"}),
    SeedAgent("fix-login", "done", "Fix the login redirect loop", "Fixed: the cookie path was wrong.", 0.0131),
    SeedAgent("migrate-db", "failed", "Migrate the database to Postgres", "", 0.0057,
              error="stopped at the max_turns limit"),
    SeedAgent("perf-cache", "interrupted", "Cache rendered pages", "Started on a cache in `render.py`…", 0.0033,
              error="interrupted"),
    SeedAgent("refactor-auth", "idle", "Split auth into its own package", "", 0.0),
    SeedAgent("tests-flaky", "idle", "Find the flaky test", "", 0.0),
]

TASKS = [  # name, dependencies, status, agent name
    ("schema", [], "done", "api-client"),
    ("api", ["schema"], "running", "docs-site"),
    ("ui", ["api"], "pending", None),
    ("docs", [], "failed", "migrate-db"),
    ("release", ["ui", "docs"], "skipped", None),
]

DIFF_FILE = "client.py"


def transcript(agent: SeedAgent) -> list[TranscriptEvent]:
    if not agent.answer and agent.state == "idle":
        return []
    events = [TranscriptEvent(EventKind.PROMPT, agent.prompt),
              TranscriptEvent(EventKind.TEXT, "Let me look at the code first.", {"block": "m1:0"})]
    for i, (path, content) in enumerate(agent.files.items()):
        events.append(TranscriptEvent(EventKind.TOOL_USE, data={
            "id": f"t{i}", "name": "Write", "input": {"file_path": path, "content": content}}))
        events.append(TranscriptEvent(EventKind.TOOL_RESULT, f"File created successfully at: {path}",
                                      {"tool_use_id": f"t{i}", "is_error": False}))
    if agent.answer:
        events.append(TranscriptEvent(EventKind.TEXT, agent.answer, {"block": "m2:0"}))
    if agent.error and agent.error != "interrupted":
        events.append(TranscriptEvent(EventKind.ERROR, agent.error))
    events.append(TranscriptEvent(EventKind.RESULT, data={
        "success": agent.state == "done", "error": agent.error, "cost_usd": agent.cost_usd,
        "num_turns": 1 + len(agent.files), "duration_ms": 12_300}))
    return events


async def _seed(repo: Path, config: Config) -> None:
    async with Orchestrator(repo, config) as orch:
        store = orch.store
        assert store is not None
        by_name: dict[str, str] = {}
        for agent in AGENTS:
            instance = await orch.create_instance(worktree_name=agent.name)
            by_name[agent.name] = instance.instance_id
            for path, content in agent.files.items():
                target = instance.worktree.path / path
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(content)
            if agent.commit:
                git = ["git", "-c", "user.name=Seed", "-c", "user.email=seed@example.com"]
                subprocess.run([*git, "add", "-A"], cwd=instance.worktree.path, check=True)
                subprocess.run([*git, "commit", "-qm", agent.prompt], cwd=instance.worktree.path, check=True)
            events = transcript(agent)
            if events:
                run = store.start_run(instance.instance_id, agent.prompt, "task")
                for event in events:
                    store.append_event(run.id, event)
                store.finish_run(run.id, state=agent.state if agent.state != "idle" else "done",
                                 success=agent.state == "done", result_text=agent.answer, error=agent.error,
                                 cost_usd=agent.cost_usd, num_turns=1, duration_ms=12_300,
                                 session_id=f"session-{agent.name}")
            store.update_agent(instance.instance_id, state=agent.state, cost_usd=agent.cost_usd,
                               session_id=f"session-{agent.name}" if events else None)
        session = orch.sessions.create_session("launch", "the launch plan")
        for name, deps, status, agent_name in TASKS:
            task = orch.sessions.add_task(session.id, name, f"do the {name}", dependencies=deps)
            store.update_task(task.id, status=status, agent_id=by_name.get(agent_name or ""))
        store.flush()


def seed(repo: Path, config: Config) -> None:
    """Write the fixed history for ``repo`` into ``config``'s database and worktree folder."""
    asyncio.run(_seed(repo, config))
