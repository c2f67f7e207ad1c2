"""Agents caught mid-stream: each writes a file, then streams a long answer slowly, so a kill lands in it.

``script_slow_work`` scripts the model; ``Streaming.wait`` waits until every conversation is
streaming and measures how fast; ``stored`` reads back what reached the database.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from clct_tui.testing.scripted_api import ScriptedAPI, text, tool_use

# ~40,000 characters at ~1,000 a second: the answer is still streaming whenever the test acts.
ANSWER = "".join(f"Sentence {i} of a long answer that streams slowly. " for i in range(800))
CHUNK, DELAY = 10, 0.01
# DESIGN.md: every event is on disk within a fraction of a second of arriving.
ALLOWED_LOSS_SECONDS = 1.0


def prompt(name: str) -> str:
    return f"slow task {name}."


def follow_up(name: str) -> str:
    return f"after the crash, {name}?"


def work_file(name: str) -> str:
    return f"{name}-work.txt"


def work_content(name: str) -> str:
    return f"{name} wrote this before the long answer\n"


def script_slow_work(api: ScriptedAPI, names: list[str]) -> None:
    """Each agent writes its file (a real Write by the CLI), then streams ANSWER; a follow-up gets a short answer."""
    for name in names:
        api.script(prompt(name), [tool_use("Write", {"file_path": work_file(name), "content": work_content(name)}),
                                  text(ANSWER, chunk_size=CHUNK, delay=DELAY)])
        api.script(follow_up(name), [text(f"{name} carries on")])


@dataclass
class Streaming:
    """What the server had sent when the test acted, and how fast it was sending (characters a second)."""

    sent: dict[str, str]
    rate: float

    @classmethod
    def wait(cls, api: ScriptedAPI, names: list[str], chars: int = 2_000, timeout: float = 60) -> Streaming:
        """Wait until every conversation has streamed ``chars`` characters; the rate is measured on the way."""
        keys = [prompt(n) for n in names]
        deadline = time.monotonic() + timeout
        start: tuple[float, int] | None = None
        while True:
            sent = {k: api.sent_text.get(k, "") for k in keys}
            shortest = min(len(s) for s in sent.values())
            if start is None and shortest >= 200:
                start = (time.monotonic(), sum(len(s) for s in sent.values()))
            if shortest >= chars and start is not None:
                elapsed = time.monotonic() - start[0]
                rate = (sum(len(s) for s in sent.values()) - start[1]) / len(keys) / max(elapsed, 1e-3)
                return cls({n: sent[prompt(n)] for n in names}, rate)
            if time.monotonic() > deadline:
                raise AssertionError(f"the agents did not all stream {chars} characters: "
                                     f"{ {k: len(v) for k, v in sent.items()} }")
            time.sleep(0.02)

    @property
    def allowed_loss(self) -> int:
        return int(self.rate * ALLOWED_LOSS_SECONDS)


def sqlite_file(database_url: str) -> Path:
    return Path(database_url.removeprefix("sqlite:///"))


def read(db_path: Path, sql: str, *params: object) -> list[tuple]:
    with sqlite3.connect(db_path) as db:
        return db.execute(sql, params).fetchall()


def stored(db_path: Path, name: str) -> tuple[int, list[tuple[str, str]]]:
    """The first run of the agent named ``name``: its id and its events (kind, text) in order."""
    (run_id,), *_ = read(db_path, "select run.id from run join agent on run.agent_id = agent.id "
                                  "where agent.name = ? order by run.id", name)
    return run_id, read(db_path, "select kind, text from event where run_id = ? order by seq", run_id)


def stored_answer(events: list[tuple[str, str]]) -> str:
    return "".join(t for kind, t in events if kind == "text")


def integrity(db_path: Path) -> str:
    return read(db_path, "pragma integrity_check")[0][0]
