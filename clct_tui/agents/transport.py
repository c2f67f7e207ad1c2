"""The CLI's stdout, read every 1/20 s with each block's token deltas joined, before the SDK parses it.

Claude Code writes one JSON line per token delta: thousands a second per agent at full speed. The SDK
turns every line into a message and hands it through two queues and several tasks, which cost clct
more than everything else it does with a delta. Read at most every READ_EVERY, the lines of one read that
continue the same text (or thinking) block are joined here into one line, so the SDK parses and
hands on one message per block per read. The text is unchanged and every other line is passed on
as the CLI wrote it, in order.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import anyio
from claude_agent_sdk import ClaudeAgentOptions
from claude_agent_sdk._internal.transport.subprocess_cli import SubprocessCLITransport

# Seconds between reads of the CLI's stdout while it writes: two reads to each redraw of a streaming answer
# (0.1 s). At full speed a CLI writes ~30 KB in that time, half of what a pipe holds, so it never waits.
READ_EVERY = 1 / 20
# Characters: a read this long was most likely cut by the reader (anyio reads at most 65,536 bytes), so
# more is waiting and the next read need not wait. Set below what a full read of text decodes to.
BIG_READ = 60_000

# A text (or thinking) delta line as the CLI writes it: the line up to its text, the text as JSON
# escapes it (a JSON string's escapes never span two strings, so escaped texts join as they are), the
# rest up to the uuid, the uuid, and the rest of the line. Lines of another shape are passed on
# unjoined: correct, only not cheaper.
_HEAD = (r'\{"type":"stream_event","event":\{"type":"content_block_delta","index":\d+,'
         r'"delta":\{"type":"(?:text_delta","text|thinking_delta","thinking)":"')
_TEXT = r'[^"\\\n]*(?:\\.[^"\\\n]*)*'
# A run of consecutive delta lines of one block, matched by the regex engine in one pass: every line
# after the first repeats the first one's head and everything but its text and uuid (block index,
# kind, session, parent), which the back-references ask for. A line starts at the start of the
# chunk or after a newline and ends at its end or before a newline (the lookarounds).
_RUN = re.compile(
    rf'(?<![^\n])(?P<head>{_HEAD}){_TEXT}(?P<pre>"\}}\}},[^\n]*?"uuid":")(?P<uuid>[^"\n]*)(?P<post>"[^\n]*)(?![^\n])'
    rf'(?:\n(?P=head){_TEXT}(?P=pre)[^"\n]*(?P=post)(?![^\n]))*')
# The escaped text of each line of a run: the first string that closes its delta object.
_LINE_TEXT = re.compile(rf'"delta":\{{"type":"(?:text_delta","text|thinking_delta","thinking)":"({_TEXT})"\}}\}},')
_scan_string = json.decoder.scanstring  # the C decoder of one JSON string, from after its opening quote


class DeltaJoiner:
    """Joins consecutive text (or thinking) delta lines of one block within each chunk pushed."""

    def __init__(self) -> None:
        self.deltas = 0  # delta lines read from the CLI (before joining)
        self.chars = 0  # their text's characters
        self._partial: list[str] = []  # a line begun in an earlier chunk

    def push(self, chunk: str) -> str:
        """Take a chunk of stdout; return the complete lines it ended, deltas joined.

        A block is not held past the read it came in: the CLI may pause for a long time after it.
        """
        self._partial.append(chunk)
        if "\n" not in chunk:
            return ""
        text = "".join(self._partial)
        cut = text.rindex("\n")
        self._partial = [text[cut + 1:]] if cut + 1 < len(text) else []
        body = text[:cut]
        out: list[str] = []
        done = 0
        for run in _RUN.finditer(body):
            texts = _LINE_TEXT.findall(body, run.start(), run.end())
            if len(texts) != body.count("\n", run.start(), run.end()) + 1:
                continue  # a line holds another delta-like string after its text: passed on unjoined
            joined = texts[0] if len(texts) == 1 else "".join(texts)
            self.deltas += len(texts)
            self.chars += len(_scan_string(joined + '"', 0)[0])
            out += body[done:run.start()], run["head"], joined, run["pre"], run["uuid"], run["post"]
            done = run.end()
        out += body[done:], "\n"
        return "".join(out)

    def rest(self) -> str:
        """What is left at the end of the stream: an unfinished last line, passed on as it came."""
        rest, self._partial = "".join(self._partial), []
        return rest


class JoinedStdout:
    """The CLI's stdout stream, read at most every READ_EVERY seconds, with deltas joined."""

    def __init__(self, stream: Any, joiner: DeltaJoiner, every: float = READ_EVERY) -> None:
        self._stream = stream
        self._pipe = _pipe_of(stream)
        self._joiner = joiner
        self._every = every
        self._next_read = 0.0
        self._ended = False

    def __aiter__(self) -> AsyncIterator[str]:
        return self

    async def __anext__(self) -> str:
        if self._ended:
            raise StopAsyncIteration
        wait = self._next_read - time.monotonic()
        if wait > 0:
            await self._wait(wait)
        try:
            chunk = await self._stream.receive()
        except anyio.EndOfStream:
            self._ended = True
            return self._joiner.rest()
        self._next_read = 0.0 if len(chunk) >= BIG_READ else time.monotonic() + self._every
        return self._joiner.push(chunk)

    async def _wait(self, seconds: float) -> None:
        """Let the CLI's output gather in the pipe: the event loop does not even read it meanwhile.

        Otherwise asyncio reads the pipe as each line lands, one wake-up per delta. A pipe already
        paused by asyncio's own flow control (its buffer is full) is left to it.
        """
        pipe = self._pipe
        pause = pipe is not None and pipe.is_reading()
        if pause:
            pipe.pause_reading()
        try:
            await anyio.sleep(seconds)
        finally:
            if pause:
                pipe.resume_reading()


def _pipe_of(stream: Any) -> Any:
    """The asyncio read transport under anyio's text stream of a process's stdout, if it is one."""
    try:
        pipe = stream.transport_stream._stream._transport
    except AttributeError:
        return None
    return pipe if hasattr(pipe, "pause_reading") else None


class JoiningTransport(SubprocessCLITransport):
    """The SDK's own subprocess transport, with its stdout read through JoinedStdout."""

    def __init__(self, options: ClaudeAgentOptions) -> None:
        # ClaudeSDKClient routes permission prompts over stdio when it builds its transport; one given to
        # it is built here, so the same is asked for here.
        if options.can_use_tool is not None:
            options = replace(options, permission_prompt_tool_name="stdio")
        super().__init__(prompt=_no_prompt(), options=options)
        self.joiner = DeltaJoiner()

    async def connect(self) -> None:
        await super().connect()
        stream = getattr(self, "_stdout_stream", None)
        if stream is not None:  # an SDK that reads its stdout otherwise is left to read it its way
            self._stdout_stream = JoinedStdout(stream, self.joiner)


async def _no_prompt() -> AsyncIterator[dict[str, Any]]:
    """Prompts are written by the client as it goes: the transport streams input from the start."""
    return
    yield {}  # an async generator that yields nothing
