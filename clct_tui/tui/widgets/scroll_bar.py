"""SteadyThumb: a scroll view's vertical scroll bar, repainted only when its thumb moves on screen.

Textual repaints a scroll bar whenever its sizes or position change, and a transcript tailing a
stream changes both every frame: the bar's 48 rows went through Textual's whole rendering pipeline
each time, most of the cost of a tailing frame (10 ms of 13 on a slow machine). Its thumb is drawn in
eighths of a cell, and while tailing a long transcript it sits at the bottom, unmoved. The bar is
given every value as it changes, without repainting (so scrolling it with the mouse works on
exact values), and repainted when the thumb it draws changes.
"""

from __future__ import annotations

from math import ceil

from textual.scroll_view import ScrollView
from textual.scrollbar import ScrollBar, ScrollBarRender

_EIGHTHS = len(ScrollBarRender.VERTICAL_BARS)


def thumb(size: int, virtual_size: float, window_size: float, position: float) -> tuple[int, int] | None:
    """The thumb a vertical bar of ``size`` rows draws, in eighths of a row (None: no thumb).

    The arithmetic of ScrollBar._render_bar and ScrollBarRender.render_bar (textual 8);
    tests/tui/test_scroll_bar.py checks it against what render_bar draws.
    """
    virtual_size = ceil(virtual_size)
    window_size = ceil(window_size) if window_size < virtual_size else 0
    if not (window_size and size and virtual_size and size != virtual_size):
        return None
    thumb_size = max(1, window_size / (virtual_size / size))
    start = int((size - thumb_size) * (position / (virtual_size - window_size)) * _EIGHTHS)
    return start, start + ceil(thumb_size * _EIGHTHS)


class SteadyThumb:
    """Keeps one scroll view's vertical bar up to date: ``update()`` where Textual would repaint the bar,
    ``update_soon()`` where a scroll may still follow (after the current handler)."""

    def __init__(self, view: ScrollView) -> None:
        self._view = view
        self._drawn: tuple[int, tuple[int, int] | None] | None = None  # (bar height, thumb) last asked for
        self._due = False  # an update is queued after the current handler

    def forget(self) -> None:
        """The bar was repainted by Textual (a resize): the next update repaints it too."""
        self._drawn = None

    def update_soon(self) -> None:
        """Update once the view has settled: a size changed before the scroll that follows it would
        otherwise repaint the bar twice, the thumb moved and back."""
        if not self._due:
            self._due = True
            self._view.call_next(self.update)

    def update(self) -> None:
        """Give the bar the view's sizes and position, and repaint it if its thumb now sits elsewhere."""
        self._due = False
        view = self._view
        if not view.show_vertical_scrollbar:
            return
        bar = view.vertical_scrollbar
        bar.set_reactive(ScrollBar.window_virtual_size, view.virtual_size.height)
        bar.set_reactive(ScrollBar.window_size, view.container_size.height - view.scrollbar_size_horizontal)
        bar.set_reactive(ScrollBar.position, view.scroll_y)
        drawn = (bar.size.height,
                 thumb(bar.size.height, bar.window_virtual_size, bar.window_size, bar.position))
        if drawn != self._drawn:
            self._drawn = drawn
            bar.refresh()
