"""Store: the one manager of clct's history. Writes go through the writer thread; reads run where called."""

from __future__ import annotations

import datetime
import os
import time
import uuid
from typing import Any

import peewee as pw

from clct_tui.domain import AgentState, EventKind, TranscriptEvent
from clct_tui.errors import StoreError, TaskGraphError
from clct_tui.store import models as m
from clct_tui.store.records import (
    AgentRecord,
    EventRecord,
    RepoRecord,
    RunRecord,
    SessionRecord,
    TaskRecord,
    WorktreeRecord,
)
from clct_tui.store.schema import open_database
from clct_tui.store.writer import Writer

_ACTIVE_AGENT_STATES = [AgentState.RUNNING.value, AgentState.WAITING.value, AgentState.QUEUED.value]


def _repo(r: m.Repo) -> RepoRecord:
    return RepoRecord(r.id, r.path, r.default_branch)


def _worktree(w: m.Worktree) -> WorktreeRecord:
    return WorktreeRecord(w.id, w.repo_id, w.name, w.path, w.branch, w.base, w.created_at, w.removed_at)


def _agent(a: m.Agent) -> AgentRecord:
    return AgentRecord(a.id, a.repo_id, a.worktree_id, a.name, a.model, a.permission_mode, a.session_id, a.state,
                       a.cost_usd, a.input_tokens, a.output_tokens, a.last_prompt, a.created_at, a.updated_at)


def _run(r: m.Run, agent_name: str = "") -> RunRecord:
    return RunRecord(r.id, r.agent_id, r.prompt, r.kind, r.state, r.started_at, r.ended_at, r.result_text, r.error,
                     r.success, r.cost_usd, r.num_turns, r.duration_ms, r.session_id, agent_name)


def _event(e: m.Event) -> EventRecord:
    return EventRecord(e.id, e.run_id, e.seq, EventKind(e.kind), e.text, e.data or {}, e.ts)


def _session(s: m.Session) -> SessionRecord:
    return SessionRecord(s.id, s.repo_id, s.name, s.description, s.status, s.max_budget_usd, s.created_at, s.updated_at)


def _task(t: m.Task) -> TaskRecord:
    return TaskRecord(t.id, t.session_id, t.name, t.description, t.priority, list(t.depends_on or []),
                      dict(t.context or {}), t.branch, t.base, t.model, t.max_budget_usd, t.max_turns, t.status,
                      t.agent_id, t.output, t.error, t.cost_usd, t.started_at, t.ended_at)


