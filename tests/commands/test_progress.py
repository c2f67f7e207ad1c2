"""The live task display of `clct parallel`: redrawn in place on a terminal, one line per change elsewhere.

In-process (no subprocess can own a terminal here); test_parallel.py covers the plain mode end to end.
"""

from __future__ import annotations

import io

from clct_tui.commands.progress import TaskProgress
from clct_tui.domain import TaskStatus
from clct_tui.orchestrator import TaskChanged, TaskSpec


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


SPECS = [TaskSpec("schema", "make it"), TaskSpec("api", "build it", dependencies=["schema"])]


def test_on_a_terminal_every_change_redraws_the_block_in_place():
    out = Terminal()
    with TaskProgress(SPECS, out=out) as progress:
        progress.on_event(TaskChanged("s1", "schema", TaskStatus.RUNNING))
        progress.on_event(TaskChanged("s1", "schema", TaskStatus.RUNNING))  # no change, no redraw
        progress.on_event(TaskChanged("s1", "schema", TaskStatus.DONE))
        progress.on_event(TaskChanged("s1", "other", TaskStatus.FAILED))  # not one of ours
    drawings = out.getvalue().split("\x1b[2F")
    assert len(drawings) == 4  # first drawing, two changes, the last at exit
    assert drawings[0] == "\x1b[2K○ schema  pending\n\x1b[2K○ api  pending\n"
    assert drawings[2] == "\x1b[2K✓ schema  done\n\x1b[2K○ api  pending\n"


def test_elsewhere_each_change_is_one_plain_line():
    out = io.StringIO()
    with TaskProgress(SPECS, out=out) as progress:
        progress.on_event(TaskChanged("s1", "schema", TaskStatus.RUNNING))
        progress.on_event(TaskChanged("s1", "schema", TaskStatus.FAILED))
        progress.on_event(TaskChanged("s1", "api", TaskStatus.SKIPPED))
    lines = [line.split("] ", 1)[1] for line in out.getvalue().splitlines()]
    assert lines == ["● schema: running", "✗ schema: failed", "⊘ api: skipped"]
    assert "\x1b" not in out.getvalue()


def test_json_mode_prints_no_progress():
    out = Terminal()
    with TaskProgress(SPECS, enabled=False, out=out) as progress:
        progress.on_event(TaskChanged("s1", "schema", TaskStatus.RUNNING))
    assert out.getvalue() == ""
