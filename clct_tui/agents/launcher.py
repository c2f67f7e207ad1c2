"""A launcher that ties each Claude Code process to the life of the clct process that started it.

When clct dies without a chance to clean up (SIGKILL, the OOM killer, a lost terminal), its CLI
processes only see their stdin close — and the CLI finishes the turn it is in first: it keeps
streaming, calling tools and editing the worktree, with nobody recording it, and a restarted
clct could resume the same conversation beside it. The SDK spawns the CLI itself and offers no
hook into the spawn, so clct points ``cli_path`` at this small launcher: it asks Linux to send
it SIGTERM when its parent dies (PR_SET_PDEATHSIG survives exec), then execs the real CLI, which
saves its session and exits on that signal.

Linux only; elsewhere (or when the launcher cannot be written) the CLI is run directly, as before.
"""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
from pathlib import Path

import platformdirs

CLI_VARIABLE = "CLCT_CLAUDE_CLI"  # the CLI the launcher execs
PARENT_VARIABLE = "CLCT_PARENT_PID"  # the clct process it must not outlive
# Agents are background work: when they keep every core busy, the person's key presses come first.
# Eight CLIs streaming at full speed on two cores otherwise delayed the app's frames by up to a second.
CLI_NICENESS = 10

# Run by the interpreter clct runs on, with -S: nothing but the standard library is needed.
_SOURCE = f'''
import ctypes, os, signal, sys
cli = os.environ.pop("{CLI_VARIABLE}")
parent = int(os.environ.pop("{PARENT_VARIABLE}", "0"))
try:
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
except Exception:
    pass
if parent and os.getppid() != parent:
    sys.exit("clct stopped before Claude Code started")  # it died before the request took hold
try:
    os.nice({CLI_NICENESS})
except OSError:
    pass
os.execv(cli, [cli] + sys.argv[1:])
'''


def launcher_path() -> Path | None:
    """The launcher, written on first use; None where it cannot work (then the CLI is run directly)."""
    if not sys.platform.startswith("linux"):
        return None
    interpreter = sys.executable
    if not interpreter or " " in interpreter or len(interpreter) > 120:
        return None  # a shebang line cannot hold it
    script = f"#!{interpreter} -S\n{_SOURCE}"
    digest = hashlib.sha1(script.encode()).hexdigest()[:12]
    path = Path(platformdirs.user_cache_dir("clct", appauthor=False)) / f"claude-launcher-{digest}"
    if path.is_file() and os.access(path, os.X_OK):
        return path
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written aside and renamed: two clct processes starting at once never run half a file.
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".launcher-")
        with os.fdopen(fd, "w") as out:
            out.write(script)
        os.chmod(temporary, 0o700)
        os.replace(temporary, path)
    except OSError:
        return None
    return path


def launch_through(cli: str | None, env: dict[str, str]) -> tuple[str | None, dict[str, str]]:
    """The ``cli_path`` and environment to give the SDK so that ``cli`` runs through the launcher."""
    launcher = launcher_path() if cli else None
    if launcher is None:
        return cli, env
    return str(launcher), {**env, CLI_VARIABLE: str(cli), PARENT_VARIABLE: str(os.getpid())}