class Store:
    """Everything clct remembers. ``open()`` first; ``close()`` flushes."""

    def __init__(self, database_url: str, flush_interval: float = 0.2) -> None:
        self.database_url = database_url
        self.flush_interval = flush_interval
        self.db: pw.Database | None = None
        self._writer: Writer | None = None
        self.on_error = None

    # -- lifecycle -----------------------------------------------------------------

    def open(self) -> Store:
        if self.db is None:
            self.db = open_database(self.database_url)
            self._writer = Writer(self.db, self.flush_interval)
            self._writer.on_error = lambda error: self.on_error and self.on_error(error)
        return self

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        self.db = None

    def __enter__(self) -> Store:
        return self.open()

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def writer(self) -> Writer:
        if self._writer is None:
            raise StoreError("the store is not open")
        return self._writer

    def _write(self, fn, *args, **kwargs):
        return self.writer.call(fn, *args, **kwargs)

    def _read(self, fn, *args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except (pw.DatabaseError, OSError) as exc:
            raise StoreError(f"the database could not be read: {exc}") from None

    def flush(self, timeout: float = 5.0) -> None:
        self.writer.flush(timeout)

    @property
    def last_error(self) -> StoreError | None:
        return self._writer.last_error if self._writer else None

    def ping(self) -> None:
        """Prove the database takes a write (for health checks)."""
        self._write(lambda: m.Meta.replace(key="last_ping", value=str(time.time())).execute())

    # -- recovery ------------------------------------------------------------------

    def recover(self, repo_id: int | None = None) -> list[int]:
        """Mark runs whose clct process is gone `interrupted`, and their agents. Returns the run ids."""

        def work() -> list[int]:
            query = m.Run.select(m.Run.id, m.Run.pid, m.Run.agent).where(m.Run.state == "running")
            if repo_id is not None:
                query = query.join(m.Agent).where(m.Agent.repo == repo_id)
            orphans = [r for r in query if not _process_alive(r.pid)]
            ids = [r.id for r in orphans]
            now = time.time()
            if ids:
                m.Run.update(state="interrupted", ended_at=now, success=False,
                             error="clct stopped while this run was in progress").where(m.Run.id.in_(ids)).execute()
            live_agents = {r.agent_id for r in m.Run.select(m.Run.agent).where(m.Run.state == "running")}
            stale = m.Agent.update(state=AgentState.INTERRUPTED.value, updated_at=now).where(
                m.Agent.state.in_(_ACTIVE_AGENT_STATES) & m.Agent.id.not_in(live_agents or [""]))
            if repo_id is not None:
                stale = stale.where(m.Agent.repo == repo_id)
            stale.execute()
            return ids

        return self._write(work)

    # -- repos and worktrees -----------------------------------------------------------

    def ensure_repo(self, path: str, default_branch: str | None) -> RepoRecord:
        def work() -> RepoRecord:
            repo, created = m.Repo.get_or_create(path=path, defaults={"default_branch": default_branch})
            if not created and default_branch and repo.default_branch != default_branch:
                repo.default_branch = default_branch
                repo.save()
            return _repo(repo)

        return self._write(work)

    def add_worktree(self, repo_id: int, name: str, path: str, branch: str, base: str | None) -> WorktreeRecord:
        def work() -> WorktreeRecord:
            # A name reused after removal gets a new row; the old one keeps its history.
            return _worktree(m.Worktree.create(repo=repo_id, name=name, path=path, branch=branch, base=base))

        return self._write(work)

    def get_worktree(self, worktree_id: int) -> WorktreeRecord | None:
        row = self._read(m.Worktree.get_or_none, m.Worktree.id == worktree_id)
        return _worktree(row) if row else None

    def get_worktree_by_name(self, repo_id: int, name: str) -> WorktreeRecord | None:
        row = self._read(lambda: m.Worktree.select().where(
            (m.Worktree.repo == repo_id) & (m.Worktree.name == name) & m.Worktree.removed_at.is_null()
        ).order_by(m.Worktree.id.desc()).first())
        return _worktree(row) if row else None

    def mark_worktree_removed(self, worktree_id: int) -> None:
        self._write(lambda: m.Worktree.update(removed_at=time.time()).where(m.Worktree.id == worktree_id).execute())

    def list_worktrees(self, repo_id: int, include_removed: bool = False) -> list[WorktreeRecord]:
        query = m.Worktree.select().where(m.Worktree.repo == repo_id)
        if not include_removed:
            query = query.where(m.Worktree.removed_at.is_null())
        return self._read(lambda: [_worktree(w) for w in query.order_by(m.Worktree.name)])

    # -- agents --------------------------------------------------------------------

    def add_agent(self, repo_id: int, worktree_id: int | None, name: str, model: str | None,
                  permission_mode: str) -> AgentRecord:
        return self._write(lambda: _agent(m.Agent.create(
            id=uuid.uuid4().hex, repo=repo_id, worktree=worktree_id, name=name, model=model,
            permission_mode=permission_mode)))

    def get_agent(self, agent_id: str) -> AgentRecord | None:
        row = self._read(m.Agent.get_or_none, m.Agent.id == agent_id)
        return _agent(row) if row else None

    def list_agents(self, repo_id: int | None = None, include_removed: bool = False) -> list[AgentRecord]:
        def read() -> list[AgentRecord]:
            query = m.Agent.select(m.Agent).join(m.Worktree, pw.JOIN.LEFT_OUTER)
            if repo_id is not None:
                query = query.where(m.Agent.repo == repo_id)
            if not include_removed:
                query = query.where(m.Worktree.removed_at.is_null() & m.Agent.worktree.is_null(False))
            return [_agent(a) for a in query.order_by(m.Agent.created_at)]

        return self._read(read)

    def update_agent(self, agent_id: str, **fields: Any) -> None:
        fields.setdefault("updated_at", time.time())
        self._write(lambda: m.Agent.update(**fields).where(m.Agent.id == agent_id).execute())

    def add_agent_cost(self, agent_id: str, cost_usd: float, input_tokens: int = 0, output_tokens: int = 0) -> None:
        self._write(lambda: m.Agent.update(
            cost_usd=m.Agent.cost_usd + cost_usd, input_tokens=m.Agent.input_tokens + input_tokens,
            output_tokens=m.Agent.output_tokens + output_tokens, updated_at=time.time(),
        ).where(m.Agent.id == agent_id).execute())

    # -- runs and events -------------------------------------------------------------------

    def start_run(self, agent_id: str, prompt: str, kind: str = "task") -> RunRecord:
        def work() -> RunRecord:
            run = m.Run.create(agent=agent_id, prompt=prompt, kind=kind, pid=os.getpid())
            m.Agent.update(last_prompt=prompt, updated_at=time.time()).where(m.Agent.id == agent_id).execute()
            return _run(run)

        return self._write(work)

    def finish_run(self, run_id: int, *, state: str, success: bool, result_text: str | None = None,
                   error: str | None = None, cost_usd: float = 0.0, num_turns: int = 0, duration_ms: int = 0,
                   session_id: str | None = None) -> None:
        self._write(lambda: m.Run.update(
            state=state, success=success, result_text=result_text, error=error, cost_usd=cost_usd,
            num_turns=num_turns, duration_ms=duration_ms, session_id=session_id, ended_at=time.time(),
        ).where(m.Run.id == run_id).execute())

    def get_run(self, run_id: int) -> RunRecord | None:
        def read():
            row = (m.Run.select(m.Run, m.Agent.name).join(m.Agent).where(m.Run.id == run_id).first())
            return _run(row, row.agent.name) if row else None

        return self._read(read)

    def list_runs(self, limit: int = 50, agent_id: str | None = None, search: str | None = None,
                  repo_id: int | None = None) -> list[RunRecord]:
        def read() -> list[RunRecord]:
            query = m.Run.select(m.Run, m.Agent.name).join(m.Agent)
            if agent_id is not None:
                query = query.where(m.Run.agent == agent_id)
            if repo_id is not None:
                query = query.where(m.Agent.repo == repo_id)
            if search:
                query = query.where(m.Run.prompt.contains(search) | m.Run.result_text.contains(search))
            return [_run(r, r.agent.name) for r in query.order_by(m.Run.started_at.desc(), m.Run.id.desc()).limit(limit)]

        return self._read(read)

    def last_run(self, agent_id: str) -> RunRecord | None:
        runs = self.list_runs(limit=1, agent_id=agent_id)
        return runs[0] if runs else None

    def append_event(self, run_id: int, event: TranscriptEvent) -> None:
        """Queue a transcript event; on disk within the flush interval. Never blocks."""
        self.writer.append_event(run_id, event)

    def events(self, run_id: int) -> list[EventRecord]:
        return self._read(lambda: [_event(e) for e in
                                   m.Event.select().where(m.Event.run == run_id).order_by(m.Event.seq)])

    def agent_events(self, agent_id: str, limit: int | None = None) -> list[EventRecord]:
        """The agent's transcript across its runs, oldest first; with ``limit``, only the last rows."""

        def read() -> list[EventRecord]:
            run_ids = [r.id for r in m.Run.select(m.Run.id).where(m.Run.agent == agent_id)]
            if not run_ids:
                return []
            query = (m.Event.select().where(m.Event.run.in_(run_ids))
                     .order_by(m.Event.run.desc(), m.Event.seq.desc()))
            if limit is not None:
                query = query.limit(limit)
            return [_event(e) for e in reversed(list(query))]

        return self._read(read)

    def count_events(self, run_id: int | None = None) -> int:
        query = m.Event.select()
        if run_id is not None:
            query = query.where(m.Event.run == run_id)
        return self._read(query.count)

    # -- sessions and tasks ---------------------------------------------------------------

    def create_session(self, repo_id: int, name: str, description: str | None = None,
                       max_budget_usd: float | None = None) -> SessionRecord:
        return self._write(lambda: _session(m.Session.create(
            id=uuid.uuid4().hex, repo=repo_id, name=name, description=description, max_budget_usd=max_budget_usd)))

    def update_session(self, session_id: str, **fields: Any) -> None:
        fields.setdefault("updated_at", time.time())
        self._write(lambda: m.Session.update(**fields).where(m.Session.id == session_id).execute())

    def get_session(self, session_id: str) -> SessionRecord | None:
        row = self._read(m.Session.get_or_none, m.Session.id == session_id)
        return _session(row) if row else None

    def get_session_by_name(self, repo_id: int, name: str) -> SessionRecord | None:
        row = self._read(lambda: m.Session.select().where((m.Session.repo == repo_id) & (m.Session.name == name))
                         .order_by(m.Session.created_at.desc()).first())
        return _session(row) if row else None

    def list_sessions(self, repo_id: int | None = None, limit: int = 50) -> list[SessionRecord]:
        query = m.Session.select()
        if repo_id is not None:
            query = query.where(m.Session.repo == repo_id)
        return self._read(lambda: [_session(s) for s in
                                   query.order_by(m.Session.created_at.desc()).limit(limit)])

    def add_task(self, session_id: str, name: str, description: str, priority: int = 0,
                 depends_on: list[str] | None = None, context: dict[str, Any] | None = None, **options: Any) -> TaskRecord:
        def work() -> TaskRecord:
            if m.Task.select().where((m.Task.session == session_id) & (m.Task.name == name)).exists():
                raise TaskGraphError(f"duplicate task name: {name}")
            return _task(m.Task.create(session=session_id, name=name, description=description, priority=priority,
                                       depends_on=list(depends_on or []), context=dict(context or {}), **options))

        return self._write(work)

    def update_task(self, task_id: int, **fields: Any) -> None:
        self._write(lambda: m.Task.update(**fields).where(m.Task.id == task_id).execute())

    def tasks(self, session_id: str) -> list[TaskRecord]:
        return self._read(lambda: [_task(t) for t in m.Task.select().where(m.Task.session == session_id)
                                   .order_by(m.Task.id)])

    # -- cost -----------------------------------------------------------------------

    def cost_today(self, repo_id: int | None = None) -> float:
        midnight = datetime.datetime.combine(datetime.date.today(), datetime.time()).timestamp()
        query = m.Run.select(pw.fn.COALESCE(pw.fn.SUM(m.Run.cost_usd), 0)).where(m.Run.started_at >= midnight)
        if repo_id is not None:
            query = query.join(m.Agent).where(m.Agent.repo == repo_id)
        return float(self._read(query.scalar) or 0.0)

    def cost_for_session(self, session_id: str) -> float:
        query = m.Task.select(pw.fn.COALESCE(pw.fn.SUM(m.Task.cost_usd), 0)).where(m.Task.session == session_id)
        return float(self._read(query.scalar) or 0.0)

    def cost_for_agent(self, agent_id: str) -> float:
        query = m.Run.select(pw.fn.COALESCE(pw.fn.SUM(m.Run.cost_usd), 0)).where(m.Run.agent == agent_id)
        return float(self._read(query.scalar) or 0.0)


def _process_alive(pid: int | None) -> bool:
    if not pid or pid == os.getpid():
        return False  # our own runs at open time are leftovers of an earlier life of this pid
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
