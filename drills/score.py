"""A drill's scorecard from its events alone (re-scoring a replayed drill gives the same card).

Every interval is on the drill's clock (drills/clock.py): a pause between a call and its dispatch does not
count, and at speed 1 drill seconds are wall seconds. The intervals are reports/figures.py's, computed by its
SpanFigures from the events re-timed onto the drill clock, so a scorecard and an after-action report agree.
"""
from __future__ import annotations

import csv
import html
import math
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

from dispatch.history import epoch, rfc3339
from drills.clock import DrillClock, fired_rows
from drills.msel import EXPECT_COMMAND, Msel, scenario_time_text
from reports.figures import INTERVALS, FIGURE_EVENT_TYPES, IncidentRecord, SpanFigures
from reports.page import _STYLE as REPORT_STYLE, _interval_table, duration_text, response_time_svg

INTERVAL_NAMES = tuple(name for name, _, _ in INTERVALS)


class ScoreError(ValueError):
    pass


@dataclass(frozen=True)
class Target:
    name: str
    interval: str  # one of INTERVAL_NAMES
    within_s: float
    share: float  # 0..1: the share of calls that must be within `within_s`
    standard: str
    edition: str


# NFPA 1225 (2022 edition), alarm processing: 90 % of emergency calls processed (answer to dispatch) in 60 s.
DEFAULT_TARGETS = (Target("Alarm processing", "call_to_dispatch_s", 60.0, 0.90, "NFPA 1225", "2022"),)


def load_targets(path: str | Path) -> tuple[Target, ...]:
    """The default targets and the settings file's, e.g.

        [[target]]
        name = "Turnout and travel"
        interval = "dispatch_to_onscene_s"
        within_s = 480
        share = 0.9
        standard = "Helsinki rescue department"
        edition = "2025"
    """
    path = Path(path)
    try:
        settings = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ScoreError(f"{path}: {error}") from error
    targets = []
    for index, entry in enumerate(settings.get("target", []), 1):
        where = f"{path}: [[target]] number {index}"
        missing = [k for k in ("name", "interval", "within_s", "share", "standard", "edition") if k not in entry]
        if missing:
            raise ScoreError(f"{where}: missing {', '.join(missing)}")
        if entry["interval"] not in INTERVAL_NAMES:
            raise ScoreError(f"{where}: interval {entry['interval']!r} is not one of {', '.join(INTERVAL_NAMES)}")
        if not (isinstance(entry["within_s"], (int, float)) and entry["within_s"] > 0):
            raise ScoreError(f"{where}: within_s must be a number of seconds above 0")
        if not (isinstance(entry["share"], (int, float)) and 0 < entry["share"] <= 1):
            raise ScoreError(f"{where}: share must be above 0 and at most 1 (0.9 for 90 %)")
        targets.append(Target(str(entry["name"]), entry["interval"], float(entry["within_s"]), float(entry["share"]),
                              str(entry["standard"]), str(entry["edition"])))
    return DEFAULT_TARGETS + tuple(targets)


@dataclass(frozen=True)
class TargetResult:
    target: Target
    calls: int  # calls with this interval
    within: int

    @property
    def share_within(self) -> float | None:
        return None if self.calls == 0 else self.within / self.calls

    @property
    def achieved(self) -> bool | None:
        return None if self.calls == 0 else self.share_within >= self.target.share


@dataclass(frozen=True)
class ExpectationResult:
    event_number: int
    status: str  # met, late, missed, or pending (its deadline not passed, or its inject not fired yet)
    incident_id: str | None
    deadline_drill_s: float | None  # the inject's fire time plus within_s
    done_drill_s: float | None  # when a unit of the kind was first assigned to the inject's incident
    unit_id: str | None


@dataclass(frozen=True)
class Scorecard:
    calls: list[IncidentRecord]  # milestones on the drill clock (see `on_drill_clock`)
    targets: list[TargetResult]
    expectations: list[ExpectationResult]
    drill_s: float  # the drill time it was scored at


def on_drill_clock(events: Iterable[dict], clock: DrillClock) -> list[dict]:
    """The events with `ts` moved to the drill's clock: its start's wall time plus the drill time then."""
    start = clock.start_wall or 0.0
    return [{**e, "ts": rfc3339(start + clock.drill_at(epoch(e["ts"])))} for e in events]


