"""The transcript's scroll bar is repainted when its thumb moves on screen, and only then."""

from __future__ import annotations

import itertools

from textual.scrollbar import ScrollBarRender

from clct_tui.domain import EventKind
from clct_tui.tui.widgets.scroll_bar import thumb
from clct_tui.tui.widgets.transcript import TranscriptView
from tests.tui.transcript_app import TranscriptApp, ev, text_chunks

SIZE = (80, 20)


def drawn(size: int, virtual: int, window: int, position: float) -> list[tuple[str, object]]:
    window = window if window < virtual else 0  # as ScrollBar._render_bar passes it on
    bar = ScrollBarRender.render_bar(size=size, virtual_size=virtual, window_size=window, position=position)
    return [(segment.text, segment.style) for segment in bar.segments]


def test_the_thumb_differs_exactly_when_textual_draws_another_bar():
    states = [(size, virtual, window, position)
              for size, virtual, window in itertools.product((5, 18), (3, 18, 19, 40, 500, 5000), (4, 18))
              for position in sorted({0, 1, 2.5, 7, virtual - window - 1, virtual - window}) if 0 <= position]
    seen: dict[object, list] = {}
    for state in states:
        seen.setdefault((state[0], thumb(*state)), []).append(drawn(*state))
    for bars in seen.values():
        assert all(bar == bars[0] for bar in bars)
    firsts = [bars[0] for bars in seen.values()]
    for a, b in itertools.combinations(range(len(firsts)), 2):
        assert firsts[a] != firsts[b]


async def stream(pilot, view: TranscriptView, paragraphs: int, start: int = 0) -> None:
    for i in range(start, start + paragraphs):
        for event in text_chunks("m1:0", f"Paragraph {i}: a line of an answer long enough to wrap.\n\n", size=30):
            view.append(event)
        await pilot.pause()
        view.flush()
        await pilot.pause()


async def test_a_long_transcript_tailing_a_stream_leaves_its_scroll_bar_unpainted():
    app = TranscriptApp()
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(TranscriptView)
        view.extend(ev(EventKind.TEXT, f"Paragraph {i}: a line of an answer.\n\n", block="m1:0") for i in range(400))
        await pilot.pause()
        view.flush()
        await pilot.pause()  # the thumb is one row, at the bottom
        bar = view.vertical_scrollbar
        repaints = []
        refresh = bar.refresh
        bar.refresh = lambda *a, **k: (repaints.append(1), refresh(*a, **k))[1]  # counted, still done
        await stream(pilot, view, 10, start=400)
        assert view.following
        assert len(repaints) == 0


async def test_the_scroll_bar_knows_the_exact_sizes_and_position_and_repaints_when_scrolled():
    app = TranscriptApp()
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(TranscriptView)
        await stream(pilot, view, 60)
        view.append(ev(EventKind.TEXT, "\n\nOne more paragraph.", block="m1:0"))
        await pilot.pause()
        view.flush()
        await pilot.pause()
        bar = view.vertical_scrollbar
        assert (bar.window_virtual_size, bar.position) == (view.virtual_size.height, view.scroll_y)
        repaints = []
        refresh = bar.refresh
        bar.refresh = lambda *a, **k: (repaints.append(1), refresh(*a, **k))[1]  # counted, still done
        view.scroll_to(y=10, animate=False, immediate=True)
        await pilot.pause()
        assert bar.position == view.scroll_y == 10
        assert repaints  # the thumb moved up: drawn again


async def test_a_transcript_cleared_while_at_its_top_repaints_its_scroll_bar_without_a_thumb():
    app = TranscriptApp()
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(TranscriptView)
        await stream(pilot, view, 30)
        view.scroll_to(y=0, animate=False, immediate=True)
        await pilot.pause()
        bar = view.vertical_scrollbar
        repaints = []
        refresh = bar.refresh
        bar.refresh = lambda *a, **k: (repaints.append(1), refresh(*a, **k))[1]  # counted, still done
        view.clear()
        await pilot.pause()
        assert thumb(bar.size.height, bar.window_virtual_size, bar.window_size, bar.position) is None
        assert repaints
