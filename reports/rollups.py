"""Daily roll-ups of the statistics (reports/stats.py): what each local day of a namespace's log contributes to
a period's figures, computed once from that day's events and kept in a SQLite file, so that a month's or a
year's report merges its days instead of folding the whole log again.

A day is [local midnight, next local midnight) of the report's zone, as seqs (first, last] of the log (the
events a period of whole days reads are exactly its days' events). Kept per (namespace, zone, day):
- `rollup_days`: the seqs it was computed from. A day whose seqs in the log differ now (the log grew into it)
  is computed again; the log is append-only, so a day whose seqs are the same has the same events.
- `rollup_incidents`: each incident created in the day (kind, priority, cell, creation time).
- `rollup_milestones`: each incident's first dispatch and first arrival seen in the day, whenever it was
  created: a period's incident has the one of the earliest of the period's days that has one, which is the
  first in the period's events, as reports.figures.SpanFigures finds it. Intervals are exact (the times
  are kept as the log writes them, to the millisecond), so percentiles are the direct fold's.
- `rollup_cameras`: each cell's cameras at the day's start and its camera-milliseconds online, offline and
  unknown in the day; a period's are the sums (integers: exactly the direct fold's).
- `rollup_cases`: a case's figure fields (reported_ts, category, cell, town, department, due, closed_at,
  on_time, rating, rated_ts) as at the end of each day it changed; a case as known at a period's end is its
  latest version of a day up to the period's last day, and the closure figures still come from
  dispatch.grid_cases.closure_figures over those.
The file holds no log events and may be deleted at any time: it is built again as reports ask.
Qt-free; no I/O beyond its file and the LogSource.
"""
from __future__ import annotations

import sqlite3
from collections import defaultdict
from datetime import date, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Callable, Iterable, Iterator

from dispatch.reducer import fold
from reports.export import LogSource, read_span_start, seq_before_instant
from reports.figures import IncidentRecord
from reports.stats import TOWN_LEVEL, _midnight, camera_time_ms
from reports.times import ReportError

SCHEMA_VERSION = 1
CASE_EVENT_TYPES = tuple(f"case.{step}" for step in ("reported", "registered", "rejected", "dispatched", "started",
                                                     "handled", "returned", "verified", "closed", "rated"))
INCIDENT_EVENT_TYPES = ("incident.created", "unit.assigned", "unit.status_changed", "incident.milestone")
CAMERA_EVENT = "camera.status_changed"
CASE_FIELDS = ("reported_ts", "category", "grid_id", "town", "department", "due", "closed_at", "on_time", "rating",
               "rated_ts")

_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS rollup_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS rollup_days (ns TEXT, zone TEXT, day TEXT, first_seq INTEGER, last_seq INTEGER,
    PRIMARY KEY (ns, zone, day));
CREATE TABLE IF NOT EXISTS rollup_incidents (ns TEXT, zone TEXT, day TEXT, incident_id TEXT, kind TEXT,
    priority INTEGER, grid_id TEXT, lon REAL, lat REAL, created TEXT);
CREATE INDEX IF NOT EXISTS rollup_incidents_day ON rollup_incidents (ns, zone, day);
CREATE TABLE IF NOT EXISTS rollup_milestones (ns TEXT, zone TEXT, day TEXT, incident_id TEXT, dispatched TEXT,
    onscene TEXT);
CREATE INDEX IF NOT EXISTS rollup_milestones_day ON rollup_milestones (ns, zone, day);
CREATE TABLE IF NOT EXISTS rollup_cameras (ns TEXT, zone TEXT, day TEXT, grid_id TEXT, cameras INTEGER,
    online_ms INTEGER, offline_ms INTEGER, unknown_ms INTEGER);
