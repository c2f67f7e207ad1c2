"""The `clct` command: `clct [PATH]` opens the app; `clct COMMAND …` runs headless."""

from __future__ import annotations

import sys

from clct_tui.commands import COMMANDS, run

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
    return run(argv, app_path=path)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
