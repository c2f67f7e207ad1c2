"""Store: the one manager of clct's history.

Writes go through the writer thread and keep their order; reads run on the
calling thread over its own connection (WAL lets them run beside the writer).
Every method is synchronous: the orchestrator calls them with asyncio.to_thread.
"""

from __future__ import annotations

import datetime
import enum
import functools
import json
import os
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import peewee as pw

from clct_tui.domain import AgentState, EventKind, TranscriptEvent
from clct_tui.errors import (
    AgentBusyError,
    NotFoundError,
    StoreError,
    TaskGraphError,
    WorktreeExistsError,
)
from clct_tui.store.models import Models
from clct_tui.store.records import (
    AgentRecord,
    EventRecord,
    RepoRecord,
    RunRecord,
    SessionRecord,
    TaskRecord,
    WorktreeRecord,
)
from clct_tui.store.schema import open_database, sqlite_path
from clct_tui.store.sql import Sql
from clct_tui.store.writer import Writer

T = TypeVar("T")

RUN_KINDS = ("task", "command", "query", "followup")
RUN_STATES = ("running", "done", "failed", "interrupted")
ORPHAN_ERROR = "clct stopped while this run was in progress"
_ACTIVE_AGENT_STATES = [s.value for s in AgentState if s.is_active]

# Runs started by any Store of this process and not finished yet, per database url: recover() in
# one store must not interrupt what another store of the same process is running.
_live_runs: set[tuple[str, int]] = set()
_live_runs_lock = threading.Lock()
# Agents held by a Store of this process (see claim_agent), per database url: (url, agent id) -> id(store).
_held_agents: dict[tuple[str, str], int] = {}


def _repo(r: Any) -> RepoRecord:
    return RepoRecord(r.id, r.path, r.default_branch, r.created_at)


def _worktree(w: Any) -> WorktreeRecord:
    return WorktreeRecord(w.id, w.repo_id, w.name, w.path, w.branch, w.base, w.created_at, w.removed_at)


def _agent(a: Any) -> AgentRecord:
    return AgentRecord(a.id, a.repo_id, a.worktree_id, a.name, a.model, a.permission_mode, a.session_id, a.state,
                       a.cost_usd, a.input_tokens, a.output_tokens, a.last_prompt, a.created_at, a.updated_at, a.pid)


def _run(r: Any, agent_name: str = "") -> RunRecord:
    return RunRecord(r.id, r.agent_id, r.prompt, r.kind, r.state, r.started_at, r.ended_at, r.result_text, r.error,
                     r.success, r.cost_usd, r.num_turns, r.duration_ms, r.session_id, agent_name)


def _events(query: Any) -> list[EventRecord]:
    """The events an Event query selects, its rows read straight from SQLite: a page of a transcript is
    thousands of rows (the app reads one whenever an agent is selected), and peewee's model instances
    and per-field conversions cost several times the read itself."""
    sql, params = query.sql()
    scan, kinds = _scan_json, _KINDS
    return [EventRecord(id_, run, seq, kinds.get(kind) or EventKind(kind), text, scan(data, 0)[0] if data else {}, ts)
            for id_, run, seq, kind, text, data, ts in query.model._meta.database.execute_sql(sql, params)]


_KINDS = {kind.value: kind for kind in EventKind}
# The C scanner under json.loads: event data is always written by json.dumps (JSONField), so it starts
# with its value and needs none of loads' checks.
_scan_json = json.JSONDecoder().scan_once


def _session(s: Any) -> SessionRecord:
    return SessionRecord(s.id, s.repo_id, s.name, s.description, s.status, s.max_budget_usd, s.created_at,
                         s.updated_at)


def _task(t: Any) -> TaskRecord:
    return TaskRecord(t.id, t.session_id, t.name, t.description, t.priority, list(t.depends_on or []),
                      dict(t.context or {}), t.branch, t.base, t.model, t.max_budget_usd, t.max_turns, t.status,
                      t.agent_id, t.output, t.error, t.cost_usd, t.started_at, t.ended_at)


