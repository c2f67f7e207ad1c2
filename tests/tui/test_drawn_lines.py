"""A tailing transcript hands back the lines it already drew, and they are the lines Textual would draw."""

from __future__ import annotations

from textual.geometry import Region
from textual.scroll_view import ScrollView

from clct_tui.domain import EventKind
from clct_tui.tui.widgets.transcript import TranscriptView
from tests.tui.transcript_app import TranscriptApp, ev, text_chunks

SIZE = (80, 20)
PARAGRAPH = "A paragraph of an answer, long enough to wrap over two lines of the pane at this width. "


async def streamed(pilot, view: TranscriptView, paragraphs: int) -> None:
    for i in range(paragraphs):
        for event in text_chunks("m1:0", f"Paragraph {i}: {PARAGRAPH}\n\n", size=20):
            view.append(event)
        await pilot.pause()
        view.flush()
        await pilot.pause()


def drawn(view: TranscriptView) -> list:
    return view.render_lines(Region(0, 0, view.size.width, view.size.height))


def as_textual_draws_them(view: TranscriptView) -> list[list[tuple[str, object]]]:
    view.refresh()  # every line dirty: Textual finishes each one anew
    strips = ScrollView.render_lines(view, Region(0, 0, view.size.width, view.size.height))
    return [[(s.text, s.style) for s in strip] for strip in strips]


async def test_lines_still_on_screen_after_the_pane_scrolls_are_the_same_strips():
    app = TranscriptApp()
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(TranscriptView)
        view.blur()
        await streamed(pilot, view, 12)
        before = drawn(view)
        view.append(ev(EventKind.TEXT, "\n\nOne more line at the end.", block="m1:0"))
        await pilot.pause()
        view.flush()
        await pilot.pause()
        after = drawn(view)
        moved = len(before) - len([s for s in after if any(s is b for b in before)])
        assert 0 < moved < len(before) // 2


async def test_lines_handed_back_are_those_textual_draws_itself():
    app = TranscriptApp()
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(TranscriptView)
        for paragraphs in (3, 4, 5):
            await streamed(pilot, view, paragraphs)
            ours = [[(s.text, s.style) for s in strip] for strip in drawn(view)]
            assert ours == as_textual_draws_them(view)


async def test_a_theme_change_draws_every_line_again():
    app = TranscriptApp()
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(TranscriptView)
        await streamed(pilot, view, 12)
        before = drawn(view)
        app.theme = "textual-light" if app.current_theme.dark else "textual-dark"
        await pilot.pause()
        after = drawn(view)
        assert not any(s is b for s in after for b in before)
        assert [[(s.text, s.style) for s in strip] for strip in after] == as_textual_draws_them(view)


async def test_a_pane_with_top_padding_is_drawn_by_textual_alone():
    app = TranscriptApp()
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(TranscriptView)
        view.styles.padding = (1, 1, 0, 1)
        await streamed(pilot, view, 12)
        ours = [[(s.text, s.style) for s in strip] for strip in drawn(view)]
        assert ours == as_textual_draws_them(view)
        assert ours[0][0][0].strip() == ""  # the padding row
