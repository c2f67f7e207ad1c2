"""A scripted Anthropic Messages API on 127.0.0.1, for driving the real Claude Code CLI offline.

Tests, benchmarks and the screenshot script start one, point the CLI at it with
``ANTHROPIC_BASE_URL`` and script the model's replies::

    with ScriptedAPI() as api:
        api.script("write hello", [tool_use("Write", {"file_path": "hello.txt", "content": "hi"}), text("done")])
        ... run an agent whose prompt contains "write hello" ...
        api.requests  # every /v1/messages body the CLI sent

A conversation is keyed by its first user prompt; the reply is chosen by how
many assistant turns the request already carries, so a tool_use reply is
followed by the next scripted reply once the CLI sends the tool result.

Faults — ``status()``, ``cut_stream()``, ``garbage()`` — are served their ``times``
first and take no turn, so the CLI's own retry of the same turn gets the next reply
(the API "recovers"). The CLI falls back to a non-streaming request (``"stream": false``)
after a broken stream; those are answered with one JSON message, as the real API does.
"""

from __future__ import annotations

import json
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

# -- replies -------------------------------------------------------------------------------


@dataclass
class Reply:
    """One scripted answer: a streamed message, or a fault."""

    kind: str  # "text" | "tool_use" | "status" | "hang" | "cut" | "garbage"
    text: str = ""
    tool: str = ""
    input: dict[str, Any] = field(default_factory=dict)
    code: int = 200
    times: int = 1
    chunk_size: int = 8
    delay: float = 0.0  # seconds between chunks
    output_tokens: int = 0


def text(answer: str, chunk_size: int = 8, delay: float = 0.0) -> Reply:
    """A text answer that ends the turn, streamed in ``chunk_size``-character deltas."""
    return Reply("text", text=answer, chunk_size=max(1, chunk_size), delay=delay)


def tool_use(name: str, tool_input: dict[str, Any], say: str = "", delay: float = 0.0) -> Reply:
    """A tool call, after the words in ``say`` if any; the CLI runs it (or asks first) and sends the result back."""
    return Reply("tool_use", text=say, tool=name, input=tool_input, delay=delay)


def status(code: int, times: int = 1) -> Reply:
    """Answer ``times`` requests with this HTTP error (529 overloaded, 429, 500…), then go on."""
    return Reply("status", code=code, times=times)


def hang() -> Reply:
    """Start the stream and never finish it (until the server stops)."""
    return Reply("hang")


def cut_stream(answer: str = "this answer is cut off half-way", times: int = 1) -> Reply:
    """Answer ``times`` requests with half of a text answer, then drop the connection; then go on."""
    return Reply("cut", text=answer, times=times)


def garbage(times: int = 1) -> Reply:
    """Answer ``times`` requests with a 200 whose body is neither Server-Sent Events nor JSON; then go on."""
    return Reply("garbage", times=times)


_FAULTS = ("status", "cut", "garbage")  # served ``times`` times without taking a turn


@dataclass
class _Script:
    match: str
    replies: list[Reply]
    served_faults: dict[int, int] = field(default_factory=dict)


# -- the server ----------------------------------------------------------------------------


def user_texts(message: dict[str, Any]) -> list[str]:
    """The person's words in a message: text blocks that are not CLI reminders."""
    content = message.get("content")
    if isinstance(content, str):
        return [content]
    return [
        b.get("text", "")
        for b in content or []
        if isinstance(b, dict) and b.get("type") == "text" and not b.get("text", "").startswith("<system-reminder>")
    ]


