"""AgentDriver: one Claude Code conversation (one CLI process) driven through claude-agent-sdk."""

from __future__ import annotations

import asyncio
import collections
import logging
import os
import signal
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import claude_agent_sdk as sdk
from claude_agent_sdk import ClaudeAgentOptions, ClaudeSDKClient, ResultMessage
from claude_agent_sdk.types import (
    PermissionResultAllow,
    PermissionResultDeny,
    ToolPermissionContext,
)

from clct_tui.agents.health import find_cli
from clct_tui.agents.launcher import launch_through
from clct_tui.agents.options import AgentOptions
from clct_tui.agents.redact import Redactor, secrets_in
from clct_tui.agents.sniff import name_asyncio_for_this_thread
from clct_tui.agents.translate import (
    StreamState,
    is_login_problem,
    is_transient,
    run_result,
    translate,
)
from clct_tui.agents.transport import DeltaJoiner, JoiningTransport
from clct_tui.domain import ApprovalRequest, EventKind, RunResult, TranscriptEvent
from clct_tui.errors import (
    AgentError,
    CLIConnectionError,
    CLINotFoundError,
    TransientAgentError,
)

LOGIN_HELP = (
    "Claude Code is not logged in: run `claude login`, or set ANTHROPIC_API_KEY "
    "(or claude_api_key in config.toml)"
)
NOT_FOUND_HELP = (
    "the Claude Code CLI was not found: reinstall clct (`pip install claude-agent-sdk` bundles the CLI), "
    "or set cli_path in config.toml to a `claude` binary"
)
# Seconds to wait for the CLI to end a run after an interrupt before the process is stopped.
INTERRUPT_GRACE = 10.0

# The SDK logs a dying CLI as an error before raising it; clct reports the raised error itself,
# so without this the same failure would also reach stderr as a bare log line (no handler set).
logging.getLogger("claude_agent_sdk").addHandler(logging.NullHandler())


