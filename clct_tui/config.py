"""Config: defaults < config.toml < CLCT_* environment < arguments.

A bad value is an error naming the key and where it came from; nothing starts.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import os
import stat
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomli_w

from clct_tui import paths
from clct_tui.errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

PERMISSION_MODES = ("default", "acceptEdits", "plan", "bypassPermissions")
_SOURCE_ARGS = "arguments"


@dataclass
class Config:
    """Everything a person can set. Paths and the database URL are resolved on creation."""

    claude_api_key: str | None = None
    claude_model: str | None = None
    max_concurrent_instances: int = 3
    instance_timeout: float = 300.0
    max_retries: int = 3
    retry_base_delay: float = 2.0
    approval_timeout: float = 600.0
    database_url: str | None = None
    worktree_base_path: Path | None = None
    default_branch: str | None = None
    permission_mode: str = "acceptEdits"
    setup_command: str | None = None
    cli_path: str | None = None
    theme: str = "clct-dark"
    bell: bool = False
    max_budget_usd: float | None = None

    warnings: list[str] = field(default_factory=list, repr=False, compare=False)
    _sources: dict[str, str] = field(default_factory=dict, repr=False, compare=False)
    _file: Path | None = field(default=None, repr=False, compare=False)  # where load() read it: save() writes there

    def __post_init__(self) -> None:
        for f in _fields():
            source = self._sources.get(f.name, _SOURCE_ARGS)
            setattr(self, f.name, _coerce(f.name, getattr(self, f.name), source))
        if self.database_url is None:
            self.database_url = paths.default_database_url()
        if self.worktree_base_path is None:
            self.worktree_base_path = paths.default_worktree_base()

    # -- loading -------------------------------------------------------------------

    @classmethod
    def load(
        cls, config_file: Path | str | None = None, env: Mapping[str, str] | None = None, **overrides: Any
    ) -> Config:
        """Read the TOML file, then CLCT_* variables, then ``overrides`` (None values are ignored)."""
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        sources: dict[str, str] = {}
        warnings: list[str] = []
        path = Path(config_file).expanduser() if config_file is not None else paths.config_file()
        if config_file is not None and not path.exists():
            raise ConfigError("<file>", str(path), "the config file does not exist")
        if path.exists():
            for key, value in _read_toml(path, warnings).items():
                values[key], sources[key] = value, str(path)
        names = {f.name for f in _fields()}
        for name in names:
            var = f"CLCT_{name.upper()}"
            if var in env:
                values[name], sources[name] = _from_env(name, env[var], f"environment {var}"), f"environment {var}"
        for name, value in overrides.items():
            if name not in names:
                raise ConfigError(name, _SOURCE_ARGS, "no such setting")
            if value is not None:
                values[name], sources[name] = value, _SOURCE_ARGS
        return cls(**values, warnings=warnings, _sources=sources, _file=path)

    def with_overrides(self, **overrides: Any) -> Config:
        sources = dict(self._sources) | {k: _SOURCE_ARGS for k in overrides}
        return dataclasses.replace(self, **overrides, warnings=list(self.warnings), _sources=sources)

    def source_of(self, name: str) -> str:
        return self._sources.get(name, "default")

    # -- saving ----------------------------------------------------------------------

    def save(self, path: Path | str | None = None) -> Path:
        """Write the non-default settings as TOML, mode 0600, atomically.

        The API key is written only when it came from the file itself: a key from
        the environment or the command line never lands on disk. A CLCT_* variable
        is for the runs it is set for: what the file said for that setting stays.
        """
        path = Path(path) if path is not None else self._file or paths.config_file()
        on_disk = _saved_values(path)
        data: dict[str, Any] = {}
        for f in _fields():
            value = getattr(self, f.name)
            source = self.source_of(f.name)
            if source.startswith("environment ") or (f.name == "claude_api_key" and source != str(path)):
                if f.name in on_disk:
                    data[f.name] = on_disk[f.name]
                continue
            if value is None:
                continue
            if f.name == "database_url" and value == paths.default_database_url():
                continue
            if f.name == "worktree_base_path" and Path(value) == paths.default_worktree_base():
                continue
            if f.default is not dataclasses.MISSING and value == f.default and f.name not in self._sources:
                continue
            data[f.name] = str(value) if isinstance(value, Path) else value
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".config-", suffix=".toml", dir=path.parent)
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "wb") as handle:
                tomli_w.dump(data, handle)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return path

    # -- derived -------------------------------------------------------------------

    def worktree_folder(self, repo_path: Path) -> Path:
        assert self.worktree_base_path is not None
        return paths.repo_worktree_folder(self.worktree_base_path, repo_path)

    def agent_env(self) -> dict[str, str]:
        """Variables for the CLI process: the key when one is configured, nothing otherwise."""
        return {"ANTHROPIC_API_KEY": self.claude_api_key} if self.claude_api_key else {}

    def __repr__(self) -> str:
        shown = ", ".join(
            f"{f.name}={'***' if f.name == 'claude_api_key' and getattr(self, f.name) else repr(getattr(self, f.name))}"
            for f in _fields()
        )
        return f"Config({shown})"


def _fields() -> list[dataclasses.Field]:
    return [f for f in dataclasses.fields(Config) if not f.name.startswith("_") and f.name != "warnings"]


_TYPES: dict[str, type] = {
    "claude_api_key": str, "claude_model": str, "max_concurrent_instances": int, "instance_timeout": float,
    "max_retries": int, "retry_base_delay": float, "approval_timeout": float, "database_url": str,
    "worktree_base_path": Path, "default_branch": str, "permission_mode": str, "setup_command": str,
    "cli_path": str, "theme": str, "bell": bool, "max_budget_usd": float,
}


def _coerce(name: str, value: Any, source: str) -> Any:
    """Check one value's type and range; the error names the key and the source."""
    if value is None:
        return None
    kind = _TYPES[name]
    if kind is bool:
        if not isinstance(value, bool):
            raise ConfigError(name, source, f"expected true or false, got {value!r}")
    elif kind is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(name, source, f"expected a whole number, got {value!r}")
    elif kind is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(name, source, f"expected a number, got {value!r}")
        value = float(value)
        if not math.isfinite(value):  # TOML and float() accept inf and nan; no setting means either
            raise ConfigError(name, source, f"expected a finite number, got {value!r}")
    elif kind is Path:
        if not isinstance(value, (str, Path)):
            raise ConfigError(name, source, f"expected a path, got {value!r}")
        value = Path(value).expanduser()
    elif not isinstance(value, str):
        raise ConfigError(name, source, f"expected text, got {value!r}")
    if name == "max_concurrent_instances" and value < 1:
        raise ConfigError(name, source, f"must be at least 1, got {value}")
    if name in ("instance_timeout", "approval_timeout") and value <= 0:
        raise ConfigError(name, source, f"must be more than 0 seconds, got {value:g}")
    if name in ("max_retries",) and value < 0:
        raise ConfigError(name, source, f"must not be negative, got {value}")
    if name == "retry_base_delay" and value < 0:
        raise ConfigError(name, source, f"must not be negative, got {value:g}")
    if name == "max_budget_usd" and value <= 0:
        raise ConfigError(name, source, f"must be more than 0, got {value:g}")
    if name == "permission_mode" and value not in PERMISSION_MODES:
        raise ConfigError(name, source, f"unknown permission mode {value!r}; use one of {', '.join(PERMISSION_MODES)}")
    return value