class Store:
    """Everything clct remembers. ``open()`` first (or ``with Store(url) as store``); ``close()`` flushes."""

    def __init__(self, database_url: str, flush_interval: float = 0.2) -> None:
        self.database_url = database_url
        self.flush_interval = flush_interval
        self.db: pw.Database | None = None
        # Called on the writer thread when events cannot be written; it must hand off, not block.
        self.on_error: Callable[[StoreError], None] | None = None
        self._models: Models | None = None
        self._writer: Writer | None = None
        self._started_runs: set[int] = set()  # runs this store started, live until finished or closed
        self._held: set[str] = set()  # agents this store holds (claim_agent), until released or closed
        self._claims: dict[str, int] = {}  # agent id -> the number of its latest claim here
        self._statements: dict[tuple[Any, ...], str] = {}  # SQL built once per shape (see _execute)

    # -- lifecycle -----------------------------------------------------------------

    def open(self) -> Store:
        if self.db is None:
            db, models = open_database(self.database_url)
            # The opening connection belongs to this thread; the writer opens its own.
            db.close()
            self.db, self._models = db, models
            self._writer = Writer(db, models, self.flush_interval, name=f"the database {self.location}")
            self._writer.on_error = self._report_error
        return self

    def close(self) -> None:
        """Write everything queued, stop the writer and close this thread's connection."""
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        with _live_runs_lock:  # runs left unfinished can no longer finish: the next recover() takes them
            _live_runs.difference_update((self.database_url, run_id) for run_id in self._started_runs)
        self._started_runs.clear()
        with _live_runs_lock:  # likewise agents it held: the next recover() sees their holder is gone
            for agent_id in self._held:
                if _held_agents.get((self.database_url, agent_id)) == id(self):
                    del _held_agents[(self.database_url, agent_id)]
        self._held.clear()
        if self.db is not None:
            self.db.close()  # other threads' read connections close with their thread or this database
            self.db = None
            self._models = None

    def __enter__(self) -> Store:
        return self.open()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _report_error(self, error: StoreError) -> None:
        if self.on_error is not None:
            self.on_error(error)

    @property
    def location(self) -> str:
        """Where the database lives, for messages: its file, or a server's url without credentials."""
        path = sqlite_path(self.database_url)
        return str(path) if path is not None else self.database_url.split("@")[-1]

    @property
    def writer(self) -> Writer:
        if self._writer is None:
            raise StoreError("the store is not open")
        return self._writer

    @property
    def models(self) -> Models:
        if self._models is None:
            raise StoreError("the store is not open")
        return self._models

    def _write(self, fn: Callable[[], T]) -> T:
        return self.writer.call(fn)

    def _read(self, fn: Callable[[], T]) -> T:
        self.models  # noqa: B018 - raises StoreError when closed
        try:
            return fn()
        except (pw.DatabaseError, pw.InterfaceError, OSError) as exc:
            raise StoreError(f"the database could not be read: {exc}") from None

    def flush(self, timeout: float = 5.0) -> None:
        """Wait until everything queued is on disk; StoreError if it could not be written."""
        self.writer.flush(timeout)

    @property
    def last_error(self) -> StoreError | None:
        """The last failure to write events, None once a later write succeeded."""
        return self._writer.last_error if self._writer else None

    @property
    def events_received(self) -> int:
        return self._writer.events_received if self._writer else 0

    @property
    def rows_written(self) -> int:
        return self._writer.rows_written if self._writer else 0

    def together(self, calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]]) -> list[Any]:
        """Several of this store's writes, ``(method, args, kwargs)`` each, in order in one transaction.

        All land or none does: the first to fail undoes the others and its error is raised. A
        method that also keeps track in memory (a claim, a live run) should come last, so that
        nothing after it can undo what it wrote while its memory stays.
        """
        for method, _, _ in calls:
            if method.startswith("_") or not callable(getattr(self, method, None)):
                raise ValueError(f"{method!r} is not a method of the store")
        return self._write(lambda: [getattr(self, method)(*args, **kwargs) for method, args, kwargs in calls])

    def ping(self) -> None:
        """Prove the database takes a write (for health checks)."""
        M = self.models
        self._write(lambda: M.Meta.replace(key="last_ping", value=str(time.time())).execute())

    # -- recovery ------------------------------------------------------------------

    def recover(self, repo_id: int | None = None) -> list[int]:
        """Mark orphaned runs (their clct process is gone) and active agents without a live run `interrupted`.

        Returns the interrupted run ids. Runs of another live clct process are left alone.
        """
        M = self.models

        def work() -> list[int]:
            query = M.Run.select(M.Run.id, M.Run.pid, M.Run.agent, M.Run.started_at).where(M.Run.state == "running")
            if repo_id is not None:
                query = query.join(M.Agent).where(M.Agent.repo == repo_id)
            with _live_runs_lock:
                live_here = {run_id for url, run_id in _live_runs if url == self.database_url}
            ids = [r.id for r in query if _orphaned(r.id, r.pid, r.started_at, live_here)]
            now = time.time()
            if ids:
                M.Run.update(state="interrupted", ended_at=now, success=False, error=ORPHAN_ERROR).where(
                    M.Run.id.in_(ids)).execute()
            # Agents whose holding process is gone: queued or running there, they are interrupted now.
            running = {r.agent_id for r in M.Run.select(M.Run.agent).where(M.Run.state == "running")}
            with _live_runs_lock:
                held_here = {agent_id for url, agent_id in _held_agents if url == self.database_url}
            agents = M.Agent.select(M.Agent.id, M.Agent.pid, M.Agent.updated_at).where(
                M.Agent.state.in_(_ACTIVE_AGENT_STATES) | M.Agent.pid.is_null(False))
            if repo_id is not None:
                agents = agents.where(M.Agent.repo == repo_id)
            gone = [a.id for a in agents if not _holder_alive(a.id, a.pid, a.updated_at, running, held_here)]
            if gone:
                M.Agent.update(state=AgentState.INTERRUPTED.value, updated_at=now).where(
                    M.Agent.id.in_(gone) & M.Agent.state.in_(_ACTIVE_AGENT_STATES)).execute()
                M.Agent.update(pid=None).where(M.Agent.id.in_(gone)).execute()
                _interrupt_their_tasks(M, gone, now)
            return ids

        return self._write(work)

    # -- repos and worktrees -----------------------------------------------------------

    def ensure_repo(self, path: str, default_branch: str | None) -> RepoRecord:
        """The repository at ``path``, created on first use; a new default branch is remembered."""
        M = self.models

        def work() -> RepoRecord:
            repo, created = M.Repo.get_or_create(path=path, defaults={"default_branch": default_branch})
            if not created and default_branch and repo.default_branch != default_branch:
                repo.default_branch = default_branch
                repo.save()
            return _repo(repo)

        return self._write(work)

    def add_worktree(self, repo_id: int, name: str, path: str, branch: str, base: str | None) -> WorktreeRecord:
        """Record a new worktree. WorktreeExistsError if one of that name is not marked removed."""
        M = self.models

        def work() -> WorktreeRecord:
            if _active_worktree(M, repo_id, name) is not None:
                raise WorktreeExistsError(f"a worktree named {name!r} is already recorded for this repository; "
                                          "remove it first")
            # A name reused after removal gets a new row; the old one keeps its history.
            return _worktree(M.Worktree.create(repo=repo_id, name=name, path=path, branch=branch, base=base))

        return self._write(work)

    def get_worktree(self, worktree_id: int) -> WorktreeRecord | None:
        M = self.models
        row = self._read(lambda: M.Worktree.get_or_none(M.Worktree.id == worktree_id))
        return _worktree(row) if row else None

    def get_worktree_by_name(self, repo_id: int, name: str) -> WorktreeRecord | None:
        """The worktree of that name not marked removed, if any."""
        row = self._read(lambda: _active_worktree(self.models, repo_id, name))
        return _worktree(row) if row else None

    def mark_worktree_removed(self, worktree_id: int) -> None:
        M = self.models
        self._write(lambda: M.Worktree.update(removed_at=time.time()).where(
            (M.Worktree.id == worktree_id) & M.Worktree.removed_at.is_null()).execute())

    def list_worktrees(self, repo_id: int, include_removed: bool = False) -> list[WorktreeRecord]:
        M = self.models
        query = M.Worktree.select().where(M.Worktree.repo == repo_id)
        if not include_removed:
            query = query.where(M.Worktree.removed_at.is_null())
        return self._read(lambda: [_worktree(w) for w in query.order_by(M.Worktree.name, M.Worktree.id)])

    # -- agents --------------------------------------------------------------------

    def add_agent(self, repo_id: int, worktree_id: int | None, name: str, model: str | None,
                  permission_mode: str) -> AgentRecord:
        M = self.models
        return self._write(lambda: _agent(M.Agent.create(
            id=uuid.uuid4().hex, repo=repo_id, worktree=worktree_id, name=name, model=model,
            permission_mode=permission_mode)))

    def get_agent(self, agent_id: str) -> AgentRecord | None:
        M = self.models
        row = self._read(lambda: M.Agent.get_or_none(M.Agent.id == agent_id))
        return _agent(row) if row else None

    def list_agents(self, repo_id: int | None = None, include_removed: bool = False) -> list[AgentRecord]:
        """Agents oldest first; an agent whose worktree was removed counts as removed."""
        M = self.models

        def read() -> list[AgentRecord]:
            query = M.Agent.select(M.Agent).join(M.Worktree, pw.JOIN.LEFT_OUTER)
            if repo_id is not None:
                query = query.where(M.Agent.repo == repo_id)
            if not include_removed:
                query = query.where(M.Worktree.removed_at.is_null())
            return [_agent(a) for a in query.order_by(M.Agent.created_at, M.Agent.id)]

        return self._read(read)

    def update_agent(self, agent_id: str, **fields: Any) -> None:
        """Set fields by name (``state``, ``session_id``, ``worktree_id``, ...); ``updated_at`` is set too."""
        M = self.models
        values = _fields(M.Agent, fields)
        values.setdefault(M.Agent.updated_at, time.time())
        self._write(lambda: self._update(M.Agent, agent_id, values))

    # -- the statements of every run ---------------------------------------------------
    # A run reads and writes a few rows at its start and end, and at full speed each agent ends a run
    # every second or two. Peewee builds a query's SQL anew at every call, most of such a small write's
    # cost; these statements are built once per shape and kept.

    def _execute(self, key: tuple[Any, ...], build: Callable[[Sql], str], params: list[Any]) -> Any:
        db = self.db
        assert db is not None
        sql = self._statements.get(key)
        if sql is None:
            sql = self._statements[key] = build(Sql(db))
        return db.execute_sql(sql, params)

    def _update(self, model: type[pw.Model], row_id: Any, values: dict[pw.Field, Any],
                only_if: dict[pw.Field, Any] | None = None) -> int:
        """UPDATE one row by its id (and ``only_if``: fields equal to values); the number of rows changed."""
        only_if = only_if or {}

        def build(sql: Sql) -> str:
            where = " AND ".join(sql.equals(field) for field in (model._meta.primary_key, *only_if))
            return f"UPDATE {sql.table(model)} SET {', '.join(sql.equals(field) for field in values)} WHERE {where}"

        params = [field.db_value(value) for field, value in values.items()]
        params.append(row_id)
        params.extend(field.db_value(value) for field, value in only_if.items())
        return self._execute((model, "update", *values, "where", *only_if), build, params).rowcount

    def _select(self, model: type[pw.Model], row_id: Any, fields: tuple[pw.Field, ...]) -> tuple[Any, ...] | None:
        """These fields of one row, by its id; None when there is no such row."""

        def build(sql: Sql) -> str:
            columns = ", ".join(sql.column(field) for field in fields)
            return f"SELECT {columns} FROM {sql.table(model)} WHERE {sql.equals(model._meta.primary_key)}"

        row = self._execute((model, "select", *fields), build, [row_id]).fetchone()
        return None if row is None else tuple(field.python_value(value) for field, value in zip(fields, row))

    def claim_agent(self, agent_id: str) -> int:
        """Hold the agent for this process until ``release_agent``: the one guard against two clct
        processes running one agent in one worktree, decided in one transaction (another process
        waits for the write lock, then sees the holder).

        AgentBusyError names the live process (or the other open store of this one) that holds it;
        a holder that is gone is taken over. Returns the claim's number, for release_agent.
        """
        M = self.models
        me, key = os.getpid(), (self.database_url, agent_id)

        def work() -> int:
            row = self._select(M.Agent, agent_id, (M.Agent.name, M.Agent.state, M.Agent.pid, M.Agent.updated_at))
            if row is None:
                raise NotFoundError(f"no agent with id {agent_id!r}")
            name, state, pid, updated_at = row
            with _live_runs_lock:
                holder_here = _held_agents.get(key)
            doing = state if state in _ACTIVE_AGENT_STATES else "running"
            if pid == me and holder_here not in (None, id(self)):
                raise AgentBusyError(f"agent {name} is {doing} in another engine of this process; "
                                     "wait for it or interrupt it there")
            if pid not in (None, me) and _process_alive(pid, since=updated_at):
                raise AgentBusyError(f"agent {name} is {doing} in another clct process (pid {pid}); "
                                     "wait for it or interrupt it there")
            # updated_at too: a process that started after it cannot be this holder (see _process_alive).
            self._update(M.Agent, agent_id, {M.Agent.pid: me, M.Agent.stop_requested: None,
                                             M.Agent.updated_at: time.time()})
            with _live_runs_lock:
                _held_agents[key] = id(self)
            self._held.add(agent_id)
            self._claims[agent_id] = self._claims.get(agent_id, 0) + 1
            return self._claims[agent_id]

        return self._write(work)

    def release_agent(self, agent_id: str, claim: int) -> None:
        """Let the agent go (the run of that claim is over); other processes may run it from now on.

        A release that lands after the agent was claimed again (the next prompt) does nothing.
        """
        M = self.models
        key = (self.database_url, agent_id)

        def work() -> None:
            if self._claims.get(agent_id) != claim:
                return
            self._update(M.Agent, agent_id, {M.Agent.pid: None, M.Agent.stop_requested: None},
                         only_if={M.Agent.pid: os.getpid()})
            with _live_runs_lock:
                if _held_agents.get(key) == id(self):
                    del _held_agents[key]
            self._held.discard(agent_id)

        self._write(work)

    def request_stop(self, agent_id: str) -> int | None:
        """Ask the other live clct process holding the agent to stop it (``clct stop``); its pid, or None
        when no other live process holds it (then there is nothing to ask: stop it here)."""
        M = self.models

        def work() -> int | None:
            row = M.Agent.get_or_none(M.Agent.id == agent_id)
            if row is None:
                raise NotFoundError(f"no agent with id {agent_id!r}")
            if row.pid in (None, os.getpid()) or not _process_alive(row.pid, since=row.updated_at):
                return None
            M.Agent.update(stop_requested=time.time()).where(M.Agent.id == agent_id).execute()
            return row.pid

        return self._write(work)

    def stops_requested(self, agent_ids: list[str]) -> set[str]:
        """Those of ``agent_ids`` (held by this process) that another process asked this one to stop."""
        M = self.models

        # Asked every half second while agents run: a statement kept per number of agents (see _execute).
        def build(sql: Sql) -> str:
            marks = ", ".join([sql.param] * len(agent_ids))
            return (f"SELECT {sql.column(M.Agent.id)} FROM {sql.table(M.Agent)} WHERE {sql.column(M.Agent.id)} "
                    f"IN ({marks}) AND {sql.equals(M.Agent.pid)} AND {sql.column(M.Agent.stop_requested)} IS NOT NULL")

        key = (M.Agent, "stops", len(agent_ids))
        return self._read(lambda: {row[0] for row in self._execute(key, build, [*agent_ids, os.getpid()])})

    def add_agent_cost(self, agent_id: str, cost_usd: float, input_tokens: int = 0, output_tokens: int = 0) -> None:
        M = self.models
        self._write(lambda: M.Agent.update(
            cost_usd=M.Agent.cost_usd + cost_usd, input_tokens=M.Agent.input_tokens + input_tokens,
            output_tokens=M.Agent.output_tokens + output_tokens, updated_at=time.time(),
        ).where(M.Agent.id == agent_id).execute())

    # -- runs and events -------------------------------------------------------------------

    def start_run(self, agent_id: str, prompt: str, kind: str = "task") -> RunRecord:
        """A new run in state ``running``; the agent remembers the prompt as its last."""
        if kind not in RUN_KINDS:
            raise ValueError(f"run kind {kind!r} is not one of {', '.join(RUN_KINDS)}")
        M = self.models

        def work() -> RunRecord:
            run = M.Run.create(agent=agent_id, prompt=prompt, kind=kind, pid=os.getpid())
            self._update(M.Agent, agent_id, {M.Agent.last_prompt: prompt, M.Agent.updated_at: time.time()})
            with _live_runs_lock:
                _live_runs.add((self.database_url, run.id))
            self._started_runs.add(run.id)
            self.writer.begin_run(run.id)
            return _run(run)

        return self._write(work)

    def finish_run(self, run_id: int, *, state: str, success: bool | None, result_text: str | None = None,
                   error: str | None = None, cost_usd: float = 0.0, num_turns: int = 0, duration_ms: int = 0,
                   session_id: str | None = None) -> None:
        """End a run. It lands after every event appended to it before this call."""
        state = _value(state)
        if state not in RUN_STATES:
            raise ValueError(f"run state {state!r} is not one of {', '.join(RUN_STATES)}")
        M = self.models

        def work() -> None:
            self._update(M.Run, run_id, _fields(M.Run, dict(
                state=state, success=success, result_text=result_text, error=error, cost_usd=cost_usd,
                num_turns=num_turns, duration_ms=duration_ms, session_id=session_id, ended_at=time.time(),
            )))
            with _live_runs_lock:
                _live_runs.discard((self.database_url, run_id))
            self._started_runs.discard(run_id)
            self.writer.end_run(run_id)

        self._write(work)

    def get_run(self, run_id: int) -> RunRecord | None:
        M = self.models

        def read() -> RunRecord | None:
            row = M.Run.select(M.Run, M.Agent.id, M.Agent.name).join(M.Agent).where(M.Run.id == run_id).first()
            return _run(row, row.agent.name) if row else None

        return self._read(read)

    def list_runs(self, limit: int = 50, agent_id: str | None = None, search: str | None = None,
                  repo_id: int | None = None) -> list[RunRecord]:
        """Runs newest first; ``search`` is a case-insensitive substring of the prompt or the result."""
        M = self.models

        def read() -> list[RunRecord]:
            query = M.Run.select(M.Run, M.Agent.id, M.Agent.name).join(M.Agent)
            if agent_id is not None:
                query = query.where(M.Run.agent == agent_id)
            if repo_id is not None:
                query = query.where(M.Agent.repo == repo_id)
            if search:
                query = query.where(M.Run.prompt.contains(search) | M.Run.result_text.contains(search))
            query = query.order_by(M.Run.started_at.desc(), M.Run.id.desc()).limit(limit)
            return [_run(r, r.agent.name) for r in query]

        return self._read(read)

    def last_run(self, agent_id: str) -> RunRecord | None:
        runs = self.list_runs(limit=1, agent_id=agent_id)
        return runs[0] if runs else None

    def append_event(self, run_id: int, event: TranscriptEvent) -> int | None:
        """Queue a transcript event; on disk within the flush interval. Never blocks.

        Returns its seq in the run when the run was started by this store (None otherwise).
        """
        return self.writer.append_event(run_id, event)

    def events(self, run_id: int) -> list[EventRecord]:
        """The run's events in seq order."""
        M = self.models
        return self._read(lambda: _events(M.Event.select().where(M.Event.run == run_id).order_by(M.Event.seq)))

    def agent_events(self, agent_id: str, limit: int | None = None) -> list[EventRecord]:
        """The agent's transcript across its runs, oldest first; with ``limit``, only the last rows."""
        M = self.models

        def read() -> list[EventRecord]:
            runs = M.Run.select(M.Run.id).where(M.Run.agent == agent_id).order_by(M.Run.id.desc())
            if limit is None:
                return _events(M.Event.select().where(M.Event.run.in_(runs)).order_by(M.Event.run, M.Event.seq))
            # Newest run first, each read backwards on the (run, seq) index until enough rows:
            # never touches another agent's events nor this agent's older ones.
            newest_first: list[EventRecord] = []
            for (run_id,) in runs.tuples():
                if len(newest_first) >= limit:
                    break
                newest_first.extend(_events(M.Event.select().where(M.Event.run == run_id)
                                            .order_by(M.Event.seq.desc()).limit(limit - len(newest_first))))
            return newest_first[::-1]

        if limit is not None and limit <= 0:
            return []
        return self._read(read)

    def agent_events_page(self, agent_id: str, *, before: tuple[int, int] | None = None,
                          after: tuple[int, int] | None = None, limit: int) -> tuple[list[EventRecord], bool]:
        """A page of the agent's transcript, oldest first, and whether more events lie beyond it.

        ``after``: the first ``limit`` events at or after that (run id, seq); otherwise the last
        ``limit`` events before ``before`` (or the very last ones). Each run is read along its
        (run, seq) index, so a page costs the same at the start of a long history as at its end.
        """
        M = self.models
        forward = after is not None
        bound = after if forward else before

        def read() -> tuple[list[EventRecord], bool]:
            runs = M.Run.select(M.Run.id).where(M.Run.agent == agent_id)
            if bound is not None:
                runs = runs.where(M.Run.id >= bound[0] if forward else M.Run.id <= bound[0])
            runs = runs.order_by(M.Run.id.asc() if forward else M.Run.id.desc())
            found: list[EventRecord] = []
            for (run_id,) in runs.tuples():
                if len(found) > limit:
                    break
                query = M.Event.select().where(M.Event.run == run_id)
                if bound is not None and run_id == bound[0]:
                    query = query.where(M.Event.seq >= bound[1] if forward else M.Event.seq < bound[1])
                query = query.order_by(M.Event.seq.asc() if forward else M.Event.seq.desc())
                found.extend(_events(query.limit(limit + 1 - len(found))))
            more = len(found) > limit
            found = found[:limit]
            return (found if forward else found[::-1]), more

        if limit <= 0:
            return [], False
        return self._read(read)

    def count_events(self, run_id: int | None = None) -> int:
        M = self.models
        query = M.Event.select()
        if run_id is not None:
            query = query.where(M.Event.run == run_id)
        return self._read(query.count)

    # -- sessions and tasks ---------------------------------------------------------------

    def create_session(self, repo_id: int, name: str, description: str | None = None,
                       max_budget_usd: float | None = None) -> SessionRecord:
        M = self.models
        return self._write(lambda: _session(M.Session.create(
            id=uuid.uuid4().hex, repo=repo_id, name=name, description=description, max_budget_usd=max_budget_usd)))

    def update_session(self, session_id: str, **fields: Any) -> None:
        M = self.models
        values = _fields(M.Session, fields)
        values.setdefault(M.Session.updated_at, time.time())
        self._write(lambda: M.Session.update(values).where(M.Session.id == session_id).execute())

    def get_session(self, session_id: str) -> SessionRecord | None:
        M = self.models
        row = self._read(lambda: M.Session.get_or_none(M.Session.id == session_id))
        return _session(row) if row else None

    def get_session_by_name(self, repo_id: int, name: str) -> SessionRecord | None:
        """The newest session of that name in the repository."""
        M = self.models
        row = self._read(lambda: M.Session.select().where((M.Session.repo == repo_id) & (M.Session.name == name))
                         .order_by(M.Session.created_at.desc()).first())
        return _session(row) if row else None

    def list_sessions(self, repo_id: int | None = None, limit: int = 50) -> list[SessionRecord]:
        """Sessions newest first."""
        M = self.models
        query = M.Session.select()
        if repo_id is not None:
            query = query.where(M.Session.repo == repo_id)
        return self._read(lambda: [_session(s) for s in
                                   query.order_by(M.Session.created_at.desc()).limit(limit)])

    def add_task(self, session_id: str, name: str, description: str, priority: int = 0,
                 depends_on: list[str] | None = None, context: dict[str, Any] | None = None,
                 branch: str | None = None, base: str | None = None, model: str | None = None,
                 max_budget_usd: float | None = None, max_turns: int | None = None) -> TaskRecord:
        """A pending task of the session. TaskGraphError if the session already has a task of that name."""
        M = self.models

        def work() -> TaskRecord:
            if M.Task.select().where((M.Task.session == session_id) & (M.Task.name == name)).exists():
                raise TaskGraphError(f"duplicate task name: {name}")
            return _task(M.Task.create(
                session=session_id, name=name, description=description, priority=priority,
                depends_on=list(depends_on or []), context=dict(context or {}), branch=branch, base=base,
                model=model, max_budget_usd=max_budget_usd, max_turns=max_turns))

        return self._write(work)

    def update_task(self, task_id: int, **fields: Any) -> None:
        """Set fields by name (``status``, ``agent_id``, ``output``, ...)."""
        M = self.models
        values = _fields(M.Task, fields)
        self._write(lambda: M.Task.update(values).where(M.Task.id == task_id).execute())

    def tasks(self, session_id: str) -> list[TaskRecord]:
        """The session's tasks in the order they were added."""
        M = self.models
        return self._read(lambda: [_task(t) for t in M.Task.select().where(M.Task.session == session_id)
                                   .order_by(M.Task.id)])

    # -- cost -----------------------------------------------------------------------

    def cost_today(self, repo_id: int | None = None) -> float:
        """The cost of runs started since local midnight."""
        M = self.models
        midnight = datetime.datetime.combine(datetime.date.today(), datetime.time()).timestamp()
        query = M.Run.select(pw.fn.COALESCE(pw.fn.SUM(M.Run.cost_usd), 0)).where(M.Run.started_at >= midnight)
        if repo_id is not None:
            query = query.join(M.Agent).where(M.Agent.repo == repo_id)
        return float(self._read(query.scalar) or 0.0)

    def cost_for_session(self, session_id: str) -> float:
        """The cost of the session's tasks."""
        M = self.models
        query = M.Task.select(pw.fn.COALESCE(pw.fn.SUM(M.Task.cost_usd), 0)).where(M.Task.session == session_id)
        return float(self._read(query.scalar) or 0.0)

    def cost_for_agent(self, agent_id: str) -> float:
        """The cost of the agent's runs."""
        M = self.models
        query = M.Run.select(pw.fn.COALESCE(pw.fn.SUM(M.Run.cost_usd), 0)).where(M.Run.agent == agent_id)
        return float(self._read(query.scalar) or 0.0)


