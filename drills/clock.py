"""Drill time from the log's drill.* events alone, so a restarted runner or a replay computes the same.

Events are the log's dicts ({"type", "ts", "data", ...}) in seq order; `ts` is the server's event time.
- `drill.started` {speed}: drill time 0 at its ts, running at `speed` drill seconds per wall second;
- `drill.paused` {}: drill time stands still; `drill.resumed` {}: it runs again at the speed it had;
- `drill.speed_set` {speed}: from its ts on, at the new speed (paused or not);
- `drill.inject_fired` {event_number, drill_s, ...}: the runner fired an MSEL row (read by `due_injects`).
A second pause while paused, or a resume while running, changes nothing (a retried command is harmless).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable, Sequence

from dispatch.history import epoch

CLOCK_EVENT_TYPES = ("drill.started", "drill.paused", "drill.resumed", "drill.speed_set")
FIRED_EVENT_TYPE = "drill.inject_fired"


@dataclass(frozen=True)
class Segment:
    """From `wall_start` on (until the next segment), drill time is `drill_start + (wall - wall_start) * rate`."""
    wall_start: float
    drill_start: float
    speed: float
    running: bool

    @property
    def rate(self) -> float:
        return self.speed if self.running else 0.0

    def drill_at(self, wall: float) -> float:
        return self.drill_start + (wall - self.wall_start) * self.rate


class DrillClock:
    """The drill's time line, built from its events; every question after that is arithmetic."""

    def __init__(self, events: Iterable[dict]):
        self.segments: list[Segment] = []
        for event in events:
            kind = event["type"]
            if kind not in CLOCK_EVENT_TYPES:
                continue
            wall = epoch(event["ts"])
            if kind == "drill.started":
                if not self.segments:  # a drill starts once; a repeated start is not a restart
                    self.segments.append(Segment(wall, 0.0, float(event["data"]["speed"]), True))
                continue
            if not self.segments:
                continue  # control before the start: nothing to control yet
            last = self.segments[-1]
            drill = last.drill_at(wall)
            if kind == "drill.paused" and last.running:
                self.segments.append(Segment(wall, drill, last.speed, False))
            elif kind == "drill.resumed" and not last.running:
                self.segments.append(Segment(wall, drill, last.speed, True))
            elif kind == "drill.speed_set":
                self.segments.append(Segment(wall, drill, float(event["data"]["speed"]), last.running))

    @property
    def started(self) -> bool:
        return bool(self.segments)

    @property
    def start_wall(self) -> float | None:
        return self.segments[0].wall_start if self.segments else None

    def running_at(self, wall: float) -> bool:
        segment = self._segment_at(wall)
        return segment is not None and segment.running

    def drill_at(self, wall: float) -> float:
        """Drill seconds at a wall time (epoch seconds): 0 before the start, pauses excluded."""
        segment = self._segment_at(wall)
        return 0.0 if segment is None else segment.drill_at(wall)

    def wall_for(self, drill_s: float) -> float | None:
        """The first wall time at which the drill reaches `drill_s`; None if it has not and, as the log stands
        (paused, or not started), will not: the runner waits for the next drill.* event instead."""
        for index, segment in enumerate(self.segments):
            if drill_s <= segment.drill_start:
                return segment.wall_start
            end = self.segments[index + 1].drill_start if index + 1 < len(self.segments) else None
            if segment.running and segment.speed > 0 and (end is None or drill_s <= end):
                wall = segment.wall_start + (drill_s - segment.drill_start) / segment.speed
                while segment.drill_at(wall) < drill_s:  # rounding: the wall time returned must have reached it
                    wall = math.nextafter(wall, math.inf)
                return wall
        return None

    def _segment_at(self, wall: float) -> Segment | None:
        found = None
        for segment in self.segments:
            if segment.wall_start > wall:
                break
            found = segment
        return found


def fired_rows(events: Iterable[dict]) -> dict[int, dict]:
    """Event Number -> the drill.inject_fired data of the MSEL row's firing, with the event's ts as
    `fired_ts` (an unplanned inject, with no Event Number, is not an MSEL row's)."""
    return {e["data"]["event_number"]: {**e["data"], "fired_ts": e["ts"]} for e in events
            if e["type"] == FIRED_EVENT_TYPE and e["data"].get("event_number") is not None}


def due_injects(rows: Sequence, events: Sequence[dict], wall: float, missed: Iterable[int] = ()) -> list:
    """The rows to fire at `wall`, in Scenario Time order (then Event Number), none the log says already fired:
    `Inject` rows whose Scenario Time the drill has reached, and `Contingency Inject` rows whose expected
    action (their `on_miss`) is in `missed` and whose Scenario Time has been reached. Nothing is due while
    the drill is paused or before it starts (a pause holds back what falls due; resume releases it in order).

    `rows`: drills.msel.MselRow (or anything with event_number, event_type, scenario_s and args)."""
    clock = DrillClock(events)
    if not clock.running_at(wall):
        return []
    now = clock.drill_at(wall)
    done = fired_rows(events)
    missed = set(missed)
    due = [row for row in rows if row.event_number not in done and row.scenario_s <= now
           and (row.event_type == "Inject"
                or (row.event_type == "Contingency Inject" and row.args.get("on_miss") in missed))]
    return sorted(due, key=lambda row: (row.scenario_s, row.event_number))
