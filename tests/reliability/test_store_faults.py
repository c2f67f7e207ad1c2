"""The database failing under running agents: the disk fills, or the file becomes unwritable.

The faults are real where this machine allows it (we run as root, so chmod stops nothing):
- a full disk is a small tmpfs holding only the database, filled with a file mid-run: the kernel
  answers ENOSPC and SQLite "database or disk is full" (needs CAP_SYS_ADMIN to mount; skipped without);
- an unwritable file is the database and its WAL made immutable (``chattr +i``) mid-run: the
  kernel refuses the writes (EPERM) and SQLite reports "disk I/O error", the way a file gone
  read-only underneath an open connection fails (needs CAP_LINUX_IMMUTABLE on ext4 or similar);
- where neither can run, SQLite's own page limit (``PRAGMA max_page_count``) stands in for the
  full disk: SQLite raises the very same SQLITE_FULL through the very same code path.

Expected: a clear error reaches the person (naming the database and what happened), the agents are
stopped cleanly, nothing is half-written (integrity_check is ok, every stored row is whole and in
order), and once the fault is gone the next clct sees consistent runs — interrupted, not running.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from clct_tui import Orchestrator
from clct_tui.domain import AgentState, EventKind, TranscriptEvent
from clct_tui.errors import StoreError
from clct_tui.orchestrator.events import EngineFailure, TranscriptAppended
from clct_tui.store import Store
from clct_tui.testing.scripted_api import text
from tests.reliability.conftest import Clct
from tests.reliability.procs import claude_processes

ANSWER = "".join(f"word{i} " for i in range(400))  # streamed slowly: the fault lands mid-run


# -- the faults ------------------------------------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path) -> Iterator[Path]:
    """A real 8 MB filesystem (tmpfs) for the database alone."""
    mount = tmp_path / "small-disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here ({done.stderr.decode().strip()}): no real full disk")
    yield mount
    if subprocess.run(["umount", str(mount)], capture_output=True).returncode != 0:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True)  # a straggler still holds a file


def fill(disk: Path) -> Path:
    """Take every free byte of the disk; the file to delete to give them back."""
    filler = disk / "filler"
    with contextlib.suppress(OSError), open(filler, "wb") as f:  # ENOSPC on a write, or on close
        while True:
            f.write(b"\0" * 65536)
            f.flush()
    return filler


def make_unwritable(paths: list[Path]) -> Callable[[], None]:
    """chattr +i the files (root cannot write them either); returns the undo."""
    done = subprocess.run(["chattr", "+i", *map(str, paths)], capture_output=True, text=True)
    undo = lambda: subprocess.run(["chattr", "-i", *map(str, paths)], capture_output=True)
    if done.returncode != 0:
        undo()
        pytest.skip(f"cannot make a file immutable here ({done.stderr.strip()}): no real unwritable database")
    return undo


def db_file(config) -> Path:
    return Path(config.database_url.removeprefix("sqlite:///"))


# -- what must hold after a fault ------------------------------------------------------------------


def integrity(path: Path) -> str:
    with contextlib.closing(sqlite3.connect(path)) as db:
        return db.execute("pragma integrity_check").fetchone()[0]


def every_stored_transcript_is_whole_and_in_order(path: Path, sent: str) -> None:
    """Each run's rows are numbered 0..n-1 with no gap, and its text is a prefix of what was streamed."""
    with contextlib.closing(sqlite3.connect(path)) as db:
        for (run_id,) in db.execute("select id from run").fetchall():
            rows = db.execute("select seq, kind, text from event where run_id = ? order by seq", (run_id,)).fetchall()
            seqs = [seq for seq, _, _ in rows]
            assert seqs == sorted(set(seqs)) and (not rows or rows[0][1] == "prompt"), rows[:3]
            said = "".join(t for _, kind, t in rows if kind == "text")
            assert sent.startswith(said), (run_id, said[-40:])


