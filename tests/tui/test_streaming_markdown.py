"""A streaming text block renders its settled paragraphs once, and looks exactly as if rendered whole.

Each answer below is streamed a few characters at a time; after every chunk the entry's lines
must equal those of a fresh entry rendered from the whole text so far (text and styles alike).
"""

from __future__ import annotations

import pytest
from rich.console import Console
from rich.markdown import Markdown
from textual.strip import Strip

from clct_tui.tui.widgets.transcript_entries import Painter, Palette, TextEntry

WIDTH = 60

ANSWERS = {
    "paragraphs": "First paragraph, long enough to wrap over more than one line of the pane at sixty columns.\n\n"
                  "Second paragraph with **bold** and `code` in it.\n\nThird.\n\nFourth, the last one.",
    "a list between paragraphs": "Intro paragraph.\n\nAnother one.\n\n- one\n- two\n\n1. first\n\n2. second\n\n"
                                 "After the lists.\n\nAnd the end.",
    "a fence with blank lines in it": "Some code:\n\nMore words.\n\n```text\nnot a paragraph\n\nnor this\n\nnor this one\n\nnor the last\n```"
                                      "\n\nAfter the code.\n\nThe end.",
    "headings, quotes and rules": "# Title\n\nText under it.\n\n> a quote\n\n> another\n\nPlain.\n\n---\n\nPlain again."
                                  "\n\nSetext\n===\n\nLast words.",
    "a link defined later": "See [the docs][d] first.\n\nMore text.\n\nAnd more.\n\n[d]: https://example.com\n",
    "three newlines": "One.\n\n\nTwo.\n\nThree.\n\n\n\nFour.",
    "tables and strikethrough": "Before.\n\n| a | b |\n|---|:-:|\n| ~~x~~ | `y` |\n\nBetween ~~struck~~ words.\n\n"
                                "```python\nprint('code')\n```\n\nAfter.",
}


def segments(strips: list[Strip]) -> list[list[tuple[str, object]]]:
    return [[(seg.text, seg.style) for seg in strip] for strip in strips]


def lines(entry: TextEntry, painter: Painter) -> list[list[tuple[str, object]]]:
    entry.changed()
    return segments(entry.render(painter, WIDTH))


def whole(text: str, painter: Painter) -> list[list[tuple[str, object]]]:
    """The text rendered as one Markdown document."""
    text = text.strip("\n")
    if not text.strip():
        return []
    return segments(painter.lines(Markdown(text, code_theme=painter.palette.code_theme, hyperlinks=False), WIDTH))


@pytest.fixture
def painter() -> Painter:
    return Painter(Console(width=WIDTH, color_system="truecolor", force_terminal=True), Palette())


@pytest.mark.parametrize("answer", ANSWERS.values(), ids=ANSWERS.keys())
def test_a_streamed_block_looks_as_if_rendered_whole_after_every_chunk(answer, painter):
    streaming = TextEntry("0", "")
    for end in range(3, len(answer) + 3, 3):
        streaming.add(answer[end - 3:end])
        assert lines(streaming, painter) == whole(answer[:end], painter), answer[:end]


class CountingPainter(Painter):
    """Counts the Markdown source rendered (Painter.render_count counts whole entries)."""

    chars = 0

    def lines(self, renderable, width):
        self.chars += len(renderable.markup)
        return super().lines(renderable, width)


def test_settled_paragraphs_are_not_rendered_again_as_the_block_grows():
    painter = CountingPainter(Console(width=WIDTH, color_system="truecolor", force_terminal=True), Palette())
    entry = TextEntry("0", "")
    paragraphs = [f"Paragraph {i} says something of moderate length." for i in range(200)]
    for paragraph in paragraphs:
        entry.add(paragraph + "\n\n")
        lines(entry, painter)
    before = painter.chars
    entry.add("One more.")
    lines(entry, painter)
    # the tail, and a paragraph that settled: not the ten thousand characters of two hundred
    assert painter.chars - before <= 3 * len(paragraphs[-1])


def counting_painter(settled_lines: int = 6_000) -> CountingPainter:
    return CountingPainter(Console(width=WIDTH, color_system="truecolor", force_terminal=True), Palette(),
                           settled_lines=settled_lines)


def streamed_entry(paragraphs: list[str]) -> TextEntry:
    return TextEntry("0", "".join(p + "\n\n" for p in paragraphs))


def test_an_answer_shown_again_renders_only_its_last_paragraph():
    painter = counting_painter()
    paragraphs = [f"Paragraph {i} of an answer read back from history." for i in range(100)]
    first = lines(streamed_entry(paragraphs), painter)
    painter.chars = 0
    again = lines(streamed_entry(paragraphs), painter)
    assert again == first
    assert painter.chars <= len(paragraphs[-1])


def test_settled_paragraphs_kept_are_bounded_in_lines_least_recently_used_going_first():
    painter = counting_painter(settled_lines=20)
    paragraphs = [f"Paragraph {i} of a long answer." for i in range(100)]
    lines(streamed_entry(paragraphs), painter)
    painter.chars = 0
    lines(streamed_entry(paragraphs[-10:]), painter)  # the newest ones are still kept
    assert painter.chars <= len(paragraphs[-1])
    painter.chars = 0
    lines(streamed_entry(paragraphs[:10]), painter)  # the oldest ones were let go
    assert painter.chars >= len("".join(paragraphs[:9]))
