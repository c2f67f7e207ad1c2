"""Orchestrator: the engine's one entry point — instances, limits, git, history, events."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shlex
import shutil
import subprocess
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any, TypeVar

from clct_tui.agents import cli_status, load_driver
from clct_tui.agents.redact import Redactor, secrets_in
from clct_tui.config import Config
from clct_tui.domain import AgentState, TranscriptEvent
from clct_tui.errors import (
    AgentError,
    ClctError,
    GitError,
    NotFoundError,
    NotOpenError,
    StoreError,
    WorktreeNotFoundError,
)
from clct_tui.git import WorktreeInfo, WorktreeManager
from clct_tui.orchestrator.events import (
    AgentAdded,
    AgentRemoved,
    EngineEvent,
    EngineFailure,
    WorktreeChanged,
)
from clct_tui.orchestrator.instance import ClaudeInstance
from clct_tui.orchestrator.naming import slugify, unique_name
from clct_tui.orchestrator.stops import StopWatch
from clct_tui.store import EventRecord, RunRecord, Store

log = logging.getLogger(__name__)
Subscriber = Callable[[EngineEvent], None]
SHUTDOWN_GRACE = 5.0  # seconds an interrupted run gets to finish cleanly on shutdown
T = TypeVar("T")


class Orchestrator:
    """Runs many Claude Code agents in worktrees of one repository.

    Use ``async with Orchestrator(path, config) as o:`` or call ``open()`` and
    ``shutdown()`` yourself. Git and database work runs off the event loop.
    """

    def __init__(self, repo_path: str | Path, config: Config | None = None) -> None:
        self.config = config if config is not None else Config.load()
        self._requested_path = Path(repo_path).expanduser()
        self.worktrees: WorktreeManager | None = None
        self.store: Store | None = None
        self.repo_id: int | None = None
        self.interrupted_runs: list[int] = []
        self._instances: dict[str, ClaudeInstance] = {}
        self._subscribers: list[Subscriber] = []
        self._slots = asyncio.Semaphore(self.config.max_concurrent_instances)
        self.running_count = 0
        self.peak_running = 0
        # libgit2 takes .git/config.lock for worktree and branch writes; concurrent calls from
        # threads would fail to take it, so every git call goes through this one lock.
        self._git_lock = asyncio.Lock()
        self._writes: asyncio.Queue[tuple[str, tuple, dict]] | None = None
        self._write_task: asyncio.Task | None = None
        self._opened = False
        self.closing = False  # set by shutdown(): no new runs start
        self._store_failure: str | None = None  # the last database failure told, until a write succeeds
        self.stops = StopWatch(lambda ids: self.store_call("stops_requested", ids))
        # sessions.py builds on this class, so it is imported here rather than at the top.
        from clct_tui.orchestrator.sessions import SessionManager

        self.sessions = SessionManager(self)

    # -- lifecycle -----------------------------------------------------------------

    async def __aenter__(self) -> Orchestrator:
        await self.open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.shutdown()

    async def open(self) -> None:
        """Open the repository and the database, and load the agents stored for it."""
        if self._opened:
            return
        base = self.config.worktree_folder(self._requested_path.resolve())
        self.worktrees = await asyncio.to_thread(WorktreeManager, self._requested_path, base)
        # The folder depends on the repository root, which discovery may have moved up to.
        if self.worktrees.repo_path.resolve() != self._requested_path.resolve():
            base = self.config.worktree_folder(self.worktrees.repo_path.resolve())
            self.worktrees = await asyncio.to_thread(WorktreeManager, self.worktrees.repo_path, base)
        root = Path(self.config.worktree_base_path).expanduser().resolve()
        if not self.worktrees.base_path.is_relative_to(root):
            # The repository's folder under the base is a symlink to elsewhere: worktrees would land there.
            raise GitError(f"the worktree folder {base} leads to {self.worktrees.base_path}, outside "
                           f"worktree_base_path {root}; remove that link or set another worktree_base_path")
        self.store = await asyncio.to_thread(self._open_store)
        self.store.on_error = self._on_store_error
        repo = await self.store_call("ensure_repo", str(self.worktrees.repo_path), self.worktrees.current_branch())
        self.repo_id = repo.id
        self.interrupted_runs = await self.store_call("recover")
        await self._load_instances()
        self._writes = asyncio.Queue()
        self._write_task = asyncio.create_task(self._write_loop(), name="clct-store-writes")
        self._opened = True

    def _open_store(self) -> Store:
        store = Store(self.config.database_url)
        store.open()
        return store

    async def shutdown(self) -> None:
        """Interrupt running agents cleanly, stop their processes, flush the database."""
        if not self._opened:
            return
        self._opened = False
        self.closing = True
        instances = list(self._instances.values())
        await asyncio.gather(*(i.interrupt() for i in instances), return_exceptions=True)
        # Let interrupted runs record their end (state, cost, session) before the processes go.
        await asyncio.gather(*(i.wait_idle(SHUTDOWN_GRACE) for i in instances), return_exceptions=True)
        await asyncio.gather(*(i.stop() for i in instances), return_exceptions=True)
        # A run that outlived the grace ends now that its process is gone: let it record that end too.
        await asyncio.gather(*(i.wait_idle(SHUTDOWN_GRACE) for i in instances), return_exceptions=True)
        if self._writes is not None:
            await self._writes.join()
        if self._write_task is not None:
            self._write_task.cancel()
        self.stops.close()
        if self.store is not None:
            await asyncio.to_thread(self.store.close)

    async def preload_sdk(self) -> None:
        """Import claude-agent-sdk now, off the loop, rather than when the first agent starts (~0.4 s)."""
        await asyncio.to_thread(load_driver)

    async def _load_instances(self) -> None:
        assert self.worktrees is not None
        store = self.store
        assert store is not None

        def read_agents() -> list[tuple[Any, Any]]:
            # One hop off the loop for them all: at start-up the loop is busy drawing the first screen,
            # and every hop back to it waited for a frame.
            return [(agent, store.get_worktree(agent.worktree_id) if agent.worktree_id else None)
                    for agent in store.list_agents(self.repo_id)]

        agents, listed = await asyncio.gather(asyncio.to_thread(read_agents),
                                              asyncio.to_thread(self.worktrees.list_worktrees))
        worktrees = {w.name: w for w in listed}
        for agent, wt_record in agents:
            if wt_record is None:
                continue
            # A worktree whose folder or branch went away outside clct is not in git's list; its agent is
            # still loaded from what was recorded, so it is listed with its problem and can be removed.
            info = worktrees.get(wt_record.name) or WorktreeInfo(
                wt_record.name, Path(wt_record.path), wt_record.branch, wt_record.base or "", "")
            self._instances[agent.id] = ClaudeInstance(
                self,
                agent.id,
                info,
                name=agent.name,
                model=agent.model,
                session_id=agent.session_id,
                state=AgentState(agent.state),
                cost_usd=agent.cost_usd,
            )

    # -- events --------------------------------------------------------------------

    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        """Call ``callback`` on the event loop for every engine event; returns an unsubscribe."""
        self._subscribers.append(callback)
        return lambda: self._subscribers.remove(callback) if callback in self._subscribers else None

    def publish(self, event: EngineEvent) -> None:
        for callback in list(self._subscribers):
            try:
                callback(event)
            except Exception:  # a broken subscriber must not stop the agents
                log.exception("subscriber %r failed on %r", callback, event)

    def _on_store_error(self, error: StoreError) -> None:
        # Called from the writer thread: hop onto the loop before publishing.
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._stop_everything_after_store_failure, error)

    def _stop_everything_after_store_failure(self, error: StoreError) -> None:
        self._store_failure = str(error)
        self.publish(EngineFailure(f"{error}; the agents are being stopped — their worktrees and the "
                                   "transcripts written so far are safe"))
        for instance in self._instances.values():
            asyncio.ensure_future(instance.interrupt())

    @property
    def _loop(self) -> asyncio.AbstractEventLoop | None:
        return self._write_task.get_loop() if self._write_task is not None else None

    # -- store access off the loop --------------------------------------------------

    async def store_call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        if self.store is None:
            raise NotOpenError
        return await asyncio.to_thread(getattr(self.store, method), *args, **kwargs)

    def store_write_soon(self, method: str, *args: Any, **kwargs: Any) -> None:
        """Queue a write without waiting for it; queued writes land in order."""
        if self._writes is not None:
            self._writes.put_nowait((method, args, kwargs))

    async def drain_writes(self) -> None:
        """Wait until every queued write has landed (before reading back what was written)."""
        if self._writes is not None:
            await self._writes.join()

    async def _write_loop(self) -> None:
        assert self._writes is not None
        while True:
            method, args, kwargs = await self._writes.get()
            try:
                await self.store_call(method, *args, **kwargs)
                self._store_failure = None
            except ClctError as exc:
                # While the database is down every queued write fails the same way: say it once.
                if str(exc) != self._store_failure:
                    self._store_failure = str(exc)
                    self.publish(EngineFailure(str(exc)))
            except Exception as exc:  # noqa: BLE001 - a bug in one write must not stop the later ones
                # Every run waits for the writes queued before its own (drain_writes): a loop that died
                # here would hold them all.
                log.exception("the queued write %s failed", method)
                self.publish(EngineFailure(f"clct could not store a change ({method}): {exc}"))
            finally:
                self._writes.task_done()

    async def git_call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        """Run one WorktreeManager method off the loop, one git operation at a time."""
        wm = self._git()
        async with self._git_lock:
            return await asyncio.to_thread(getattr(wm, method), *args, **kwargs)

    # -- the concurrency limit -------------------------------------------------------

    @contextlib.asynccontextmanager
    async def run_slot(self) -> AsyncIterator[None]:
        """At most ``max_concurrent_instances`` runs hold a slot; the rest wait their turn."""
        async with self._slots:
            self.running_count += 1
            self.peak_running = max(self.peak_running, self.running_count)
            try:
                yield
            finally:
                self.running_count -= 1

    # -- instances -----------------------------------------------------------------

    async def create_instance(
        self,
        worktree_name: str | None = None,
        branch: str | None = None,
        base_branch: str | None = None,
        *,
        model: str | None = None,
        prompt: str | None = None,
        reuse: bool = False,
        max_budget_usd: float | None = None,
        max_turns: int | None = None,
    ) -> ClaudeInstance:
        """Make a worktree (copying .worktreeinclude files, running the setup command) and an agent in it."""
        taken = {i.worktree.name for i in self._instances.values()}
        name = worktree_name or unique_name(slugify(prompt or "agent"), taken | self._branch_names())
        base = base_branch or self.config.default_branch
        info = await self.git_call("create_worktree", name, branch, base, reuse)
        try:
            await self._run_setup_command(info.path)
        except AgentError:
            await self.git_call("remove_worktree", name, True)
            raise
        wt = None
        try:
            stale = await self.store_call("get_worktree_by_name", self.repo_id, info.name)
            if stale is not None:  # removed outside clct; git just made a new one under its name
                await self.store_call("mark_worktree_removed", stale.id)
            wt = await self.store_call("add_worktree", self.repo_id, info.name, str(info.path), info.branch, info.base)
            agent = await self.store_call(
                "add_agent", self.repo_id, wt.id, info.name, model or self.config.claude_model,
                self.config.permission_mode,
            )
        except BaseException:
            # No agent was recorded: take the brand-new worktree back rather than leave it orphaned.
            with contextlib.suppress(ClctError):
                if wt is not None:
                    await self.store_call("mark_worktree_removed", wt.id)
            await self.git_call("remove_worktree", name, True)
            raise
        instance = ClaudeInstance(
            self, agent.id, info, name=info.name, model=model, max_budget_usd=max_budget_usd, max_turns=max_turns
        )
        self._instances[agent.id] = instance
        self.publish(AgentAdded(agent.id))
        return instance

    def _branch_names(self) -> set[str]:
        wm = self._git()
        return {b for b in wm.repo.branches.local} if hasattr(wm, "repo") else set()

    async def _run_setup_command(self, path: Path) -> None:
        command = self.config.setup_command
        if not command:
            return
        argv = shlex.split(command)  # never a shell: user text must not be interpreted
        try:
            proc = await asyncio.create_subprocess_exec(
                *argv, cwd=path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
            )
        except OSError as exc:
            raise AgentError(f"setup command {command!r} could not start: {exc}") from None
        out, _ = await proc.communicate()
        if proc.returncode != 0:
            # The message may be stored (a task's error): a command that prints its environment must not leak the key.
            tail = self.redact(out.decode(errors="replace")).strip()[-500:]
            raise AgentError(f"setup command {command!r} failed with exit status {proc.returncode}: {tail}")

    def redact(self, value: T) -> T:
        """``value`` (text, or strings anywhere in dicts and lists) with the credentials the agents' CLI
        sees masked: for what is stored or shown of it."""
        return Redactor(secrets_in(os.environ, self.config.agent_env())).value(value)

    def get_instance(self, instance_id: str) -> ClaudeInstance | None:
        return self._instances.get(instance_id)

    def require_instance(self, instance_id: str) -> ClaudeInstance:
        """The instance with this id, or a NotFoundError that names it."""
        instance = self._instances.get(instance_id)
        if instance is not None:
            return instance
        # A name is exact, so it wins over an id prefix: agent "c" must not clash with an id starting "c4…".
        named = [i for i in self._instances.values() if i.name == instance_id]
        matches = named or [i for i in self._instances.values() if i.instance_id.startswith(instance_id)]
        if len(matches) == 1:
            return matches[0]
        if matches:
            raise NotFoundError(f"{instance_id!r} matches several agents ({', '.join(sorted(i.name for i in matches))}); "
                                "give more of the id")
        raise NotFoundError(f"no agent with id or name {instance_id!r}")

    def list_instances(self) -> list[ClaudeInstance]:
        return sorted(self._instances.values(), key=lambda i: i.name)

    async def remove_instance(self, instance_id: str, remove_worktree: bool = True, force: bool = False) -> bool:
        """Stop the agent and (by default) remove its worktree — refusing to lose work unless forced.

        True when its branch was deleted too.
        """
        instance = self.require_instance(instance_id)
        if instance.state.is_active and not force:
            raise AgentError(f"agent {instance.name} is {instance.state.value}; interrupt it first or force the removal")
        branch_removed = False
        if remove_worktree:
            # Git refuses before touching anything when work would be lost, so a refusal changes nothing.
            try:
                branch_removed = await self.git_call("remove_worktree", instance.worktree.name, force)
            except WorktreeNotFoundError:
                if instance.worktree.path.is_dir():
                    raise
                # Its folder and git's record of it are already gone: only the branch clct made is left,
                # and it goes only when nothing else has its commits.
                branch_removed = await self.git_call("drop_branch", instance.worktree.branch, force)
        await instance.stop()
        if remove_worktree:
            wt = await self.store_call("get_worktree_by_name", self.repo_id, instance.worktree.name)
            if wt is not None:
                await self.store_call("mark_worktree_removed", wt.id)
        self._instances.pop(instance.instance_id, None)
        self.publish(AgentRemoved(instance.instance_id))
        return branch_removed

    # -- git, for the front ends -----------------------------------------------------

    def _git(self) -> WorktreeManager:
        if self.worktrees is None:
            raise NotOpenError
        return self.worktrees

    def _present_worktree(self, instance_id: str) -> str:
        """The agent's worktree name, or a WorktreeNotFoundError that says its folder went away."""
        instance = self.require_instance(instance_id)
        wt = instance.worktree
        if not wt.path.is_dir():
            raise WorktreeNotFoundError(f"agent {instance.name}: its worktree folder {wt.path} is gone (deleted "
                                        f"outside clct); remove the agent to forget it — commits on its branch "
                                        f"{wt.branch!r} are kept")
        return wt.name

    async def status(self, instance_id: str):
        return await self.git_call("status", self._present_worktree(instance_id))

    async def diff(self, instance_id: str):
        return await self.git_call("diff", self._present_worktree(instance_id))

    async def commit(self, instance_id: str, message: str) -> str | None:
        sha = await self.git_call("commit", self._present_worktree(instance_id), message)
        self.publish(WorktreeChanged(instance_id))
        return sha

    async def merge(self, instance_id: str, strategy: str = "merge"):
        result = await self.git_call("merge", self._present_worktree(instance_id), strategy)
        self.publish(WorktreeChanged(instance_id))
        return result

    # -- sessions (the original API) ---------------------------------------------------

    async def run_parallel_tasks(
        self, tasks: list[dict[str, Any]], session_name: str | None = None, max_concurrent: int | None = None
    ) -> dict[str, Any]:
        """Each task in its own new worktree; dependencies (by name) respected."""
        return await self.sessions.run_plan(tasks, session_name=session_name, max_concurrent=max_concurrent)

    async def run_sequential_workflow(
        self, steps: list[dict[str, Any]], session_name: str | None = None
    ) -> dict[str, Any]:
        """The steps one after another in one worktree, each seeing the previous work."""
        return await self.sessions.run_sequential(steps, session_name=session_name)

    # -- health, history, cleanup -------------------------------------------------------

    async def health_check(self) -> dict[str, Any]:
        wm = self._git()
        checks: dict[str, dict[str, Any]] = {}
        cli = await asyncio.to_thread(cli_status, self.config.cli_path)
        checks["cli"] = {"ok": cli.found, "detail": cli.detail}
        checks["credentials"] = {
            "ok": cli.logged_in or bool(self.config.claude_api_key),
            "detail": cli.login_detail if not self.config.claude_api_key else "API key set in config",
        }
        checks["repository"] = {"ok": wm.repo_path.is_dir(), "detail": str(wm.repo_path)}
        try:
            await self.store_call("ping")
            checks["database"] = {"ok": True, "detail": self.config.database_url}
        except ClctError as exc:
            checks["database"] = {"ok": False, "detail": str(exc)}
        checks["worktree_folder"] = await asyncio.to_thread(_writable, wm.base_path)
        usage = shutil.disk_usage(wm.base_path if wm.base_path.exists() else wm.repo_path)
        free_gb = usage.free / 1e9
        checks["disk_space"] = {"ok": free_gb > 1.0, "detail": f"{free_gb:.1f} GB free"}
        instances = {i.instance_id: await i.health_check() for i in self._instances.values()}
        return {
            "healthy": all(c["ok"] for c in checks.values()),
            "checks": checks,
            "instances": instances,
            "running": self.running_count,
            "max_concurrent": self.config.max_concurrent_instances,
        }

    async def cleanup(self, max_age_hours: float = 24, dry_run: bool = False) -> dict[str, Any]:
        """Remove worktrees of finished agents older than the limit whose work is merged or empty.

        Never deletes unmerged or uncommitted work; says what it kept and why.
        """
        main = await self.git_call("current_branch")
        cutoff = time.time() - max_age_hours * 3600
        removed: list[str] = []
        kept: list[dict[str, str]] = []
        for instance in self.list_instances():
            agent = await self.store_call("get_agent", instance.instance_id)
            name = instance.worktree.name
            if instance.state.is_active:
                kept.append({"name": name, "reason": f"agent is {instance.state.value}"})
                continue
            if agent is not None and agent.updated_at > cutoff:
                kept.append({"name": name, "reason": f"active within the last {max_age_hours:g} h"})
                continue
            try:
                status = await self.git_call("status", name)
            except ClctError as exc:
                kept.append({"name": name, "reason": str(exc)})
                continue
            if status.dirty:
                kept.append({"name": name, "reason": f"{status.changed_count} uncommitted change(s)"})
                continue
            if status.unmerged:
                into = status.base if status.base in (main, None) else f"{status.base} or {main or 'HEAD'}"
                kept.append({"name": name, "reason": f"{status.unmerged} commit(s) not merged into {into}"})
                continue
            removed.append(name)
            if not dry_run:
                await self.remove_instance(instance.instance_id, remove_worktree=True)
        pruned = [] if dry_run else await self.git_call("prune")
        return {"removed": removed, "kept": kept, "pruned": pruned, "dry_run": dry_run}

    async def history(self, limit: int = 50, search: str | None = None) -> list[RunRecord]:
        """This repository's runs, newest first; ``search`` matches prompts and results."""
        return await self.store_call("list_runs", limit=limit, search=search, repo_id=self.repo_id)

    async def run_info(self, run_id: int) -> RunRecord:
        await self.drain_writes()
        run = await self.store_call("get_run", run_id)
        if run is None:
            raise NotFoundError(f"no run with id {run_id}; `clct history` lists them")
        return run

    async def run_transcript(self, run_id: int) -> list[TranscriptEvent]:
        """One run's transcript as it was stored (token deltas already joined)."""
        await asyncio.to_thread(self._flush_store)
        return [e.to_event() for e in await self.store_call("events", run_id)]

    async def transcript(self, instance_id: str, limit: int | None = None) -> list[EventRecord]:
        """The agent's transcript across its runs, oldest first; with ``limit``, only the last rows."""
        return await self.store_call("agent_events", instance_id, limit=limit)

    async def transcript_page(self, instance_id: str, *, before: tuple[int, int] | None = None,
                              after: tuple[int, int] | None = None,
                              limit: int) -> tuple[list[EventRecord], bool]:
        """A page of the agent's transcript by (run id, seq) — see Store.agent_events_page — with
        everything appended so far on disk first, so the page reaches the newest event."""
        await asyncio.to_thread(self._flush_store)
        return await self.store_call("agent_events_page", instance_id, before=before, after=after, limit=limit)

    async def last_prompt(self, instance_id: str) -> str | None:
        run = await self.store_call("last_run", instance_id)
        return run.prompt if run is not None else None

    def _flush_store(self) -> None:
        if self.store is not None:
            self.store.flush()

    async def cost_today(self) -> float:
        return await self.store_call("cost_today", self.repo_id)


def _writable(folder: Path) -> dict[str, Any]:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / f".clct-probe-{time.time_ns()}"
        probe.write_text("ok")
        probe.unlink()
        return {"ok": True, "detail": str(folder)}
    except OSError as exc:
        return {"ok": False, "detail": f"{folder}: {exc.strerror or exc}"}
