"""ClaudeInstance: one agent — a Claude Code conversation bound to one worktree."""

from __future__ import annotations

import asyncio
import json
import time
from typing import TYPE_CHECKING, Any

from clct_tui.agents import AgentOptions, load_driver
from clct_tui.domain import (
    AgentState,
    ApprovalRequest,
    EventKind,
    RunResult,
    TranscriptEvent,
)
from clct_tui.errors import AgentError, TransientAgentError
from clct_tui.git import WorktreeInfo
from clct_tui.orchestrator.deltas import DeltaBuffer
from clct_tui.orchestrator.events import (
    AgentStateChanged,
    ApprovalRequested,
    RunFinished,
    TranscriptAppended,
    WorktreeChanged,
)
from clct_tui.orchestrator.stops import STOP_POLL
from clct_tui.prompts import check_prompt

if TYPE_CHECKING:
    from clct_tui.agents import AgentDriver
    from clct_tui.orchestrator.core import Orchestrator

# States that end a run; anything else is still in flight.
_RUN_END_STATE = {True: AgentState.DONE, False: AgentState.FAILED}
STOPPED_ELSEWHERE = "stopped by `clct stop` from another process"


def task_prompt(description: str, context: dict[str, Any] | None) -> str:
    """Frame a task: its description and, when given, its context as JSON."""
    if not context:
        return description
    return f"{description}\n\nContext:\n```json\n{json.dumps(context, indent=2, sort_keys=True)}\n```"