async def stream_until_the_fault(api, orch: Orchestrator, fault: Callable[[], object]) -> tuple[list, list, list]:
    """Two agents stream a long answer; ``fault`` strikes once both have some of it on screen.

    Returns the agents, what their run_task calls ended with, and every EngineFailure published.
    """
    api.script("long answer", [text(ANSWER, chunk_size=6, delay=0.01)])
    failures: list[EngineFailure] = []
    streamed: dict[str, int] = {}

    def listen(event: object) -> None:
        if isinstance(event, EngineFailure):
            failures.append(event)
        elif isinstance(event, TranscriptAppended) and event.event.kind is EventKind.TEXT:
            streamed[event.agent_id] = streamed.get(event.agent_id, 0) + 1

    orch.subscribe(listen)
    agents = [await orch.create_instance(worktree_name=name) for name in ("left", "right")]
    runs = [asyncio.ensure_future(a.run_task("long answer")) for a in agents]
    deadline = time.monotonic() + 30
    while not all(streamed.get(a.instance_id, 0) >= 5 for a in agents):
        assert time.monotonic() < deadline, "the agents never streamed"
        await asyncio.sleep(0.02)
    await orch.drain_writes()
    await asyncio.to_thread(orch.store.flush)  # what streamed so far is on disk before the fault
    fault()
    ended = await asyncio.wait_for(asyncio.gather(*runs, return_exceptions=True), 30)
    return agents, ended, failures


# -- through the Orchestrator ------------------------------------------------------------------------


async def test_a_disk_filling_up_mid_run_stops_the_agents_with_a_clear_error(
        scripted_api, git_repo, config, small_disk):
    config = config.with_overrides(database_url=f"sqlite:///{small_disk / 'history.db'}")
    filler: list[Path] = []
    async with Orchestrator(git_repo, config) as orch:
        agents, ended, failures = await stream_until_the_fault(scripted_api, orch,
                                                               lambda: filler.append(fill(small_disk)))
        # The person is told once, in words: what happened, to which file, and what clct does about it.
        assert len(failures) == 1, failures
        assert failures[0].message.startswith(f"the database {db_file(config)} could not be written: "
                                              "database or disk is full; the agents are being stopped")
        # The library caller gets the same reason; the agents are no longer busy.
        assert all(isinstance(e, StoreError) and "database or disk is full" in str(e) for e in ended), ended
        assert [a.state for a in agents] == [AgentState.INTERRUPTED] * 2
        worktrees = [a.worktree.path for a in agents]
    assert claude_processes(os.getpid()) == []  # every CLI process stopped
    assert all(p.is_dir() for p in worktrees)
    filler[0].unlink()  # the disk has room again
    await the_next_clct_sees_interrupted_runs_and_can_go_on(scripted_api, git_repo, config)


async def test_a_database_file_made_unwritable_mid_run_stops_the_agents_with_a_clear_error(
        scripted_api, git_repo, config):
    path = db_file(config)
    undo: list[Callable[[], None]] = []
    try:
        async with Orchestrator(git_repo, config) as orch:
            _, ended, failures = await stream_until_the_fault(
                scripted_api, orch, lambda: undo.append(make_unwritable([path, Path(f"{path}-wal")])))
            assert len(failures) == 1, failures
            assert failures[0].message.startswith(f"the database {path} could not be written: disk I/O error")
            assert all(isinstance(e, StoreError) and "disk I/O error" in str(e) for e in ended), ended
    finally:
        for fix in undo:
            fix()
    assert claude_processes(os.getpid()) == []
    await the_next_clct_sees_interrupted_runs_and_can_go_on(scripted_api, git_repo, config)


async def the_next_clct_sees_interrupted_runs_and_can_go_on(api, repo: Path, config) -> None:
    path = db_file(config)
    assert integrity(path) == "ok"
    every_stored_transcript_is_whole_and_in_order(path, ANSWER)
    async with Orchestrator(repo, config) as orch:
        assert sorted(orch.interrupted_runs) == [1, 2]
        assert {i.name: i.state for i in orch.list_instances()} == {"left": AgentState.INTERRUPTED,
                                                                    "right": AgentState.INTERRUPTED}
        api.script("carry on", [text("back at work")])
        result = await orch.list_instances()[0].execute_command("carry on")
        assert result["success"]
    with contextlib.closing(sqlite3.connect(path)) as db:
        states = db.execute("select state, error from run order by id").fetchall()
    assert states == [("interrupted", "clct stopped while this run was in progress")] * 2 + [("done", None)]
    assert integrity(path) == "ok"