class ScriptedAPI:
    """The server. Thread-safe; start() / stop() or use as a context manager."""

    def __init__(self, default: Callable[[str], Reply | list[Reply]] | None = None) -> None:
        self._scripts: list[_Script] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self.requests: list[dict[str, Any]] = []
        # Each request carries the whole conversation: a soak turns this off so memory measures clct alone.
        self.keep_requests = True
        self.side_requests: list[dict[str, Any]] = []
        self.sent_text: dict[str, str] = {}  # conversation key -> every text delta sent, in order
        self.default = default or (lambda prompt: text("ok"))
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.in_flight = 0
        self.peak_in_flight = 0

    # -- scripting -----------------------------------------------------------------

    def script(self, prompt_contains: str, replies: list[Reply]) -> None:
        """Conversations whose first prompt contains this text get these replies, in order."""
        with self._lock:
            self._scripts.append(_Script(prompt_contains, list(replies)))

    @property
    def url(self) -> str:
        assert self._server is not None, "start() first"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def env(self) -> dict[str, str]:
        """What the CLI needs to talk to this server and nothing else."""
        return {
            "ANTHROPIC_BASE_URL": self.url,
            "ANTHROPIC_API_KEY": "sk-test-scripted",
            "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
            "DISABLE_AUTOUPDATER": "1",
            "DISABLE_TELEMETRY": "1",
            "DISABLE_ERROR_REPORTING": "1",
            "CLAUDE_CODE_MAX_RETRIES": "6",
        }

    # -- lifecycle -------------------------------------------------------------------

    def start(self) -> ScriptedAPI:
        handler = type("Handler", (_Handler,), {"api": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="scripted-api", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def __enter__(self) -> ScriptedAPI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- choosing a reply ------------------------------------------------------------------

    def _choose(self, body: dict[str, Any]) -> tuple[str, Reply]:
        """Match the newest words first (a follow-up, a resumed conversation), then the first prompt.

        The CLI merges consecutive user messages, so the newest words are the last
        text block of the last user message that has any.
        """
        messages = body.get("messages") or []
        with_text = [i for i, m in enumerate(messages) if m.get("role") == "user" and user_texts(m)]
        if not with_text:
            return "", self.default("")
        latest_index = with_text[-1]
        candidates = [
            (user_texts(messages[latest_index])[-1], latest_index),
            ("\n".join(user_texts(messages[with_text[0]])), with_text[0]),
        ]
        with self._lock:
            for words, start in candidates:
                for script in self._scripts:
                    if script.match and script.match in words:
                        turn = sum(1 for m in messages[start:] if m.get("role") == "assistant")
                        return script.match, self._reply_at(script, turn)
            words, start = candidates[0]
            fallback = self.default(words)
            if isinstance(fallback, Reply):
                return words[:40], fallback
            # A list is a script made for these words: kept, so the tool results that follow continue it.
            script = _Script(words, list(fallback))
            self._scripts.append(script)
            turn = sum(1 for m in messages[start:] if m.get("role") == "assistant")
            return words, self._reply_at(script, turn)

    def _reply_at(self, script: _Script, turn: int) -> Reply:
        """The reply for the ``turn``-th assistant turn; faults are served first, without taking a turn."""
        remaining = turn
        for i, reply in enumerate(script.replies):
            if reply.kind in _FAULTS:
                served = script.served_faults.get(i, 0)
                if served < reply.times:
                    script.served_faults[i] = served + 1
                    return reply
            elif remaining == 0:
                return reply
            else:
                remaining -= 1
        return text("(script finished)")

    def is_side_request(self, body: dict[str, Any]) -> bool:
        """The CLI's own small calls (titles, summaries): no tools and not streaming a conversation."""
        return not body.get("tools")


def _sse(event: str, data: dict[str, Any]) -> bytes:
    return f"event: {event}\ndata: {json.dumps(data)}\n\n".encode()


class _Handler(BaseHTTPRequestHandler):
    api: ScriptedAPI
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:  # keep test output clean
        pass

    def do_POST(self) -> None:
        path = self.path.split("?", 1)[0]
        length = int(self.headers.get("content-length") or 0)
        try:
            body = json.loads(self.rfile.read(length) or b"{}")
        except json.JSONDecodeError:
            body = {}
        if path == "/v1/messages/count_tokens":
            self._json(200, {"input_tokens": 100})
            return
        if path != "/v1/messages":
            self._json(404, {"type": "error", "error": {"type": "not_found_error", "message": path}})
            return
        api = self.api
        if api.is_side_request(body):
            with api._lock:
                api.side_requests.append(body)
            self._stream_message("side", text("Scripted title"), body)
            return
        with api._lock:
            if api.keep_requests:
                api.requests.append(body)
            api.in_flight += 1
            api.peak_in_flight = max(api.peak_in_flight, api.in_flight)
        try:
            key, reply = api._choose(body)
            self._answer(key, reply, body)
        finally:
            with api._lock:
                api.in_flight -= 1

    def do_GET(self) -> None:
        self._json(404, {"type": "error", "error": {"type": "not_found_error", "message": self.path}})

    def do_HEAD(self) -> None:
        self._json(200, {})

    # -- answers ---------------------------------------------------------------------

    def _json(self, code: int, payload: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload).encode()
        self.send_response(code)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def _answer(self, key: str, reply: Reply, body: dict[str, Any]) -> None:
        if reply.kind == "status":
            kinds = {529: "overloaded_error", 429: "rate_limit_error", 500: "api_error", 400: "invalid_request_error"}
            self._json(
                reply.code,
                {"type": "error", "error": {"type": kinds.get(reply.code, "api_error"), "message": f"scripted {reply.code}"}},
                {"retry-after": "0", "x-should-retry": "true" if reply.code != 400 else "false"},
            )
            return
        if reply.kind == "garbage":
            data = b"this is not an event stream\n"
            self.send_response(200)
            self.send_header("content-type", "text/event-stream" if body.get("stream") else "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return
        self._stream_message(key, reply, body)

    def _stream_text(self, key: str, reply: Reply, answer: str, index: int) -> None:
        """A text block's start and deltas (half of them for a cut stream); the caller ends the block."""
        api, out = self.api, self.wfile
        out.write(_sse("content_block_start", {"type": "content_block_start", "index": index,
                                               "content_block": {"type": "text", "text": ""}}))
        chunks = [answer[i:i + reply.chunk_size] for i in range(0, len(answer), reply.chunk_size)]
        if reply.kind == "cut":
            chunks = chunks[: max(1, len(chunks) // 2)]
        for chunk in chunks:
            out.write(_sse("content_block_delta", {"type": "content_block_delta", "index": index,
                                                   "delta": {"type": "text_delta", "text": chunk}}))
            with api._lock:
                api.sent_text[key] = api.sent_text.get(key, "") + chunk
            if reply.delay:
                out.flush()
                time.sleep(reply.delay)

    def _whole_message(self, key: str, reply: Reply, body: dict[str, Any]) -> None:
        """The answer to a non-streaming request: one JSON message (cut: half of its body, then the connection drops)."""
        api = self.api
        if reply.kind == "hang":
            while not api._stopping.wait(0.2):
                pass
            return
        content: list[dict[str, Any]] = []
        if reply.text:
            content.append({"type": "text", "text": reply.text})
            if reply.kind != "cut":  # half a JSON body carries no readable text
                with api._lock:
                    api.sent_text[key] = api.sent_text.get(key, "") + reply.text
        if reply.kind == "tool_use":
            content.append({"type": "tool_use", "id": f"toolu_{uuid.uuid4().hex[:20]}", "name": reply.tool,
                            "input": reply.input})
        data = json.dumps({
            "id": f"msg_{uuid.uuid4().hex[:20]}", "type": "message", "role": "assistant",
            "model": body.get("model") or "claude-scripted", "content": content,
            "stop_reason": "tool_use" if reply.kind == "tool_use" else "end_turn", "stop_sequence": None,
            "usage": {"input_tokens": 100, "output_tokens": max(1, len(json.dumps(content)) // 4),
                      "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0}}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.send_header("connection", "close")
        self.end_headers()
        self.close_connection = True
        try:
            if reply.kind == "cut":
                self.wfile.write(data[: len(data) // 2])
                self.wfile.flush()
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            self.wfile.write(data)
        except OSError:
            pass  # the CLI went away

    def _stream_message(self, key: str, reply: Reply, body: dict[str, Any]) -> None:
        api = self.api
        if body.get("stream") is False:
            self._whole_message(key, reply, body)
            return
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("cache-control", "no-cache")
        self.send_header("connection", "close")
        self.end_headers()
        self.close_connection = True
        usage = {"input_tokens": 100, "output_tokens": 1, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0}
        msg_id = f"msg_{uuid.uuid4().hex[:20]}"
        model = body.get("model") or "claude-scripted"
        out = self.wfile
        try:
            out.write(_sse("message_start", {"type": "message_start", "message": {
                "id": msg_id, "type": "message", "role": "assistant", "model": model, "content": [],
                "stop_reason": None, "stop_sequence": None, "usage": usage}}))
            if reply.kind == "hang":
                out.write(_sse("ping", {"type": "ping"}))
                out.flush()
                while not api._stopping.wait(0.2):
                    pass
                return
            if reply.kind == "tool_use":
                index = 0
                if reply.text:
                    self._stream_text(key, reply, reply.text, index)
                    out.write(_sse("content_block_stop", {"type": "content_block_stop", "index": index}))
                    index += 1
                tool_id = f"toolu_{uuid.uuid4().hex[:20]}"
                out.write(_sse("content_block_start", {"type": "content_block_start", "index": index, "content_block": {
                    "type": "tool_use", "id": tool_id, "name": reply.tool, "input": {}}}))
                raw = json.dumps(reply.input)
                for i in range(0, len(raw), 64):
                    out.write(_sse("content_block_delta", {"type": "content_block_delta", "index": index, "delta": {
                        "type": "input_json_delta", "partial_json": raw[i:i + 64]}}))
                out.write(_sse("content_block_stop", {"type": "content_block_stop", "index": index}))
                stop_reason = "tool_use"
                tokens = max(1, len(raw) // 4)
            else:
                answer = reply.text
                self._stream_text(key, reply, answer, 0)
                if reply.kind == "cut":
                    out.flush()
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                out.write(_sse("content_block_stop", {"type": "content_block_stop", "index": 0}))
                stop_reason = "end_turn"
                tokens = max(1, len(answer) // 4)
            out.write(_sse("message_delta", {"type": "message_delta", "delta": {
                "stop_reason": stop_reason, "stop_sequence": None}, "usage": {"output_tokens": tokens}}))
            out.write(_sse("message_stop", {"type": "message_stop"}))
            out.flush()
        except (BrokenPipeError, ConnectionResetError, OSError):
            pass  # the CLI went away (interrupt, kill): nothing more to send
