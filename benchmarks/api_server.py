"""The scripted Messages API in its own process, so its CPU is not counted as clct's.

Started by the harness: ``python -m benchmarks.api_server CHARS CHUNK [DELAY]``. Every conversation
is answered with a CHARS-character text (paragraphs of ~500 characters) streamed in CHUNK-character deltas, DELAY seconds apart
(default 0: full speed). It prints its URL on the first line; then each line read on standard input
("stats") is answered with a JSON line of what it has sent so far.
"""

from __future__ import annotations

import json
import sys

from clct_tui.testing.scripted_api import ScriptedAPI, text

WORDS = ("streaming at full speed, every token a delta; the transcript tails it while the database keeps it. ")
# Prose as a model writes it: paragraphs of about 500 characters.
PARAGRAPH = (WORDS * 5).rstrip() + "\n\n"


def answer(chars: int) -> str:
    return (PARAGRAPH * (chars // len(PARAGRAPH) + 1))[:chars]


def main() -> None:
    chars, chunk = int(sys.argv[1]), int(sys.argv[2])
    delay = float(sys.argv[3]) if len(sys.argv) > 3 else 0.0
    reply = answer(chars)
    api = ScriptedAPI(default=lambda prompt: text(reply, chunk_size=chunk, delay=delay))
    api.keep_requests = False  # memory of a long benchmark; nothing reads them
    api.start()
    print(api.url, flush=True)
    for line in sys.stdin:
        if line.strip() == "stats":
            with api._lock:
                sent = dict(api.sent_text)
            # Each answer is one text block cut in CHUNK-character deltas.
            print(json.dumps({"chars": sum(len(t) for t in sent.values()), "conversations": len(sent),
                              "deltas": sum(-(-len(t) // chunk) for t in sent.values())}), flush=True)
    api.stop()


if __name__ == "__main__":
    main()
