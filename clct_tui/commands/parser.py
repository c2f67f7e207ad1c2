"""Argument parsing for `clct` and its subcommands."""

from __future__ import annotations

import argparse

COMMAND_HELP = {
    "create": "create a worktree with an agent; prints its id",
    "list": "worktrees and agents: state, branch, changed files, cost, last activity",
    "start": "start an agent's Claude Code process",
    "stop": "stop an agent, here or in the clct process running it (the conversation stays resumable)",
    "remove": "remove an agent (and with --remove-worktree its worktree)",
    "run-task": "give an agent a task and stream its transcript",
    "parallel": "run a task file: independent tasks in parallel, dependents after",
    "health": "check the CLI, credentials, repository, database and disk",
    "cleanup": "remove finished worktrees whose work is merged or empty",
    "history": "past runs from the database",
    "show": "one run's transcript from the database",
}


class UsageError(Exception):
    """Bad usage: argparse's complaint, turned into exit status 2 without a traceback."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{self.prog}: {message}")


def _globals(parser: argparse.ArgumentParser, suppress: bool) -> None:
    # Global options are accepted before and after the subcommand.
    group = parser.add_argument_group("global options") if suppress else parser
    default = argparse.SUPPRESS if suppress else None
    group.add_argument("-r", "--repo", metavar="PATH", default=default,
                       help="repository (default: the one around the current directory)")
    group.add_argument("-c", "--config", metavar="FILE", default=default,
                       help="config file (default: config.toml in the user config dir)")
    group.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS if suppress else False,
                       help="say more (and log the engine's steps to stderr)")
    group.add_argument("--json", action="store_true", default=argparse.SUPPRESS if suppress else False,
                       help="print JSON for machines instead of text")


EPILOGS = {
    "create": """examples:
  clct create -n auth --model claude-sonnet-4-5
  clct create --base-branch develop --json""",
    "run-task": """Assistant text is printed as it arrives, each tool call as one line, and a last
line sums up the run: result, cost, turns, duration and the run id for `clct show`.
Exit status 1 when the run failed.

examples:
  clct run-task auth "Add a login endpoint" --context '{"ticket": "AUTH-12"}'
  clct run-task 3f2a "Run the test suite and fix what fails" --approve auto""",
    "parallel": """Task files are a JSON list of {"name", "description", "priority"?, "context"?,
"dependencies"?} objects, or TOML:

  [session]                  # optional
  name = "auth"
  max_budget_usd = 5.0

  [[task]]
  name = "schema"
  description = "Create the users table"

  [[task]]
  name = "api"
  description = "Add the login endpoint"
  dependencies = ["schema"]  # starts from schema's branch, so it sees that work
  branch = "feature/api"     # optional, like base and model

The file is checked before anything runs: a cycle, an unknown dependency or a
duplicate name exits 2 and creates nothing; --dry-run stops there and prints the
plan. Exit status 1 when any task failed.""",
    "cleanup": """Only worktrees of finished agents idle for --max-age-hours are removed, and only
when their work is merged or there was none: uncommitted changes and unmerged
commits are always kept, with the reason printed.""",
    "remove": """Without --remove-worktree the worktree and its branch stay on disk. With it,
a worktree with uncommitted changes or unmerged commits is kept unless --force.""",
}


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="clct",
        description="Run many Claude Code agents at once, each in its own git worktree.\n\n"
        "With no command, `clct [PATH]` opens the full-screen app on the repository.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Exit status: 0 success, 1 the work failed, 2 bad usage or bad input.",
    )
    _globals(parser, suppress=False)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    def command(name: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=COMMAND_HELP[name], description=COMMAND_HELP[name].capitalize() + ".",
                           epilog=EPILOGS.get(name), formatter_class=argparse.RawDescriptionHelpFormatter)
        _globals(p, suppress=True)
        return p

    p = command("create")
    p.add_argument("-n", "--name", help="worktree name (default: agent-N)")
    p.add_argument("-b", "--branch", help="branch name (default: the worktree name)")
    p.add_argument("--base-branch", metavar="REF", help="branch or commit to start from (default: current branch)")
    p.add_argument("--model", help="Claude model for this agent")
    p.add_argument("--start", action="store_true", help="start the agent's process right away (checks the CLI)")

    command("list")
    command("start").add_argument("id", metavar="ID", help="agent id (a unique prefix) or worktree name")
    p = command("stop")
    p.add_argument("id", metavar="ID", help="agent id (a unique prefix) or worktree name")
    p.add_argument("--wait", metavar="SECONDS", type=float, default=30.0,
                   help="how long to wait for another clct process running the agent to stop it (default: 30)")
    p = command("remove")
    p.add_argument("id", metavar="ID", help="agent id (a unique prefix) or worktree name")
    p.add_argument("--remove-worktree", action="store_true", help="also remove its worktree and branch")
    p.add_argument("--force", action="store_true", help="remove even with uncommitted or unmerged work")

    p = command("run-task")
    p.add_argument("id", metavar="ID", help="agent id (a unique prefix) or worktree name")
    p.add_argument("description", metavar="DESCRIPTION", help="what the agent should do ('-' reads it from standard input)")
    p.add_argument("--context", metavar="JSON", help="extra context as a JSON object")
    p.add_argument("--approve", choices=["auto", "deny"], default="deny",
                   help="answer tool approvals headlessly: auto approves, deny refuses (default)")
    p.add_argument("--timeout", metavar="SECONDS", type=float, help="seconds before the run is stopped (default: instance_timeout)")

    p = command("parallel")
    p.add_argument("tasks_file", metavar="TASKS_FILE", help="JSON list or TOML [[task]] tables")
    p.add_argument("--session-name", metavar="NAME", help="name of the session (default: [session] name in the file, else the file's name)")
    p.add_argument("--max-concurrent", metavar="N", type=int, help="at most N tasks at once (default: max_concurrent_instances)")
    p.add_argument("--dry-run", action="store_true",
                   help="check the file and print the plan, wave by wave; create and run nothing")
    p.add_argument("--approve", choices=["auto", "deny"], default="deny",
                   help="answer tool approvals headlessly: auto approves, deny refuses (default)")

    command("health")
    p = command("cleanup")
    p.add_argument("--max-age-hours", metavar="N", type=float, default=24.0, help="only worktrees idle this long (default 24)")
    p.add_argument("--dry-run", action="store_true", help="say what would be removed, remove nothing")

    p = command("history")
    p.add_argument("--limit", metavar="N", type=int, default=20, help="how many runs (default 20)")
    p.add_argument("--search", metavar="TEXT", help="only runs whose prompt or result contains TEXT")
    p = command("show")
    p.add_argument("run_id", metavar="RUN_ID", type=int, help="a run id from `clct history`")
    return parser
