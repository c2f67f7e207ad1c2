"""SessionManager: named plans of tasks with dependencies, persisted and resumable."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any

from clct_tui.domain import TaskStatus
from clct_tui.errors import (
    BudgetExceededError,
    ClctError,
    GitError,
    NotFoundError,
    NotOpenError,
    TaskGraphError,
)
from clct_tui.orchestrator.events import TaskChanged, WorktreeChanged
from clct_tui.orchestrator.graph import (
    TaskSpec,
    dependents_of,
    topological_order,
    validate,
)
from clct_tui.orchestrator.naming import slugify, unique_name

if TYPE_CHECKING:
    from clct_tui.git import MergeResult
    from clct_tui.orchestrator.core import Orchestrator
    from clct_tui.orchestrator.instance import ClaudeInstance
    from clct_tui.store import SessionRecord, TaskRecord


def spec_of(task: TaskRecord) -> TaskSpec:
    return TaskSpec(
        name=task.name,
        description=task.description,
        priority=task.priority,
        dependencies=list(task.depends_on),
        context=dict(task.context),
        branch=task.branch,
        base=task.base,
        model=task.model,
        max_budget_usd=task.max_budget_usd,
        max_turns=task.max_turns,
    )


def _usd(amount: float) -> str:
    """Dollars, with enough digits that a small budget does not read as $0.00."""
    return f"${amount:,.2f}" if amount >= 1 else f"${amount:.4f}"


class SessionManager:
    """Create sessions, add tasks (dependencies by task name), execute them in dependency order."""

    def __init__(self, orchestrator: Orchestrator) -> None:
        self._orch = orchestrator

    @property
    def _store(self):
        if self._orch.store is None:
            raise NotOpenError
        return self._orch.store

    # -- building a plan (quick database writes; the app calls these from a worker) ---

    def create_session(
        self, name: str, description: str | None = None, max_budget_usd: float | None = None
    ) -> SessionRecord:
        if not name or not name.strip():
            raise TaskGraphError("a session needs a name")
        return self._store.create_session(self._orch.repo_id, name.strip(), description, max_budget_usd)

    def add_task(
        self,
        session_id: str,
        name: str,
        description: str,
        priority: int = 0,
        dependencies: list[str] | None = None,
        context: dict[str, Any] | None = None,
        **options: Any,
    ) -> TaskRecord:
        """Add a task; ``dependencies`` name other tasks of the session. Checked when the session runs."""
        spec = TaskSpec.from_dict(
            {"name": name, "description": description, "priority": priority,
             "dependencies": dependencies or [], "context": context or {}, **options}
        )
        if self._store.get_session(session_id) is None:
            raise NotFoundError(f"no session {session_id!r}")
        return self._store.add_task(
            session_id, spec.name, spec.description, spec.priority, spec.dependencies, spec.context,
            branch=spec.branch, base=spec.base, model=spec.model,
            max_budget_usd=spec.max_budget_usd, max_turns=spec.max_turns,
        )

    def get_session(self, session_id: str) -> SessionRecord | None:
        return self._store.get_session(session_id)

    def list_sessions(self, limit: int = 50) -> list[SessionRecord]:
        return self._store.list_sessions(self._orch.repo_id, limit=limit)

    def tasks(self, session_id: str) -> list[TaskRecord]:
        return self._store.tasks(session_id)

    async def create_plan(
        self, specs: list[TaskSpec], session_name: str | None = None, description: str | None = None,
        max_budget_usd: float | None = None,
    ) -> SessionRecord:
        """Check a whole plan, then persist it as a session with its tasks."""
        validate(specs)
        name = session_name or f"session-{time.strftime('%Y%m%d-%H%M%S')}"
        session = await asyncio.to_thread(self.create_session, name, description, max_budget_usd)
        for spec in specs:
            await asyncio.to_thread(
                self._store.add_task, session.id, spec.name, spec.description, spec.priority,
                spec.dependencies, spec.context, branch=spec.branch, base=spec.base, model=spec.model,
                max_budget_usd=spec.max_budget_usd, max_turns=spec.max_turns,
            )
        return session

    # -- running --------------------------------------------------------------------

    async def run_plan(
        self, tasks: list[dict[str, Any]] | list[TaskSpec], session_name: str | None = None,
        max_concurrent: int | None = None, max_budget_usd: float | None = None,
    ) -> dict[str, Any]:
        specs = [t if isinstance(t, TaskSpec) else TaskSpec.from_dict(t, f"task #{i + 1}") for i, t in enumerate(tasks)]
        session = await self.create_plan(specs, session_name, max_budget_usd=max_budget_usd)
        return await self.execute_session(session.id, max_concurrent=max_concurrent)

    async def execute_session(self, session_id: str, max_concurrent: int | None = None) -> dict[str, Any]:
        """Run the session's unfinished tasks: dependencies first, independent ones in parallel.

        Tasks already done are kept (so running a session again resumes it); a failed
        task marks its dependents skipped while the rest go on.
        """
        session = await self._orch.store_call("get_session", session_id)
        if session is None:
            raise NotFoundError(f"no session {session_id!r}")
        records = {t.name: t for t in await self._orch.store_call("tasks", session_id)}
        specs = [spec_of(t) for t in records.values()]
        validate(specs)
        status = {n: TaskStatus.DONE if t.status == TaskStatus.DONE.value else TaskStatus.PENDING
                  for n, t in records.items()}
        branches = {n: t.branch for n, t in records.items() if t.branch}
        limit = asyncio.Semaphore(max_concurrent or self._orch.config.max_concurrent_instances)
        order = {s.name: i for i, s in enumerate(topological_order(specs))}
        running: dict[asyncio.Task, str] = {}
        await self._set_session_status(session_id, "running")

        def skip_dependents(name: str, reason: str) -> None:
            for child in dependents_of(name, specs):
                if status[child] is TaskStatus.PENDING:
                    status[child] = TaskStatus.SKIPPED
                    self._update(session_id, records[child], TaskStatus.SKIPPED, error=reason)

        while True:
            ready = sorted(
                (s for s in specs if status[s.name] is TaskStatus.PENDING
                 and all(status[d] is TaskStatus.DONE for d in s.dependencies)),
                key=lambda s: order[s.name],
            )
            for spec in ready:
                status[spec.name] = TaskStatus.RUNNING
                job = asyncio.create_task(
                    self._run_one(session, records[spec.name], spec, branches, limit), name=f"task:{spec.name}"
                )
                running[job] = spec.name
            if not running:
                break
            done, _ = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
            for job in done:
                name = running.pop(job)
                final = job.result()
                status[name] = final
                if final is not TaskStatus.DONE:
                    skip_dependents(name, f"skipped: dependency {name!r} {final.value}")

        await self._orch.drain_writes()
        tasks = await self._orch.store_call("tasks", session_id)
        success = all(t.status == TaskStatus.DONE.value for t in tasks)
        await self._set_session_status(session_id, "done" if success else "failed")
        return {
            "success": success,
            "session_id": session_id,
            "results": [self._result_of(t) for t in sorted(tasks, key=lambda t: order[t.name])],
        }

    async def _run_one(
        self, session: SessionRecord, task: TaskRecord, spec: TaskSpec, branches: dict[str, str],
        limit: asyncio.Semaphore,
    ) -> TaskStatus:
        async with limit:
            if self._orch.closing:  # shutting down while this task waited for a slot: leave it for a resume
                self._update(session.id, task, TaskStatus.INTERRUPTED, error="clct stopped before this task started")
                return TaskStatus.INTERRUPTED
            try:
                await self._check_budget(session)
                instance = await self._instance_for(session, task, spec, branches)
            except ClctError as exc:
                self._update(session.id, task, TaskStatus.FAILED, error=str(exc))
                return TaskStatus.FAILED
            branches[spec.name] = instance.worktree.branch
            self._update(session.id, task, TaskStatus.RUNNING, agent_id=instance.instance_id,
                         branch=instance.worktree.branch, started_at=time.time())
            return await self._execute(session.id, task, spec, instance)

    async def _execute(self, session_id: str, task: TaskRecord, spec: TaskSpec, instance: ClaudeInstance) -> TaskStatus:
        try:
            result = await instance.run_task(spec.description, spec.context)
            if result["success"]:
                # Commit so that dependent tasks, which branch from here, see this work.
                await self._orch.commit(instance.instance_id, f"{spec.name}: {spec.description.splitlines()[0][:60]}")
        except ClctError as exc:
            result = {"success": False, "output": "", "error": str(exc), "cost_usd": 0.0}
        final = TaskStatus.DONE if result["success"] else (
            TaskStatus.INTERRUPTED if result.get("error") == "interrupted" else TaskStatus.FAILED)
        self._update(session_id, task, final, output=result.get("output") or "", error=result.get("error"),
                     cost_usd=(task.cost_usd or 0.0) + (result.get("cost_usd") or 0.0), ended_at=time.time())
        return final

    async def _instance_for(
        self, session: SessionRecord, task: TaskRecord, spec: TaskSpec, branches: dict[str, str]
    ) -> ClaudeInstance:
        """The task's agent: the one from an earlier attempt (resumed), or a new one in a new worktree."""
        if task.agent_id:
            existing = self._orch.get_instance(task.agent_id)
            if existing is not None:
                return existing
        # A worktree's name is its branch's name too: a branch left from earlier work must not collide.
        taken = {w.name for w in await self._orch.git_call("list_worktrees")}
        taken |= set(await self._orch.git_call("branches"))
        name = unique_name(f"{slugify(session.name, 3, 20)}-{slugify(spec.name, 4, 30)}", taken)
        parents = [branches[d] for d in spec.dependencies]
        base = spec.base
        reuse = False
        branch = spec.branch
        if len(parents) == 1:
            base = parents[0]
        elif len(parents) > 1:
            # Several parents: the task starts from a merge of all their branches.
            branch = branch or name
            await self._orch.git_call("create_merged_base", branch, parents)
            base, reuse = parents[0], True
        return await self._orch.create_instance(
            worktree_name=name, branch=branch, base_branch=base, model=spec.model, reuse=reuse,
            max_budget_usd=spec.max_budget_usd or self._orch.config.max_budget_usd, max_turns=spec.max_turns,
        )

    async def _check_budget(self, session: SessionRecord) -> None:
        if session.max_budget_usd is None:
            return
        await self._orch.drain_writes()  # the cost of a task that just finished is still queued
        spent = await self._orch.store_call("cost_for_session", session.id)
        if spent >= session.max_budget_usd:
            raise BudgetExceededError(
                f"session {session.name!r} has spent {_usd(spent)} of its {_usd(session.max_budget_usd)} budget"
            )

    async def run_sequential(self, steps: list[dict[str, Any]], session_name: str | None = None) -> dict[str, Any]:
        """Run steps in order in one worktree; a failed step skips the rest."""
        specs = [TaskSpec.from_dict(s, f"step #{i + 1}") for i, s in enumerate(steps)]
        for prev, spec in zip(specs, specs[1:]):
            spec.dependencies = [prev.name]
        session = await self.create_plan(specs, session_name or f"workflow-{time.strftime('%Y%m%d-%H%M%S')}")
        records = {t.name: t for t in await self._orch.store_call("tasks", session.id)}
        await self._set_session_status(session.id, "running")
        instance: ClaudeInstance | None = None
        failed_at: str | None = None
        for spec in specs:
            task = records[spec.name]
            if failed_at is not None:
                self._update(session.id, task, TaskStatus.SKIPPED, error=f"skipped: step {failed_at!r} failed")
                continue
            if instance is None:
                try:
                    instance = await self._instance_for(session, task, TaskSpec(spec.name, spec.description,
                                                        branch=spec.branch, base=spec.base, model=spec.model), {})
                except ClctError as exc:
                    self._update(session.id, task, TaskStatus.FAILED, error=str(exc))
                    failed_at = spec.name
                    continue
            self._update(session.id, task, TaskStatus.RUNNING, agent_id=instance.instance_id,
                         branch=instance.worktree.branch, started_at=time.time())
            if await self._execute(session.id, task, spec, instance) is not TaskStatus.DONE:
                failed_at = spec.name
        await self._orch.drain_writes()
        tasks = await self._orch.store_call("tasks", session.id)
        success = failed_at is None
        await self._set_session_status(session.id, "done" if success else "failed")
        return {"success": success, "session_id": session.id,
                "results": [self._result_of(t) for t in sorted(tasks, key=lambda t: [s.name for s in specs].index(t.name))]}

    # -- stacked branches ------------------------------------------------------------

    async def restack(self, session_id: str, task_name: str) -> str:
        """Rebase a child task's branch onto its parent's current head."""
        tasks = {t.name: t for t in await self._orch.store_call("tasks", session_id)}
        task = tasks.get(task_name)
        if task is None:
            raise NotFoundError(f"session has no task {task_name!r}")
        if len(task.depends_on) != 1:
            raise TaskGraphError(f"task {task_name!r} has {len(task.depends_on)} parents; restack needs exactly one")
        parent = tasks[task.depends_on[0]]
        instance = self._orch.get_instance(task.agent_id) if task.agent_id else None
        if instance is None or not parent.branch:
            raise TaskGraphError(f"task {task_name!r} or its parent has not run yet")
        head = await self._orch.git_call("rebase_onto", instance.worktree.name, parent.branch)
        return head

    async def merge_session(self, session_id: str, strategy: str = "merge") -> list[MergeResult]:
        """Merge the done tasks' branches, parents before children, into the branch the session started from.

        A dependent task branched from its parent's branch (its git base); merging it there
        would leave the base without it, so every task goes where its first root task goes.
        Tasks commit their work when they finish; changes made after that (a follow-up
        prompt, an edit by hand) are not merged silently: if a task's worktree has uncommitted
        changes, nothing is merged and the GitError names the worktrees. The first conflict
        stops the merge with a MergeConflictError naming the paths; the merges before it stay.
        """
        tasks = await self._orch.store_call("tasks", session_id)
        by_branch = {t.branch: t for t in tasks if t.branch}
        instances = {t.name: self._orch.get_instance(t.agent_id) if t.agent_id else None for t in tasks}
        dirty = [i.worktree.name for t in tasks if (i := instances[t.name]) is not None
                 and t.status == TaskStatus.DONE.value and (await self._orch.git_call("status", i.worktree.name)).dirty]
        if dirty:
            raise GitError(f"uncommitted changes in worktree(s) {', '.join(dirty)}; commit or discard them before "
                           "merging the session (nothing was merged)")

        def target(task: TaskRecord) -> str:
            seen: set[str] = set()
            while True:
                seen.add(task.name)
                instance = instances[task.name]
                base = instance.worktree.base if instance else task.base
                parent = by_branch.get(base)
                if parent is None or parent.name in seen:
                    return base
                task = parent

        results = []
        for spec in topological_order([spec_of(t) for t in tasks]):
            task = next(t for t in tasks if t.name == spec.name)
            instance = instances[task.name]
            if task.status != TaskStatus.DONE.value or instance is None:
                continue
            results.append(await self._orch.git_call("merge", instance.worktree.name, strategy, target(task)))
            self._orch.publish(WorktreeChanged(instance.instance_id))
        return results

    # -- bookkeeping -------------------------------------------------------------------

    def _update(self, session_id: str, task: TaskRecord, status: TaskStatus, **fields: Any) -> None:
        self._orch.store_write_soon("update_task", task.id, status=status.value, **fields)
        self._orch.publish(TaskChanged(session_id, task.name, status, fields.get("agent_id") or task.agent_id))

    async def _set_session_status(self, session_id: str, status: str) -> None:
        await self._orch.store_call("update_session", session_id, status=status)

    def _result_of(self, task: TaskRecord) -> dict[str, Any]:
        instance = self._orch.get_instance(task.agent_id) if task.agent_id else None
        return {
            "name": task.name,
            "success": task.status == TaskStatus.DONE.value,
            "status": task.status,
            "output": task.output or "",
            "error": task.error,
            "worktree": instance.worktree.name if instance else None,
            "branch": task.branch,
            "agent_id": task.agent_id,
            "cost_usd": task.cost_usd or 0.0,
        }
