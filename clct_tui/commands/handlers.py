"""One coroutine per subcommand, each over an opened Orchestrator (arguments already checked by checks.py)."""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
import time
from pathlib import Path
from typing import Any

from clct_tui.commands.checks import BadInput
from clct_tui.commands.output import (
    TranscriptPrinter,
    ago,
    print_json,
    result_line,
    table,
)
from clct_tui.commands.progress import TaskProgress
from clct_tui.errors import ClctError
from clct_tui.orchestrator import (
    ApprovalRequested,
    ClaudeInstance,
    EngineEvent,
    Orchestrator,
    RunFinished,
    TranscriptAppended,
)
from clct_tui.orchestrator.graph import waves

EXIT_OK, EXIT_FAILED = 0, 1
STOP_WAIT_POLL = 0.1  # seconds between looks at whether another process let go of an agent


async def _not_busy_elsewhere(orch: Orchestrator, instance: ClaudeInstance, doing: str) -> None:
    """An agent loaded as running is running in another clct process: this one must not touch it.

    (Opening the database took back agents whose process is gone, so an active one has a live holder.)
    """
    if instance.state.is_active:
        agent = await orch.store_call("get_agent", instance.instance_id)
        holder = f" (pid {agent.pid})" if agent is not None and agent.pid else ""
        raise BadInput(f"agent {instance.name} is {instance.state.value} in another clct process{holder}; "
                       f"wait for it or interrupt it there before you {doing}")


def _auto_answer(orch: Orchestrator, mode: str, agent_id: str | None = None):
    """Answer approvals headlessly, as --approve says."""

    def on_event(event: EngineEvent) -> None:
        if isinstance(event, ApprovalRequested) and (agent_id is None or event.agent_id == agent_id):
            instance = orch.get_instance(event.agent_id)
            if instance is not None:
                allow = mode == "auto"
                instance.answer_approval(event.request.request_id, allow, "" if allow else "denied by --approve deny")

    return on_event


# -- commands ----------------------------------------------------------------------------


async def cmd_create(orch: Orchestrator, args: argparse.Namespace) -> int:
    instance = await orch.create_instance(
        worktree_name=args.name, branch=args.branch, base_branch=args.base_branch, model=args.model
    )
    if args.start:
        try:
            await instance.start()
        except ClctError:
            # The worktree is brand new, so taking it back loses nothing; a script gets all or nothing.
            await orch.remove_instance(instance.instance_id, remove_worktree=True, force=True)
            print(f"clct create: Claude Code did not start, so the new worktree {instance.worktree.name} "
                  "was taken back", file=sys.stderr)
            raise
        finally:
            await instance.stop()  # the check is done; the conversation starts with the first task
    if args.json:
        print_json(instance.get_status_info())
    else:
        print(instance.instance_id)
        if args.verbose:
            print(f"worktree {instance.worktree.name} at {instance.worktree.path} on branch "
                  f"{instance.worktree.branch} from {instance.worktree.base}", file=sys.stderr)
    return EXIT_OK


async def cmd_list(orch: Orchestrator, args: argparse.Namespace) -> int:
    rows: list[dict[str, Any]] = []
    for instance in orch.list_instances():
        info = instance.get_status_info()
        try:
            status = await orch.status(instance.instance_id)
            info.update(changed_files=status.changed_count, ahead=status.ahead, behind=status.behind, problem=None)
        except ClctError as exc:
            info.update(changed_files=None, ahead=None, behind=None, problem=str(exc))
        agent = await orch.store_call("get_agent", instance.instance_id)
        info["model"] = agent.model if agent else instance.model
        info["last_activity"] = agent.updated_at if agent else None
        rows.append(info)
    if args.json:
        print_json(rows)
        return EXIT_OK
    if not rows:
        print("no agents yet — `clct create` makes one")
        return EXIT_OK
    table(
        [[r["instance_id"][:8], r["name"], r["state"], r["branch"],
          "?" if r["changed_files"] is None else str(r["changed_files"]), f"${r['cost_usd']:.4f}",
          ago(r["last_activity"])] for r in rows],
        ["id", "name", "state", "branch", "changed", "cost", "last activity"],
    )
    for r in rows:
        if r["problem"]:
            print(f"{r['name']}: {r['problem']}", file=sys.stderr)
    return EXIT_OK


async def cmd_start(orch: Orchestrator, args: argparse.Namespace) -> int:
    instance = orch.require_instance(args.id)
    await _not_busy_elsewhere(orch, instance, "start it here")
    try:
        await instance.start()
        info = await instance.health_check()
    finally:
        await instance.stop()  # a headless process ends here; the conversation resumes with the next task
    if args.json:
        print_json(info)
    else:
        print(f"{instance.name}: Claude Code started and ready; `clct run-task {instance.instance_id[:8]} ...` "
              "gives it work")
    return EXIT_OK