def _active_worktree(M: Models, repo_id: int, name: str) -> Any:
    return M.Worktree.select().where(
        (M.Worktree.repo == repo_id) & (M.Worktree.name == name) & M.Worktree.removed_at.is_null()
    ).order_by(M.Worktree.id.desc()).first()


def _value(value: Any) -> Any:
    return value.value if isinstance(value, enum.Enum) else value


def _fields(model: type[pw.Model], fields: dict[str, Any]) -> dict[pw.Field, Any]:
    """Map keyword names (a foreign key by ``agent`` or ``agent_id``) to fields; unknown names are a bug."""
    values: dict[pw.Field, Any] = {}
    for key, value in fields.items():
        field = model._meta.fields.get(key)
        if field is None and key.endswith("_id"):
            foreign_key = model._meta.fields.get(key[:-3])
            field = foreign_key if isinstance(foreign_key, pw.ForeignKeyField) else None
        if field is None or field.primary_key:
            raise ValueError(f"{model.__name__} has no field {key!r} that can be updated")
        values[field] = _value(value)
    return values


def _orphaned(run_id: int, pid: int | None, started_at: float, live_here: set[int]) -> bool:
    if pid == os.getpid():
        # Runs of an open store of this process are live; others of this pid are from an earlier life.
        return run_id not in live_here
    return not _process_alive(pid, since=started_at)