def expectations(msel: Msel, events: Sequence[dict], unit_kinds: dict[str, str], at_wall: float) -> list[ExpectationResult]:
    """Each Expected Action row met, late, missed or pending as of `at_wall`.
    unit_kinds: unit_id -> kind, from the namespace's starting state (the city pack's units)."""
    clock = DrillClock(events)
    now = clock.drill_at(at_wall)
    fired = fired_rows(events)
    assignments: dict[str, list[tuple[float, str]]] = {}  # incident -> (drill time, unit) of each assignment
    for e in events:
        if e["type"] == "unit.assigned" and epoch(e["ts"]) <= at_wall:
            assignments.setdefault(e["data"]["incident_id"], []).append(
                (clock.drill_at(epoch(e["ts"])), e["data"]["unit_id"]))
    results = []
    for row in msel.rows:
        if row.command != EXPECT_COMMAND:
            continue
        shot = fired.get(row.args["to_inject"])
        incident_id = shot.get("incident_id") if shot else None
        if shot is None or incident_id is None:
            results.append(ExpectationResult(row.event_number, "pending", None, None, None, None))
            continue
        deadline = shot["drill_s"] + row.args["within_s"]
        done = next(((at, unit) for at, unit in assignments.get(incident_id, [])
                     if unit_kinds.get(unit) == row.args["assign_kind"]), None)
        if done is not None:
            status = "met" if done[0] <= deadline else "late"
        else:
            status = "missed" if now > deadline else "pending"
        results.append(ExpectationResult(row.event_number, status, incident_id, deadline,
                                         None if done is None else done[0], None if done is None else done[1]))
    return results


def overdue(results: Iterable[ExpectationResult]) -> set[int]:
    """The expected actions not done by their deadline (late or missed): what fires their contingency injects
    (drills.clock.due_injects(..., missed=overdue(...)))."""
    return {r.event_number for r in results if r.status in ("late", "missed")}


def score(events: Sequence[dict], msel: Msel | None = None, unit_kinds: dict[str, str] | None = None,
          targets: Sequence[Target] = DEFAULT_TARGETS, at_wall: float | None = None) -> Scorecard:
    """The scorecard of a drill's events (its namespace's, in seq order), as of `at_wall` (default: the
    last event's time). Events without drill.started raise ScoreError."""
    events = list(events)
    if at_wall is None:
        at_wall = max((epoch(e["ts"]) for e in events), default=0.0)
    clock = DrillClock(events)
    if not clock.started:  # without it there is no drill time to measure on
        raise ScoreError("the events hold no drill.started: not a drill's log")
    figures = SpanFigures({"units": {}, "incidents": {}})  # an exercise's calls are all made in it
    # `at_wall` is a wall time: events are picked by their own times, then re-timed (at a speed above 1 a
    # drill time runs ahead of the wall time it happened at).
    figures.feed(on_drill_clock([e for e in events if e["type"] in FIGURE_EVENT_TYPES and epoch(e["ts"]) <= at_wall],
                                clock))
    calls = list(figures.incidents.values())
    results = []
    for target in targets:
        values = [ms / 1000 for ms in (c.interval_ms(target.interval) for c in calls) if ms is not None]
        results.append(TargetResult(target, len(values), sum(1 for v in values if v <= target.within_s)))
    expected = [] if msel is None else expectations(msel, events, unit_kinds or {}, at_wall)
    return Scorecard(calls, results, expected, clock.drill_at(at_wall))


def _drill_text(card_start: float, ts: str | None) -> str:
    return "" if ts is None else scenario_time_text(epoch(ts) - card_start, millis=True)