async def cmd_stop(orch: Orchestrator, args: argparse.Namespace) -> int:
    instance = orch.require_instance(args.id)
    holder = await orch.store_call("request_stop", instance.instance_id) if instance.state.is_active else None
    if holder is not None:
        return await _stop_elsewhere(orch, instance, holder, args)
    await instance.stop()
    await orch.store_call("update_agent", instance.instance_id, state="stopped")
    if args.json:
        print_json({"instance_id": instance.instance_id, "name": instance.name, "state": "stopped"})
    else:
        print(f"{instance.name}: stopped (its conversation resumes with the next run-task)")
    return EXIT_OK


async def _stop_elsewhere(orch: Orchestrator, instance: ClaudeInstance, holder: int, args: argparse.Namespace) -> int:
    """The agent works in another clct process (`clct parallel`, the app): it was asked through the
    database and stops there, interrupting its run; wait until it lets go of the agent."""
    deadline = time.monotonic() + args.wait
    while True:
        agent = await orch.store_call("get_agent", instance.instance_id)
        if agent is None or agent.pid != holder:
            break
        if time.monotonic() >= deadline:
            if args.json:
                print_json({"instance_id": instance.instance_id, "name": instance.name, "state": agent.state,
                            "held_by_pid": holder, "stop_requested": True})
            else:
                when = ("its prompt will not be sent when its turn comes" if agent.state == "queued"
                        else "it stops as soon as that process can interrupt it")
                print(f"{instance.name}: asked clct process {holder} to stop it; it is still {agent.state} "
                      f"after {args.wait:g} s ({when})")
            return EXIT_FAILED
        await asyncio.sleep(STOP_WAIT_POLL)
    state = agent.state if agent is not None else "removed"
    if args.json:
        print_json({"instance_id": instance.instance_id, "name": instance.name, "state": state,
                    "stopped_in_pid": holder})
    else:
        print(f"{instance.name}: {state} in clct process {holder}; its run was interrupted "
              "(its conversation resumes with the next run-task)")
    return EXIT_OK


async def cmd_remove(orch: Orchestrator, args: argparse.Namespace) -> int:
    instance = orch.require_instance(args.id)
    if not args.force:
        await _not_busy_elsewhere(orch, instance, "remove it (or pass --force)")
    branch_removed = await orch.remove_instance(instance.instance_id, remove_worktree=args.remove_worktree,
                                                force=args.force)
    if not args.remove_worktree:
        # The worktree stays on disk, but the agent is gone: detach it so a new process does not load it again.
        await orch.store_call("update_agent", instance.instance_id, worktree_id=None, state="stopped")
    if args.json:
        print_json({"removed": instance.instance_id, "name": instance.name,
                    "worktree_removed": args.remove_worktree, "branch_removed": branch_removed,
                    "worktree": str(instance.worktree.path)})
    elif args.remove_worktree and branch_removed:
        print(f"{instance.name}: removed with its worktree and branch")
    elif args.remove_worktree:
        print(f"{instance.name}: removed with its worktree; its branch {instance.worktree.branch} is kept")
    else:
        print(f"{instance.name}: removed; its worktree stays at {instance.worktree.path} on branch "
              f"{instance.worktree.branch}")
    return EXIT_OK


async def cmd_run_task(orch: Orchestrator, args: argparse.Namespace) -> int:
    instance = orch.require_instance(args.id)
    await _not_busy_elsewhere(orch, instance, "give it another task")
    printer = TranscriptPrinter()
    run_ids: list[int] = []
    orch.subscribe(_auto_answer(orch, args.approve, instance.instance_id))

    def on_event(event: EngineEvent) -> None:
        if getattr(event, "agent_id", None) != instance.instance_id:
            return
        if isinstance(event, RunFinished):
            run_ids.append(event.run_id)
        elif isinstance(event, TranscriptAppended) and not args.json:
            printer(event.event)

    orch.subscribe(on_event)
    result = await instance.run_task(args.description, args.context_obj, timeout=args.timeout)
    printer.finish()
    result["run_id"] = run_ids[-1] if run_ids else None
    if args.json:
        print_json(result)
    else:
        print(result_line(result))
    return EXIT_OK if result["success"] else EXIT_FAILED


