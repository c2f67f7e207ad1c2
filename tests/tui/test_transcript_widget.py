"""The transcript pane: entries from events, one-line tool calls, follow mode, lazy rendering."""

from __future__ import annotations

from clct_tui.domain import EventKind
from clct_tui.tui.widgets.transcript import TranscriptView
from tests.tui.transcript_app import TranscriptApp, ev, text_chunks

SIZE = (100, 30)


def screen(view: TranscriptView) -> list[str]:
    return [view.render_line(y).text.rstrip() for y in range(view.size.height)]


def words(lines: list[str]) -> str:
    return " ".join(" ".join(lines).split())


async def settle(pilot, view: TranscriptView) -> None:
    await pilot.pause()
    view.flush()
    await pilot.pause()


def system_notes(count: int, start: int = 0):
    return [ev(EventKind.SYSTEM, f"note {i}") for i in range(start, start + count)]


async def test_streamed_chunks_of_one_block_show_as_one_entry_with_the_whole_text():
    app = TranscriptApp()
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(TranscriptView)
        for i in range(500):
            view.append(ev(EventKind.TEXT, f"{i} ", block="m1:0"))
        await settle(pilot, view)
        assert view.entry_count == 1
        assert words(screen(view)) == " ".join(str(i) for i in range(500))


async def test_a_burst_of_token_deltas_is_rendered_once_not_per_token():
    app = TranscriptApp()
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(TranscriptView)
        before = view.render_count
        for i in range(500):
            view.append(ev(EventKind.TEXT, f"{i} ", block="m1:0"))
        await pilot.pause()
        assert view.render_count - before <= 2


async def test_a_finished_text_block_is_shown_as_markdown():
    app = TranscriptApp()
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(TranscriptView)
        for chunk in text_chunks("m1:0", "Some **bold** words", size=3):
            view.append(chunk)
        view.append(ev(EventKind.RESULT, success=True, cost_usd=0.01, num_turns=1, duration_ms=1000))
        await settle(pilot, view)
        assert "Some bold words" in screen(view)


async def test_a_tool_call_and_its_result_make_one_summary_line_with_the_file_and_line_count():
    events = [
        ev(EventKind.TOOL_USE, id="t1", name="Write", input={"file_path": "hello.txt", "content": "a\nb\nc\n"}),
        ev(EventKind.TOOL_RESULT, "File created", tool_use_id="t1", is_error=False),
    ]
    app = TranscriptApp(events)
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(TranscriptView)
        await settle(pilot, view)
        assert view.entry_count == 1
        assert screen(view)[0] == "▸ Write  hello.txt  (+3)  ✓"
        assert screen(view)[1] == ""


async def test_an_edit_summary_counts_added_and_removed_lines():
    edit = {"file_path": "src/auth.py", "old_string": "a\nb\nc\n", "new_string": "x\n" * 42}
    app = TranscriptApp([ev(EventKind.TOOL_USE, id="t1", name="Edit", input=edit)])
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(TranscriptView)
        await settle(pilot, view)
        assert screen(view)[0] == "▸ Edit  src/auth.py  (+42 −3)"


async def test_a_failed_tool_result_marks_the_summary_with_a_cross_in_the_error_colour():
    events = [
        ev(EventKind.TOOL_USE, id="t1", name="Bash", input={"command": "npm test"}),
        ev(EventKind.TOOL_RESULT, "1 failing", tool_use_id="t1", is_error=True),
    ]
    app = TranscriptApp(events)
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(TranscriptView)
        await settle(pilot, view)
        line = view.render_line(0)
        assert line.text.rstrip() == "▸ Bash  npm test  ✗"
        error = view.get_component_rich_style("transcript--error")
        assert any("✗" in seg.text and seg.style.color == error.color for seg in line)


async def test_enter_expands_a_tool_call_to_show_its_input_and_result():
    events = [
        ev(EventKind.TOOL_USE, id="t1", name="Write", input={"file_path": "hello.txt", "content": "hi\n"}),
        ev(EventKind.TOOL_RESULT, "File created successfully", tool_use_id="t1", is_error=False),
    ]
    app = TranscriptApp(events)
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(TranscriptView)
        await settle(pilot, view)
        await pilot.press("down", "enter")
        await settle(pilot, view)
        shown = screen(view)
        assert shown[0].startswith("▾ Write  hello.txt")
        assert any('"file_path": "hello.txt"' in line for line in shown)
        assert any("File created successfully" in line for line in shown)
        await pilot.press("enter")
        await settle(pilot, view)
        assert screen(view)[1] == ""


