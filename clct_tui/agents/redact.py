"""Keep credentials out of transcripts: the CLI's environment holds the API key, and a tool call
(``env``, ``cat ~/.bashrc``…) or the model itself can repeat it. Every event the driver hands on
passes through here, so neither the database nor the screen ever shows the key.

Streaming text arrives in small chunks, and a key split across two chunks would slip past a
per-chunk check; so the tail of a text block that could be the start of a key is held back
until the next chunk shows whether it is one. Joined, the text is unchanged when it holds no key.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from clct_tui.domain import EventKind, TranscriptEvent

# Variables whose values are credentials the CLI may see (from the environment or config.toml).
SECRET_VARIABLES = ("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "CLAUDE_CODE_OAUTH_TOKEN")
MASK = "[redacted]"
# Shorter values are not credentials (and masking them would garble ordinary text).
MIN_SECRET_LENGTH = 8
_STREAMED = (EventKind.TEXT, EventKind.THINKING)


def secrets_in(*environments: Mapping[str, str]) -> list[str]:
    """The credential values set in any of these environments."""
    found = {env.get(name) or "" for env in environments for name in SECRET_VARIABLES}
    return sorted((s for s in found if len(s) >= MIN_SECRET_LENGTH), key=len, reverse=True)


class Redactor:
    """Masks known secrets in text, nested event data, and streamed text blocks (one run at a time)."""

    def __init__(self, secrets: Iterable[str]) -> None:
        self.secrets = sorted({s for s in secrets if len(s) >= MIN_SECRET_LENGTH}, key=len, reverse=True)
        self._held: TranscriptEvent | None = None  # the held-back tail of a streamed block

    def text(self, value: str) -> str:
        for secret in self.secrets:
            if secret in value:
                value = value.replace(secret, MASK)
        return value

    def value(self, value: Any) -> Any:
        """Strings anywhere in dicts, lists and tuples masked; other values as they are."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {self.value(k): self.value(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return type(value)(self.value(v) for v in value)
        return value

    def events(self, event: TranscriptEvent) -> list[TranscriptEvent]:
        """What may be passed on now in place of ``event`` (none, itself masked, or a held tail first)."""
        if not self.secrets:
            return [event]
        streamed = event.kind in _STREAMED and event.block is not None
        out: list[TranscriptEvent] = []
        held = self._held
        if held is not None and not (streamed and held.kind is event.kind and held.block == event.block):
            out.extend(self.release())
            held = None
        if not streamed:
            out.append(TranscriptEvent(event.kind, self.text(event.text), self.value(event.data), event.ts))
            return out
        joined = self.text((held.text if held is not None else "") + event.text)
        keep = self._unsafe_tail(joined)
        ready, tail = joined[: len(joined) - keep], joined[len(joined) - keep:]
        self._held = TranscriptEvent(event.kind, tail, dict(event.data), event.ts) if tail else None
        if ready:
            out.append(TranscriptEvent(event.kind, ready, dict(event.data), held.ts if held else event.ts))
        return out

    def release(self) -> list[TranscriptEvent]:
        """The held tail, now that its block has ended (it is not a key)."""
        held, self._held = self._held, None
        return [held] if held is not None else []

    def _unsafe_tail(self, text: str) -> int:
        """Length of the longest end of ``text`` that is the start of a secret."""
        longest = 0
        for secret in self.secrets:
            start = max(0, len(text) - len(secret) + 1)
            while (at := text.find(secret[0], start)) != -1:
                if secret.startswith(text[at:]):
                    longest = max(longest, len(text) - at)
                    break
                start = at + 1
        return longest
