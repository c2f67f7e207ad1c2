"""Themes as TOML files: the project's themes/ folder, then the user's."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from textual.theme import Theme

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

_THEME_FIELDS = {
    "primary", "secondary", "warning", "error", "success", "accent", "foreground",
    "background", "surface", "panel", "boost", "dark", "luminosity_spread", "text_alpha", "variables",
}


def bundled_themes_dir() -> Path:
    """themes/ beside the package (a source checkout or an editable install)."""
    return Path(__file__).resolve().parents[2] / "themes"


@dataclass(frozen=True)
class ThemeLoad:
    themes: list[Theme]
    problems: list[str]


def load_themes(*folders: Path) -> ThemeLoad:
    """Every *.toml theme in the folders; later folders override earlier ones by name.

    A broken file is reported, never fatal: the app still starts with the rest.
    """
    found: dict[str, Theme] = {}
    problems: list[str] = []
    for folder in folders:
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.toml")):
            try:
                theme = theme_from_toml(path)
            except (OSError, ValueError, TypeError, tomllib.TOMLDecodeError) as exc:
                problems.append(f"theme {path.name}: {exc}")
                continue
            found[theme.name] = theme
    return ThemeLoad(list(found.values()), problems)


def theme_from_toml(path: Path) -> Theme:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    name = data.pop("name", path.stem)
    if "primary" not in data:
        raise ValueError("needs at least 'primary'")
    unknown = set(data) - _THEME_FIELDS
    if unknown:
        raise ValueError(f"unknown key(s) {', '.join(sorted(unknown))}")
    return Theme(name=name, **data)
