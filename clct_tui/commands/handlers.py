"""One coroutine per subcommand, each over an opened Orchestrator."""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path
from typing import Any

from clct_tui.commands.output import TranscriptPrinter, ago, print_json, result_line, table
from clct_tui.commands.progress import TaskProgress
from clct_tui.errors import ClctError, TaskFileError
from clct_tui.orchestrator import ApprovalRequested, EngineEvent, Orchestrator, TranscriptAppended, load_task_file

EXIT_OK, EXIT_FAILED = 0, 1


def _auto_answer(orch: Orchestrator, mode: str, agent_id: str | None = None):
    """Answer approvals headlessly, as --approve says."""

    def on_event(event: EngineEvent) -> None:
        if isinstance(event, ApprovalRequested) and (agent_id is None or event.agent_id == agent_id):
            instance = orch.get_instance(event.agent_id)
            if instance is not None:
                allow = mode == "auto"
                instance.answer_approval(event.request.request_id, allow, "" if allow else "denied by --approve deny")

    return on_event


async def cmd_create(orch: Orchestrator, args: argparse.Namespace) -> int:
    instance = await orch.create_instance(
        worktree_name=args.name, branch=args.branch, base_branch=args.base_branch, model=args.model
    )
    if args.start:
        await instance.start()
        await instance.stop()  # the check is done; the conversation starts with the first task
    if args.json:
        print_json(instance.get_status_info())
    else:
        print(instance.instance_id)
        if args.verbose:
            print(f"worktree {instance.worktree.name} at {instance.worktree.path} on branch {instance.worktree.branch}",
                  file=sys.stderr)
    return EXIT_OK


async def cmd_list(orch: Orchestrator, args: argparse.Namespace) -> int:
    rows: list[dict[str, Any]] = []
    for instance in orch.list_instances():
        info = instance.get_status_info()
        try:
            status = await orch.status(instance.instance_id)
            info.update(changed_files=status.changed_count, ahead=status.ahead, behind=status.behind)
        except ClctError as exc:
            info.update(changed_files=None, ahead=None, behind=None, problem=str(exc))
        agent = await orch.store_call("get_agent", instance.instance_id)
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
    return EXIT_OK


async def cmd_start(orch: Orchestrator, args: argparse.Namespace) -> int:
    instance = orch.require_instance(args.id)
    await instance.start()
    info = await instance.health_check()
    await instance.stop()  # a headless process ends here; the conversation resumes with the next task
    print_json(info) if args.json else print(f"{instance.name}: Claude Code started and ready")
    return EXIT_OK


async def cmd_stop(orch: Orchestrator, args: argparse.Namespace) -> int:
    instance = orch.require_instance(args.id)
    await instance.stop()
    await orch.store_call("update_agent", instance.instance_id, state="stopped")
    print_json({"instance_id": instance.instance_id, "state": "stopped"}) if args.json else print(f"{instance.name}: stopped")
    return EXIT_OK


async def cmd_remove(orch: Orchestrator, args: argparse.Namespace) -> int:
    instance = orch.require_instance(args.id)
    await orch.remove_instance(instance.instance_id, remove_worktree=args.remove_worktree, force=args.force)
    if args.json:
        print_json({"removed": instance.instance_id, "worktree_removed": args.remove_worktree})
    else:
        print(f"{instance.name}: removed" + (" with its worktree" if args.remove_worktree else ""))
    return EXIT_OK


async def cmd_run_task(orch: Orchestrator, args: argparse.Namespace) -> int:
    instance = orch.require_instance(args.id)
    context = None
    if args.context:
        try:
            context = json.loads(args.context)
        except json.JSONDecodeError as exc:
            raise TaskFileError(f"--context is not valid JSON: {exc}") from None
        if not isinstance(context, dict):
            raise TaskFileError("--context must be a JSON object")
    printer = TranscriptPrinter()
    orch.subscribe(_auto_answer(orch, args.approve, instance.instance_id))
    if not args.json:
        orch.subscribe(lambda e: printer(e.event) if isinstance(e, TranscriptAppended)
                       and e.agent_id == instance.instance_id else None)
    result = await instance.run_task(args.description, context, timeout=args.timeout)
    printer.finish()
    print_json(result) if args.json else print(result_line(result))
    return EXIT_OK if result["success"] else EXIT_FAILED