async def test_a_new_database_on_a_full_disk_is_refused_naming_the_full_disk(git_repo, config, small_disk):
    # A new database must write its tables, so this fails every time. (An existing one may still open:
    # SQLite can rewrite pages its files already hold.)
    config = config.with_overrides(database_url=f"sqlite:///{small_disk / 'history.db'}")
    filler = fill(small_disk)
    # SQLite says "database or disk is full", or "disk I/O error" when it cannot even make its WAL.
    with pytest.raises(StoreError, match=r"cannot be opened: .*\(the disk holding it is full\)"):
        async with Orchestrator(git_repo, config):
            pass
    filler.unlink()
    async with Orchestrator(git_repo, config):  # room again: it opens, and nothing half-made is in the way
        pass
    assert integrity(db_file(config)) == "ok"


# -- through the `clct` command --------------------------------------------------------------------------


def test_run_task_on_a_disk_that_fills_up_says_so_and_exits_1(clct: Clct, scripted_api, small_disk):
    scripted_api.script("long answer", [text(ANSWER, chunk_size=6, delay=0.01)])
    env = clct.env | {"CLCT_DATABASE_URL": f"sqlite:///{small_disk / 'history.db'}"}
    clct.ok("create", "-n", "worker", env=env)
    proc = subprocess.Popen(clct.argv("run-task", "worker", "long answer"), cwd=clct.repo, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while len(scripted_api.sent_text.get("long answer", "")) < 60:
            assert time.monotonic() < deadline and proc.poll() is None, "the run never streamed"
            time.sleep(0.02)
        filler = fill(small_disk)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 1, (out, err)
    assert "Traceback" not in err
    assert f"the database {small_disk / 'history.db'} could not be written: database or disk is full" in err
    filler.unlink()
    assert integrity(small_disk / "history.db") == "ok"
    listed = clct.ok("list", "--json", env=env).json()
    assert [a["state"] for a in listed] == ["interrupted"]


# -- SQLite's own limit, where no real fault can be made --------------------------------------------------


def test_sqlite_full_from_the_page_limit_is_reported_as_a_full_disk_not_as_a_failed_rollback(tmp_path):
    # Simulated: PRAGMA max_page_count makes SQLite raise SQLITE_FULL as a full disk would. SQLite
    # then rolls the transaction back itself, and the ROLLBACK that follows fails ("no transaction
    # is active"); that second error used to replace the one that mattered.
    store = Store(f"sqlite:///{tmp_path / 'history.db'}").open()
    try:
        repo = store.ensure_repo(str(tmp_path), "main")
        agent = store.add_agent(repo.id, None, "a", None, "acceptEdits")
        run = store.start_run(agent.id, "fill me")
        pages = store.writer.call(lambda: store.db.execute_sql("pragma page_count").fetchone()[0])
        store.writer.call(lambda: store.db.execute_sql(f"pragma max_page_count = {pages}"))
        errors: list[StoreError] = []
        store.on_error = errors.append
        for _ in range(200):
            store.append_event(run.id, TranscriptEvent(EventKind.TOOL_RESULT, "x" * 4000))
        with pytest.raises(StoreError, match="database or disk is full"):
            store.flush()
        assert [str(e) for e in errors] == [(f"the database {tmp_path / 'history.db'} could not be written: "
                                             "database or disk is full")]
    finally:
        with contextlib.suppress(StoreError):
            store.close()
    assert integrity(tmp_path / "history.db") == "ok"
    with contextlib.closing(sqlite3.connect(tmp_path / "history.db")) as db:
        assert db.execute("select count(*) from event").fetchone() == (0,)  # the failed batch left nothing
