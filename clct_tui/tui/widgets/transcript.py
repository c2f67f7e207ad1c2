"""The transcript pane: one agent's conversation, tailing live as tokens arrive.

Built on the Line API so only visible lines are rendered. Events become *entries*
(see transcript_entries); each entry renders to Strips lazily, cached per width and
expansion, and `_tops` holds cumulative line offsets so `render_line` finds its entry
with a bisect. Appending touches only the changed tail of that list, and a burst of
appends becomes one refresh per frame.

A long transcript is shown through a window: the view holds at most MAX_WINDOW_ENTRIES
entries of it, keyed by (run id, seq). Scrolled within a screen of an edge that has more
beyond it, the view posts PageWanted; the app reads that page from the store and hands it
to `add_older` / `add_newer`, which keep the view in place and drop entries from the far
end. Memory stays flat however long the history, and live events are added only while the
window reaches the newest event.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.timer import Timer

from clct_tui.domain import EventKind, TranscriptEvent
from clct_tui.tui.widgets.drawn_lines import DrawnLines
from clct_tui.tui.widgets.scroll_bar import SteadyThumb
from clct_tui.tui.widgets.transcript_entries import (
    ApprovalEntry,
    Entry,
    ErrorEntry,
    FooterEntry,
    Painter,
    Palette,
    PromptEntry,
    SystemEntry,
    TextEntry,
    ThinkingEntry,
    ToolEntry,
)

FRAME = 1 / 30  # appends within one frame become one refresh
MAX_WINDOW_ENTRIES = 6_000  # entries held at once; a longer transcript is paged through
Key = tuple[int, int]  # (run id, seq): an event's place in an agent's transcript
STREAM_RENDER_INTERVAL = 0.1  # the growing text block is re-rendered as Markdown at most this often
# Rendered lines kept, counted in lines (one answer can be hundreds): every Strip is a handful of
# objects the garbage collector walks, and 2,000 entries of long answers made full collections take
# a second, freezing the app. The rest keep only their measured height.
STRIP_CACHE_LINES = 4_000
DRAWN_LINES = 512  # finished lines kept for the next frames: a few screens' worth


class TranscriptView(ScrollView, can_focus=True):
    """A scrolling, tailing view of transcript events with a cursor over entries."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "transcript--prompt",
        "transcript--tool",
        "transcript--tool-name",
        "transcript--muted",
        "transcript--thinking",
        "transcript--error",
        "transcript--warning",
        "transcript--success",
        "transcript--footer",
        "transcript--system",
        "transcript--cursor",
    }

    DEFAULT_CSS = """
    TranscriptView {
        overflow-x: hidden;
        /* Always shown: a scroll bar that comes and goes lays out the whole screen, at every agent
           selected (its transcript is cleared, then loaded) and when an answer first fills the pane. */
        overflow-y: scroll;
        padding: 0 1;
    }
    TranscriptView > .transcript--prompt { color: $accent; text-style: bold; }
    TranscriptView > .transcript--tool { color: $text; }
    TranscriptView > .transcript--tool-name { color: $text; text-style: bold; }
    TranscriptView > .transcript--muted { color: $text-muted; }
    TranscriptView > .transcript--thinking { color: $text-muted; text-style: italic; }
    TranscriptView > .transcript--error { color: $error; }
    TranscriptView > .transcript--warning { color: $warning; }
    TranscriptView > .transcript--success { color: $success; }
    TranscriptView > .transcript--footer { color: $text-muted; }
    TranscriptView > .transcript--system { color: $text-muted; text-style: italic; }
    TranscriptView > .transcript--cursor { background: $accent 25%; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "cursor_up", "Previous", show=False, id="transcript.cursor_up",
                tooltip="Move to the previous entry"),
        Binding("down,j", "cursor_down", "Next", show=False, id="transcript.cursor_down",
                tooltip="Move to the next entry"),
        Binding("home", "cursor_first", "First", show=False, id="transcript.first",
                tooltip="Go to the first entry"),
        Binding("end", "cursor_last", "Last", show=False, id="transcript.last",
                tooltip="Go to the last entry and follow new output"),
        Binding("enter", "toggle", "Expand", id="transcript.toggle",
                tooltip="Show or fold the details of the entry under the cursor"),
    ]

    @dataclass
    class PageWanted(Message):
        """The view is near an edge of its window with more of the transcript beyond it.

        ``older``: the events before ``key`` (exclusive) are wanted, else those from ``key`` on;
        ``jump``: Home or End was pressed, so the very first (or last) page is wanted instead.
        Answer with ``add_older`` / ``add_newer`` / ``load``, or ``page_failed``.
        """

        transcript_view: TranscriptView
        older: bool
        key: Key | None
        jump: bool = False

        @property
        def control(self) -> TranscriptView:
            return self.transcript_view

    @dataclass
    class EntryToggled(Message):
        """An entry was expanded or folded."""

        transcript_view: TranscriptView
        index: int
        expanded: bool

        @property
        def control(self) -> TranscriptView:
            return self.transcript_view

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._entries: list[Entry] = []
        self._tools: dict[str, ToolEntry] = {}
        self._approvals: dict[str, ApprovalEntry] = {}
        # _tops[i] is the first line of entry i; valid for i <= _laid_out; _tops[-1] is the total height.
        self._tops: list[int] = [0]
        self._laid_out = 0
        self._relaid_from = 0  # the first entry laid out again since _flush began: what to draw again
        self._width = 0
        self._painter: Painter | None = None
        self._cached = _StripCache(STRIP_CACHE_LINES)  # entries holding strips, least recent first
        self._drawn = DrawnLines(DRAWN_LINES)
        self._thumb = SteadyThumb(self)
        self._cursor: int | None = None
        self._following = True
        self._read_only = False
        self._flush_timer: Timer | None = None
        self._streaming: TextEntry | None = None  # the last text block while tokens still arrive
        self._stream_stale = False
        self._stream_due = True
        self._stream_timer: Timer | None = None
        self._scrolling = False  # our own scroll_to calls must not count as the user's
        self._key: Key | None = None  # the key of the event being added
        self._has_older = False  # the window starts after the transcript's first event
        self._has_newer = False  # the window ends before the newest event
        self._newer_from: Key | None = None  # the first event after the window
        self._last_key: Key | None = None  # the newest key shown, while the window reaches the end
        self._page_wanted = False
        self._held: list[tuple[Key | None, TranscriptEvent]] | None = None  # live events kept during a load

    # -- public API -----------------------------------------------------------------

    @property
    def entry_count(self) -> int:
        return len(self._entries)

    @property
    def following(self) -> bool:
        """True while the view sits at the end and new content keeps it there."""
        return self._following

    @property
    def read_only(self) -> bool:
        """A history view: opens at the top instead of tailing."""
        return self._read_only

    @read_only.setter
    def read_only(self, value: bool) -> None:
        self._read_only = value
        self.set_class(value, "-read-only")
        if value and not self._entries:
            self._following = False

    @property
    def cursor(self) -> int | None:
        """Index of the highlighted entry, if any."""
        return self._cursor

    @property
    def render_count(self) -> int:
        """How many times an entry was rendered to lines (a cache miss); tests use it."""
        return self._painter.render_count if self._painter is not None else 0

    @property
    def has_older(self) -> bool:
        """Part of the transcript lies before the window (it is read when scrolled to)."""
        return self._has_older

    @property
    def has_newer(self) -> bool:
        """Part of the transcript lies after the window; live events are not shown until it is read."""
        return self._has_newer

    def append(self, event: TranscriptEvent, key: Key | None = None) -> None:
        """Add one live event; the screen catches up at most once per frame."""
        if self._held is not None:
            self._held.append((key, event))  # a page reaching the newest events is being read
            return
        if self._has_newer:
            return  # the window ends earlier: this event is read from the store when paged to
        self._key = key
        self._add(event, live=True)
        self._key = None
        if key is not None:
            self._last_key = key
        self._schedule()

    def hold_live(self) -> None:
        """Keep live events aside until the page being read arrives (then only newer ones are added)."""
        self._held = []

    def load(self, events: Iterable[tuple[Key | None, TranscriptEvent]], *, has_older: bool = False,
             has_newer: bool = False, at_start: bool = False) -> None:
        """Show this part of the transcript in place of what was shown: the newest events and
        following, or (``at_start``) the first ones with the cursor on the first entry."""
        held = self._held
        self.clear()
        self._has_older, self._has_newer = has_older, has_newer
        self._add_page(events)
        self._held = held
        last = self._last_key
        self._newer_from = (last[0], last[1] + 1) if has_newer and last is not None else None
        if at_start or has_newer:
            self._following = False
        if at_start and self._entries:
            self._cursor = 0
        self._release_held()
        self._schedule()

    def add_older(self, events: Iterable[tuple[Key | None, TranscriptEvent]], has_older: bool) -> None:
        """Put a page of earlier events before the window; what is on screen stays where it is."""
        self._page_wanted = False
        anchor = self._anchor()
        # The page is built on its own (its indexes would collide with the window's in the strip cache).
        kept = (self._entries, self._tools, self._approvals, self._streaming, self._cached)
        self._entries, self._tools, self._approvals, self._streaming = [], {}, {}, None
        self._cached = _StripCache(STRIP_CACHE_LINES)
        self._add_page(events)
        page, page_tools, page_approvals = self._entries, self._tools, self._approvals
        entries, tools, approvals, self._streaming, self._cached = kept
        if page and entries:
            first = entries[0]
            if isinstance(first, TextEntry) and type(page[-1]) is type(first) and first.block is not None \
                    and page[-1].block == first.block:  # type: ignore[attr-defined]
                # A text block cut by the page boundary: one entry again.
                joined = page.pop()
                first.prepend(joined.text)  # type: ignore[attr-defined]
                first.key = joined.key
                first.lead = joined.lead
                first.changed()
            elif page:
                lead = 1 if _needs_lead(page[-1], first) else 0
                if lead != first.lead:
                    first.lead = lead
                    first.changed()
        self._entries = page + entries
        self._tools = {**page_tools, **tools}
        self._approvals = {**page_approvals, **approvals}
        self._reindex(len(page))
        if self._cursor is not None:
            self._cursor += len(page)
        self._has_older = has_older
        self._trim(drop_newest=True)
        self._restore(anchor)

    def add_newer(self, events: Iterable[tuple[Key | None, TranscriptEvent]], has_newer: bool) -> None:
        """Put a page of later events after the window; what is on screen stays where it is."""
        self._page_wanted = False
        anchor = self._anchor()
        self._has_newer = has_newer
        self._add_page(events)
        last = self._last_key
        self._newer_from = (last[0], last[1] + 1) if has_newer and last is not None else None
        self._trim(drop_newest=False)
        self._restore(anchor)
        self._release_held()

    def page_failed(self) -> None:
        """The page asked for could not be read: ask again when scrolled."""
        self._page_wanted = False
        self._held = None

    def extend(self, events: Iterable[TranscriptEvent]) -> None:
        """Add many events at once (history); nothing is rendered until it is visible."""
        for event in events:
            self._add(event, live=False)
        self._schedule()

    def clear(self) -> None:
        self._entries = []
        self._tools = {}
        self._approvals = {}
        self._has_older = self._has_newer = self._page_wanted = False
        self._newer_from = self._last_key = None
        self._held = None
        self._tops = [0]
        self._laid_out = 0
        self._cached.clear()
        self._cursor = None
        self._streaming = None
        self._stream_stale = False
        self._following = not self._read_only
        self._set_virtual_size(Size(self._width, 0))
        self._scroll_internally(0)
        self.refresh()

    def flush(self) -> None:
        """Apply pending changes now, including the throttled re-render of a streaming block."""
        self._flush(force=True)

    # -- building entries -------------------------------------------------------------

    def _add(self, event: TranscriptEvent, live: bool) -> None:
        kind = event.kind
        data = event.data or {}
        last = self._entries[-1] if self._entries else None
        if kind in (EventKind.TEXT, EventKind.THINKING):
            entry_type = ThinkingEntry if kind is EventKind.THINKING else TextEntry
            block = event.block
            if type(last) is entry_type and block is not None and last.block == block:  # type: ignore[union-attr]
                assert isinstance(last, TextEntry)
                last.add(event.text)
                if live:
                    self._stream(last)
                else:
                    self._changed(last)
                return
            entry = entry_type(block, event.text)
            self._push(entry)
            if live:
                self._streaming = entry
            return
        if kind is EventKind.TOOL_USE:
            tool_id = data.get("id")
            existing = self._tools.get(tool_id) if tool_id else None
            if existing is not None:
                existing.name = data.get("name") or existing.name
                existing.input = data.get("input") or existing.input
                self._changed(existing)
                return
            tool = ToolEntry(tool_id, data.get("name") or "tool", data.get("input") or {})
            if tool_id:
                self._tools[tool_id] = tool
            self._push(tool)
            return
        if kind is EventKind.TOOL_RESULT:
            tool = self._tools.get(data.get("tool_use_id") or "")
            if tool is None:  # a result whose call we never saw (a truncated history)
                tool = ToolEntry(None, "result", {})
                self._push(tool)
            tool.result = event.text
            tool.is_error = bool(data.get("is_error"))
            self._changed(tool)
            return
        if kind is EventKind.APPROVAL_ASKED:
            approval = ApprovalEntry(data.get("request_id"), data.get("tool") or "tool", data.get("input") or {})
            if approval.request_id:
                self._approvals[approval.request_id] = approval
            self._push(approval)
            return
        if kind is EventKind.APPROVAL_ANSWERED:
            approval = self._approvals.get(data.get("request_id") or "")
            if approval is None:
                approval = ApprovalEntry(data.get("request_id"), data.get("tool") or "tool", {})
                self._push(approval)
            approval.answer = (bool(data.get("allow")), str(data.get("reason") or ""))
            self._changed(approval)
            return
        if kind is EventKind.PROMPT:
            self._push(PromptEntry(event.text))
        elif kind is EventKind.ERROR:
            self._push(ErrorEntry(event.text))
        elif kind is EventKind.RESULT:
            self._push(FooterEntry(data))
        else:
            self._push(SystemEntry(event.text))

    def _push(self, entry: Entry) -> None:
        if self._streaming is not None:
            # The block ended: show its final Markdown.
            finished, self._streaming = self._streaming, None
            self._stream_stale = False
            self._changed(finished)
        entry.index = len(self._entries)
        entry.key = self._key
        if self._entries and _needs_lead(self._entries[-1], entry):
            entry.lead = 1
        self._entries.append(entry)

    def _changed(self, entry: Entry) -> None:
        entry.changed()
        self._cached.forget(entry.index)
        self._laid_out = min(self._laid_out, entry.index)

    def _stream(self, entry: TextEntry) -> None:
        if entry is not self._streaming:
            self._streaming = entry
        self._stream_stale = True

    # -- the window -------------------------------------------------------------------

    def _add_page(self, events: Iterable[tuple[Key | None, TranscriptEvent]]) -> None:
        for key, event in events:
            self._key = key
            self._add(event, live=False)
            if key is not None:
                self._last_key = key
        self._key = None

    def _release_held(self) -> None:
        held, self._held = self._held, None
        if not held or self._has_newer:
            return  # the window does not reach the end: these are read from the store when paged to
        for key, event in held:
            if key is not None and self._last_key is not None and key <= self._last_key:
                continue  # already in the page that was read
            self.append(event, key)

    def _reindex(self, shift: int) -> None:
        """Entries moved by ``shift`` places (negative: some were dropped from the front)."""
        for i, entry in enumerate(self._entries):
            entry.index = i
        count = len(self._entries)
        self._cached.shift(shift, count)
        self._laid_out = 0

    def _trim(self, drop_newest: bool) -> None:
        """Hold at most MAX_WINDOW_ENTRIES, dropping them from the end away from the reader."""
        entries = self._entries
        excess = len(entries) - MAX_WINDOW_ENTRIES
        if excess <= 0:
            return
        cut = MAX_WINDOW_ENTRIES if drop_newest else excess
        if entries[cut].key is None:
            return  # not read from the store, so it could not be read back: keep it
        if drop_newest:
            self._newer_from = entries[cut].key
            self._has_newer = True
            self._following = False
            self._last_key = None
            dropped = entries[cut:]
            del entries[cut:]
            if self._streaming in dropped:
                self._streaming = None
            self._reindex(0)
            if self._cursor is not None and self._cursor >= len(entries):
                self._cursor = len(entries) - 1
        else:
            del entries[:cut]
            self._has_older = True
            self._reindex(-cut)
            if self._cursor is not None:
                self._cursor = max(0, self._cursor - cut)
        self._tools = {e.tool_id: e for e in entries if isinstance(e, ToolEntry) and e.tool_id}
        self._approvals = {e.request_id: e for e in entries if isinstance(e, ApprovalEntry) and e.request_id}

    def _anchor(self) -> tuple[Entry, float] | None:
        """The entry at the top of the view and how far into it the view starts."""
        if not self._entries or not self._width or self._laid_out < len(self._entries):
            return None
        index = self._entry_at(int(self.scroll_y))
        return self._entries[index], self.scroll_y - self._tops[index]

    def _restore(self, anchor: tuple[Entry, float] | None) -> None:
        """After entries came or went, put the anchor entry back where it was on screen."""
        self._laid_out = 0
        if self._width:
            self._layout()
            entry = anchor[0] if anchor else None
            if entry is not None and entry.index < len(self._entries) and self._entries[entry.index] is entry:
                self._scroll_internally(self._tops[entry.index] + anchor[1])
        self._schedule()

    def _want_pages(self) -> None:
        """Near an edge of the window with more beyond it: ask for the next page (once at a time)."""
        if self._page_wanted or not self._entries or not self._width:
            return
        margin = self.scrollable_content_region.height
        if self._has_older and self.scroll_y <= margin:
            self._ask(older=True)
        elif self._has_newer and self.scroll_y >= self.max_scroll_y - margin:
            self._ask(older=False)

    def _ask(self, older: bool, jump: bool = False) -> None:
        self._page_wanted = True
        if not older:
            self.hold_live()
        key = None if jump else (self._entries[0].key if older else self._newer_from)
        self.post_message(self.PageWanted(self, older, key, jump))

    # -- coalescing -------------------------------------------------------------------

    def _schedule(self) -> None:
        if self._flush_timer is None and self.is_mounted:
            self._flush_timer = self.set_timer(FRAME, self._flush, name="transcript flush")

    def on_mount(self) -> None:
        self._schedule()

    def _flush(self, force: bool = False) -> None:
        if self._flush_timer is not None:
            self._flush_timer.stop()
            self._flush_timer = None
        if self._stream_stale and self._streaming is not None and (force or self._stream_due):
            self._stream_stale = False
            self._changed(self._streaming)
            if not force:
                self._stream_due = False
                self._stream_timer = self.set_timer(STREAM_RENDER_INTERVAL, self._stream_tick, name="transcript stream")
        width = self.scrollable_content_region.width
        if width <= 0:
            return
        if width != self._width:
            self._width = width
            self._laid_out = 0
        if self._laid_out >= len(self._entries) and len(self._tops) == len(self._entries) + 1 and not force:
            # Only the streaming block grew, and it is drawn at its own pace (STREAM_RENDER_INTERVAL):
            # nothing on screen would change, so no frame is drawn.
            self._want_pages()
            return
        size, offset = self.virtual_size, self.scroll_offset
        self._relaid_from = len(self._entries)
        self._layout()
        self._settle()
        if self.virtual_size == size and self.scroll_offset == offset and self._relaid_from < len(self._entries):
            # Nothing moved: only the lines from the first changed entry down are drawn again (the
            # streaming block's last lines, mostly), not the whole pane.
            top = self._tops[self._relaid_from]
            self.refresh_lines(top, self._tops[-1] - top)
        else:
            self.refresh()
        self._want_pages()

    def _stream_tick(self) -> None:
        self._stream_due = True
        self._stream_timer = None
        if self._stream_stale:
            self._schedule()

    # -- layout -----------------------------------------------------------------------

    def _layout(self) -> None:
        """Bring `_tops` up to date from the first changed entry on; O(entries after it)."""
        entries, tops, width = self._entries, self._tops, self._width
        start = self._laid_out
        if start >= len(entries) and len(tops) == len(entries) + 1:
            return
        self._relaid_from = min(self._relaid_from, start)
        del tops[start + 1:]
        total = tops[start]
        for entry in entries[start:]:
            total += entry.height(width)
            tops.append(total)
        self._laid_out = len(entries)
        if self.virtual_size != Size(width, total):
            self._set_virtual_size(Size(width, total))

    def _set_virtual_size(self, size: Size) -> None:
        # virtual_size is a layout reactive: setting it re-arranges the whole screen. Content growing
        # under a stable scroll bar moves no widget, and a streaming transcript grows 30 times a second
        # (that layout was a third of the app's time with 8 agents streaming): refresh only this view
        # and its scroll bar, unless the scroll bar comes or goes.
        shown = self.show_vertical_scrollbar
        self.set_reactive(TranscriptView.virtual_size, size)
        self._refresh_scrollbars()
        if self.show_vertical_scrollbar != shown:
            self.refresh(layout=True)
        else:
            # What Widget._scroll_update does, but the scroll bar is repainted only once the view has
            # settled (after this handler: a scroll often follows a new size), and only if its thumb moved.
            self._thumb.update_soon()
            self.scroll_y = self.validate_scroll_y(self.scroll_y)
            self.refresh()

    def _entry_at(self, line: int) -> int:
        """Index of the entry holding `line` (the last entry for lines past the end)."""
        return max(0, min(bisect_right(self._tops, line) - 1, len(self._entries) - 1))

    def _settle(self) -> None:
        """Render the entries in view so their heights are exact, then keep the view in place.

        Tailing keeps the end in view; otherwise the entry at the top stays put while
        heights around it change from estimates to measured values.
        """
        if not self._entries:
            return
        view_height = self.scrollable_content_region.height
        anchor: tuple[int, float] | None = None
        if not self._following:
            # Keep the fraction: this may run during a scroll animation, which must not be nudged.
            index = self._entry_at(int(self.scroll_y))
            anchor = (index, self.scroll_y - self._tops[index])
        y: float = 0
        for _ in range(8):
            if anchor is None:
                y = max(0, self._tops[-1] - view_height)
            else:
                y = self._tops[anchor[0]] + anchor[1]
            changed = False
            index = self._entry_at(int(y))
            while index < len(self._entries) and self._tops[index] < y + view_height:
                changed = self._measure(index) or changed
                index += 1
            if not changed:
                break
            self._layout()
        self._scroll_internally(y)

    def _scroll_internally(self, y: float) -> None:
        # Set the reactives directly: scroll_to() would stop a running scroll animation, and this
        # may run inside that animation's own step (a watcher of scroll_y).
        y = max(0, min(y, self.max_scroll_y))
        if self.scroll_y == y and self.scroll_target_y == y:
            return
        self._scrolling = True
        try:
            self.scroll_target_y = y
            self.scroll_y = y
        finally:
            self._scrolling = False

    def _measure(self, index: int) -> bool:
        """Render entry `index`; True when its height differs from the layout (which is then marked stale)."""
        height = len(self._strips(index))
        if index + 1 < len(self._tops) and height == self._tops[index + 1] - self._tops[index]:
            return False
        self._laid_out = min(self._laid_out, index)
        return True

    def _strips(self, index: int) -> list[Strip]:
        entry = self._entries[index]
        painter = self._get_painter()
        strips = entry.strips(painter, self._width)
        for evicted in self._cached.use(index, len(strips)):
            self._entries[evicted].drop_strips()
        return strips

    def _get_painter(self) -> Painter:
        if self._painter is None:
            self._painter = Painter(self.app.console, self._palette())
        return self._painter

    def _palette(self) -> Palette:
        def style(name: str) -> Style:
            # Not partial: partial styles drop the alpha blending that $text-muted and friends rely on.
            return self.get_component_rich_style(f"transcript--{name}")

        return Palette(
            base=self.rich_style,
            prompt=style("prompt"),
            tool=style("tool"),
            tool_name=style("tool-name"),
            muted=style("muted"),
            thinking=style("thinking"),
            error=style("error"),
            warning=style("warning"),
            success=style("success"),
            footer=style("footer"),
            system=style("system"),
            cursor=Style(bgcolor=style("cursor").bgcolor),
            code_theme="monokai" if self.app.current_theme.dark else "default",
        )

    def notify_style_update(self) -> None:
        super().notify_style_update()
        # A theme change: every cached line carries old colours. Heights stay valid.
        if self._painter is not None:
            self._painter.palette = self._palette()
        for index in self._cached:
            self._entries[index].drop_strips()
        self._cached.clear()
        self._drawn.clear()
        self.refresh()

    # -- Line API ---------------------------------------------------------------------

    def render_lines(self, crop: Region) -> list[Strip]:
        # Tailing scrolls every frame: the lines already drawn are handed back, not finished again.
        width, top = self.scrollable_content_region.width, self.scroll_offset.y
        return self._drawn.render(self, crop, lambda y: self._line(top + y, width), super().render_lines)

    def render_line(self, y: int) -> Strip:
        return self._line(self.scroll_offset.y + y, self.scrollable_content_region.width)

    def _line(self, line: int, width: int) -> Strip:
        """Line ``line`` of the whole transcript at ``width``."""
        painter = self._get_painter()
        # _tops may trail a change by a frame; until the flush it still describes a whole earlier layout.
        laid_out = len(self._tops) - 1
        if laid_out == 0 or line >= self._tops[-1] or width != self._width:
            if width != self._width:
                self._schedule()
            return painter.blank(width)
        index = min(bisect_right(self._tops, line) - 1, laid_out - 1)
        entry = self._entries[index]
        if self._measure(index):
            # Rendered here first and the estimate was off: lay out again next frame.
            self._schedule()
        strips = self._strips(index)
        offset = line - self._tops[index]
        if offset >= len(strips):
            return painter.blank(width)
        strip = strips[offset]
        if index == self._cursor and self.has_focus and entry.lead <= offset < len(strips) - entry.gap:
            strip = Strip(Segment.apply_style(strip, post_style=painter.palette.cursor), strip.cell_length)
        return strip

    # -- scrolling and follow mode ------------------------------------------------------

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        # ScrollView's own watcher, but its scroll bar repainted only when the thumb moves (SteadyThumb).
        self._thumb.update()
        if round(old_value) != round(new_value):
            self.refresh(self.size.region)
        if self._scrolling:
            return
        self._following = round(new_value) >= self.max_scroll_y
        if round(old_value) != round(new_value) and self._width:
            # Newly visible entries get their exact heights before they are painted.
            self._scrolling = True
            try:
                self._layout()
                self._settle()
            finally:
                self._scrolling = False
            self._want_pages()

    def on_resize(self, event: events.Resize) -> None:
        self._thumb.forget()
        self._flush(force=True)

    def on_focus(self, event: events.Focus) -> None:
        self.refresh()

    def on_blur(self, event: events.Blur) -> None:
        self.refresh()

    # -- cursor and expansion -----------------------------------------------------------

    def _move_cursor(self, index: int) -> None:
        if not self._entries:
            return
        index = max(0, min(index, len(self._entries) - 1))
        self._cursor = index
        self._layout()
        if self._measure(index):
            self._layout()
        top = self._tops[index]
        region = Region(0, top, max(1, self._width), max(1, self._tops[index + 1] - top))
        self.scroll_to_region(region, animate=False, immediate=True, x_axis=False, force=True)
        self.refresh()
        self._want_pages()

    def action_cursor_down(self) -> None:
        if self._cursor is None:
            self._move_cursor(self._entry_at(int(self.scroll_y)))
        else:
            self._move_cursor(self._cursor + 1)

    def action_cursor_up(self) -> None:
        if self._cursor is None:
            bottom = int(self.scroll_y) + self.scrollable_content_region.height - 1
            self._move_cursor(self._entry_at(bottom))
        else:
            self._move_cursor(self._cursor - 1)

    def action_cursor_first(self) -> None:
        if self._has_older:
            if not self._page_wanted:
                self._ask(older=True, jump=True)
            return
        self._move_cursor(0)
        self._scroll_internally(0)
        self._following = self.max_scroll_y == 0

    def action_cursor_last(self) -> None:
        if self._has_newer:
            if not self._page_wanted:
                self._ask(older=False, jump=True)
            return
        if not self._entries:
            return
        self._cursor = len(self._entries) - 1
        self._following = True
        self._flush(force=True)

    def action_toggle(self) -> None:
        if self._cursor is None:
            return
        self.toggle(self._cursor)

    def toggle(self, index: int) -> None:
        """Expand or fold entry `index`, if it has details to show."""
        entry = self._entries[index]
        if not entry.expandable:
            return
        entry.expanded = not entry.expanded
        self._changed(entry)
        self._flush(force=True)
        self.post_message(self.EntryToggled(self, index, entry.expanded))

    def is_expanded(self, index: int) -> bool:
        return self._entries[index].expanded

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None or not self._entries or not self._laid_out:
            return
        line = self.scroll_offset.y + offset.y
        if line >= self._tops[self._laid_out]:
            return
        index = self._entry_at(line)
        self._cursor = index
        self.refresh()
        self.toggle(index)


def _needs_lead(previous: Entry, entry: Entry) -> bool:
    """A paragraph after a run of one-line items gets air above it."""
    return previous.gap == 0 and isinstance(entry, (TextEntry, PromptEntry, FooterEntry)) \
        and not isinstance(entry, ThinkingEntry)


class _StripCache:
    """Which entries hold rendered lines, least recently used first, within a budget of lines."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.lines = 0
        self._order: OrderedDict[int, int] = OrderedDict()  # entry index -> its line count

    def __iter__(self):
        return iter(list(self._order))

    def __contains__(self, index: int) -> bool:
        return index in self._order

    def __len__(self) -> int:
        return len(self._order)

    def use(self, index: int, lines: int) -> list[int]:
        """Entry ``index`` holds ``lines`` rendered lines now; returns the entries to drop theirs."""
        self.lines += lines - self._order.pop(index, 0)
        self._order[index] = lines
        evicted = []
        while self.lines > self.limit and len(self._order) > 1:  # the newest always stays
            old, count = self._order.popitem(last=False)
            self.lines -= count
            evicted.append(old)
        return evicted

    def forget(self, index: int) -> None:
        self.lines -= self._order.pop(index, 0)

    def shift(self, shift: int, count: int) -> None:
        """Entries moved by ``shift`` places; those now outside 0..count-1 are gone."""
        self._order = OrderedDict((i + shift, n) for i, n in self._order.items() if 0 <= i + shift < count)
        self.lines = sum(self._order.values())

    def clear(self) -> None:
        self._order.clear()
        self.lines = 0
