"""The figures of a span, computed from the state at its start and its events, with no I/O.

Times are kept as the log writes them (RFC 3339 UTC with milliseconds) and as integer milliseconds since
the epoch for arithmetic, so intervals are exact to the millisecond.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone, tzinfo
from typing import Iterable

from dispatch.history import epoch, rfc3339
from dispatch.reducer import State

# Name, from milestone, to milestone: each interval exists only when both milestones happened in the span.
INTERVALS = (
    ("call_to_dispatch_s", "created", "first_dispatched"),
    ("dispatch_to_onscene_s", "first_dispatched", "first_onscene"),
    ("call_to_onscene_s", "created", "first_onscene"),
    ("call_to_close_s", "created", "closed"),
)
MILESTONES = ("created", "first_dispatched", "first_enroute", "first_onscene", "closed")

# The event types the figures read (all but positions, which tracks sample on their own).
FIGURE_EVENT_TYPES = ("incident.created", "unit.assigned", "unit.status_changed", "incident.closed",
                      "incident.milestone")


def millis(ts: str) -> int:
    return round(epoch(ts) * 1000)


@dataclass
class IncidentRecord:
    incident_id: str
    kind: str
    priority: int
    grid_id: str | None
    lon: float
    lat: float
    created: str
    first_dispatched: str | None = None
    first_enroute: str | None = None
    first_onscene: str | None = None
    closed: str | None = None
    units: list[str] = field(default_factory=list)  # every unit assigned in the span, in order
    open_at_start: bool = False  # created before the span and not closed at its start
    address: str | None = None
    disposition: str | None = None  # the close's code, once closed in the span
    disposition_note: str | None = None

    def interval_ms(self, name: str) -> int | None:
        """Milliseconds between the interval's two milestones; None if either never happened."""
        for interval, begin, end in INTERVALS:
            if interval == name:
                a, b = getattr(self, begin), getattr(self, end)
                return None if a is None or b is None else millis(b) - millis(a)
        raise KeyError(name)


@dataclass
class StatusPeriod:
    unit_id: str
    callsign: str
    status: str
    incident_id: str | None
    start: str
    end: str | None = None  # None: still in this status at the span's end

    def duration_ms(self) -> int | None:
        return None if self.end is None else millis(self.end) - millis(self.start)


class SpanFigures:
    """Feed it the span's events in seq order (`add`); it keeps incidents and status periods."""

    def __init__(self, start_state: State):
        self.units = start_state["units"]
        self.incidents: dict[str, IncidentRecord] = {}  # created in the span, in order of creation
        self.open_at_start: dict[str, IncidentRecord] = {}
        for incident in start_state["incidents"].values():
            if incident["status"] != "closed":
                record = _record_of(incident, incident["created_ts"])
                record.open_at_start = True
                record.first_dispatched = incident.get("dispatched_ts")
                record.first_onscene = incident.get("onscene_ts")
                record.units = list(incident.get("units") or [])
                self.open_at_start[record.incident_id] = record
        self.periods: list[StatusPeriod] = []
        self._open_period: dict[str, StatusPeriod] = {}

    def _incident(self, incident_id: str | None) -> IncidentRecord | None:
        if incident_id is None:
            return None
        return self.incidents.get(incident_id) or self.open_at_start.get(incident_id)

    def _status(self, unit_id: str, status: str, incident_id: str | None, ts: str) -> None:
        previous = self._open_period.get(unit_id)
        if previous is not None:
            previous.end = ts
        unit = self.units.get(unit_id, {})
        period = StatusPeriod(unit_id, unit.get("callsign") or unit_id, status, incident_id, ts)
        self.periods.append(period)
        self._open_period[unit_id] = period

    def add(self, event: dict) -> None:
        kind, data, ts = event["type"], event["data"], event["ts"]
        if kind == "incident.created":
            self.incidents[data["incident_id"]] = _record_of(data, ts)
        elif kind == "unit.assigned":
            self._status(data["unit_id"], "dispatched", data["incident_id"], ts)
            record = self._incident(data["incident_id"])
            if record is not None:
                if record.first_dispatched is None:
                    record.first_dispatched = ts
                if data["unit_id"] not in record.units:
                    record.units.append(data["unit_id"])
        elif kind == "unit.status_changed":
            self._status(data["unit_id"], data["status"], data.get("incident_id"), ts)
            record = self._incident(data.get("incident_id"))
            if record is not None:
                if data["status"] == "enroute" and record.first_enroute is None:
                    record.first_enroute = ts
                elif data["status"] == "onscene" and record.first_onscene is None:
                    record.first_onscene = ts
        elif kind == "incident.milestone":  # an imported call's milestone without a unit
            record = self._incident(data["incident_id"])
            field_name = {"dispatched": "first_dispatched", "enroute": "first_enroute",
                          "onscene": "first_onscene"}[data["milestone"]]
            if record is not None and getattr(record, field_name) is None:
                setattr(record, field_name, ts)
        elif kind == "incident.closed":
            record = self._incident(data["incident_id"])
            if record is not None:
                record.closed = ts
                record.disposition, record.disposition_note = data["disposition"], data.get("disposition_note")

    def feed(self, events: Iterable[dict]) -> None:
        for event in events:
            self.add(event)


