"""One row per figure: what is measured, the target, the measurement, pass or fail; then the notes."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Figure:
    """The result of one benchmark. ``measured`` is what the target is judged on (medians, ratios)."""

    name: str
    target: str
    measured: str
    passed: bool | None  # None: could not be measured (the note says why)
    before: str = ""  # the same figure before the fixes of issue 6, where one was needed
    notes: list[str] = field(default_factory=list)
    details: list[str] = field(default_factory=list)  # each run's numbers, printed under the table


def _verdict(passed: bool | None) -> str:
    return {True: "pass", False: "FAIL", None: "n/a"}[passed]


def render(figures: list[Figure], machine: str) -> str:
    """A Markdown table (it goes into the README as it is), then numbered notes and per-run details."""
    head = ["figure", "target", "measured (median)", "before", "result"]
    rows = [[f.name, f.target, f.measured, f.before or "—", _verdict(f.passed)] for f in figures]
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(head)]
    line = lambda cells: "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths)) + " |"
    out = [f"Machine: {machine}", "",
           "before: the same measurement before the fixes of issue 6, on the same machine.", "",
           line(head), "| " + " | ".join("-" * w for w in widths) + " |"]
    out += [line(r) for r in rows]
    notes = [(f.name, n) for f in figures for n in f.notes]
    if notes:
        out += ["", "Notes:"]
        out += [f"{i}. **{name}** — {note}" for i, (name, note) in enumerate(notes, 1)]
    details = [(f.name, d) for f in figures for d in f.details]
    if details:
        out += ["", "Runs:"]
        out += [f"- {name}: {d}" for name, d in details]
    return "\n".join(out)
