"""The items a transcript shows, and how each one turns into lines at a given width.

An entry is one logical item (a prompt, one assistant text block, a tool call with
its result, an approval and its answer, ...). Entries know nothing of widgets or
scrolling: given a `Painter` and a width they render to Strips, cache them until they
change, and can estimate their height cheaply before they are ever rendered, so a
transcript of 100k events lays out without rendering more than the visible part.
"""

from __future__ import annotations

import copy
import json
import re
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from markdown_it import MarkdownIt
from rich.console import Console, RenderableType
from rich.markdown import Markdown
from rich.padding import Padding
from rich.style import Style
from rich.text import Text
from textual.strip import Strip

from clct_tui.summaries import line_counts, money, tool_target

# Lines of settled answer paragraphs a painter keeps rendered, beyond the entries that hold them.
SETTLED_LINES = 6_000
MAX_BODY_LINES = 200  # an expanded tool result or input shows this many lines, then a note
ERROR_PREVIEW_LINES = 5  # a folded error shows this many lines


@dataclass(frozen=True)
class Palette:
    """Rich styles for each role, taken from the widget's component classes."""

    base: Style = Style()
    prompt: Style = Style(bold=True)
    tool: Style = Style()
    tool_name: Style = Style(bold=True)
    muted: Style = Style(dim=True)
    thinking: Style = Style(dim=True, italic=True)
    error: Style = Style(color="red")
    warning: Style = Style(color="yellow")
    success: Style = Style(color="green")
    footer: Style = Style(dim=True)
    system: Style = Style(dim=True, italic=True)
    cursor: Style = Style(reverse=True)
    code_theme: str = "monokai"


class Painter:
    """Renders Rich renderables to Strips through one console, counting every render (tests read it)."""

    def __init__(self, console: Console, palette: Palette, settled_lines: int = SETTLED_LINES) -> None:
        self.console = console
        self._palette = palette
        self.render_count = 0
        # One blank line per width: the same Strip each time lets a drawn frame be reused (see DrawnLines).
        self._blanks: dict[int, Strip] = {}
        # Settled paragraphs of answers, by (text, width), least recently used first: a transcript
        # shown again (going back to an agent) renders only what is new since.
        self._settled: OrderedDict[tuple[str, int], list[Strip]] = OrderedDict()
        self._settled_lines = 0
        self._settled_limit = settled_lines

    @property
    def palette(self) -> Palette:
        return self._palette

    @palette.setter
    def palette(self, palette: Palette) -> None:
        self._palette = palette
        self._blanks.clear()
        self._settled.clear()
        self._settled_lines = 0

    def settled_markdown(self, text: str, width: int) -> list[Strip]:
        """The lines of a settled piece of Markdown, which never changes: kept, within a bound in lines."""
        key = (text, width)
        lines = self._settled.get(key)
        if lines is not None:
            self._settled.move_to_end(key)
            return lines
        lines = self.markdown(text, width)
        self._settled[key] = lines
        self._settled_lines += len(lines)
        while self._settled_lines > self._settled_limit and len(self._settled) > 1:
            self._settled_lines -= len(self._settled.popitem(last=False)[1])
        return lines

    def markdown(self, text: str, width: int) -> list[Strip]:
        text = text.strip("\n")
        if not text.strip():
            return []
        return self.lines(markdown(text, self._palette.code_theme), width)

    def lines(self, renderable: RenderableType, width: int) -> list[Strip]:
        options = self.console.options.update_width(max(1, width))
        rendered = self.console.render_lines(renderable, options, style=self.palette.base, pad=True)
        return [Strip(segments, width) for segments in rendered]

    def blank(self, width: int) -> Strip:
        blank = self._blanks.get(width)
        if blank is None:
            blank = self._blanks[width] = Strip.blank(width, self._palette.base)
        return blank


# rich's Markdown builds a parser per document, with linkify's regular expressions: about a
# millisecond on a slow machine, at every render of a streaming answer. One parser, configured as
# rich configures its own, serves every document here; the rest of a Markdown is copied from one
# made once, so whatever else rich keeps on it stays as rich sets it.
_PARSER = MarkdownIt().enable("strikethrough").enable("table")
_MARKDOWN = Markdown("", hyperlinks=False)


