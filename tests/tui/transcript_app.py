"""A tiny app holding only a TranscriptView, fed a fixed list of events (for tests and snapshots)."""

from __future__ import annotations

from collections.abc import Iterable

from textual.app import App, ComposeResult

from clct_tui.domain import EventKind, TranscriptEvent
from clct_tui.tui.widgets.transcript import TranscriptView


def ev(kind: EventKind, text: str = "", **data) -> TranscriptEvent:
    # A fixed timestamp: nothing on screen may depend on the clock.
    return TranscriptEvent(kind, text, data, ts=0.0)


def text_chunks(block: str, text: str, size: int = 7) -> list[TranscriptEvent]:
    """`text` as streamed TEXT chunks of `size` characters, the way tokens arrive."""
    return [ev(EventKind.TEXT, text[i:i + size], block=block) for i in range(0, len(text), size)]


ANSWER = """I added a greeting module and a test for it.

- `hello.txt` holds the greeting
- `greet.py` prints it

```python
def greet(name: str) -> str:
    return f"Hello, {name}!"
```

Run the tests with **pytest**."""

WRITE_INPUT = {"file_path": "hello.txt", "content": "Hello\nfrom\nclct\n"}
EDIT_INPUT = {"file_path": "src/greet.py", "old_string": "pass\n", "new_string": "def greet(name):\n    return name\n"}


def finished_conversation() -> list[TranscriptEvent]:
    return [
        ev(EventKind.PROMPT, "Add a greeting module with a test"),
        *text_chunks("m1:0", "I'll create the files."),
        ev(EventKind.TOOL_USE, id="t1", name="Write", input=WRITE_INPUT),
        ev(EventKind.TOOL_RESULT, "File created successfully at: hello.txt", tool_use_id="t1", is_error=False),
        ev(EventKind.TOOL_USE, id="t2", name="Edit", input=EDIT_INPUT),
        ev(EventKind.TOOL_RESULT, "The file src/greet.py has been updated.", tool_use_id="t2", is_error=False),
        ev(EventKind.TOOL_USE, id="t3", name="Bash", input={"command": "pytest -q", "description": "run tests"}),
        ev(EventKind.TOOL_RESULT, "1 failed\nE   AssertionError", tool_use_id="t3", is_error=True),
        *text_chunks("m2:0", ANSWER),
        ev(EventKind.RESULT, success=True, output="", error=None, session_id="s", cost_usd=0.0123,
           duration_ms=4200, num_turns=3),
    ]


def approval_waiting() -> list[TranscriptEvent]:
    return [
        ev(EventKind.PROMPT, "Run the test suite"),
        ev(EventKind.TEXT, "I'll run the tests.", block="m1:0"),
        ev(EventKind.TOOL_USE, id="t1", name="Bash", input={"command": "npm test"}),
        ev(EventKind.APPROVAL_ASKED, request_id="r1", tool="Bash", input={"command": "npm test"}),
    ]


def failed_run() -> list[TranscriptEvent]:
    return [
        ev(EventKind.PROMPT, "Deploy to production"),
        ev(EventKind.SYSTEM, "API overloaded; retrying in 2 s (attempt 1 of 3)"),
        ev(EventKind.ERROR, "API status 529: overloaded after 3 attempts"),
        ev(EventKind.RESULT, success=False, error="API status 529", cost_usd=0.0, duration_ms=1500, num_turns=1),
    ]


SCENARIOS = {"finished": finished_conversation, "approval": approval_waiting, "failed": failed_run}


class TranscriptApp(App[None]):
    """Composes one TranscriptView and feeds it `events` at mount."""

    def __init__(self, events: Iterable[TranscriptEvent] = (), *, read_only: bool = False) -> None:
        super().__init__()
        self.animation_level = "none"  # snapshots must not catch a scroll half-way
        self._events = list(events)
        self._read_only = read_only

    def compose(self) -> ComposeResult:
        view = TranscriptView(id="transcript")
        view.read_only = self._read_only
        yield view

    def on_mount(self) -> None:
        view = self.query_one(TranscriptView)
        view.extend(self._events)
        view.focus()


app = TranscriptApp(finished_conversation())

if __name__ == "__main__":
    app.run()
