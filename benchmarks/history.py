"""A long history written straight into the database: real worktrees, agents and runs, bulk-inserted events.

The agents' worktrees are real (the app lists only agents whose worktree git knows); the runs and
events are inserted in one transaction, a few seconds for a million rows, with the same columns
the store's writer fills. One agent, the first listed, holds a long transcript of its own.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

from benchmarks.harness import Sandbox
from clct_tui.git import WorktreeManager
from clct_tui.store import Store

TEXT = ("Reading the module first: the parser builds a tree, the renderer walks it, and the cache keys on the "
        "path. I'll change the key to include the options so two renders of one page do not collide. ")
RESULT = "\n".join(f"{i:4d}  line {i} of the file as the Read tool returns it" for i in range(1, 8))
TOOL_INPUT = json.dumps({"id": "toolu_0", "name": "Read", "input": {"file_path": "src/render.py"}})


@dataclass
class History:
    agents: int
    runs: int
    events: int
    big_agent: str  # the name of the agent with the long transcript
    big_events: int
    seconds: float


def _event_rows(run_id: int, count: int, t0: float) -> list[tuple]:
    """A run's events: prompt, then text / tool call / tool result in turn, then the result."""
    rows = [(run_id, 0, "prompt", f"Task {run_id}: make the renderer cache per option set", None, t0)]
    for seq in range(1, count - 1):
        phase = seq % 3
        if phase == 1:
            rows.append((run_id, seq, "text", TEXT, f'{{"block": "msg_{run_id}_{seq}:0"}}', t0 + seq * 0.01))
        elif phase == 2:
            rows.append((run_id, seq, "tool_use", "", TOOL_INPUT.replace("toolu_0", f"toolu_{run_id}_{seq}"),
                         t0 + seq * 0.01))
        else:
            rows.append((run_id, seq, "tool_result", RESULT,
                         f'{{"tool_use_id": "toolu_{run_id}_{seq - 1}", "is_error": false}}', t0 + seq * 0.01))
    rows.append((run_id, count - 1, "result", "", json.dumps({"success": True, "cost_usd": 0.0123, "num_turns": 3,
                                                                "duration_ms": 4200}), t0 + count * 0.01))
    return rows


def seed(sb: Sandbox, agents: int = 20, runs: int = 1_000, events: int = 1_000_000,
         big_events: int = 100_000) -> History:
    """``agents`` idle agents with real worktrees; ``runs`` finished runs holding ``events`` events in all.

    The first agent's runs hold ``big_events`` of them; the rest are spread over the others.
    """
    started = time.monotonic()
    per_run = events // runs
    big_runs = big_events // per_run
    repo_path = sb.repo.resolve()
    manager = WorktreeManager(repo_path, sb.config.worktree_folder(repo_path))
    store = Store(sb.config.database_url).open()
    try:
        repo = store.ensure_repo(str(manager.repo_path), manager.current_branch())
        ids = []
        for i in range(agents):
            name = f"agent-{i:03d}" + ("-long" if i == 0 else "")
            info = manager.create_worktree(name)
            wt = store.add_worktree(repo.id, info.name, str(info.path), info.branch, info.base)
            agent = store.add_agent(repo.id, wt.id, info.name, None, "acceptEdits")
            store.update_agent(agent.id, state="done", session_id=f"session-{i}")
            ids.append(agent.id)
        owners = [ids[0]] * big_runs + [ids[1 + n % (agents - 1)] for n in range(runs - big_runs)]
        M = store.models
        now = time.time() - runs * 60

        def write() -> None:
            db = store.db
            for n, agent_id in enumerate(owners):
                t0 = now + n * 60
                run = M.Run.create(agent=agent_id, prompt=f"Task {n}: make the renderer cache per option set",
                                   kind="task", state="done", started_at=t0, ended_at=t0 + 4.2,
                                   result_text="Done.", success=True, cost_usd=0.0123, num_turns=3,
                                   duration_ms=4200, session_id="s")
                db.execute_sql("SELECT 1")  # keep peewee's connection state simple inside the transaction
                db.cursor().executemany('INSERT INTO "event" ("run_id", "seq", "kind", "text", "data", "ts") '
                                        "VALUES (?, ?, ?, ?, ?, ?)", _event_rows(run.id, per_run, t0))

        store.writer.call(write, timeout=600)
    finally:
        store.close()
    return History(agents, runs, per_run * runs, "agent-000-long", big_runs * per_run, time.monotonic() - started)


def db_size_mb(sb: Sandbox) -> float:
    path = Path(sb.config.database_url.removeprefix("sqlite:///"))
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*")) / 2**20
