"""DrawnLines: a Line API widget's finished lines, kept by the content line they were made from.

Textual finishes every line a widget renders (padding, background, colour filters) into a new Strip,
and a scroll marks every line of the widget dirty. A pane that tails a stream scrolls every frame,
so each frame finished every line again, and the fresh Strips then missed Textual's own per-Strip
caches further on (cutting into the screen's regions, colour conversion). Between two frames of a
tailing pane most content lines are the same Strip objects, only moved up; their finished lines
are kept here and handed back as the same objects, and only new lines are finished by Textual.

A finished line depends on its content line, the crop's columns and the widget's styles. It also
depends on its row when the widget has a top or bottom border, outline or padding; such a widget
is not helped here and renders as usual.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable

from textual.cache import LRUCache
from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget


class DrawnLines:
    """Finished lines of one widget, by the identity of the content Strip each was made from."""

    def __init__(self, size: int) -> None:
        # (id(content), crop x, crop width) -> (content, finished); holding the content keeps its id
        # from being reused.
        self._lines: LRUCache[tuple[int, int, int], tuple[Strip, Strip]] = LRUCache(size)
        self._state: Hashable = None

    def clear(self) -> None:
        self._lines.clear()

    def render(self, widget: Widget, crop: Region, content_line: Callable[[int], Strip],
               finish: Callable[[Region], list[Strip]]) -> list[Strip]:
        """The widget's lines in ``crop``; ``finish`` is Textual's own rendering of a region of them."""
        if not _rows_alike(widget):
            return finish(crop)
        state = (widget.size.width, widget.background_colors, widget.opacity,
                 widget.styles.text_opacity, widget.styles.tint, tuple(widget.app.get_line_filters()))
        if state != self._state:
            self._state = state
            self._lines.clear()
        lines: list[Strip | None] = []
        contents: list[Strip] = []
        missing: list[int] = []
        for y in crop.line_range:
            content = content_line(y)
            kept = self._lines.get((id(content), crop.x, crop.width))
            contents.append(content)
            lines.append(kept[1] if kept is not None else None)
            if lines[-1] is None:
                missing.append(y)
        for first, count in _runs(missing):
            finished = finish(Region(crop.x, first, crop.width, count))
            for y, line in zip(range(first, first + count), finished):
                index = y - crop.y
                lines[index] = line
                self._lines.set((id(contents[index]), crop.x, crop.width), (contents[index], line))
        return lines  # type: ignore[return-value]  # every None was filled above


def _rows_alike(widget: Widget) -> bool:
    """Whether every row of the widget is finished the same way (no top or bottom decoration)."""
    styles = widget.styles
    return not (styles.border_top[0] or styles.border_bottom[0] or styles.outline_top[0]
                or styles.outline_bottom[0] or styles.padding.top or styles.padding.bottom)


def _runs(rows: list[int]) -> list[tuple[int, int]]:
    """Consecutive rows as (first, count) pairs."""
    runs: list[tuple[int, int]] = []
    for y in rows:
        if runs and runs[-1][0] + runs[-1][1] == y:
            runs[-1] = (runs[-1][0], runs[-1][1] + 1)
        else:
            runs.append((y, 1))
    return runs