def _interrupt_their_tasks(M: Models, agents: list[str], now: float) -> None:
    """Tasks those agents were running died with their process: interrupted, and so are their sessions."""
    tasks = M.Task.select(M.Task.id, M.Task.session).where(M.Task.agent.in_(agents) & (M.Task.status == "running"))
    found = list(tasks)
    if not found:
        return
    M.Task.update(status="interrupted", error=ORPHAN_ERROR, ended_at=now).where(
        M.Task.id.in_([t.id for t in found])).execute()
    M.Session.update(status="interrupted", updated_at=now).where(
        M.Session.id.in_({t.session_id for t in found}) & (M.Session.status == "running")).execute()


def _holder_alive(agent_id: str, pid: int | None, updated_at: float, running: set[str], held_here: set[str]) -> bool:
    if pid is None:  # active but held by nobody: alive only while one of its runs is (schema 2 databases)
        return agent_id in running
    if pid == os.getpid():
        return agent_id in held_here  # not held by an open store: left from an earlier life of this pid
    return _process_alive(pid, since=updated_at)


def _process_alive(pid: int | None, since: float | None = None) -> bool:
    """Whether ``pid`` is a live process that can be the one that wrote a record at ``since`` (wall clock).

    Where /proc tells (Linux), a zombie is dead, and a process that started after the record was
    written is not its writer: the pid was reused (after a reboot or a container restart, say), and
    taking it for the writer would leave the record held forever.
    """
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # alive, owned by someone else
    seen = _proc_state_and_start(pid)
    if seen is not None:
        state, started = seen
        if state == "Z" or (since is not None and started > since + _CLOCK_SLACK):
            return False
    return True


_CLOCK_SLACK = 2.0  # seconds: /proc start times are coarse, and a record's time is taken a moment after


def _proc_state_and_start(pid: int) -> tuple[str, float] | None:
    """The process's state letter and start time (wall clock) from /proc; None where there is no /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return fields[0], _boot_time() + int(fields[19]) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


@functools.lru_cache(maxsize=1)
def _boot_time() -> float:
    for line in Path("/proc/stat").read_text().splitlines():
        if line.startswith("btime "):
            return float(line.split()[1])
    raise ValueError("no btime in /proc/stat")
