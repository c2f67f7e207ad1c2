"""Token deltas joined over a frame before they are stored and published: same text, same order, fewer events."""

from __future__ import annotations

import asyncio

from clct_tui.domain import EventKind, TranscriptEvent
from clct_tui.orchestrator.deltas import DeltaBuffer


def delta(text: str, block: str = "m1:0", kind: EventKind = EventKind.TEXT) -> TranscriptEvent:
    return TranscriptEvent(kind, text, {"block": block})


def buffer(window: float = 60.0) -> tuple[DeltaBuffer, list[tuple[int, TranscriptEvent]]]:
    out: list[tuple[int, TranscriptEvent]] = []
    return DeltaBuffer(lambda run, event: out.append((run, event)), window), out


async def test_deltas_of_one_block_become_one_event_with_the_whole_text():
    deltas, out = buffer()
    for chunk in ["Hel", "lo, ", "world"]:
        deltas.add(1, delta(chunk))
    assert out == []
    deltas.flush()
    assert [(run, e.kind, e.text, e.block) for run, e in out] == [(1, EventKind.TEXT, "Hello, world", "m1:0")]


async def test_another_event_of_the_run_hands_on_the_held_text_first():
    deltas, out = buffer()
    deltas.add(1, delta("Writing "))
    deltas.add(1, delta("the file."))
    deltas.add(1, TranscriptEvent(EventKind.TOOL_USE, data={"id": "t1", "name": "Write"}))
    assert [(e.kind, e.text) for _, e in out] == [(EventKind.TEXT, "Writing the file."), (EventKind.TOOL_USE, "")]


async def test_a_new_block_a_new_kind_or_a_new_run_starts_a_new_event():
    deltas, out = buffer()
    deltas.add(1, delta("a", block="m1:0"))
    deltas.add(1, delta("b", block="m1:1"))
    deltas.add(1, delta("c", block="m1:1", kind=EventKind.THINKING))
    deltas.add(2, delta("d", block="m1:1", kind=EventKind.THINKING))
    deltas.flush()
    assert [(run, e.text) for run, e in out] == [(1, "a"), (1, "b"), (1, "c"), (2, "d")]


async def test_held_text_is_handed_on_when_the_window_closes():
    deltas, out = buffer(window=0.01)
    deltas.add(1, delta("soon"))
    for _ in range(200):
        if out:
            break
        await asyncio.sleep(0.01)
    assert [e.text for _, e in out] == ["soon"]


async def test_the_joined_event_keeps_the_first_deltas_time():
    deltas, out = buffer()
    deltas.add(1, TranscriptEvent(EventKind.TEXT, "a", {"block": "b"}, ts=10.0))
    deltas.add(1, TranscriptEvent(EventKind.TEXT, "b", {"block": "b"}, ts=11.0))
    deltas.flush()
    assert out[0][1].ts == 10.0