class AgentDriver:
    """Connect, run prompts to their ResultMessage, answer approvals, interrupt, disconnect.

    Events reach ``on_event`` on the event loop as they stream; tool calls the
    permission mode does not allow reach ``on_approval`` and wait for ``answer()``.
    """

    def __init__(
        self,
        options: AgentOptions,
        on_event: Callable[[TranscriptEvent], None],
        on_approval: Callable[[ApprovalRequest], None] | None = None,
    ) -> None:
        self.options = options
        self.session_id: str | None = options.resume
        self.pending_approvals: dict[str, ApprovalRequest] = {}
        self._on_event = on_event
        self._on_approval = on_approval
        self._answers: dict[str, asyncio.Future[tuple[bool, str]]] = {}
        self._client: ClaudeSDKClient | None = None
        self._joiners: list[DeltaJoiner] = []  # one per CLI process this driver started
        self._interrupted = False
        self._stderr: collections.deque[str] = collections.deque(maxlen=20)
        # The CLI sees the key (its environment is ours plus options.env); what we hand on must not.
        self._redactor = Redactor(secrets_in(os.environ, options.env))

    @property
    def connected(self) -> bool:
        return self._client is not None

    @property
    def deltas_read(self) -> tuple[int, int]:
        """Token deltas read from Claude Code's output, and their characters, before any were joined."""
        return sum(j.deltas for j in self._joiners), sum(j.chars for j in self._joiners)

    # -- connection ------------------------------------------------------------------

    def _sdk_options(self) -> ClaudeAgentOptions:
        o = self.options
        # Through the launcher, the CLI ends when clct does, even when clct is killed outright.
        cli = find_cli(o.cli_path)
        cli_path, env = launch_through(cli, dict(o.env)) if cli else (o.cli_path, dict(o.env))
        return ClaudeAgentOptions(
            cwd=str(o.cwd),
            model=o.model,
            permission_mode=o.permission_mode,  # type: ignore[arg-type]
            resume=self.session_id,
            env=env,
            cli_path=cli_path,
            max_turns=o.max_turns,
            max_budget_usd=o.max_budget_usd,
            include_partial_messages=True,
            can_use_tool=self._can_use_tool,
            stderr=self._stderr.append,
            system_prompt={"type": "preset", "preset": "claude_code", "append": o.system_prompt_append}
            if o.system_prompt_append else None,
        )

    async def connect(self) -> None:
        """Start the CLI process. Raises CLINotFoundError / CLIConnectionError that say what to do."""
        if self._client is not None:
            return
        if not Path(self.options.cwd).is_dir():
            raise AgentError(f"the worktree folder {self.options.cwd} does not exist (removed outside clct?)")
        name_asyncio_for_this_thread()
        options = self._sdk_options()
        transport = JoiningTransport(options)
        self._joiners.append(transport.joiner)
        client = ClaudeSDKClient(options, transport=transport)
        try:
            await client.connect()
        except asyncio.CancelledError:
            # Cancelled while the process starts (the app quits): never leave it running.
            await _quietly(client.disconnect())
            raise
        except sdk.CLINotFoundError:
            raise CLINotFoundError(NOT_FOUND_HELP) from None
        except (sdk.CLIConnectionError, sdk.ProcessError, OSError) as exc:
            await _quietly(client.disconnect())
            detail = self._redactor.text(" ".join(self._stderr) or str(exc))
            raise CLIConnectionError(f"Claude Code could not start in {self.options.cwd}: {detail}") from None
        self._client = client

    async def disconnect(self) -> None:
        """End the process; idempotent, never leaves it behind."""
        client, self._client = self._client, None
        self._deny_all_pending("the agent was stopped")
        if client is not None:
            await _quietly(client.disconnect())

    # -- runs --------------------------------------------------------------------------

    async def run(self, prompt: str, timeout: float | None = None) -> RunResult:
        """Send one prompt and stream everything until its ResultMessage."""
        if self._client is None:
            await self.connect()
        assert self._client is not None
        self._interrupted = False
        self._emit(TranscriptEvent(EventKind.PROMPT, prompt))
        receiving = asyncio.ensure_future(self._receive(prompt))
        try:
            done, _ = await asyncio.wait({receiving}, timeout=timeout)
        except asyncio.CancelledError:
            receiving.cancel()
            await _quietly(receiving)
            self._release_held()
            raise
        if not done:
            await self.interrupt()
            done, _ = await asyncio.wait({receiving}, timeout=INTERRUPT_GRACE)
            if not done:
                receiving.cancel()
                await _quietly(receiving)
                await self.disconnect()
            else:
                receiving.exception()  # consumed: the run is reported as timed out either way
            reason = f"timed out after {timeout:g} s (instance_timeout)"
            self._emit(TranscriptEvent(EventKind.ERROR, reason))
            return RunResult(success=False, error=reason, session_id=self.session_id)
        try:
            return receiving.result()
        finally:
            self._release_held()  # text held back from a block that ended with the run

    async def _receive(self, prompt: str) -> RunResult:
        client = self._client
        assert client is not None
        state = StreamState(session_id=self.session_id)
        try:
            await client.query(prompt)
            async for message in client.receive_response():
                for event in translate(message, state):
                    self._emit(event)
                if state.session_id:
                    self.session_id = state.session_id
                if isinstance(message, ResultMessage):
                    return self._finish(message)
        except (sdk.ProcessError, sdk.CLIConnectionError, sdk.CLIJSONDecodeError) as exc:
            await self.disconnect()
            raise TransientAgentError(self._redactor.text(_process_failure(exc, list(self._stderr)))) from None
        # The stream ended without a result: the process is gone.
        await self.disconnect()
        raise TransientAgentError("the Claude Code process ended before the run finished")

    def _finish(self, message: ResultMessage) -> RunResult:
        result = run_result(message, interrupted=self._interrupted)
        result.output = self._redactor.text(result.output)
        result.error = self._redactor.text(result.error) if result.error else result.error
        if not result.success and not self._interrupted:
            if is_login_problem(message):
                raise AgentError(LOGIN_HELP)
            if is_transient(message):
                raise TransientAgentError(result.error or "the API is unavailable")
        self._emit(TranscriptEvent(EventKind.RESULT, data=result.as_dict()))
        return result

    async def interrupt(self) -> None:
        """Stop the current run; the conversation goes on with the next prompt."""
        self._interrupted = True
        self._deny_all_pending("interrupted")
        if self._client is not None:
            await _quietly(self._client.interrupt())

    # -- approvals -----------------------------------------------------------------------

    async def _can_use_tool(
        self, tool: str, tool_input: dict[str, Any], context: ToolPermissionContext
    ) -> PermissionResultAllow | PermissionResultDeny:
        request = ApprovalRequest(uuid.uuid4().hex, tool, dict(tool_input))
        future: asyncio.Future[tuple[bool, str]] = asyncio.get_running_loop().create_future()
        self._answers[request.request_id] = future
        self.pending_approvals[request.request_id] = request
        self._emit(TranscriptEvent(EventKind.APPROVAL_ASKED, data={
            "request_id": request.request_id, "tool": tool, "input": request.input}))
        if self._on_approval is not None:
            self._on_approval(request)
        timeout = self.options.approval_timeout
        try:
            allow, reason = await asyncio.wait_for(asyncio.shield(future), timeout)
        except asyncio.TimeoutError:
            allow, reason = False, f"no answer within {timeout:g} s"
        finally:
            self._answers.pop(request.request_id, None)
            self.pending_approvals.pop(request.request_id, None)
        self._emit(TranscriptEvent(EventKind.APPROVAL_ANSWERED, data={
            "request_id": request.request_id, "allow": allow, "reason": reason}))
        if allow:
            return PermissionResultAllow(updated_input=tool_input)
        return PermissionResultDeny(message=reason or "denied by the user")

    def answer(self, request_id: str, allow: bool, reason: str = "") -> None:
        future = self._answers.get(request_id)
        if future is None:
            raise AgentError(f"no pending approval {request_id}")
        if not future.done():
            future.set_result((allow, reason if not allow else ""))

    def _deny_all_pending(self, reason: str) -> None:
        for future in list(self._answers.values()):
            if not future.done():
                future.set_result((False, reason))

    def _emit(self, event: TranscriptEvent) -> None:
        for safe in self._redactor.events(event):
            self._on_event(safe)

    def _release_held(self) -> None:
        for held in self._redactor.release():
            self._on_event(held)


async def _quietly(awaitable: Any) -> None:
    try:
        await awaitable
    except (Exception, asyncio.CancelledError):
        pass


def _process_failure(exc: BaseException, stderr: list[str]) -> str:
    """Why the CLI stopped mid-run, in words: killed by a signal, exited with a status, or broke the protocol."""
    code = getattr(exc, "exit_code", None)
    if isinstance(code, int) and code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"Claude Code was killed ({name}) before the run finished"
    if isinstance(code, int):
        said = " ".join(line.strip() for line in stderr[-3:] if line.strip())
        return f"Claude Code exited with status {code} before the run finished" + (f": {said}" if said else "")
    return f"the Claude Code process failed: {_first_line(exc)}"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
