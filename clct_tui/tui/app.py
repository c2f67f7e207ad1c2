"""ClctApp: wires the panes to the engine. Widgets post Messages; engine work runs in workers."""

from __future__ import annotations

import asyncio
import dataclasses
import gc
from functools import partial
from pathlib import Path
from typing import TypeVar

from textual import on, work
from textual.app import App
from textual.binding import Binding
from textual.command import Hit, Hits, Provider
from textual.timer import Timer
from textual.widgets import Static
from textual.worker import Worker, WorkerState

from clct_tui.config import Config
from clct_tui.domain import AgentState, TranscriptEvent
from clct_tui.errors import ClctError, MergeConflictError, UnsafeRemovalError
from clct_tui.orchestrator import (
    AgentAdded,
    AgentRemoved,
    AgentStateChanged,
    ApprovalRequested,
    EngineEvent,
    EngineFailure,
    Orchestrator,
    RunFinished,
    TaskChanged,
    TranscriptAppended,
    WorktreeChanged,
    load_task_file,
)
from clct_tui.paths import user_themes_dir
from clct_tui.summaries import money
from clct_tui.tui.notices import FinishedNotices
from clct_tui.tui.screens.approval import ApprovalScreen
from clct_tui.tui.screens.dialogs import ConfirmScreen, Dialog, TextPromptScreen
from clct_tui.tui.screens.diff import DiffScreen
from clct_tui.tui.screens.help import HelpScreen
from clct_tui.tui.screens.history import HistoryRow, HistoryScreen, SessionRow
from clct_tui.tui.screens.main import MainScreen
from clct_tui.tui.screens.new_agent import NewAgentRequest, NewAgentScreen
from clct_tui.tui.themes import bundled_themes_dir, load_themes
from clct_tui.tui.widgets.prompt_bar import PromptBar
from clct_tui.tui.widgets.status_line import StatusLine
from clct_tui.tui.widgets.task_graph import TaskGraph, TaskRow
from clct_tui.tui.widgets.transcript import TranscriptView
from clct_tui.tui.widgets.worktree_list import MAIN_ID, AgentRow, WorktreeList

T = TypeVar("T")

TRANSCRIPT_TAIL = 5_000  # rows loaded from history when an agent is selected
TRANSCRIPT_PAGE = 2_000  # rows read when the transcript is scrolled past what it holds
ROWS_EVERY = 0.1  # seconds: agents' rows and the status line are redrawn at most this often
SDK_PRELOAD_AFTER = 2.0  # seconds after the engine opens: the first screen is drawn without competing with it
COST_EVERY = 1.0  # seconds: today's cost is summed at most this often while runs finish


class ClctCommands(Provider):
    """Every key's action, by name, in the command palette."""

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        app = self.app
        assert isinstance(app, ClctApp)
        for binding in MainScreen.BINDINGS:
            if not isinstance(binding, Binding) or not binding.description:
                continue
            label = f"{binding.description} ({binding.key_display or binding.key})"
            score = matcher.match(label)
            if score > 0:
                action = partial(app.run_action, binding.action, app.main)
                yield Hit(score, matcher.highlight(label), action, help=binding.tooltip)