class ClaudeInstance:
    """An agent of the orchestrator: start it, give it prompts, answer its approvals."""

    def __init__(
        self,
        orchestrator: Orchestrator,
        instance_id: str,
        worktree: WorktreeInfo,
        *,
        name: str,
        model: str | None,
        session_id: str | None = None,
        state: AgentState = AgentState.IDLE,
        max_budget_usd: float | None = None,
        max_turns: int | None = None,
        cost_usd: float = 0.0,
    ) -> None:
        self._orchestrator = orchestrator
        self.instance_id = instance_id
        self.worktree = worktree
        self.name = name
        self.model = model
        self.session_id = session_id
        self.state = state
        self.cost_usd = cost_usd
        # The CLI reports a conversation's running total (restored when it resumes), not a run's cost.
        # One agent is one conversation, so its total so far is where the next report starts from.
        self._reported_total = cost_usd
        self._run_cost: float | None = None
        self.max_budget_usd = max_budget_usd
        self.max_turns = max_turns
        self.last_error: str | None = None
        self.current_run_id: int | None = None
        self._driver: AgentDriver | None = None
        self._turn = asyncio.Lock()  # one prompt at a time per conversation
        self._stop_asked = False  # another clct process asked for this agent to stop (`clct stop`)
        self._stopping: asyncio.Future[None] | None = None  # interrupting the run it asked to stop
        self._used_tools = False  # the current run asked for a tool: only a tool changes the worktree
        self._deltas = DeltaBuffer(self._store_and_publish)  # token deltas joined over a redraw (0.1 s)

    # -- lifecycle -----------------------------------------------------------------

    @property
    def is_started(self) -> bool:
        return self._driver is not None and self._driver.connected

    @property
    def pending_approvals(self) -> list[ApprovalRequest]:
        return list(self._driver.pending_approvals.values()) if self._driver else []

    async def start(self) -> None:
        """Start the Claude Code process for this conversation (resuming it when it has history)."""
        if self.is_started:
            return
        config = self._orchestrator.config
        driver_class = await asyncio.to_thread(load_driver)
        driver = driver_class(
            AgentOptions(
                cwd=self.worktree.path,
                model=self.model or config.claude_model,
                permission_mode=config.permission_mode,
                resume=self.session_id,
                env=config.agent_env(),
                cli_path=config.cli_path,
                max_turns=self.max_turns,
                max_budget_usd=self.max_budget_usd,
                approval_timeout=config.approval_timeout,
            ),
            on_event=self._on_event,
            on_approval=self._on_approval,
        )
        await driver.connect()
        self._driver = driver

    async def stop(self) -> None:
        """End the conversation's process; the conversation stays resumable."""
        driver, self._driver = self._driver, None
        owned_here = driver is not None or self._turn.locked()
        if driver is not None:
            await driver.disconnect()
        # An agent loaded as running with no process or run here is running in another clct process:
        # its state is that process's to write.
        if self.state.is_active and owned_here:
            self._set_state(AgentState.INTERRUPTED)

    async def interrupt(self) -> None:
        """Stop the current run; the conversation goes on with the next prompt."""
        if self._driver is not None and self.state in (AgentState.RUNNING, AgentState.WAITING):
            await self._driver.interrupt()

    async def wait_idle(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for the current run to end; True when it did."""
        try:
            await asyncio.wait_for(self._turn.acquire(), timeout)
        except asyncio.TimeoutError:
            return False
        self._turn.release()
        return True

    def answer_approval(self, request_id: str, allow: bool, reason: str = "") -> None:
        if self._driver is None:
            raise AgentError(f"agent {self.name} has no pending approval {request_id}")
        self._driver.answer(request_id, allow, reason)

    # -- prompts -------------------------------------------------------------------

    async def run_task(
        self, description: str, context: dict[str, Any] | None = None, *, timeout: float | None = None
    ) -> dict[str, Any]:
        """Run a task (its description, framed with its context) to its result."""
        return await self._run(task_prompt(description, context), "task", timeout=timeout)

    async def execute_command(self, command: str, *, timeout: float | None = None) -> dict[str, Any]:
        """Send a prompt as it is, without task framing."""
        return await self._run(command, "command", timeout=timeout)

    async def execute_query(
        self, prompt: str, timeout: float | None = None, max_retries: int | None = None
    ) -> dict[str, Any]:
        return await self._run(prompt, "query", timeout=timeout, max_retries=max_retries)

    async def send(self, prompt: str) -> dict[str, Any]:
        """A follow-up in the same conversation (the app's prompt bar)."""
        return await self._run(prompt, "followup")

    async def _run(
        self, prompt: str, kind: str, *, timeout: float | None = None, max_retries: int | None = None
    ) -> dict[str, Any]:
        check_prompt(prompt)
        orch = self._orchestrator
        if orch.closing:
            raise AgentError("clct is shutting down; the prompt was not sent")
        config = orch.config
        timeout = config.instance_timeout if timeout is None else timeout
        retries = config.max_retries if max_retries is None else max_retries
        async with self._turn:
            before = self.state
            # Held in the database until the run is over: another clct process given this agent
            # meanwhile is refused (AgentBusyError) rather than run it in the same worktree. The agent is
            # stored as queued in the same write, which is undone if it is refused.
            _, claim = await self._write_with_state(AgentState.QUEUED, "claim_agent", self.instance_id)
            self._stop_asked = False
            try:
                self._show_state(AgentState.QUEUED)
                async with orch.run_slot():
                    if orch.closing:
                        # clct began to shut down while this prompt waited for a slot: it is not sent now.
                        self._set_state(AgentState.INTERRUPTED, "clct stopped before this prompt was sent")
                        return RunResult(success=False, error="interrupted", session_id=self.session_id).as_dict()
                    if await orch.store_call("stops_requested", [self.instance_id]):
                        self._set_state(AgentState.STOPPED, f"{STOPPED_ELSEWHERE} before this prompt was sent")
                        return RunResult(success=False, error="interrupted", session_id=self.session_id).as_dict()
                    try:
                        # The prompt is sent as typed, but a key pasted into it is not kept.
                        _, run = await self._write_with_state(
                            AgentState.RUNNING, "start_run", self.instance_id, orch.redact(prompt), kind)
                    except BaseException:
                        self._set_state(before)  # no run was recorded: the agent is as it was
                        raise
                    self.current_run_id = run.id
                    self._used_tools = False
                    self._show_state(AgentState.RUNNING)
                    try:
                        with orch.stops.watching(self.instance_id, self._stopped_elsewhere):
                            result = await self._attempts(prompt, timeout, retries)
                    finally:
                        if self._stopping is not None:
                            self._stopping.cancel()
                            self._stopping = None
                    await self._finish(run.id, result)
                if self._stop_asked:
                    # Asked from outside to stop: the process ends too, as with `clct stop` here.
                    await self.stop()
                    self._set_state(AgentState.STOPPED, STOPPED_ELSEWHERE)
            finally:
                # Queued behind the run's final state, so the agent is never free while it looks busy.
                orch.store_write_soon("release_agent", self.instance_id, claim)
        return result.as_dict()

    async def _attempts(self, prompt: str, timeout: float, retries: int) -> RunResult:
        attempt = 0
        while True:
            try:
                if not self.is_started:
                    await self.start()
                if self._halting:
                    # Shutdown or a stop began while Claude Code was starting (interrupt() had no process to
                    # reach then): the prompt is not sent.
                    return self._failure("interrupted")
                assert self._driver is not None
                self._run_cost = None
                result = await self._driver.run(prompt, timeout=timeout)
                if self._run_cost is not None:
                    result.cost_usd = self._run_cost
                return result
            except TransientAgentError as exc:
                if self._halting:
                    # The process died because shutdown stopped it: that is an interruption, not worth a retry.
                    return self._failure("interrupted")
                if attempt >= retries:
                    # With no retries allowed there was nothing to give up on: the reason alone.
                    return self._failure(f"{exc} (gave up after {attempt + 1} attempts)" if retries else str(exc))
                delay = self._orchestrator.config.retry_base_delay * (2**attempt)
                attempt += 1
                self._emit(TranscriptEvent(EventKind.SYSTEM, f"{exc}; retry {attempt}/{retries} in {delay:g} s"))
                await asyncio.sleep(delay)
            except AgentError as exc:
                return self._failure(str(exc))

    @property
    def _halting(self) -> bool:
        return self._orchestrator.closing or self._stop_asked

    def _stopped_elsewhere(self) -> None:
        """Another clct process asked through the database (`clct stop`): there is no other channel to it."""
        self._stop_asked = True
        self._emit(TranscriptEvent(EventKind.SYSTEM, STOPPED_ELSEWHERE))
        self._stopping = asyncio.ensure_future(self._keep_interrupting())

    async def _keep_interrupting(self) -> None:
        while True:  # Claude Code may still be starting, with no process to interrupt yet
            await self.interrupt()
            await asyncio.sleep(STOP_POLL)

    def _failure(self, reason: str) -> RunResult:
        self._emit(TranscriptEvent(EventKind.ERROR, reason))
        return RunResult(success=False, error=reason, session_id=self.session_id)

    async def _finish(self, run_id: int, result: RunResult) -> None:
        orch = self._orchestrator
        if result.session_id:
            self.session_id = result.session_id
        self.cost_usd += result.cost_usd
        self.last_error = result.error
        interrupted = result.error == "interrupted"
        state = AgentState.INTERRUPTED if interrupted else _RUN_END_STATE[result.success]
        self._deltas.flush()  # the run's last words are stored before its end
        stored = False
        try:
            await self._write_with_state(
                state,
                "finish_run",
                run_id,
                state=state.value,  # the run ends as its agent does: done, failed or interrupted
                success=result.success,
                result_text=result.output,
                error=result.error,
                cost_usd=result.cost_usd,
                num_turns=result.num_turns,
                duration_ms=result.duration_ms,
                session_id=result.session_id,
                agent_fields={"session_id": self.session_id, "cost_usd": self.cost_usd},
            )
            stored = True
        finally:
            # The run is over even when the database cannot say so (it is full, read-only): the agent
            # must not look busy forever. The next start marks the unrecorded run interrupted.
            self.current_run_id = None
            if stored:
                self._show_state(state, result.error or "")
            else:
                self._set_state(state, result.error or "")
        orch.publish(RunFinished(self.instance_id, run_id, result))
        if self._used_tools:
            # A run that only answered changed no file: its worktree's status is not read again (at full
            # speed, eight agents end several runs a second).
            orch.publish(WorktreeChanged(self.instance_id))

    # -- callbacks from the driver (on the event loop) -------------------------------

    def _emit(self, event: TranscriptEvent) -> None:
        run_id = self.current_run_id
        if run_id is None:
            return
        self._deltas.add(run_id, event)

    def _store_and_publish(self, run_id: int, event: TranscriptEvent) -> None:
        seq = self._orchestrator.store.append_event(run_id, event)
        self._orchestrator.publish(TranscriptAppended(self.instance_id, run_id, event, seq))

    def _on_event(self, event: TranscriptEvent) -> None:
        driver = self._driver
        if driver is not None and driver.session_id and driver.session_id != self.session_id:
            # Stored at once, so a run cut short (quit, crash) can still be resumed.
            self.session_id = driver.session_id
            self._orchestrator.store_write_soon("update_agent", self.instance_id, session_id=self.session_id)
        if event.kind is EventKind.TOOL_USE:
            self._used_tools = True
        elif event.kind is EventKind.RESULT:
            event.data = {**event.data, "cost_usd": self._cost_of_run(float(event.data.get("cost_usd") or 0.0))}
        self._emit(event)
        if event.kind is EventKind.APPROVAL_ANSWERED and self.state is AgentState.WAITING:
            if not self.pending_approvals:
                self._set_state(AgentState.RUNNING)

    def _cost_of_run(self, reported_total: float) -> float:
        """What this run added to the conversation's running total the CLI reports."""
        if reported_total >= self._reported_total - 1e-9:  # float sums of earlier runs may be a hair above
            cost = max(0.0, reported_total - self._reported_total)
        else:  # the CLI started counting afresh (a new conversation, or it did not restore its total)
            cost = reported_total
        self._reported_total = reported_total
        self._run_cost = cost
        return cost

    def _on_approval(self, request: ApprovalRequest) -> None:
        self._set_state(AgentState.WAITING)
        self._orchestrator.publish(ApprovalRequested(self.instance_id, request))

    # -- state ---------------------------------------------------------------------

    def _set_state(self, state: AgentState, detail: str = "") -> None:
        """Show the agent's new state and store it, behind the writes queued before."""
        if self._show_state(state, detail):
            self._orchestrator.store_write_soon("update_agent", self.instance_id, state=state.value,
                                                updated_at=time.time())

    def _show_state(self, state: AgentState, detail: str = "") -> bool:
        """Tell the subscribers of a new state, stored by the caller; False when nothing changed."""
        if state is self.state and not detail:
            return False
        self.state = state
        self._orchestrator.publish(AgentStateChanged(self.instance_id, state, detail))
        return True

    async def _write_with_state(self, agent_state: AgentState, method: str, /, *args: Any,
                                agent_fields: dict[str, Any] | None = None, **kwargs: Any) -> list[Any]:
        """One of the store's writes and the agent's state (and ``agent_fields``), in one transaction.

        A run's start and end are one write each instead of three: at full speed eight agents end
        several runs a second. Writes queued before (states, the session id) land first, as they would
        have in the queue, so a later state is never overwritten by an earlier one.
        """
        orch = self._orchestrator
        await orch.drain_writes()
        fields = {**(agent_fields or {}), "state": agent_state.value, "updated_at": time.time()}
        # The state first: the method may keep track in memory of what it wrote (see Store.together).
        return await orch.store_call("together", [("update_agent", (self.instance_id,), fields),
                                                  (method, args, kwargs)])

    # -- the original library's introspection ------------------------------------

    async def health_check(self) -> dict[str, Any]:
        path_ok = self.worktree.path.is_dir()
        return {
            "instance_id": self.instance_id,
            "healthy": path_ok and self.state is not AgentState.FAILED,
            "worktree_exists": path_ok,
            "process_running": self.is_started,
            "state": self.state.value,
            "last_error": self.last_error,
        }

    def get_status_info(self) -> dict[str, Any]:
        return {
            "instance_id": self.instance_id,
            "name": self.name,
            "state": self.state.value,
            "worktree": self.worktree.name,
            "path": str(self.worktree.path),
            "branch": self.worktree.branch,
            "base": self.worktree.base,
            "model": self.model,
            "session_id": self.session_id,
            "cost_usd": self.cost_usd,
            "pending_approvals": len(self.pending_approvals),
            "last_error": self.last_error,
        }

    def __repr__(self) -> str:
        return f"<ClaudeInstance {self.name} {self.state.value} {self.worktree.branch}>"
