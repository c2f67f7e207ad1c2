"""Reading an agent's transcript a page at a time, by (run, seq), and the seq an appended event gets."""

from __future__ import annotations

from clct_tui.domain import EventKind, TranscriptEvent

from .conftest import text


def note(n: int) -> TranscriptEvent:
    return TranscriptEvent(EventKind.SYSTEM, str(n))


def fill(store, agent, runs: int = 3, per_run: int = 4) -> list[int]:
    ids = []
    for r in range(runs):
        run = store.start_run(agent.id, f"prompt {r}")
        for i in range(per_run):
            store.append_event(run.id, note(r * per_run + i))
        store.finish_run(run.id, state="done", success=True)
        ids.append(run.id)
    store.flush()
    return ids


def texts(records) -> list[str]:
    return [r.text for r in records]


def test_an_event_of_a_run_started_here_is_numbered_when_it_is_appended(store, run):
    assert [store.append_event(run.id, note(n)) for n in range(3)] == [0, 1, 2]
    store.flush()
    assert [e.seq for e in store.events(run.id)] == [0, 1, 2]


def test_a_coalesced_row_carries_the_seq_of_its_last_chunk(store, run):
    seqs = [store.append_event(run.id, text(c)) for c in "abcd"]
    after = store.append_event(run.id, note(9))
    store.flush()
    stored = store.events(run.id)
    assert [(e.text, e.seq) for e in stored] == [("abcd", seqs[-1]), ("9", after)]


def test_the_last_page_is_the_newest_events_across_runs(store, agent):
    fill(store, agent)
    page, more = store.agent_events_page(agent.id, limit=6)
    assert texts(page) == ["6", "7", "8", "9", "10", "11"] and more


def test_a_page_before_a_key_ends_just_before_it(store, agent):
    runs = fill(store, agent)
    page, more = store.agent_events_page(agent.id, before=(runs[1], 2), limit=3)
    assert texts(page) == ["3", "4", "5"] and more
    page, more = store.agent_events_page(agent.id, before=(runs[1], 2), limit=10)
    assert texts(page) == ["0", "1", "2", "3", "4", "5"] and not more


def test_a_page_after_a_key_starts_at_it(store, agent):
    runs = fill(store, agent)
    page, more = store.agent_events_page(agent.id, after=(runs[1], 2), limit=3)
    assert texts(page) == ["6", "7", "8"] and more
    page, more = store.agent_events_page(agent.id, after=(runs[1], 2), limit=10)
    assert texts(page) == ["6", "7", "8", "9", "10", "11"] and not more


def test_the_first_page_starts_at_the_first_event(store, agent):
    fill(store, agent)
    page, more = store.agent_events_page(agent.id, after=(0, 0), limit=2)
    assert texts(page) == ["0", "1"] and more


def test_pages_leave_out_other_agents(store, agent, repo):
    fill(store, agent, runs=1)
    other = store.add_agent(repo.id, None, "other", None, "acceptEdits")
    fill(store, other, runs=1)
    page, more = store.agent_events_page(agent.id, limit=100)
    assert texts(page) == ["0", "1", "2", "3"] and not more
