"""Headless `clct` subcommands for scripts and CI."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
import traceback
from pathlib import Path

from clct_tui.commands.parser import COMMAND_HELP, UsageError, build_parser
from clct_tui.errors import (
    AgentBusyError,
    ClctError,
    ConfigError,
    GitError,
    NotFoundError,
    TaskFileError,
    TaskGraphError,
)

COMMANDS = set(COMMAND_HELP)
EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
# Errors that mean "what you asked for cannot be", as opposed to "the work failed".
BAD_INPUT = (AgentBusyError, ConfigError, GitError, NotFoundError, TaskFileError, TaskGraphError)


def run(argv: list[str], app_path: str | None = None) -> int:
    """Parse and run one `clct` invocation; returns the exit status. Never raises for people."""
    try:
        args = build_parser().parse_args(argv)
    except UsageError as exc:
        print(exc, file=sys.stderr)
        return EXIT_USAGE
    problem = _not_text(args)
    if problem:
        print(f"clct{' ' + args.command if args.command else ''}: {problem}", file=sys.stderr)
        return EXIT_USAGE
    if args.command is None:
        return _run_app(args, app_path)
    if args.verbose:
        logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                            format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from clct_tui.commands.checks import BadInput, check_args

    try:
        check_args(args)
        config = _config(args)  # a bad config is refused before the engine (and the SDK) is imported
        if args.command == "parallel" and args.dry_run:
            from clct_tui.commands.handlers import show_plan

            _warn(config)
            return show_plan(args)  # the plan needs neither the repository nor the database
        return asyncio.run(_run_command(args, config))
    except (*BAD_INPUT, BadInput) as exc:
        print(f"clct {args.command}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except ClctError as exc:
        print(f"clct {args.command}: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except (KeyboardInterrupt, asyncio.CancelledError):
        print(f"clct {args.command}: interrupted", file=sys.stderr)
        return EXIT_FAILED
    except Exception as exc:  # a bug: say so in one line; -v shows where
        if args.verbose:
            traceback.print_exc()
        print(f"clct {args.command}: unexpected error ({type(exc).__name__}: {exc}); "
              "this is a bug in clct — run again with -v for the details", file=sys.stderr)
        return EXIT_FAILED


def _not_text(args) -> str | None:
    """Name an argument holding bytes that are not UTF-8 (Python keeps them as lone surrogates).

    Names, branches, prompts and paths are stored as text and sent on as JSON, where such
    bytes cannot go; refusing them here beats failing half-way.
    """
    for dest, value in vars(args).items():
        if not isinstance(value, str):
            continue
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            return (f"the {dest.replace('_', ' ')} argument holds bytes that are not UTF-8 text "
                    f"(at position {exc.start}): {value!r}")
    return None


def _config(args):
    from clct_tui.config import Config

    return Config.load(Path(args.config) if args.config else None)


async def _run_command(args, config) -> int:
    from clct_tui.commands.handlers import HANDLERS
    from clct_tui.orchestrator import Orchestrator

    _warn(config)
    async with Orchestrator(Path(args.repo or "."), config) as orch:
        _stop_on_signals(orch, args.command)
        return await HANDLERS[args.command](orch, args)


def _warn(config) -> None:
    for warning in config.warnings:
        print(f"clct: warning: {warning}", file=sys.stderr)


def _stop_on_signals(orch, command: str) -> None:
    """Ctrl-C or SIGTERM (a CI job cancelled): stop without losing what was done.

    run-task interrupts its agent, so the run ends as `interrupted`, is stored, and the
    result line is printed. Other commands stop at once; the orchestrator's shutdown
    still interrupts running agents and records their runs. A second signal quits now.
    """
    loop = asyncio.get_running_loop()
    main = asyncio.current_task()
    signals_seen = 0

    def on_signal() -> None:
        nonlocal signals_seen
        signals_seen += 1
        orch.closing = True  # no new runs start
        if signals_seen == 1 and command == "run-task":
            print(f"\nclct {command}: interrupting the agent (again to quit at once)", file=sys.stderr)
            for instance in orch.list_instances():
                asyncio.ensure_future(instance.interrupt())
        elif main is not None:
            main.cancel()

    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, on_signal)
        except (NotImplementedError, RuntimeError):  # not on this platform: Python's default applies
            pass


def _run_app(args, app_path: str | None) -> int:
    try:
        config = _config(args)
        from clct_tui.tui.app import ClctApp

        app = ClctApp(Path(app_path or args.repo or "."), config)
    except ClctError as exc:
        print(f"clct: {exc}", file=sys.stderr)
        return EXIT_USAGE
    app.run()
    return app.return_code or EXIT_OK
