"""The `clct` command: no subcommand opens the app; subcommands are for scripts and CI."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from clct_tui.errors import ClctError

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="clct",
        description="Run many Claude Code agents at once, each in its own git worktree.\n"
        "With no command, opens the full-screen app on the repository.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("path", nargs="?", help="repository to open in the app (default: the current one)")
    parser.add_argument("-r", "--repo", help="repository (default: the one around the current directory)")
    parser.add_argument("-c", "--config", help="config file (default: config.toml in the user config dir)")
    parser.add_argument("-v", "--verbose", action="store_true", help="say more")
    return parser


def load_config(args: argparse.Namespace, **overrides):
    from clct_tui.config import Config

    return Config.load(Path(args.config) if args.config else None, **overrides)


def run_app(args: argparse.Namespace) -> int:
    from clct_tui.tui.app import ClctApp

    config = load_config(args)
    repo = Path(args.repo or args.path or ".")
    app = ClctApp(repo, config)
    app.run()
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    from clct_tui.commands import COMMANDS, dispatch

    if argv and argv[0] in COMMANDS:
        return dispatch(argv)
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return run_app(args)
    except ClctError as exc:
        print(f"clct: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return EXIT_FAILED


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
