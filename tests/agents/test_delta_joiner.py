"""DeltaJoiner: the CLI's delta lines of one block, read together, reach the SDK as one line.

The lines here are shaped exactly as Claude Code 2.1 writes them (see a run with
``--output-format stream-json --include-partial-messages``); the end-to-end tests run the same
code against the real CLI.
"""

from __future__ import annotations

import json

from clct_tui.agents.transport import DeltaJoiner

SESSION = "306565b8-3445-4f5f-916b-7263b2e14274"


def delta(text: str, index: int = 0, kind: str = "text", parent: str | None = None, uuid: str = "u1",
          session: str = SESSION) -> str:
    return json.dumps({
        "type": "stream_event",
        "event": {"type": "content_block_delta", "index": index, "delta": {"type": f"{kind}_delta", kind: text}},
        "session_id": session, "parent_tool_use_id": parent, "uuid": uuid, "api_message_id": "msg_1",
    }, separators=(",", ":"), ensure_ascii=False) + "\n"


def block_stop(index: int = 0) -> str:
    return json.dumps({"type": "stream_event", "event": {"type": "content_block_stop", "index": index},
                       "session_id": SESSION, "parent_tool_use_id": None, "uuid": "s"}, separators=(",", ":")) + "\n"


def messages(out: str) -> list[dict]:
    return [json.loads(line) for line in out.split("\n") if line]  # split as the SDK does: on \n only


def texts(out: str) -> list[str]:
    return [m["event"]["delta"].get("text", m["event"]["delta"].get("thinking")) for m in messages(out)
            if m["event"]["type"] == "content_block_delta"]


def test_deltas_of_one_block_read_together_become_one_line_with_their_text_joined():
    joiner = DeltaJoiner()
    out = joiner.push(delta("Hel", uuid="a") + delta("lo, ", uuid="b") + delta("world", uuid="c"))
    assert texts(out) == ["Hello, world"]
    assert messages(out)[0]["uuid"] == "a" and messages(out)[0]["session_id"] == SESSION


def test_every_delta_and_character_read_is_counted_before_joining():
    joiner = DeltaJoiner()
    joiner.push(delta("Hel") + delta("lo"))
    joiner.push(delta("!"))
    assert (joiner.deltas, joiner.chars) == (3, 6)


def test_other_lines_pass_unchanged_and_in_order_between_joined_deltas():
    joiner = DeltaJoiner()
    stop = block_stop()
    out = joiner.push(delta("a") + delta("b") + stop + delta("c", index=1) + delta("d", index=1))
    assert out.split("\n")[1] == stop.rstrip("\n")
    assert texts(out) == ["ab", "cd"]


def test_deltas_of_different_blocks_kinds_or_subagents_are_not_joined():
    joiner = DeltaJoiner()
    out = joiner.push(delta("a") + delta("b", index=1) + delta("c", index=1, kind="thinking")
                      + delta("d", index=1, kind="thinking", parent="toolu_1"))
    assert texts(out) == ["a", "b", "c", "d"]


def test_a_line_cut_between_reads_is_completed_by_the_next_read():
    joiner = DeltaJoiner()
    line = delta("split across reads")
    assert joiner.push(line[:40]) == ""
    assert texts(joiner.push(line[40:] + delta(" and more"))) == ["split across reads and more"]


def test_a_block_is_not_held_past_the_read_it_came_in():
    joiner = DeltaJoiner()
    assert texts(joiner.push(delta("first"))) == ["first"]
    assert texts(joiner.push(delta(" second"))) == [" second"]


def test_escapes_quotes_and_unicode_survive_the_join():
    tricky = ['"quoted"', "back\\slash", "new\nline", "ünïcödé ✓", "\u2028", "tab\t"]
    joiner = DeltaJoiner()
    assert texts(joiner.push("".join(delta(t) for t in tricky))) == ["".join(tricky)]


def test_a_delta_line_of_another_shape_passes_as_it_came():
    odd = json.dumps({"type": "stream_event", "event": {"type": "content_block_delta", "index": 0,
                                                         "delta": {"type": "text_delta", "text": "x", "extra": 1}}},
                     separators=(",", ":")) + "\n"
    joiner = DeltaJoiner()
    assert joiner.push(delta("a") + odd + delta("b")) == delta("a") + odd + delta("b")


def test_an_unfinished_last_line_is_handed_on_at_the_end_of_the_stream():
    joiner = DeltaJoiner()
    assert joiner.push('{"type":"result"') == ""
    assert joiner.rest() == '{"type":"result"'


def test_a_line_repeating_the_delta_shape_after_its_text_passes_as_it_came():
    nested = json.dumps({
        "type": "stream_event",
        "event": {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "a"}},
        "echo": {"delta": {"type": "text_delta", "text": "not this"}}, "uuid": "u1",
    }, separators=(",", ":")) + "\n"
    joiner = DeltaJoiner()
    assert joiner.push(nested + nested) == nested + nested


def test_a_delta_shape_inside_another_line_is_not_taken_for_a_delta():
    inner = delta("inside").rstrip("\n")
    outer = '{"type":"user","raw":' + inner + "}\n"
    joiner = DeltaJoiner()
    assert joiner.push(outer + delta("b")) == outer + delta("b")