CREATE INDEX IF NOT EXISTS rollup_cameras_day ON rollup_cameras (ns, zone, day);
CREATE TABLE IF NOT EXISTS rollup_cases (ns TEXT, zone TEXT, day TEXT, case_id TEXT, {", ".join(CASE_FIELDS)},
    PRIMARY KEY (ns, zone, case_id, day)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS rollup_cases_day ON rollup_cases (ns, zone, day);
""" + "".join(f"CREATE INDEX IF NOT EXISTS rollup_cases_{name} ON rollup_cases (ns, zone, {name});\n"
              for name in ("reported_ts", "due", "closed_at", "rated_ts"))  # the times a period's cases are found by
_DAY_TABLES = ("rollup_days", "rollup_incidents", "rollup_milestones", "rollup_cameras", "rollup_cases")


def zone_key(zone: tzinfo) -> str:
    return getattr(zone, "key", None) or str(zone)


def days_of(start: float, end: float, zone: tzinfo) -> list[date]:
    """The local days of [start, end) (a period starts and ends at local midnights)."""
    first = datetime.fromtimestamp(start, zone).date()
    last = datetime.fromtimestamp(end, zone).date()
    return [first + timedelta(days=n) for n in range((last - first).days)]


class Rollups:
    """The roll-up file at `path` (created if missing). Belongs to one thread, like the store."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.db = sqlite3.connect(self.path)
        self.db.executescript(_SCHEMA)
        stored = self.db.execute("SELECT value FROM rollup_meta WHERE key = 'schema'").fetchone()
        if stored is None:
            self.db.execute("INSERT INTO rollup_meta VALUES ('schema', ?)", (str(SCHEMA_VERSION),))
            self.db.commit()
        elif stored[0] != str(SCHEMA_VERSION):
            raise ReportError(f"{self.path} holds roll-ups of another version ({stored[0]}): delete it")

    def close(self) -> None:
        self.db.close()

    def kept_days(self, namespace: str, zone: tzinfo) -> dict[str, tuple[int, int]]:
        return {day: (first, last) for day, first, last in self.db.execute(
            "SELECT day, first_seq, last_seq FROM rollup_days WHERE ns = ? AND zone = ?",
            (namespace, zone_key(zone)))}

    def update(self, source: LogSource, namespace: str, days: Iterable[date], zone: tzinfo,
               progress: Callable[[float], None] = lambda done: None) -> list[date]:
        """Compute the days not kept yet, or kept from other seqs than the log's now; return those computed."""
        days = list(days)
        kept = self.kept_days(namespace, zone)
        stale = []
        for day in days:
            seqs = (seq_before_instant(source, _midnight(day, zone)),
                    seq_before_instant(source, _midnight(day + timedelta(days=1), zone)))
            if kept.get(day.isoformat()) != seqs:
                stale.append((day, seqs))
        for index, (day, (first, last)) in enumerate(stale):
            start_state = read_span_start(source, _midnight(day, zone), _midnight(day + timedelta(days=1), zone),
                                          namespace)[2]
            self._compute_day(source, namespace, day, zone, first, last, start_state)
            progress((index + 1) / len(stale))
        return [day for day, _ in stale]

    def _compute_day(self, source: LogSource, namespace: str, day: date, zone: tzinfo, first: int, last: int,
                     start_state: dict) -> None:
        start, end = _midnight(day, zone), _midnight(day + timedelta(days=1), zone)
        incidents, milestones, camera_events, case_events = [], {}, [], []
        for event in source.events(first, last, types=(*INCIDENT_EVENT_TYPES, CAMERA_EVENT, *CASE_EVENT_TYPES)):
            kind, data, ts = event["type"], event["data"], event["ts"]
            if kind == CAMERA_EVENT:
                camera_events.append(event)
            elif kind.startswith("case."):
                case_events.append(event)
            elif kind == "incident.created":
                incidents.append((data["incident_id"], data["kind"], data["priority"], data.get("grid_id"),
                                  data["lon"], data["lat"], ts))
            else:
                milestone = _milestone_of(kind, data)
                if milestone is not None:
                    seen = milestones.setdefault(data["incident_id"], {})
                    seen.setdefault(milestone, ts)  # the first in the day, as SpanFigures keeps the first
        cameras = camera_time_ms(start_state["cameras"], camera_events, start, end)
        # the day's cases at its end: its case events folded onto those cases alone (one state in memory)
        touched = {event["data"]["case_id"] for event in case_events}
        at_start = start_state.get("cases", {})
        cases = fold({"cases": {case_id: at_start[case_id] for case_id in touched if case_id in at_start}},
                     case_events)["cases"]
        scope = (namespace, zone_key(zone), day.isoformat())
        with self.db:
            for table in _DAY_TABLES:
                self.db.execute(f"DELETE FROM {table} WHERE ns = ? AND zone = ? AND day = ?", scope)
            self.db.execute("INSERT INTO rollup_days VALUES (?, ?, ?, ?, ?)", (*scope, first, last))
            self.db.executemany("INSERT INTO rollup_incidents VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                [(*scope, *row) for row in incidents])
            self.db.executemany("INSERT INTO rollup_milestones VALUES (?, ?, ?, ?, ?, ?)",
                                [(*scope, incident_id, seen.get("first_dispatched"), seen.get("first_onscene"))
                                 for incident_id, seen in milestones.items()])
            self.db.executemany("INSERT INTO rollup_cameras VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                                [(*scope, cell, *counts) for cell, counts in cameras.items()])
            self.db.executemany(f"INSERT INTO rollup_cases VALUES ({', '.join('?' * (4 + len(CASE_FIELDS)))})",
                                [(*scope, case_id, *_case_row(cases[case_id])) for case_id in sorted(touched)])

    # ---- a period from its days ----------------------------------------------------------------------

    def incidents(self, namespace: str, zone: tzinfo, days: list[date]) -> list[IncidentRecord]:
        """The incidents created in the days, each with its first dispatch and arrival in them: the one of the
        earliest day that has one (SQLite takes a bare column from the row MIN() picks)."""
        params = {"ns": namespace, "zone": zone_key(zone), "first": days[0].isoformat(), "last": days[-1].isoformat()}
        first_of = """SELECT incident_id, MIN(day), {0} FROM rollup_milestones WHERE ns = :ns AND zone = :zone
                      AND day BETWEEN :first AND :last AND {0} IS NOT NULL GROUP BY incident_id"""
        rows = self.db.execute(
            f"""SELECT i.incident_id, i.kind, i.priority, i.grid_id, i.lon, i.lat, i.created, d.dispatched, o.onscene
                FROM rollup_incidents i LEFT JOIN ({first_of.format("dispatched")}) d USING (incident_id)
                LEFT JOIN ({first_of.format("onscene")}) o USING (incident_id)
                WHERE i.ns = :ns AND i.zone = :zone AND i.day BETWEEN :first AND :last ORDER BY i.day, i.rowid""",
            params)
        return [IncidentRecord(incident_id, kind, priority, grid_id, lon, lat, created, first_dispatched=dispatched,
                               first_onscene=onscene)
                for incident_id, kind, priority, grid_id, lon, lat, created, dispatched, onscene in rows]

    def cameras(self, namespace: str, zone: tzinfo, days: list[date]) -> dict[str, list[int]]:
        """Each cell's [cameras at the first day's start, online ms, offline ms, unknown ms] over the days."""
        scope, first, last = (namespace, zone_key(zone)), days[0].isoformat(), days[-1].isoformat()
        cells: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
        for day, cell, cameras, online, offline, unknown in self.db.execute(
                "SELECT day, grid_id, cameras, online_ms, offline_ms, unknown_ms FROM rollup_cameras "
                "WHERE ns = ? AND zone = ? AND day BETWEEN ? AND ?", (*scope, first, last)):
            counts = cells[cell]
            if day == first:
                counts[0] = cameras  # cameras come with the city: the period's are its first day's
            counts[1] += online
            counts[2] += offline
            counts[3] += unknown
        return dict(cells)

    def cases(self, namespace: str, zone: tzinfo, period_start: str, period_end: str,
              last_day: date) -> Iterator[dict]:
        """The cases as known at the end of `last_day` that a period [period_start, period_end) (RFC 3339) can
        count: reported, due, closed or rated in it in some version; a case none of whose versions is any of
        these adds to no figure of the period. One case at a time (a year of a city's cases is millions)."""
        # the cases by the four times' indexes, each one's latest day by the key (case, day), then that version
        rows = self.db.execute(
            f"""WITH counted AS (SELECT DISTINCT case_id FROM rollup_cases WHERE ns = :ns AND zone = :zone
                    AND day <= :last AND (reported_ts >= :start AND reported_ts < :end OR due >= :start AND due < :end
                         OR closed_at >= :start AND closed_at < :end OR rated_ts >= :start AND rated_ts < :end)),
                latest AS (SELECT v.case_id, MAX(v.day) AS day FROM counted JOIN rollup_cases v ON v.ns = :ns
                    AND v.zone = :zone AND v.case_id = counted.case_id AND v.day <= :last GROUP BY v.case_id)
                SELECT v.case_id, {", ".join(f"v.{name}" for name in CASE_FIELDS)} FROM latest
                JOIN rollup_cases v ON v.ns = :ns AND v.zone = :zone AND v.case_id = latest.case_id
                    AND v.day = latest.day""",
            {"ns": namespace, "zone": zone_key(zone), "last": last_day.isoformat(), "start": period_start,
             "end": period_end})
        for case_id, *values in rows:
            yield _case_of(case_id, values)


def _milestone_of(kind: str, data: dict) -> str | None:
    """The milestone an incident event marks, as reports.figures.SpanFigures reads it."""
    if kind == "unit.assigned":
        return "first_dispatched"
    if kind == "unit.status_changed" and data.get("incident_id") is not None:
        return {"onscene": "first_onscene"}.get(data["status"])
    if kind == "incident.milestone":
        return {"dispatched": "first_dispatched", "onscene": "first_onscene"}.get(data["milestone"])
    return None


def _case_row(case: dict) -> tuple:
    return (case["reported_ts"], case.get("category"), case.get("grid_id"),
            (case.get("areas") or {}).get(TOWN_LEVEL), case.get("department"), case.get("due"),
            case.get("closed_at"), case.get("on_time"), case.get("rating"), case.get("rated_ts"))


def _case_of(case_id: str, values: list) -> dict:
    """A case record with the fields the statistics read, as the state holds them."""
    row = dict(zip(CASE_FIELDS, values))
    town = row.pop("town")
    row["on_time"] = None if row["on_time"] is None else bool(row["on_time"])
    return {"case_id": case_id, **row, "areas": {} if town is None else {TOWN_LEVEL: town}}