async def cmd_parallel(orch: Orchestrator, args: argparse.Namespace) -> int:
    specs, settings = args.specs, args.settings
    name = args.session_name or settings.get("name") or Path(args.tasks_file).stem
    limit = args.max_concurrent or orch.config.max_concurrent_instances
    orch.subscribe(_auto_answer(orch, args.approve))
    progress = TaskProgress(specs, enabled=not args.json)
    orch.subscribe(progress.on_event)
    if not args.json:
        print(f"session {name}: {len(specs)} task(s), at most {limit} at once")
        sys.stdout.flush()
    with progress:
        result = await orch.sessions.run_plan(
            specs, session_name=name, max_concurrent=args.max_concurrent,
            max_budget_usd=settings.get("max_budget_usd"),
        )
    if args.json:
        print_json(result | {"session_name": name})
    else:
        print()
        table(
            [[r["name"], r["status"], r["worktree"] or "-", r["branch"] or "-", f"${r['cost_usd']:.4f}",
              (r["error"] or "").splitlines()[0][:70] if r["error"] else ""]
             for r in result["results"]],
            ["task", "status", "worktree", "branch", "cost", "error"],
        )
        done = sum(1 for r in result["results"] if r["success"])
        print(f"session {name} ({result['session_id'][:8]}): {done}/{len(result['results'])} tasks done")
    return EXIT_OK if result["success"] else EXIT_FAILED


def show_plan(args: argparse.Namespace) -> int:
    """`clct parallel --dry-run`: the checked plan, wave by wave; nothing is created or run."""
    specs, settings = args.specs, args.settings
    name = args.session_name or settings.get("name") or Path(args.tasks_file).stem
    plan = waves(specs)
    if args.json:
        print_json({"session_name": name, "tasks": len(specs), "dry_run": True,
                    "waves": [[spec.name for spec in wave] for wave in plan]})
        return EXIT_OK
    print(f"session {name}: {len(specs)} task(s) in {len(plan)} wave(s); nothing created (--dry-run)")
    for number, wave in enumerate(plan, 1):
        print(f"wave {number}: {', '.join(spec.name for spec in wave)}")
    return EXIT_OK


async def cmd_health(orch: Orchestrator, args: argparse.Namespace) -> int:
    report = await orch.health_check()
    if args.json:
        print_json(report)
    else:
        for name, check in report["checks"].items():
            print(f"{'ok  ' if check['ok'] else 'FAIL'}  {name.replace('_', ' '):16} {check['detail']}")
        print("healthy" if report["healthy"] else "not healthy: see FAIL above")
    return EXIT_OK if report["healthy"] else EXIT_FAILED


async def cmd_cleanup(orch: Orchestrator, args: argparse.Namespace) -> int:
    report = await orch.cleanup(max_age_hours=args.max_age_hours, dry_run=args.dry_run)
    if args.json:
        print_json(report)
        return EXIT_OK
    verb = "would remove" if args.dry_run else "removed"
    for name in report["removed"]:
        print(f"{verb:12}  {name}")
    for kept in report["kept"]:
        print(f"{'kept':12}  {kept['name']}: {kept['reason']}")
    for name in report["pruned"]:
        print(f"{'pruned':12}  stale git worktree record {name}")
    if not (report["removed"] or report["kept"] or report["pruned"]):
        print("nothing to clean up")
    return EXIT_OK


async def cmd_history(orch: Orchestrator, args: argparse.Namespace) -> int:
    runs = await orch.history(limit=args.limit, search=args.search)
    if args.json:
        print_json(runs)
        return EXIT_OK
    if not runs:
        print("no runs yet" if not args.search else f"no runs match {args.search!r}")
        return EXIT_OK
    width = shutil.get_terminal_size((100, 20)).columns
    table(
        [[str(r.id), r.agent_name, r.state, f"${r.cost_usd:.4f}", ago(r.started_at),
          (r.prompt.strip().splitlines() or [""])[0][: max(20, width - 70)]] for r in runs],
        ["run", "agent", "state", "cost", "started", "prompt"],
    )
    return EXIT_OK


async def cmd_show(orch: Orchestrator, args: argparse.Namespace) -> int:
    run = await orch.run_info(args.run_id)
    events = await orch.run_transcript(args.run_id)
    if args.json:
        print_json({"run": run, "events": events})
        return EXIT_OK
    print(f"run {run.id} · agent {run.agent_name} · {run.kind} · {run.state} · started {ago(run.started_at)}")
    printer = TranscriptPrinter()
    for event in events:
        printer(event)
    printer.finish()
    if run.ended_at is None:
        print(f"result: none yet (the run is {run.state})")
    else:
        print(result_line({"success": run.success, "error": run.error, "cost_usd": run.cost_usd,
                           "num_turns": run.num_turns, "duration_ms": run.duration_ms}))
    return EXIT_OK


HANDLERS = {
    "create": cmd_create, "list": cmd_list, "start": cmd_start, "stop": cmd_stop, "remove": cmd_remove,
    "run-task": cmd_run_task, "parallel": cmd_parallel, "health": cmd_health, "cleanup": cmd_cleanup,
    "history": cmd_history, "show": cmd_show,
}