def _record_of(incident: dict, created_ts: str) -> IncidentRecord:
    return IncidentRecord(incident["incident_id"], incident["kind"], incident["priority"], incident.get("grid_id"),
                          incident["lon"], incident["lat"], created_ts, address=incident.get("address"))


def bookmarks_in(events: Iterable[dict], start_epoch: float, end_epoch: float) -> list[dict]:
    """The bookmarks whose instant is in [start, end), by instant, whenever they were added (a shift leader
    marks a span while replaying it, after the fact)."""
    marks = [{**event["data"], "actor": event["actor"], "ts": event["ts"]} for event in events
             if start_epoch <= epoch(event["data"]["at"]) < end_epoch]
    return sorted(marks, key=lambda mark: mark["at"])


def percentile(values: list[float], q: float) -> float:
    """Linear interpolation between the closest ranks (numpy's default; R's type 7)."""
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@dataclass(frozen=True)
class IntervalStats:
    count: int
    p50_s: float | None
    p90_s: float | None


def interval_stats(records: Iterable[IncidentRecord], interval: str) -> IntervalStats:
    seconds = [ms / 1000 for ms in (r.interval_ms(interval) for r in records) if ms is not None]
    if not seconds:
        return IntervalStats(0, None, None)
    return IntervalStats(len(seconds), percentile(seconds, 0.5), percentile(seconds, 0.9))


def hour_starts(start_epoch: float, end_epoch: float, zone: tzinfo) -> list[float]:
    """The starts of the hours of `zone` that the span [start, end) touches."""
    first = datetime.fromtimestamp(start_epoch, zone).replace(minute=0, second=0, microsecond=0)
    starts, hour = [], first.astimezone(timezone.utc).timestamp()
    while hour < end_epoch:
        starts.append(hour)
        hour += 3600
    return starts


def per_hour(records: Iterable[IncidentRecord], hours: list[float]) -> list[int]:
    """Incidents created in each hour (hours: starts from `hour_starts`)."""
    counts = [0] * len(hours)
    for record in records:
        created = epoch(record.created)
        for index in range(len(hours) - 1, -1, -1):
            if created >= hours[index]:
                counts[index] += 1
                break
    return counts


def summary_rows(records: list[IncidentRecord], open_at_start: int, start_epoch: float, end_epoch: float) -> list[dict]:
    """summary.csv: measure, by, group, count, p50_s, p90_s (percentiles only for intervals)."""
    rows = [{"measure": "incidents", "by": "all", "group": "all", "count": len(records)},
            {"measure": "incidents_open_at_start", "by": "all", "group": "all", "count": open_at_start}]
    by_kind: dict[str, int] = defaultdict(int)
    for record in records:
        by_kind[record.kind] += 1
    rows += [{"measure": "incidents", "by": "kind", "group": kind, "count": n} for kind, n in sorted(by_kind.items())]
    hours = hour_starts(start_epoch, end_epoch, timezone.utc)
    rows += [{"measure": "incidents", "by": "hour", "group": rfc3339(hour).replace(".000Z", "Z"), "count": n}
             for hour, n in zip(hours, per_hour(records, hours))]
    groupings = (("all", lambda r: "all"), ("priority", lambda r: r.priority), ("grid", lambda r: r.grid_id or ""))
    for interval, _, _ in INTERVALS:
        for by, key in groupings:
            groups: dict[object, list[IncidentRecord]] = defaultdict(list)
            for record in records:
                groups[key(record)].append(record)
            for group in sorted(groups, key=str):
                stats = interval_stats(groups[group], interval)
                rows.append({"measure": interval, "by": by, "group": group, "count": stats.count,
                             "p50_s": stats.p50_s, "p90_s": stats.p90_s})
    return rows