async def cmd_parallel(orch: Orchestrator, args: argparse.Namespace) -> int:
    specs, settings = load_task_file(args.tasks_file)
    name = args.session_name or settings.get("name") or Path(args.tasks_file).stem
    orch.subscribe(_auto_answer(orch, args.approve))
    progress = TaskProgress(specs, enabled=not args.json)
    orch.subscribe(progress.on_event)
    with progress:
        result = await orch.sessions.run_plan(
            specs, session_name=name, max_concurrent=args.max_concurrent,
            max_budget_usd=settings.get("max_budget_usd"),
        )
    if args.json:
        print_json(result)
    else:
        table(
            [[r["name"], r["status"], r["branch"] or "-", f"${r['cost_usd']:.4f}", (r["error"] or "")[:60]]
             for r in result["results"]],
            ["task", "status", "branch", "cost", "error"],
        )
        done = sum(1 for r in result["results"] if r["success"])
        print(f"session {name} ({result['session_id'][:8]}): {done}/{len(result['results'])} tasks done")
    return EXIT_OK if result["success"] else EXIT_FAILED


async def cmd_health(orch: Orchestrator, args: argparse.Namespace) -> int:
    report = await orch.health_check()
    if args.json:
        print_json(report)
    else:
        for name, check in report["checks"].items():
            print(f"{'ok  ' if check['ok'] else 'FAIL'}  {name.replace('_', ' '):16} {check['detail']}")
    return EXIT_OK if report["healthy"] else EXIT_FAILED


async def cmd_cleanup(orch: Orchestrator, args: argparse.Namespace) -> int:
    report = await orch.cleanup(max_age_hours=args.max_age_hours, dry_run=args.dry_run)
    if args.json:
        print_json(report)
        return EXIT_OK
    verb = "would remove" if args.dry_run else "removed"
    for name in report["removed"]:
        print(f"{verb}  {name}")
    for kept in report["kept"]:
        print(f"kept     {kept['name']}: {kept['reason']}")
    for name in report["pruned"]:
        print(f"pruned   stale git record {name}")
    if not (report["removed"] or report["kept"] or report["pruned"]):
        print("nothing to clean up")
    return EXIT_OK


async def cmd_history(orch: Orchestrator, args: argparse.Namespace) -> int:
    rows = await orch.history(limit=args.limit, search=args.search)
    if args.json:
        print_json(rows)
        return EXIT_OK
    if not rows:
        print("no runs yet")
        return EXIT_OK
    width = shutil.get_terminal_size((100, 20)).columns
    table(
        [[str(r["run_id"]), r["agent_name"], r["state"], f"${r['cost_usd']:.4f}", ago(r["started_at"]),
          (r["prompt"] or "").splitlines()[0][: max(20, width - 70)] if r["prompt"] else ""] for r in rows],
        ["run", "agent", "state", "cost", "started", "prompt"],
    )
    return EXIT_OK


async def cmd_show(orch: Orchestrator, args: argparse.Namespace) -> int:
    run = await orch.run_info(args.run_id)
    events = await orch.run_transcript(args.run_id)
    if args.json:
        print_json({"run": run, "events": events})
        return EXIT_OK
    printer = TranscriptPrinter()
    for event in events:
        printer(event)
    printer.finish()
    print(result_line({"success": run["success"], "error": run["error"], "cost_usd": run["cost_usd"],
                       "num_turns": run["num_turns"], "duration_ms": run["duration_ms"]}))
    return EXIT_OK


HANDLERS = {
    "create": cmd_create, "list": cmd_list, "start": cmd_start, "stop": cmd_stop, "remove": cmd_remove,
    "run-task": cmd_run_task, "parallel": cmd_parallel, "health": cmd_health, "cleanup": cmd_cleanup,
    "history": cmd_history, "show": cmd_show,
}