async def test_expanding_posts_entry_toggled():
    app = TranscriptApp([ev(EventKind.TOOL_USE, id="t1", name="Bash", input={"command": "ls"})])
    toggled: list[TranscriptView.EntryToggled] = []
    async with app.run_test(size=SIZE, message_hook=lambda m: toggled.append(m)
                            if isinstance(m, TranscriptView.EntryToggled) else None) as pilot:
        view = app.query_one(TranscriptView)
        await settle(pilot, view)
        await pilot.press("down", "enter")
        await pilot.pause()
        posted = {id(m): m for m in toggled}.values()  # the hook sees a message once per node it bubbles to
        assert [(m.index, m.expanded, m.control) for m in posted] == [(0, True, view)]


async def test_a_long_tool_result_is_cut_with_a_note_of_the_lines_left_out():
    result = "\n".join(f"line {i}" for i in range(500))
    events = [
        ev(EventKind.TOOL_USE, id="t1", name="Bash", input={"command": "seq 500"}),
        ev(EventKind.TOOL_RESULT, result, tool_use_id="t1", is_error=False),
    ]
    app = TranscriptApp(events)
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(TranscriptView)
        await settle(pilot, view)
        await pilot.press("down", "enter", "end")
        await settle(pilot, view)
        shown = [line.strip() for line in screen(view)]
        assert "line 199" in shown and "line 200" not in shown
        assert "… 300 more lines" in shown


async def test_clicking_a_tool_call_expands_it():
    app = TranscriptApp([ev(EventKind.TOOL_USE, id="t1", name="Bash", input={"command": "ls -la"})])
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(TranscriptView)
        await settle(pilot, view)
        await pilot.click(TranscriptView, offset=(3, 0))
        await settle(pilot, view)
        assert view.is_expanded(0) and view.cursor == 0


async def test_while_at_the_end_new_content_keeps_the_view_at_the_end():
    app = TranscriptApp(system_notes(200))
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(TranscriptView)
        await settle(pilot, view)
        assert view.following and view.scroll_y == view.max_scroll_y > 0
        old_max = view.max_scroll_y
        for event in system_notes(20, start=200):
            view.append(event)
        await settle(pilot, view)
        assert view.max_scroll_y == old_max + 20
        assert view.scroll_y == view.max_scroll_y
        assert screen(view)[-1] == "· note 219"


async def test_after_scrolling_up_new_content_does_not_move_the_view():
    app = TranscriptApp(system_notes(200))
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(TranscriptView)
        await settle(pilot, view)
        await pilot.press("pageup")
        await settle(pilot, view)
        assert not view.following
        where, top_line = view.scroll_y, screen(view)[0]
        for event in system_notes(20, start=200):
            view.append(event)
        await settle(pilot, view)
        assert view.scroll_y == where and screen(view)[0] == top_line


async def test_scrolling_back_to_the_end_resumes_following():
    app = TranscriptApp(system_notes(200))
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(TranscriptView)
        await settle(pilot, view)
        await pilot.press("pageup")
        await settle(pilot, view)
        await pilot.press("pagedown")
        await settle(pilot, view)
        assert view.following
        view.append(ev(EventKind.SYSTEM, "latest"))
        await settle(pilot, view)
        assert screen(view)[-1] == "· latest"


def big_history(turns: int):
    events = []
    for i in range(turns):
        events.append(ev(EventKind.PROMPT, f"prompt {i}"))
        events.extend(text_chunks(f"m{i}:0", f"Answer number {i} with some **markdown**.", size=5))
        events.append(ev(EventKind.TOOL_USE, id=f"t{i}", name="Read", input={"file_path": f"src/f{i}.py"}))
        events.append(ev(EventKind.TOOL_RESULT, "contents", tool_use_id=f"t{i}", is_error=False))
    return events