class ClctApp(App[None]):
    """Run and steer many Claude Code agents from one screen."""

    CSS_PATH = "app.tcss"
    TITLE = "clct"
    COMMANDS = App.COMMANDS | {ClctCommands}

    def __init__(self, repo_path: str | Path, config: Config, *, show_clock: bool = True) -> None:
        super().__init__()
        self.config = config
        self.orchestrator = Orchestrator(repo_path, config)
        self.show_clock = show_clock
        self.selected_id: str | None = None
        self._git_counts: dict[str, tuple[int, int, int]] = {}
        self._rows_due: set[str] = set()  # agents whose rows change at the next redraw
        self._status_due = False
        self._redraw_timer: Timer | None = None
        self._cost_timer: Timer | None = None
        self._plan = None  # tasks read from a file, not yet a session
        self._asking = False  # a dialog of _ask is open
        self._plan_name: str | None = None
        self._session_id: str | None = None  # the session in the Tasks pane
        self._engine_ready = asyncio.Event()
        self._main_branch: str | None = None  # the main checkout's branch
        # Engine events arrive while dialogs are open; they always update the main screen's panes.
        self.main = MainScreen()
        # Finished runs are routine: told in the status line, gathered; toasts are for what needs someone.
        self._finished = FinishedNotices(self.set_timer, self._tell_finished)

    def get_default_screen(self) -> MainScreen:
        return self.main

    # -- start-up ------------------------------------------------------------------

    def on_mount(self) -> None:
        loaded = load_themes(bundled_themes_dir(), user_themes_dir())
        for theme in loaded.themes:
            self.register_theme(theme)
        for problem in loaded.problems:
            self.notify(problem, severity="warning")
        for warning in self.config.warnings:
            self.notify(warning, severity="warning")
        if self.config.theme in self.available_themes:
            self.theme = self.config.theme
        else:
            self.notify(f"theme {self.config.theme!r} not found; using clct-dark", severity="warning")
            self.theme = "clct-dark" if "clct-dark" in self.available_themes else "textual-dark"

    def on_ready(self) -> None:
        status = self.main.query_one(StatusLine)
        status.limit = self.config.max_concurrent_instances
        status.message = "opening…"
        self.open_engine()

    @work(exclusive=True, group="engine", exit_on_error=False, description="open the repository and history")
    async def open_engine(self) -> None:
        orch = self.orchestrator
        try:
            await orch.open()
        except ClctError as exc:
            self.main.query_one(StatusLine).message = str(exc)
            self.notify(str(exc), title="clct cannot open this repository", severity="error", timeout=30)
            return
        # Read once, off the loop: rows are redrawn on every agent added or removed.
        self._main_branch = await orch.git_call("current_branch")
        orch.subscribe(self._on_engine_event)
        status = self.main.query_one(StatusLine)
        status.repo = orch.worktrees.repo_path.name
        status.message = ""
        if orch.interrupted_runs:
            self.notify(
                f"{len(orch.interrupted_runs)} run(s) were interrupted when clct last stopped; "
                "select the agent and send a prompt to resume the conversation.",
                severity="warning",
            )
        self._refresh_rows()
        self._engine_ready.set()
        self.refresh_all_git()
        self.refresh_cost()
        self.load_latest_session()
        self.set_timer(SDK_PRELOAD_AFTER, self.preload_sdk, name="preload the SDK")

    @work(exclusive=True, group="sdk", exit_on_error=False, description="import claude-agent-sdk")
    async def preload_sdk(self) -> None:
        # Textual, Rich, the app and above all the SDK's modules and models live as long as the app, and
        # a full pass of the garbage collector walked them all (~100 ms on a slow machine, a key press
        # waiting behind it, about once a second while agents stream). The SDK is imported before the
        # first agent needs it, once the first screen is up, and everything is left out of those passes.
        await self.orchestrator.preload_sdk()
        gc.freeze()

    # -- engine events (called on the loop by the orchestrator) ---------------------

    def _on_engine_event(self, event: EngineEvent) -> None:
        if not self.main.is_attached:
            return  # shutting down: the panes are gone
        if isinstance(event, TranscriptAppended):
            if event.agent_id == self.selected_id:
                key = (event.run_id, event.seq) if event.seq is not None else None
                self.main.query_one("#transcript", TranscriptView).append(event.event, key)
        elif isinstance(event, AgentStateChanged):
            self._update_row(event.agent_id)
            self._update_status()
        elif isinstance(event, ApprovalRequested):
            self._update_row(event.agent_id)
            self._update_status()
            self._tell(f"{self._agent_name(event.agent_id)} asks to use {event.request.tool}", severity="warning")
        elif isinstance(event, RunFinished):
            result = event.result
            if result.success:
                self._finished.add(f"{self._agent_name(event.agent_id)} ({money(result.cost_usd)})")
            elif result.error == "interrupted":
                self._tell(f"{self._agent_name(event.agent_id)} was interrupted", severity="warning")
            else:
                self._tell(f"{self._agent_name(event.agent_id)} failed: {result.error}", severity="error")
            if self._cost_timer is None:  # summed again once a second at most, however many runs end
                self._cost_timer = self.set_timer(COST_EVERY, self._cost_due, name="cost today")
        elif isinstance(event, (AgentAdded, AgentRemoved)):
            self._refresh_rows()
        elif isinstance(event, WorktreeChanged):
            self.refresh_git(event.agent_id)
        elif isinstance(event, TaskChanged):
            self.main.query_one(TaskGraph).update_task(event.task_name, event.status.value, event.agent_id)
        elif isinstance(event, EngineFailure):
            self._tell(event.message, severity="error")

    def _tell_finished(self, notice: str) -> None:
        if not self.main.is_attached:
            return  # told a moment after clct began to quit
        self.main.query_one(StatusLine).show_notice(notice)
        if self.config.bell:
            self.bell()

    def _tell(self, message: str, severity: str = "information") -> None:
        self.notify(message, severity=severity)  # type: ignore[arg-type]
        if self.config.bell:
            self.bell()

    def _agent_name(self, agent_id: str) -> str:
        instance = self.orchestrator.get_instance(agent_id)
        return instance.name if instance else agent_id[:8]

    # -- rows and status -------------------------------------------------------------

    def _row(self, agent_id: str) -> AgentRow | None:
        instance = self.orchestrator.get_instance(agent_id)
        if instance is None:
            return None
        changed, ahead, behind = self._git_counts.get(agent_id, (0, 0, 0))
        return AgentRow(
            agent_id=agent_id, name=instance.name, branch=instance.worktree.branch, state=instance.state,
            changed=changed, ahead=ahead, behind=behind, cost_usd=instance.cost_usd,
            approvals=len(instance.pending_approvals),
        )

    def _refresh_rows(self) -> None:
        orch = self.orchestrator
        if orch.worktrees is None:
            return
        main = AgentRow(MAIN_ID, orch.worktrees.repo_path.name, self._main_branch or "(detached)")
        rows = [main] + [r for i in orch.list_instances() if (r := self._row(i.instance_id))]
        worktree_list = self.main.query_one(WorktreeList)
        worktree_list.set_rows(rows)
        if self.selected_id not in {r.agent_id for r in rows}:
            self.selected_id = None
            if len(rows) > 1:
                worktree_list.select(rows[1].agent_id)
        self._update_status()

    def _update_row(self, agent_id: str) -> None:
        self._rows_due.add(agent_id)
        self._redraw_soon()

    def _update_status(self) -> None:
        self._status_due = True
        self._redraw_soon()

    def _redraw_soon(self) -> None:
        # Each run moves its agent through several states and ends with a git status: drawn one by one,
        # with many agents each change was a frame of its own. Gathered, they share one.
        if self._redraw_timer is None:
            self._redraw_timer = self.set_timer(ROWS_EVERY, self._redraw_rows, name="rows and status")

    def _redraw_rows(self) -> None:
        self._redraw_timer = None
        if not self.main.is_attached:
            return
        due, self._rows_due = self._rows_due, set()
        worktree_list = self.main.query_one(WorktreeList)
        for agent_id in due:
            row = self._row(agent_id)
            if row is not None:
                worktree_list.update_row(row)
        if self._status_due:
            self._status_due = False
            self._redraw_status()

    def _redraw_status(self) -> None:
        status = self.main.query_one(StatusLine)
        instances = self.orchestrator.list_instances()
        status.running = sum(1 for i in instances if i.state in (AgentState.RUNNING, AgentState.WAITING))
        status.queued = sum(1 for i in instances if i.state is AgentState.QUEUED)
        status.waiting = sum(1 for i in instances if i.state is AgentState.WAITING)

    @work(group="git", exit_on_error=False, description="refresh worktree status")
    async def refresh_git(self, agent_id: str) -> None:
        await self._read_git(agent_id)

    @work(group="git", exit_on_error=False, description="read every worktree's status")
    async def refresh_all_git(self) -> None:
        # One worktree at a time: all at once, their threads took the cores from the first screen's reads.
        for instance in self.orchestrator.list_instances():
            await self._read_git(instance.instance_id)

    async def _read_git(self, agent_id: str) -> None:
        try:
            status = await self.orchestrator.status(agent_id)
        except ClctError:
            return  # the worktree is gone or broken; its row says so through its state
        self._git_counts[agent_id] = (status.changed_count, status.ahead, status.behind)
        self._update_row(agent_id)

    def _cost_due(self) -> None:
        self._cost_timer = None
        self.refresh_cost()

    @work(exclusive=True, group="cost", exit_on_error=False, description="sum today's cost")
    async def refresh_cost(self) -> None:
        self.main.query_one(StatusLine).cost_today = await self.orchestrator.cost_today()

    # -- selection and transcript -----------------------------------------------------

    def _set_title(self, selector: str, text: str) -> None:
        # A pane title is one line of fixed width (app.tcss): a new text needs no layout of the whole screen.
        self.main.query_one(selector, Static).update(text, layout=False)

    @on(WorktreeList.Selected)
    def _selected(self, event: WorktreeList.Selected) -> None:
        self.select_agent(event.agent_id)

    def select_agent(self, agent_id: str) -> None:
        if agent_id == self.selected_id:
            return
        self.selected_id = agent_id
        instance = self.orchestrator.get_instance(agent_id)
        prompt = self.main.query_one(PromptBar)
        if instance is None:
            prompt.target(None, "")
            self._set_title("#transcript-title", "Transcript")
            self.main.query_one("#transcript", TranscriptView).clear()
            return
        prompt.target(agent_id, instance.name)
        self._set_title("#transcript-title", f"Transcript: {instance.name}")
        # Events streaming in while the tail is read are kept, and added after it unless it holds them.
        self.main.query_one("#transcript", TranscriptView).hold_live()
        self.load_transcript(agent_id)

    @work(exclusive=True, group="transcript", exit_on_error=False, description="load transcript")
    async def load_transcript(self, agent_id: str) -> None:
        # The store is flushed first, so the tail read reaches the newest event; nothing is kept in memory.
        stored, more = await self.orchestrator.transcript_page(agent_id, limit=TRANSCRIPT_TAIL)
        if agent_id != self.selected_id:
            return
        self.main.query_one("#transcript", TranscriptView).load(_keyed(stored), has_older=more)

    @on(TranscriptView.PageWanted)
    def _page_wanted(self, event: TranscriptView.PageWanted) -> None:
        if self.selected_id is not None and event.transcript_view.id == "transcript":
            self.load_page(self.selected_id, event.older, event.key, event.jump)

    @work(exclusive=True, group="transcript-page", exit_on_error=False, description="read the transcript")
    async def load_page(self, agent_id: str, older: bool, key: tuple[int, int] | None, jump: bool) -> None:
        view = self.main.query_one("#transcript", TranscriptView)
        orch = self.orchestrator
        try:
            if jump and older:  # Home: the very first events
                stored, more = await orch.transcript_page(agent_id, after=(0, 0), limit=TRANSCRIPT_PAGE)
            elif jump:  # End: the newest, following again
                stored, more = await orch.transcript_page(agent_id, limit=TRANSCRIPT_TAIL)
            elif key is None:
                view.page_failed()
                return
            elif older:
                stored, more = await orch.transcript_page(agent_id, before=key, limit=TRANSCRIPT_PAGE)
            else:
                stored, more = await orch.transcript_page(agent_id, after=key, limit=TRANSCRIPT_PAGE)
        except BaseException:
            view.page_failed()
            raise
        if agent_id != self.selected_id:
            return
        if jump and older:
            view.load(_keyed(stored), has_newer=more, at_start=True)
        elif jump:
            view.load(_keyed(stored), has_older=more)
            view.action_cursor_last()
        elif older:
            view.add_older(_keyed(stored), more)
        else:
            view.add_newer(_keyed(stored), more)

    @on(WorktreeList.PromptRequested)
    def _prompt_requested(self, event: WorktreeList.PromptRequested) -> None:
        if self.orchestrator.get_instance(event.agent_id) is not None:
            self.main.query_one(PromptBar).focus()

    @on(PromptBar.Sent)
    def _prompt_sent(self, event: PromptBar.Sent) -> None:
        self.send_prompt(event.agent_id, event.text)
        self.main.query_one(WorktreeList).focus()

    @work(group="agents", exit_on_error=False, description="send a prompt")
    async def send_prompt(self, agent_id: str, text: str) -> None:
        await self.orchestrator.require_instance(agent_id).send(text)

    # -- actions on the selected agent ------------------------------------------------

    def _selected_instance(self):
        instance = self.orchestrator.get_instance(self.selected_id) if self.selected_id else None
        if instance is None:
            self.notify("Select an agent's worktree first (the main checkout has no agent).", severity="warning")
        return instance

    def action_new_agent(self) -> None:
        if not self._engine_ready.is_set():
            self.notify("Still opening the repository…", severity="warning")
            return
        base = self.config.default_branch or self._main_branch or ""
        self.push_screen(NewAgentScreen(base), self._new_agent_chosen)

    def _new_agent_chosen(self, request: NewAgentRequest | None) -> None:
        if request is not None:
            self.start_agent(request)

    @work(group="agents", exit_on_error=False, description="start an agent")
    async def start_agent(self, request: NewAgentRequest) -> None:
        try:
            instance = await self.orchestrator.create_instance(
                worktree_name=request.name, branch=request.branch, base_branch=request.base, prompt=request.prompt
            )
        except ClctError as exc:
            self.notify(str(exc), title="Cannot create the worktree", severity="error")
            return
        self.main.query_one(WorktreeList).select(instance.instance_id)
        await instance.run_task(request.prompt)

    def action_approve(self) -> None:
        self._answer(deny=False)

    def action_deny(self) -> None:
        self._answer(deny=True)

    def _answer(self, deny: bool) -> None:
        instance = self._selected_instance()
        if instance is None:
            return
        pending = instance.pending_approvals
        if not pending:
            self.notify(f"{instance.name} has no tool call waiting for approval.")
            return
        request = pending[0]

        def answered(answer) -> None:
            if answer is not None:
                instance.answer_approval(request.request_id, answer.allow, answer.reason)

        # A key in the tool's input (a curl header, say) is not put on screen.
        shown = dataclasses.replace(request, input=self.orchestrator.redact(request.input))
        self.push_screen(ApprovalScreen(instance.name, shown, deny_first=deny), answered)

    def action_interrupt(self) -> None:
        instance = self._selected_instance()
        if instance is not None:
            if not instance.state.is_active:
                self.notify(f"{instance.name} is not running.")
                return
            self.run_worker(instance.interrupt(), group="agents", exit_on_error=False, description="interrupt")

    @work(group="git-ui", exit_on_error=False, description="diff")
    async def action_diff(self) -> None:
        instance = self._selected_instance()
        if instance is None:
            return
        diff = await self.orchestrator.diff(instance.instance_id)
        await self.push_screen(DiffScreen(f"{instance.name} ({instance.worktree.branch})", diff))

    def action_commit(self) -> None:
        instance = self._selected_instance()
        if instance is None:
            return
        self.commit_dialog(instance)

    @work(group="git-ui", exit_on_error=False, description="commit")
    async def commit_dialog(self, instance) -> None:
        last = await self.orchestrator.last_prompt(instance.instance_id)
        message = (last or f"Work from {instance.name}").splitlines()[0][:72]
        chosen = await self._ask(TextPromptScreen(f"Commit {instance.name}", message, "commit message"))
        if not chosen:
            return
        sha = await self.orchestrator.commit(instance.instance_id, chosen)
        self.notify(f"Committed {sha[:8]} on {instance.worktree.branch}" if sha else "Nothing to commit.")

    @work(group="git-ui", exit_on_error=False, description="merge")
    async def action_merge(self) -> None:
        instance = self._selected_instance()
        if instance is None:
            return
        wt = instance.worktree
        if not await self._ask(
            ConfirmScreen(f"Merge {wt.branch} into {wt.base}?", "Only committed work is merged.", yes="Merge")
        ):
            return
        try:
            result = await self.orchestrator.merge(instance.instance_id)
        except MergeConflictError as exc:
            self.notify(f"{exc}\n" + "\n".join(exc.paths), title="Merge conflict: nothing changed", severity="error",
                        timeout=15)
            return
        self.notify(result.message, title=f"Merged into {result.into}")

    @work(group="git-ui", exit_on_error=False, description="remove")
    async def action_remove(self) -> None:
        instance = self._selected_instance()
        if instance is None:
            return
        if not await self._ask(
            ConfirmScreen(f"Remove worktree {instance.name}?", f"Folder {instance.worktree.path}", yes="Remove")
        ):
            return
        try:
            await self.orchestrator.remove_instance(instance.instance_id, remove_worktree=True, force=False)
        except (UnsafeRemovalError, ClctError) as exc:
            if not await self._ask(
                ConfirmScreen(f"{instance.name} holds work that would be lost", f"{exc}\n\nRemove anyway?",
                              yes="Remove anyway", danger=True)
            ):
                return
            await self.orchestrator.remove_instance(instance.instance_id, remove_worktree=True, force=True)
        self.notify(f"Removed {instance.name}")

    async def _ask(self, dialog: Dialog[T]) -> T | None:
        """The person's answer to ``dialog``; None, without asking, while another question is open.

        The actions that ask run in workers: keys typed fast (or pasted) start several before the
        first question is on screen, and each would stack its own dialog over the others.
        """
        if self._asking:
            return None
        self._asking = True
        try:
            return await self.push_screen_wait(dialog)
        finally:
            self._asking = False

    # -- task files and sessions --------------------------------------------------------

    @work(group="tasks", exit_on_error=False, description="open a task file")
    async def action_open_tasks(self) -> None:
        path = await self._ask(
            TextPromptScreen("Open a task file", "", "path/to/tasks.toml or .json",
                             note="JSON list of {name, description, dependencies} or TOML [[task]] tables.")
        )
        if not path:
            return
        full = Path(path).expanduser()
        if not full.is_absolute():
            full = self.orchestrator.worktrees.repo_path / full
        try:
            specs, settings = await asyncio.to_thread(load_task_file, full)
        except ClctError as exc:
            self.notify(str(exc), title="Cannot use this task file", severity="error", timeout=15)
            return
        self._plan, self._session_id = specs, None
        self._plan_name = settings.get("name") or full.stem
        self.main.query_one(TaskGraph).set_tasks([TaskRow(s.name, "pending", s.dependencies) for s in specs], self._plan_name)
        self._set_title("#tasks-title", f"Tasks: {self._plan_name} (r runs)")
        self.notify(f"{len(specs)} task(s) loaded from {full.name}; press r to run them.")

    @work(group="tasks", exit_on_error=False, description="run the tasks")
    async def action_run_tasks(self) -> None:
        sessions = self.orchestrator.sessions
        if self._plan:
            specs, self._plan = self._plan, None
            session = await sessions.create_plan(specs, self._plan_name)
            self._session_id = session.id
        elif self._session_id is None:
            self.notify("Open a task file first (t), or pick a session in history (h).", severity="warning")
            return
        self._set_title("#tasks-title", f"Tasks: {self._plan_name} (running)")
        try:
            result = await sessions.execute_session(self._session_id)
        finally:
            self._set_title("#tasks-title", f"Tasks: {self._plan_name}")
        done = sum(1 for r in result["results"] if r["success"])
        self._tell(f"Session {self._plan_name}: {done}/{len(result['results'])} task(s) done",
                   severity="information" if result["success"] else "error")

    @work(group="tasks", exit_on_error=False, description="load the latest session")
    async def load_latest_session(self) -> None:
        sessions = await asyncio.to_thread(self.orchestrator.sessions.list_sessions, 1)
        if sessions:
            await self.show_session(sessions[0].id)

    async def show_session(self, session_id: str) -> None:
        """Put a stored session in the Tasks pane; `r` then runs what is left of it."""
        sessions = self.orchestrator.sessions
        session = await asyncio.to_thread(sessions.get_session, session_id)
        tasks = await asyncio.to_thread(sessions.tasks, session_id)
        self.main.query_one(TaskGraph).set_tasks(
            [TaskRow(t.name, t.status, list(t.depends_on), t.agent_id) for t in tasks], session.name
        )
        self._plan, self._plan_name, self._session_id = None, session.name, session.id
        unfinished = any(t.status != "done" for t in tasks)
        self._set_title("#tasks-title", f"Tasks: {session.name}" + (" (r resumes)" if unfinished else ""))

    @on(TaskGraph.TaskSelected)
    def _task_selected(self, event: TaskGraph.TaskSelected) -> None:
        if event.agent_id:
            self.main.query_one(WorktreeList).select(event.agent_id)

    # -- history -------------------------------------------------------------------

    def action_history(self) -> None:
        self.push_screen(HistoryScreen(self, clock=self.show_clock))

    async def history_rows(self, search: str | None = None) -> list[HistoryRow]:
        runs = await self.orchestrator.history(limit=500, search=search)
        return [HistoryRow(r.id, r.agent_id, r.agent_name, r.started_at, r.state, r.cost_usd, r.prompt) for r in runs]

    async def session_rows(self) -> list[SessionRow]:
        sessions = self.orchestrator.sessions
        rows = []
        for session in await asyncio.to_thread(sessions.list_sessions, 200):
            tasks = await asyncio.to_thread(sessions.tasks, session.id)
            done = sum(1 for t in tasks if t.status == "done")
            cost = sum(t.cost_usd or 0.0 for t in tasks)
            rows.append(SessionRow(session.id, session.name, session.status, done, len(tasks), cost,
                                   session.created_at))
        return rows

    @on(HistoryScreen.SessionChosen)
    async def _session_chosen(self, event: HistoryScreen.SessionChosen) -> None:
        await self.show_session(event.session_id)

    async def run_events(self, run_id: int) -> list[TranscriptEvent]:
        return await self.orchestrator.run_transcript(run_id)

    @on(HistoryScreen.ResumeRequested)
    def _resume(self, event: HistoryScreen.ResumeRequested) -> None:
        if self.orchestrator.get_instance(event.agent_id) is None:
            self.notify("That agent's worktree was removed; its transcript stays in history.", severity="warning")
            return
        self.main.query_one(WorktreeList).select(event.agent_id)
        self.main.query_one(PromptBar).focus()

    def action_help(self) -> None:
        self.push_screen(HelpScreen([b for b in MainScreen.BINDINGS if isinstance(b, Binding)]))

    # -- theme and quitting ------------------------------------------------------------

    def watch_theme(self, theme: str) -> None:
        # The choice is saved the moment it changes, so it is there next time.
        if self.is_mounted and theme != self.config.theme:
            self.config.theme = theme
            self.save_config()

    @work(group="config", exit_on_error=False, description="save config")
    async def save_config(self) -> None:
        await asyncio.to_thread(self.config.save)

    async def action_quit(self) -> None:
        """ctrl+q, Textual's own quit key, goes through the same question as q."""
        self.action_quit_app()

    @work(group="quit", exit_on_error=False, description="quit")
    async def action_quit_app(self) -> None:
        running = [i for i in self.orchestrator.list_instances() if i.state.is_active]
        if running and not await self._ask(
            ConfirmScreen(
                f"{len(running)} agent(s) are running. Quit?",
                "They are interrupted cleanly and can be resumed next time.",
                yes="Quit",
            )
        ):
            return
        self.main.query_one(StatusLine).message = "stopping agents…"
        await self.orchestrator.shutdown()
        self.exit()

    async def on_unmount(self) -> None:
        await self.orchestrator.shutdown()

    @on(Worker.StateChanged)
    def _worker_failed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR and event.worker.error is not None:
            error = event.worker.error
            message = str(error) if isinstance(error, ClctError) else f"{type(error).__name__}: {error}"
            self.notify(message, title=f"Could not {event.worker.description or 'finish'}", severity="error", timeout=15)


def _keyed(records: list) -> list[tuple[tuple[int, int], TranscriptEvent]]:
    """Stored events (the orchestrator's EventRecords) with their (run id, seq) keys."""
    return [((r.run_id, r.seq), r.to_event()) for r in records]
