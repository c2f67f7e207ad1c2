"""What every benchmark stands on: a sandbox, the scripted API in a child process, CPU and memory meters.

Nothing here is faked: the agents are the real Claude Code CLI bundled with claude-agent-sdk,
the repositories real git, the history a real SQLite file. Only the model is scripted, and it
runs in its own process so that its work is not billed to clct.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import psutil

from clct_tui.config import Config
from clct_tui.testing.home import isolate

ROOT = Path(__file__).resolve().parent.parent


# -- statistics ---------------------------------------------------------------------------


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile (0-100), nearest rank: with few samples p99 is the largest."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(p / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load {one:.2f}/{five:.2f}"


# -- the sandbox --------------------------------------------------------------------------


def git(path: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=path, check=True, capture_output=True, text=True).stdout


def make_repo(path: Path, files: int = 1) -> Path:
    """A repository with one commit on main holding ``files`` small files (README.md first)."""
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q", "-b", "main")
    git(path, "config", "user.name", "Bench Person")
    git(path, "config", "user.email", "bench@example.com")
    (path / "README.md").write_text("# a project\n")
    for i in range(files - 1):
        folder = path / "src" / f"pkg{i // 500:03d}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"module_{i:05d}.py").write_text(f'"""Module {i}."""\n\nVALUE = {i}\n\n\ndef f():\n    return VALUE\n')
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "first commit")
    return path


@dataclass
class Sandbox:
    """A throw-away HOME, repository, worktree folder and database: nothing of the user's is read or written."""

    root: Path
    repo: Path
    config: Config


@contextlib.contextmanager
def sandbox(files: int = 1, **config: object) -> Iterator[Sandbox]:
    saved = dict(os.environ)
    with tempfile.TemporaryDirectory(prefix="clct-bench-") as tmp:
        root = Path(tmp)
        isolate(root / "home")
        settings = dict(worktree_base_path=root / "worktrees", database_url=f"sqlite:///{root / 'history.db'}",
                        instance_timeout=300, retry_base_delay=0.1, max_concurrent_instances=8)
        try:
            yield Sandbox(root, make_repo(root / "repo", files), Config(**{**settings, **config}))
        finally:
            os.environ.clear()
            os.environ.update(saved)


# -- the scripted model, in its own process -------------------------------------------------


class ApiProcess:
    """benchmarks.api_server as a child process; its variables are set in this process's environment."""

    def __init__(self, chars: int, chunk: int, delay: float = 0.0) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.api_server", str(chars), str(chunk), str(delay)], cwd=ROOT,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1,
            # It stands in for a model on another machine: it must not take the CPU from clct here.
            preexec_fn=lambda: os.nice(10))
        assert self.proc.stdout is not None
        self.url = self.proc.stdout.readline().strip()
        if not self.url.startswith("http"):
            raise RuntimeError("the scripted API did not start")
        self.pid = self.proc.pid
        env = {
            "ANTHROPIC_BASE_URL": self.url,
            "ANTHROPIC_API_KEY": "sk-bench-scripted",
            "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
            "DISABLE_AUTOUPDATER": "1",
            "DISABLE_TELEMETRY": "1",
            "DISABLE_ERROR_REPORTING": "1",
        }
        os.environ.update(env)

    def stats(self) -> dict:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write("stats\n")
        self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())

    def close(self) -> None:
        if self.proc.poll() is None:
            assert self.proc.stdin is not None
            self.proc.stdin.close()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def __enter__(self) -> ApiProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# -- CPU and memory --------------------------------------------------------------------------


def _cpu(proc: psutil.Process) -> float:
    try:
        t = proc.cpu_times()
        return t.user + t.system
    except (psutil.NoSuchProcess, psutil.ZombieProcess, psutil.AccessDenied):
        return 0.0


class CpuMeter:
    """CPU seconds of this process (every thread, no child) and of its CLI children, over a window.

    Children are sampled by pid at the start and end; a CLI that started or ended inside the
    window counts only what was seen of it. The scripted API's process is left out: it is not clct.
    """

    def __init__(self, exclude: set[int] = frozenset()) -> None:
        self.me = psutil.Process()
        self.exclude = set(exclude)

    def _children(self) -> dict[int, float]:
        found = {}
        for child in self.me.children(recursive=True):
            if child.pid not in self.exclude:
                found[child.pid] = _cpu(child)
        return found

    def start(self) -> None:
        self.t0 = time.monotonic()
        self.own0 = _cpu(self.me)
        self.kids0 = self._children()

    def stop(self) -> CpuSample:
        wall = time.monotonic() - self.t0
        own = _cpu(self.me) - self.own0
        kids1 = self._children()
        kids = sum(max(0.0, v - self.kids0.get(pid, 0.0)) for pid, v in kids1.items())
        return CpuSample(wall, own, kids, len(kids1))


@dataclass
class CpuSample:
    wall: float
    own: float  # CPU seconds of clct's process
    children: float  # CPU seconds of the CLI processes
    n_children: int

    @property
    def own_share(self) -> float:
        """clct's CPU as a fraction of one core."""
        return self.own / self.wall

    @property
    def children_share(self) -> float:
        return self.children / self.wall


def rss_mb() -> float:
    return psutil.Process().memory_info().rss / 2**20


# -- waiting ----------------------------------------------------------------------------------


async def until(condition: Callable[[], object], timeout: float, what: str, step: float = 0.02) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:g} s waiting for {what}")
        await asyncio.sleep(step)