async def test_fifty_thousand_events_load_without_rendering_more_than_the_visible_entries():
    events = big_history(4_200)  # ~12 events and 3 entries a turn
    assert len(events) >= 50_000
    app = TranscriptApp()
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(TranscriptView)
        view.extend(events)
        await settle(pilot, view)
        assert view.entry_count == 4_200 * 3
        assert view.render_count < 60
        assert "▸ Read  src/f4199.py  ✓" in screen(view)
        before = view.render_count
        view.scroll_to(y=view.max_scroll_y // 2, animate=False, immediate=True)
        await settle(pilot, view)
        assert view.render_count - before < 60
        assert any(line.startswith("> prompt 2") for line in screen(view))


async def test_an_error_uses_the_error_component_class():
    app = TranscriptApp([ev(EventKind.ERROR, "the CLI died")])
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(TranscriptView)
        await settle(pilot, view)
        line = view.render_line(0)
        assert line.text.rstrip() == "✗ the CLI died"
        error = view.get_component_rich_style("transcript--error")
        assert {seg.style.color for seg in line if seg.text.strip()} == {error.color}


async def test_a_long_error_is_folded_until_expanded():
    text = "\n".join(f"trace {i}" for i in range(20))
    app = TranscriptApp([ev(EventKind.ERROR, text)])
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(TranscriptView)
        await settle(pilot, view)
        assert "… 15 more lines (enter shows all)" in [line.strip() for line in screen(view)]
        await pilot.press("down", "enter")
        await settle(pilot, view)
        assert "trace 19" in screen(view)


async def test_an_approval_waiting_is_a_question_in_the_warning_colour():
    app = TranscriptApp([ev(EventKind.APPROVAL_ASKED, request_id="r1", tool="Bash", input={"command": "npm test"})])
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(TranscriptView)
        await settle(pilot, view)
        line = view.render_line(0)
        assert line.text.rstrip() == "? Bash wants to run: npm test"
        warning = view.get_component_rich_style("transcript--warning")
        assert {seg.style.color for seg in line if seg.text.strip()} == {warning.color}


async def test_an_approved_request_says_approved_on_the_same_entry():
    app = TranscriptApp([ev(EventKind.APPROVAL_ASKED, request_id="r1", tool="Bash", input={"command": "npm test"})])
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(TranscriptView)
        view.append(ev(EventKind.APPROVAL_ANSWERED, request_id="r1", allow=True, reason=""))
        await settle(pilot, view)
        assert view.entry_count == 1
        assert screen(view)[0] == "? Bash wants to run: npm test  ✓ approved"


async def test_a_denied_request_gives_the_reason():
    events = [
        ev(EventKind.APPROVAL_ASKED, request_id="r1", tool="Write", input={"file_path": "prod.env"}),
        ev(EventKind.APPROVAL_ANSWERED, request_id="r1", allow=False, reason="not that file"),
    ]
    app = TranscriptApp(events)
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(TranscriptView)
        await settle(pilot, view)
        assert screen(view)[0] == "? Write wants to write: prod.env  ✗ denied: not that file"


async def test_a_result_becomes_a_footer_with_cost_turns_and_duration():
    events = [
        ev(EventKind.RESULT, success=True, cost_usd=0.0123, num_turns=3, duration_ms=4200),
        ev(EventKind.RESULT, success=False, error="stopped at the max_turns limit", cost_usd=0.5, num_turns=1,
           duration_ms=900),
    ]
    app = TranscriptApp(events)
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(TranscriptView)
        await settle(pilot, view)
        assert screen(view)[:4] == [
            "── done · $0.012 · 3 turns · 4.2 s ──",
            "",
            "── failed: stopped at the max_turns limit · $0.500 · 1 turn · 0.9 s ──",
            "",
        ]


async def test_the_cursor_moves_between_entries_with_j_and_k():
    app = TranscriptApp(system_notes(5))
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(TranscriptView)
        await settle(pilot, view)
        assert view.cursor is None
        await pilot.press("k")
        assert view.cursor == 4
        await pilot.press("k", "k", "j")
        assert view.cursor == 3
        await pilot.press("home")
        assert view.cursor == 0
        await pilot.press("end")
        assert view.cursor == 4


async def test_a_read_only_view_opens_at_the_top():
    app = TranscriptApp(system_notes(200), read_only=True)
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(TranscriptView)
        await settle(pilot, view)
        assert view.scroll_y == 0 and not view.following
        assert screen(view)[0] == "· note 0"


async def test_clear_empties_the_view():
    app = TranscriptApp(system_notes(50))
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(TranscriptView)
        await settle(pilot, view)
        view.clear()
        await settle(pilot, view)
        assert view.entry_count == 0 and view.virtual_size.height == 0
        assert set(screen(view)) == {""}


async def test_follow_mode_survives_animated_scrolling():
    app = TranscriptApp(system_notes(200))
    app.animation_level = "full"
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(TranscriptView)
        await settle(pilot, view)
        await pilot.press("pageup")
        await pilot.wait_for_scheduled_animations()
        assert not view.following
        await pilot.press("pagedown")
        await pilot.wait_for_scheduled_animations()
        await settle(pilot, view)
        assert view.following and view.scroll_y == view.max_scroll_y


async def test_streamed_text_reaches_the_screen_without_being_flushed():
    app = TranscriptApp()
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(TranscriptView)
        for chunk in text_chunks("m1:0", "hello there, streaming world", size=4):
            view.append(chunk)
            await pilot.pause()
        await pilot.pause(0.3)  # longer than one frame plus the Markdown throttle
        assert screen(view)[0] == "hello there, streaming world"
