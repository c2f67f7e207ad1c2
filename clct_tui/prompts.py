"""What a prompt must be before it is stored or sent: some text, and only text."""

from __future__ import annotations

from clct_tui.errors import AgentError


def check_prompt(prompt: str) -> None:
    """Refuse nothing-but-whitespace, NUL characters and bytes that are not UTF-8; AgentError names the problem."""
    if not prompt.strip():
        raise AgentError("the prompt is empty")
    if "\x00" in prompt:
        raise AgentError(f"the prompt contains a NUL character (at position {prompt.index(chr(0))}); "
                         "send text, not binary data")
    try:
        prompt.encode("utf-8")
    except UnicodeEncodeError as exc:  # lone surrogates: bytes that were not UTF-8, let in by surrogateescape
        raise AgentError(f"the prompt is not valid text: position {exc.start} holds bytes that are not UTF-8; "
                         "send text, not binary data") from None