def write_scorecard(card: Scorecard, out_dir: str | Path, namespace: str, start_wall: float) -> list[Path]:
    """calls.csv, targets.csv, expected_actions.csv and scorecard.html (offline, one file) into `out_dir`.
    start_wall: the drill's start (DrillClock.start_wall), so milestones read as drill times."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    calls_csv, targets_csv, expected_csv, page = (out_dir / n for n in
                                                  ("calls.csv", "targets.csv", "expected_actions.csv", "scorecard.html"))
    with calls_csv.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["incident_id", "kind", "priority", "created_drill", "dispatched_drill", "onscene_drill",
                         *INTERVAL_NAMES, "units"])
        for c in card.calls:
            writer.writerow([c.incident_id, c.kind, c.priority, *(_drill_text(start_wall, t) for t in
                             (c.created, c.first_dispatched, c.first_onscene)),
                             *("" if (ms := c.interval_ms(n)) is None else f"{ms / 1000:.3f}" for n in INTERVAL_NAMES),
                             " ".join(c.units)])
    with targets_csv.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["target", "standard", "edition", "interval", "within_s", "required_share", "calls",
                         "within", "share_within", "achieved"])
        for r in card.targets:
            t = r.target
            writer.writerow([t.name, t.standard, t.edition, t.interval, t.within_s, t.share, r.calls, r.within,
                             "" if r.share_within is None else f"{r.share_within:.4f}",
                             "" if r.achieved is None else ("yes" if r.achieved else "no")])
    with expected_csv.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["event_number", "status", "incident_id", "deadline_drill", "done_drill", "unit_id"])
        for e in card.expectations:
            writer.writerow([e.event_number, e.status, e.incident_id or "",
                             "" if e.deadline_drill_s is None else scenario_time_text(e.deadline_drill_s, millis=True),
                             "" if e.done_drill_s is None else scenario_time_text(e.done_drill_s, millis=True),
                             e.unit_id or ""])
    page.write_text(scorecard_page(card, namespace, start_wall), encoding="utf-8")
    return [calls_csv, targets_csv, expected_csv, page]


def scorecard_page(card: Scorecard, namespace: str, start_wall: float) -> str:
    """The scorecard as one offline page in the after-action report's look (its style, tables and chart)."""
    def share(value: float | None) -> str:
        return "" if value is None else f"{math.floor(value * 1000) / 10:g} %"

    target_rows = "".join(
        f"<tr><td>{html.escape(r.target.name)}</td><td>{html.escape(r.target.standard)} ({html.escape(r.target.edition)})</td>"
        f"<td>{share(r.target.share)} within {duration_text(r.target.within_s)}</td><td class=num>{r.calls}</td>"
        f"<td class=num>{share(r.share_within)}</td>"
        f"<td class=result>{'' if r.achieved is None else ('met' if r.achieved else 'not met')}</td></tr>"
        for r in card.targets)
    expected_rows = "".join(
        f"<tr class={e.status}><td>{e.event_number}</td><td>{e.status}</td><td>{html.escape(e.incident_id or '')}</td>"
        f"<td>{'' if e.deadline_drill_s is None else scenario_time_text(e.deadline_drill_s)}</td>"
        f"<td>{'' if e.done_drill_s is None else scenario_time_text(e.done_drill_s)}</td>"
        f"<td>{html.escape(e.unit_id or '')}</td></tr>" for e in card.expectations)
    call_rows = "".join(
        f"<tr><td>{html.escape(c.incident_id)}</td><td>{html.escape(c.kind)}</td><td>{c.priority}</td>"
        f"<td>{_drill_text(start_wall, c.created)}</td>"
        + "".join(f"<td class=num>{duration_text(None if (ms := c.interval_ms(n)) is None else ms / 1000)}</td>"
                  for n in ("call_to_dispatch_s", "dispatch_to_onscene_s")) + "</tr>" for c in card.calls)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>EXERCISE scorecard {html.escape(namespace)}</title><style>{REPORT_STYLE}
.exercise {{ background: #b3261e; color: #fff; font-weight: 700; padding: 4px 10px; letter-spacing: .08em; }}
tr.met td {{ background: #e3f4e1; }} tr.late td {{ background: #fdf0d5; }} tr.missed td {{ background: #f9dcdc; }}
</style></head><body>
<div class="exercise" id="exercise-banner">EXERCISE · {html.escape(namespace)}</div>
<h1>Drill scorecard · {html.escape(namespace)}</h1>
<div class="span">Scored at drill time <b>{scenario_time_text(card.drill_s)}</b>; intervals on the drill clock (pauses excluded)</div>
<h2>Targets</h2><table id="targets"><tr><th>Target</th><th>Standard (edition)</th><th>Required</th><th>Calls</th>
<th>Within</th><th>Result</th></tr>{target_rows}</table>
<h2>Expected actions</h2><table id="expected"><tr><th>Event</th><th>Status</th><th>Incident</th><th>Deadline</th>
<th>Done</th><th>Unit</th></tr>{expected_rows}</table>
<h2>Intervals by priority</h2>{_interval_table(card.calls, "Priority", lambda r: r.priority)}
<h2>Response time distribution</h2>{response_time_svg(card.calls)}
<h2>Calls</h2><table id="calls"><tr><th>Incident</th><th>Kind</th><th>P</th><th>Call (drill time)</th>
<th>Call to dispatch</th><th>Dispatch to on scene</th></tr>{call_rows}</table>
</body></html>
"""
