"""Processes, read from /proc (Linux): which Claude Code CLIs a clct process runs, and where.

psutil is only a benchmark extra, so the few facts these tests need are parsed here.
"""

from __future__ import annotations

import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Proc:
    pid: int
    parent: int
    state: str  # R, S, Z (zombie)…
    argv: tuple[str, ...]
    cwd: Path | None

    @property
    def is_claude(self) -> bool:
        """The Claude Code CLI: the bundled binary (or a node script) named ``claude``."""
        return any(Path(arg).name == "claude" or arg.endswith("/claude") for arg in self.argv[:2])


def read(pid: int) -> Proc | None:
    """The process, or None when it is gone (or a zombie nobody reaps counts as gone too, see alive())."""
    base = Path(f"/proc/{pid}")
    try:
        fields = (base / "stat").read_text().rsplit(")", 1)[1].split()
        argv = tuple(a.decode(errors="replace") for a in (base / "cmdline").read_bytes().split(b"\0") if a)
    except OSError:
        return None
    try:
        cwd: Path | None = Path(os.readlink(base / "cwd"))
    except OSError:
        cwd = None
    return Proc(pid, int(fields[1]), fields[0], argv, cwd)


def processes() -> list[Proc]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (proc := read(int(entry.name))) is not None:
            found.append(proc)
    return found


def descendants(root: int) -> list[Proc]:
    """Every live process below ``root``: children, their children…"""
    everything = processes()
    below: list[Proc] = []
    frontier = [root]
    while frontier:
        parent = frontier.pop()
        kids = [p for p in everything if p.parent == parent and p.state != "Z"]
        below.extend(kids)
        frontier.extend(p.pid for p in kids)
    return below


def claude_processes(root: int) -> list[Proc]:
    """The Claude Code CLIs running under ``root`` (one per connected agent)."""
    return [p for p in descendants(root) if p.is_claude]


def alive(pid: int) -> bool:
    proc = read(pid)
    return proc is not None and proc.state != "Z"


def wait_until_gone(pids: list[int], timeout: float) -> list[int]:
    """Wait for the processes to end; the ones still alive after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while (left := [pid for pid in pids if alive(pid)]) and time.monotonic() < deadline:
        time.sleep(0.05)
    return left


def kill_all(pids: list[int]) -> None:
    """Test clean-up: stop processes a test left behind (by pid, never by name)."""
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
