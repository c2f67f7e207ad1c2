"""The `clct` command: `clct [PATH]` opens the app; `clct COMMAND …` runs headless."""

from __future__ import annotations

import sys
from pathlib import Path

from clct_tui.commands import COMMANDS, EXIT_USAGE, run

_OPTIONS_WITH_VALUE = {"-r", "--repo", "-c", "--config"}


def split_app_path(argv: list[str]) -> tuple[list[str], str | None]:
    """Take out `PATH` from `clct [options] PATH`, which argparse cannot tell from a command."""
    skip = False
    for i, token in enumerate(argv):
        if skip:
            skip = False
            continue
        if token in _OPTIONS_WITH_VALUE:
            skip = True
            continue
        if token.startswith("-"):
            continue
        if token in COMMANDS:
            return argv, None
        return argv[:i] + argv[i + 1:], token
    return argv, None


def main(argv: list[str] | None = None) -> int:
    argv, path = split_app_path(list(sys.argv[1:] if argv is None else argv))
    if path is not None and not Path(path).expanduser().is_dir():
        # `clct lsit` is a typo far more often than a folder that does not exist.
        print(f"clct: {path!r} is neither a command nor a folder; commands: {', '.join(sorted(COMMANDS))} "
              "(`clct --help` says more)", file=sys.stderr)
        return EXIT_USAGE
    return run(argv, app_path=path)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
