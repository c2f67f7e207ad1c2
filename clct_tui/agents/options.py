"""What one conversation runs with; plain data, so importing it does not load the SDK."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class AgentOptions:
    cwd: Path
    model: str | None = None
    permission_mode: str = "acceptEdits"
    resume: str | None = None
    env: dict[str, str] = field(default_factory=dict)
    cli_path: str | None = None
    max_turns: int | None = None
    max_budget_usd: float | None = None
    approval_timeout: float = 600.0
    system_prompt_append: str | None = None