def _from_env(name: str, raw: str, source: str) -> Any:
    kind = _TYPES[name]
    text = raw.strip()
    try:
        if kind is bool:
            lowered = text.lower()
            if lowered in ("1", "true", "yes", "on"):
                return True
            if lowered in ("0", "false", "no", "off"):
                return False
            raise ValueError
        if kind is int:
            return int(text)
        if kind is float:
            return float(text)
    except ValueError:
        expected = {bool: "true or false", int: "a whole number", float: "a number"}[kind]
        raise ConfigError(name, source, f"expected {expected}, got {raw!r}") from None
    return text or None


def _saved_values(path: Path) -> dict[str, Any]:
    """The settings a config file holds now; nothing when it is missing or unreadable."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return {}
    known = {f.name for f in _fields()}
    return {k: v for k, v in data.items() if k in known}


def _read_toml(path: Path, warnings: list[str]) -> dict[str, Any]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError("<file>", str(path), f"cannot be read: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError("<file>", str(path), f"is not text: byte 0x{raw[exc.start]:02x} at position {exc.start} "
                          "is not UTF-8") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError("<file>", str(path), f"is not valid TOML: {exc}") from None
    known = {f.name for f in _fields()}
    for key in sorted(set(data) - known):
        close = difflib.get_close_matches(key, known, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        warnings.append(f"{path}: unknown setting {key!r} ignored{hint}")
    if data.get("claude_api_key"):
        mode = path.stat().st_mode
        if mode & (stat.S_IRGRP | stat.S_IROTH):
            warnings.append(f"{path} holds an API key and is readable by others; run: chmod 600 {path}")
    return {k: v for k, v in data.items() if k in known}