def markdown(text: str, code_theme: str) -> Markdown:
    """rich's Markdown of ``text`` without links, as ``Markdown(text, code_theme, hyperlinks=False)`` is."""
    document = copy.copy(_MARKDOWN)
    document.markup, document.parsed = text, _PARSER.parse(text)
    document.code_theme = document.inline_code_theme = code_theme
    return document


def wrapped_height(text: str, width: int) -> int:
    """Lines plain `text` wraps to: an estimate for text not rendered yet (Markdown differs a little)."""
    if width <= 0:
        return 1
    return sum(max(1, -(-len(line) // width)) for line in text.split("\n"))


def more_lines_note(hidden: int) -> str:
    return f"… {hidden} more line{'s' if hidden != 1 else ''}"


def _clip(text: str, limit: int = MAX_BODY_LINES) -> str:
    lines = text.splitlines()
    if len(lines) <= limit:
        return text
    return "\n".join(lines[:limit] + [more_lines_note(len(lines) - limit)])


def _ansi(text: str, style: Style | str = "") -> Text:
    # Tool output may carry terminal escapes; decode them instead of passing them to the screen.
    result = Text.from_ansi(text, style=style)
    result.end = ""
    return result


class Entry:
    """One item of the transcript; subclasses say how it looks."""

    expandable_kind = False  # whether Enter/click may toggle it
    gap = 0  # blank lines after the content (not highlighted by the cursor)

    def __init__(self) -> None:
        self.index = -1
        # (run id, seq) of the event that made it, when it came from the store or a live run:
        # where the transcript is read again from after this entry is dropped from a window.
        self.key: tuple[int, int] | None = None
        self.lead = 0  # blank lines before the content, decided once by what precedes the entry
        self.expanded = False
        self._strips: list[Strip] | None = None
        self._strips_key: tuple[int, bool] | None = None
        # The height last measured by rendering, kept after the strips are evicted.
        self._measured: tuple[int, bool, int] | None = None
        self._estimated: tuple[int, bool, int] | None = None

    @property
    def expandable(self) -> bool:
        return self.expandable_kind

    def changed(self) -> None:
        """Content changed: forget strips and heights."""
        self._strips = None
        self._strips_key = None
        self._measured = None
        self._estimated = None

    def drop_strips(self) -> None:
        """Free the rendered lines but keep the measured height, so layout stays exact."""
        self._strips = None
        self._strips_key = None

    @property
    def has_strips(self) -> bool:
        return self._strips is not None

    def is_measured(self, width: int) -> bool:
        return self._measured is not None and self._measured[:2] == (width, self.expanded)

    def height(self, width: int) -> int:
        key = (width, self.expanded)
        if self._measured is not None and self._measured[:2] == key:
            return self._measured[2]
        if self._estimated is None or self._estimated[:2] != key:
            content = self.estimate(width)
            self._estimated = (width, self.expanded, self.lead + content + self.gap if content else 0)
        return self._estimated[2]

    def strips(self, painter: Painter, width: int) -> list[Strip]:
        key = (width, self.expanded)
        if self._strips is None or self._strips_key != key:
            painter.render_count += 1
            lines = self.render(painter, width)
            if lines:  # an empty block (a lone newline so far) takes no room at all
                lines = [painter.blank(width) for _ in range(self.lead)] + lines
                lines.extend(painter.blank(width) for _ in range(self.gap))
            self._strips, self._strips_key = lines, key
            self._measured = (width, self.expanded, len(lines))
        return self._strips

    # -- for subclasses -------------------------------------------------------------

    def render(self, painter: Painter, width: int) -> list[Strip]:
        raise NotImplementedError

    def estimate(self, width: int) -> int:
        return 1


class PromptEntry(Entry):
    gap = 1

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def render(self, painter: Painter, width: int) -> list[Strip]:
        text = Text("> ", style=painter.palette.prompt)
        text.append_text(_ansi(self.text, painter.palette.prompt))
        return painter.lines(text, width)

    def estimate(self, width: int) -> int:
        return wrapped_height("> " + self.text, width)


class TextEntry(Entry):
    """Consecutive chunks of one assistant text block, shown as Markdown.

    A streaming block is rendered again as it grows. So that a long answer does not cost more at
    each render, its settled paragraphs are rendered once and kept: the text is cut between two
    plain paragraphs (nothing else, outside any code fence), where Markdown renders the parts on
    either side exactly as it renders the whole, one blank line between them.
    """

    gap = 1

    def __init__(self, block: str | None, text: str) -> None:
        super().__init__()
        self.block = block
        self._chunks = [text]
        self._cuts: list[int] = [0]  # offsets in the text where a settled piece starts; the last starts the tail
        self._pieces: list[list[Strip]] = []  # the settled pieces' lines, for _pieces_key
        self._pieces_key: tuple[int, Palette] | None = None
        self._checked = 0  # how far the text was searched for link definitions
        self._whole = False  # a link definition may serve a link anywhere: no cut is safe then

    def add(self, text: str) -> None:
        self._chunks.append(text)

    def prepend(self, text: str) -> None:
        """The block's earlier text, read after this part (a page of history before it)."""
        self._chunks[:] = [text + self.text]
        self._cuts, self._pieces, self._checked = [0], [], 0

    @property
    def text(self) -> str:
        # Join lazily: a block streamed as thousands of tokens is joined once per render, not per token.
        if len(self._chunks) > 1:
            self._chunks[:] = ["".join(self._chunks)]
        return self._chunks[0]

    def drop_strips(self) -> None:
        super().drop_strips()
        self._pieces, self._pieces_key = [], None

    def render(self, painter: Painter, width: int) -> list[Strip]:
        text = self.text
        if not text.strip():
            return []
        self._advance(text)
        key = (width, painter.palette)
        if self._pieces_key != key:
            self._pieces, self._pieces_key = [], key
        cuts = self._cuts
        while len(self._pieces) < len(cuts) - 1:
            i = len(self._pieces)
            self._pieces.append(painter.settled_markdown(text[cuts[i]:cuts[i + 1]], width))
        lines: list[Strip] = []
        for piece in self._pieces:
            lines.extend(piece)
            lines.append(painter.blank(width))
        tail = painter.markdown(text[cuts[-1]:], width)
        if not tail and lines:
            lines.pop()
        return lines + tail

    def _advance(self, text: str) -> None:
        """Move the start of the tail over every paragraph that can be cut off (see the class)."""
        if self._whole:
            return
        # From the start of the line that was being written at the last look.
        if _LINK_DEFINITION.search(text, text.rfind("\n", 0, self._checked) + 1):
            self._whole, self._cuts, self._pieces = True, [0], []
            return
        self._checked = len(text)
        start = self._cuts[-1]
        blocks = text[start:].split("\n\n")
        offset, previous_plain, in_fence = start, False, False
        for block in blocks[:-1]:  # complete blocks only: the last one may still grow into something else
            if in_fence:
                in_fence = not _toggles_fence(block)
                previous_plain = False
            else:
                plain = _is_plain_paragraph(block)
                if plain and previous_plain:
                    self._cuts.append(offset)
                in_fence = _toggles_fence(block)
                previous_plain = plain
            offset += len(block) + 2

    def estimate(self, width: int) -> int:
        text = self.text.strip("\n")
        return wrapped_height(text, width) if text.strip() else 0


# A line that may begin (or belong to) anything but a plain paragraph: a heading, quote, list item,
# table, HTML, link definition, rule or setext underline, fence, or indented code.
_NOT_PARAGRAPH = re.compile(r" {0,3}(?:[#>*+\-|<\[=`~_]|\d+[.)]|\t| )")


_LINK_DEFINITION = re.compile(r"^ {0,3}\[[^\]\n]+\]:", re.MULTILINE)


def _is_plain_paragraph(block: str) -> bool:
    return bool(block.strip()) and not any(_NOT_PARAGRAPH.match(line) for line in block.split("\n"))


def _toggles_fence(block: str) -> bool:
    """Whether a code fence is open after ``block`` that was not before it, or the other way round."""
    fences = sum(1 for line in block.split("\n") if line.lstrip(" ").startswith(("```", "~~~")))
    return fences % 2 == 1


class ThinkingEntry(TextEntry):
    """A thinking block: one muted line folded, the whole text expanded."""

    gap = 0
    expandable_kind = True

    def render(self, painter: Painter, width: int) -> list[Strip]:
        style = painter.palette.thinking
        text = self.text.strip()
        if not self.expanded:
            first = text.splitlines()[0] if text else ""
            line = Text.assemble(("✻ thinking", style), ("  " + first if first else "", style))
            line.truncate(width, overflow="ellipsis")
            return painter.lines(line, width)
        body = Padding(_ansi(text, style), (0, 0, 0, 2))
        return painter.lines(Text("✻ thinking", style=style), width) + painter.lines(body, width)

    def estimate(self, width: int) -> int:
        return 1 + wrapped_height(self.text.strip(), max(1, width - 2)) if self.expanded else 1


class ToolEntry(Entry):
    """A tool call, with its result once it arrives: one summary line, the details expanded."""

    expandable_kind = True

    def __init__(self, tool_id: str | None, name: str, tool_input: dict[str, Any]) -> None:
        super().__init__()
        self.tool_id = tool_id
        self.name = name
        self.input = tool_input if isinstance(tool_input, dict) else {"input": tool_input}
        self.result: str | None = None
        self.is_error = False

    def summary(self, palette: Palette, width: int) -> Text:
        head = Text.assemble(("▾ " if self.expanded else "▸ ", palette.tool), (self.name, palette.tool_name),
                             style=palette.tool)
        target = tool_target(self.input)
        if target:
            head.append("  " + target, style=palette.tool)
        counts = line_counts(self.name, self.input)
        if counts is not None:
            plus, minus = counts
            head.append(f"  (+{plus} −{minus})" if minus else f"  (+{plus})", style=palette.muted)
        if self.result is None:
            return _fit(head, None, width)
        marker = Text("  ✗", style=palette.error) if self.is_error else Text("  ✓", style=palette.success)
        return _fit(head, marker, width)

    def render(self, painter: Painter, width: int) -> list[Strip]:
        palette = painter.palette
        lines = painter.lines(self.summary(palette, width), width)
        if not self.expanded:
            return lines
        shown_input = json.dumps(self.input, indent=2, ensure_ascii=False, default=str)
        lines += painter.lines(Padding(Text(_clip(shown_input), style=palette.tool), (0, 0, 0, 4)), width)
        if self.result is None:
            lines += painter.lines(Padding(Text("no result yet", style=palette.muted), (0, 0, 0, 4)), width)
            return lines
        label = "── error" if self.is_error else "── result"
        lines += painter.lines(Padding(Text(label, style=palette.muted), (0, 0, 0, 4)), width)
        style = palette.error if self.is_error else palette.tool
        body = _clip(self.result.rstrip("\n")) or "(empty)"
        lines += painter.lines(Padding(_ansi(body, style), (0, 0, 0, 4)), width)
        return lines

    def estimate(self, width: int) -> int:
        if not self.expanded:
            return 1
        body = json.dumps(self.input, indent=2, ensure_ascii=False, default=str)
        return 2 + wrapped_height(_clip(body), width - 4) + wrapped_height(_clip(self.result or ""), width - 4)


def _fit(head: Text, tail: Text | None, width: int) -> Text:
    """One line: `head` shortened with an ellipsis so that `tail` (the result marker) stays visible."""
    room = width - (tail.cell_len if tail is not None else 0)
    if head.cell_len > room:
        head.truncate(max(1, room), overflow="ellipsis")
    if tail is not None:
        head.append_text(tail)
    head.no_wrap = True
    head.overflow = "ellipsis"
    return head


_VERBS = {"Bash": "run", "Write": "write", "Edit": "edit", "MultiEdit": "edit", "NotebookEdit": "edit",
          "WebFetch": "fetch", "Read": "read"}


class ApprovalEntry(Entry):
    """A tool call waiting for a yes or no, and the answer once given."""

    def __init__(self, request_id: str | None, tool: str, tool_input: dict[str, Any]) -> None:
        super().__init__()
        self.request_id = request_id
        self.tool = tool
        self.input = tool_input if isinstance(tool_input, dict) else {}
        self.answer: tuple[bool, str] | None = None

    @property
    def question(self) -> str:
        target = tool_target(self.input)
        verb = _VERBS.get(self.tool, "use")
        return f"? {self.tool} wants to {verb}" + (f": {target}" if target else "")

    def render(self, painter: Painter, width: int) -> list[Strip]:
        palette = painter.palette
        if self.answer is None:
            return painter.lines(Text(self.question, style=palette.warning), width)
        allow, reason = self.answer
        text = Text(self.question, style=palette.muted)
        if allow:
            text.append("  ✓ approved", style=palette.success)
        else:
            text.append("  ✗ denied" + (f": {reason}" if reason else ""), style=palette.error)
        return painter.lines(text, width)

    def estimate(self, width: int) -> int:
        return wrapped_height(self.question + "  ✗ denied", width)


class ErrorEntry(Entry):
    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text.rstrip("\n")

    @property
    def expandable(self) -> bool:
        return self.text.count("\n") >= ERROR_PREVIEW_LINES

    def render(self, painter: Painter, width: int) -> list[Strip]:
        style = painter.palette.error
        lines = self.text.splitlines() or [""]
        if self.expanded or len(lines) <= ERROR_PREVIEW_LINES:
            shown = _clip(self.text, MAX_BODY_LINES * 5)
        else:
            shown = "\n".join(lines[:ERROR_PREVIEW_LINES])
        rendered = painter.lines(Text("✗ ", style=style) + _ansi(shown, style), width)
        if not self.expanded and len(lines) > ERROR_PREVIEW_LINES:
            hidden = len(lines) - ERROR_PREVIEW_LINES
            rendered += painter.lines(Text(f"  {more_lines_note(hidden)} (enter shows all)", style=painter.palette.muted),
                                      width)
        return rendered

    def estimate(self, width: int) -> int:
        lines = self.text.splitlines()
        if not self.expanded and len(lines) > ERROR_PREVIEW_LINES:
            return wrapped_height("✗ " + "\n".join(lines[:ERROR_PREVIEW_LINES]), width) + 1
        return wrapped_height("✗ " + self.text, width)


class FooterEntry(Entry):
    """`── done · $0.0123 · 3 turns · 4.2 s ──`, from a RESULT event."""

    gap = 1

    def __init__(self, data: dict[str, Any]) -> None:
        super().__init__()
        self.data = data

    @property
    def label(self) -> str:
        data = self.data
        if data.get("success"):
            head = "done"
        elif data.get("error") == "interrupted":
            head = "interrupted"
        else:
            head = f"failed: {data.get('error') or 'unknown error'}"
        parts = [head, money(float(data.get('cost_usd') or 0))]
        turns = int(data.get("num_turns") or 0)
        if turns:
            parts.append(f"{turns} turn{'s' if turns != 1 else ''}")
        duration_ms = data.get("duration_ms")
        if duration_ms:
            parts.append(f"{int(duration_ms) / 1000:.1f} s")
        return "── " + " · ".join(parts) + " ──"

    def render(self, painter: Painter, width: int) -> list[Strip]:
        text = Text(self.label, style=painter.palette.footer)
        if not self.data.get("success") and self.data.get("error") != "interrupted":
            text.highlight_words(["failed"], style=painter.palette.error)
        return painter.lines(text, width)

    def estimate(self, width: int) -> int:
        return wrapped_height(self.label, width)


class SystemEntry(Entry):
    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def render(self, painter: Painter, width: int) -> list[Strip]:
        return painter.lines(_ansi("· " + self.text, painter.palette.system), width)

    def estimate(self, width: int) -> int:
        return wrapped_height("· " + self.text, width)

