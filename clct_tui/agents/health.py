"""Is the Claude Code CLI there, which version, and is it logged in?"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class CLIStatus:
    found: bool
    path: str | None
    version: str | None
    detail: str
    logged_in: bool
    login_detail: str


def find_cli(cli_path: str | None = None) -> str | None:
    """The CLI the SDK would run: the configured one, the one bundled in the wheel, or `claude` on PATH."""
    if cli_path:
        return cli_path if Path(cli_path).is_file() else None
    # Located without importing it: importing the SDK costs ~0.4 s.
    spec = importlib.util.find_spec("claude_agent_sdk")
    folders = spec.submodule_search_locations if spec else None
    bundled = Path(folders[0]) / "_bundled" / "claude" if folders else None
    if bundled is not None and bundled.is_file():
        return str(bundled)
    return shutil.which("claude")


def cli_status(cli_path: str | None = None) -> CLIStatus:
    path = find_cli(cli_path)
    logged_in, login_detail = _login()
    if path is None:
        where = cli_path or "the claude-agent-sdk wheel or PATH"
        return CLIStatus(False, None, None, f"not found in {where}", logged_in, login_detail)
    try:
        out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=20)
        version = out.stdout.strip() or out.stderr.strip()
    except (OSError, subprocess.TimeoutExpired) as exc:
        return CLIStatus(False, path, None, f"{path} does not run: {exc}", logged_in, login_detail)
    return CLIStatus(True, path, version, f"{version} at {path}", logged_in, login_detail)


def _login() -> tuple[bool, str]:
    if os.environ.get("ANTHROPIC_API_KEY"):
        return True, "ANTHROPIC_API_KEY is set"
    config_dir = Path(os.environ.get("CLAUDE_CONFIG_DIR") or Path.home() / ".claude")
    if (config_dir / ".credentials.json").is_file():
        return True, f"logged in ({config_dir / '.credentials.json'})"
    for candidate in (config_dir / ".claude.json", Path.home() / ".claude.json"):
        try:
            if json.loads(candidate.read_text()).get("oauthAccount"):
                return True, f"logged in ({candidate})"
        except (OSError, ValueError, AttributeError):
            continue
    return False, "not logged in: run `claude login` or set ANTHROPIC_API_KEY"
