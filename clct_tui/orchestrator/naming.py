"""Names for worktrees and branches derived from what a person typed."""

from __future__ import annotations

import re
import unicodedata

_STOP = {"a", "an", "the", "to", "of", "and", "in", "on", "for", "with", "please", "that", "this"}


def slugify(text: str, max_words: int = 4, max_len: int = 40) -> str:
    """'Implement user authentication!' -> 'implement-user-authentication'."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = [w for w in re.findall(r"[a-z0-9]+", ascii_text.lower()) if w not in _STOP]
    slug = "-".join(words[:max_words])[:max_len].strip("-")
    return slug or "agent"


def unique_name(base: str, taken: set[str]) -> str:
    """``base``, or ``base-2``, ``base-3``… — the first not in ``taken``."""
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"
