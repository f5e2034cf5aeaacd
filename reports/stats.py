"""Statistics (自动统计) of a calendar period of one namespace's log, beside the period before it.

`onemap stats` and the console's Statistics window call `compute_stats` then `write_stats`. A period is a
day, an ISO week (Monday first), a month, a quarter or a year of the report's zone, [start, end). Its
figures are as known at its end, like the after-action report's (reports/export.py), whose incident
intervals (reports.figures) and closure figures (dispatch.grid_cases.closure_figures) they reuse:

- incidents created in it by kind, local hour of day and grid cell;
- call-to-dispatch and dispatch-to-on-scene p50/p90 by priority and grid cell;
- camera online rate by grid cell, time-weighted: each camera's seconds in its last observed state, from
  the start state and the `camera.status_changed` events. A camera nobody has observed yet is unknown, and
  unknown seconds count in no rate (they are given apart);
- cases reported in it by category, cell, town and department; 结案率 and 按期结案率 of the cases due in
  it, by the same keys; the ratings entered in it.
Each period is folded from the log, or merged from daily roll-ups kept in a file (reports/rollups.py,
`onemap stats --rollups`): the same tables either way.
Qt-free, no I/O beyond its LogSource, the roll-up file and the files it writes.
"""
from __future__ import annotations

import csv
import os
import shutil
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable

from dispatch.grid_cases import ClosureFigures, closure_figures
from dispatch.history import History, epoch, rfc3339
from reports.export import LogSource, Progress, _check_target, open_log, read_span_start
from reports.figures import FIGURE_EVENT_TYPES, IncidentRecord, IntervalStats, SpanFigures, millis, percentile
from reports.times import ReportError, local_label, parse_time

if TYPE_CHECKING:
    from reports.rollups import Rollups

PERIODS = ("day", "week", "month", "quarter", "year")
PREVIOUS = "previous"  # --at previous: the last complete period before now
STATS_INTERVALS = ("call_to_dispatch_s", "dispatch_to_onscene_s")
CAMERA_EVENT = "camera.status_changed"
RATINGS = (1, 2, 3, 4, 5)
TOWN_LEVEL = "town"  # the areas level the cases are counted by besides their cell (街道/镇)
STATS_FILES = ("periods.csv", "incidents.csv", "response_times.csv", "cameras.csv", "cases.csv", "ratings.csv",
               "stats.xlsx", "report.html")


# ---- periods ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Period:
    kind: str
    label: str  # 2026-12-04, 2026-W49, 2026-12, 2026-Q4, 2026
    start: float  # epoch seconds, included
    end: float  # excluded


def _midnight(day: date, zone: tzinfo) -> float:
    return datetime(day.year, day.month, day.day, tzinfo=zone).timestamp()


def period_of(kind: str, day: date, zone: tzinfo) -> Period:
    """The period of `kind` holding the local date `day`."""
    if kind == "day":
        first, after, label = day, day + timedelta(days=1), day.isoformat()
    elif kind == "week":
        first = day - timedelta(days=day.weekday())
        after = first + timedelta(days=7)
        year, week, _ = first.isocalendar()
        label = f"{year}-W{week:02d}"
    elif kind == "month":
        first = day.replace(day=1)
        after = date(day.year + day.month // 12, day.month % 12 + 1, 1)
        label = f"{day.year}-{day.month:02d}"
    elif kind == "quarter":
        quarter = (day.month - 1) // 3
        first = date(day.year, 3 * quarter + 1, 1)
        after = date(day.year + 1, 1, 1) if quarter == 3 else date(day.year, 3 * quarter + 4, 1)
        label = f"{day.year}-Q{quarter + 1}"
    elif kind == "year":
        first, after, label = date(day.year, 1, 1), date(day.year + 1, 1, 1), str(day.year)
    else:
        raise ReportError(f"--period: {kind!r} is not one of {', '.join(PERIODS)}")
    return Period(kind, label, _midnight(first, zone), _midnight(after, zone))


def previous_period(period: Period, zone: tzinfo) -> Period:
    """The period of the same kind just before (the last day before its first holds it)."""
    first_day = datetime.fromtimestamp(period.start, zone).date()
    return period_of(period.kind, first_day - timedelta(days=1), zone)


def resolve_period(kind: str, at: str, zone: tzinfo, now: float | None = None) -> Period:
    """--period and --at: a date or time (the period holding it, in `zone`), or `previous` (the last period
    that ended at or before `now`)."""
    if kind not in PERIODS:
        raise ReportError(f"--period: {kind!r} is not one of {', '.join(PERIODS)}")
    text = at.strip()
    if text == PREVIOUS:
        today = datetime.fromtimestamp(time.time() if now is None else now, zone).date()
        return previous_period(period_of(kind, today, zone), zone)
    try:
        day = date.fromisoformat(text)
    except ValueError:
        try:
            day = datetime.fromtimestamp(parse_time(text, zone, "--at"), zone).date()
        except ReportError:
            raise ReportError(f"--at: cannot read {at!r}: give a date (2026-12-04), a time (RFC 3339) "
                              f"or {PREVIOUS}") from None
    return period_of(kind, day, zone)


# ---- one period's figures --------------------------------------------------------------------------------

@dataclass
class CameraTime:
    """Camera-seconds of a cell in a period, by observed state."""
    cameras: int = 0
    online_s: float = 0.0
    offline_s: float = 0.0
    unknown_s: float = 0.0

    @property
    def observed_s(self) -> float:
        return self.online_s + self.offline_s

    @property
    def online_rate(self) -> float | None:
        return self.online_s / self.observed_s if self.observed_s else None


@dataclass
class CaseCounts:
    """A group's cases in a period: reported in it, the closure figures (dispatch.grid_cases.closure_figures)
    and the ratings entered in it."""
    reported: int = 0
    due: int = 0
    closed: int = 0
    closed_on_time: int = 0
    ratings: list[int] = field(default_factory=lambda: [0] * len(RATINGS))  # how many of each, 1 to 5

    @property
    def closure(self) -> ClosureFigures:
        return ClosureFigures(self.due, self.closed, self.closed_on_time)

    @property
    def rated(self) -> int:
        return sum(self.ratings)

    @property
    def mean_rating(self) -> float | None:
        return sum(k * n for k, n in zip(RATINGS, self.ratings)) / self.rated if self.rated else None


def _where(ts: str | None, start: str, end: str) -> int | None:
    """Where a log time falls against [start, end): -1 before, 0 in, 1 after (None: no time). The log's
    times sort as the times they name."""
    if not ts:
        return None
    return -1 if ts < start else 0 if ts < end else 1


def count_cases(cases: Iterable[dict], period: Period) -> dict[str, dict[str, CaseCounts]]:
    """By CASE_KEYS name, by group: the counts of `cases` (each as known at the period's end), one case at a
    time (a year of a city's cases need never be held at once). A group's closure figures are the sum of its
    cases' own closure_figures (it counts each case on its own), and a case's depend only on where its due
    and closing times fall against the period and on whether it was on time: closure_figures is asked once
    for each such kind of case, and cases of the same groups and figures are counted together."""
    start, end = rfc3339(period.start), rfc3339(period.end)
    closure_of_kind: dict[tuple, tuple[int, int, int]] = {}  # (due, closed, closed on time)
    together: dict[tuple, int] = defaultdict(int)
    for case in cases:
        kind = (_where(case.get("due"), start, end), _where(case.get("closed_at"), start, end),
                bool(case.get("on_time")))
        figures = closure_of_kind.get(kind)
        if figures is None:
            closure = closure_figures((case,), period.start, period.end)
            figures = closure_of_kind[kind] = (closure.due, closure.closed, closure.closed_on_time)
        reported = _where(case["reported_ts"], start, end) == 0
        rating = case.get("rating") if _where(case.get("rated_ts"), start, end) == 0 else None
        if figures[0] or reported or rating is not None:  # else it adds to no figure of the period
            together[(case_groups(case), reported, figures, rating)] += 1
    counts: dict[str, dict[str, CaseCounts]] = {by: defaultdict(CaseCounts) for by in CASE_KEYS}
    for (groups, reported, (due, closed, on_time), rating), n in together.items():
        for by, group in zip(CASE_KEYS, groups):
            counted = counts[by][group]
            counted.reported += n * reported
            counted.due += n * due
            counted.closed += n * closed
            counted.closed_on_time += n * on_time
            if rating is not None:
                counted.ratings[RATINGS.index(rating)] += n
    return {by: dict(groups) for by, groups in counts.items()}


@dataclass
class PeriodFigures:
    period: Period
    incidents: list[IncidentRecord]  # created in the period
    cameras: dict[str, CameraTime]  # by grid cell ("" outside every cell)
    cases: dict[str, dict[str, CaseCounts]]  # count_cases of the cases as known at the period's end

    def camera_total(self) -> CameraTime:
        total = CameraTime()
        for _, cell in sorted(self.cameras.items()):  # one order of adding, whichever way they were read
            total.cameras += cell.cameras
            total.online_s += cell.online_s
            total.offline_s += cell.offline_s
            total.unknown_s += cell.unknown_s
        return total


def camera_time_ms(cameras: dict[str, dict], events: Iterable[dict], start: float, end: float) -> dict[str, list[int]]:
    """Each cell's [cameras, online ms, offline ms, unknown ms] over [start, end): `cameras` as at the start,
    `events` the span's camera.status_changed events in order. Integer milliseconds (the log's times are),
    so the sums of a period's days are exactly the period's."""
    state = {camera_id: camera.get("state", "unknown") for camera_id, camera in cameras.items()}
    begin = round(start * 1000)
    since = dict.fromkeys(cameras, begin)
    cells: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    column = {"online": 1, "offline": 2}

    def count(camera_id: str, until: int) -> None:
        cells[cameras[camera_id].get("grid_id") or ""][column.get(state[camera_id], 3)] += until - since[camera_id]
        since[camera_id] = until

    for event in events:
        camera_id = event["data"]["camera_id"]
        if camera_id not in cameras:
            continue  # a camera not in the city the period started with
        count(camera_id, millis(event["ts"]))
        data = event["data"]
        state[camera_id] = data.get("state") or ("online" if data["online"] else "offline")
    for camera_id, camera in cameras.items():
        count(camera_id, round(end * 1000))
        cells[camera.get("grid_id") or ""][0] += 1
    return dict(cells)


def camera_seconds(cells_ms: dict[str, list[int]]) -> dict[str, CameraTime]:
    return {cell: CameraTime(cameras, online / 1000, offline / 1000, unknown / 1000)
            for cell, (cameras, online, offline, unknown) in cells_ms.items()}


def camera_time(cameras: dict[str, dict], events: Iterable[dict], start: float, end: float) -> dict[str, CameraTime]:
    """Each cell's camera-seconds by state over [start, end) (see camera_time_ms)."""
    return camera_seconds(camera_time_ms(cameras, events, start, end))


def period_figures(source: LogSource, namespace: str, period: Period,
                   progress: Callable[[float], None] = lambda done: None) -> PeriodFigures:
    first, last, start_state = read_span_start(source, period.start, period.end, namespace)
    progress(0.2)
    figures = SpanFigures(start_state)
    camera_events = []
    for event in source.events(first, last, types=(*FIGURE_EVENT_TYPES, CAMERA_EVENT)):
        if event["type"] == CAMERA_EVENT:
            camera_events.append(event)
        else:
            figures.add(event)
    progress(0.6)
    cameras = camera_time(start_state["cameras"], camera_events, period.start, period.end)
    end_state = source.state_at(last)
    progress(1.0)
    return PeriodFigures(period, list(figures.incidents.values()), cameras,
                         count_cases(end_state.get("cases", {}).values(), period))


def rollup_period_figures(rollups: "Rollups", source: History, namespace: str, period: Period, zone: tzinfo,
                          progress: Callable[[float], None] = lambda done: None) -> PeriodFigures:
    """The figures of `period` merged from its days' roll-ups (reports/rollups.py), the missing or outdated
    days computed first. The same tables as `period_figures`; its `cases` are only those the period can count
    (reported, due, closed or rated in it), as known at its end. `source` a History: its bounds say where
    the log begins."""
    from reports.rollups import days_of

    days = days_of(period.start, period.end, zone)
    # a case as known at the period's end may have changed on any day before: every day since the log began
    since_first = days_of(min(source.bounds().first_ts, period.start), period.end, zone)
    rollups.update(source, namespace, since_first, zone, lambda done: progress(0.8 * done))
    incidents = rollups.incidents(namespace, zone, days)
    cameras = camera_seconds(rollups.cameras(namespace, zone, days))
    cases = rollups.cases(namespace, zone, rfc3339(period.start), rfc3339(period.end), days[-1])
    progress(1.0)
    return PeriodFigures(period, incidents, cameras, count_cases(cases, period))


# ---- tables ----------------------------------------------------------------------------------------------

@dataclass
class Table:
    """One CSV file and one sheet of stats.xlsx: cells are str, int, float (rounded as printed) or None."""
    name: str
    columns: tuple[str, ...]
    rows: list[list]


def _r(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def _groups(*keyed: Iterable[str]) -> list[str]:
    return sorted(set().union(*keyed), key=lambda g: (len(g), g) if g.isdigit() else (0, g))


def _local_hour(record: IncidentRecord, zone: tzinfo) -> str:
    return f"{datetime.fromtimestamp(epoch(record.created), zone).hour:02d}"


INCIDENT_KEYS = {
    "all": lambda r, zone: "all",
    "kind": lambda r, zone: r.kind,
    "hour": _local_hour,
    "grid": lambda r, zone: r.grid_id or "",
    "priority": lambda r, zone: str(r.priority),
}
CASE_KEYS = ("all", "category", "grid", "town", "department")


def case_groups(case: dict) -> tuple[str, ...]:
    """A case's group by each of CASE_KEYS."""
    return ("all", case.get("category") or "", case.get("grid_id") or "",
            (case.get("areas") or {}).get(TOWN_LEVEL, ""), case.get("department") or "")


def _by(records: Iterable, key) -> dict[str, list]:
    groups: dict[str, list] = defaultdict(list)
    for record in records:
        groups[key(record)].append(record)
    return groups


def incident_table(current: PeriodFigures, previous: PeriodFigures, zone: tzinfo) -> Table:
    rows = []
    for by in ("all", "kind", "hour", "grid"):
        now = _by(current.incidents, lambda r: INCIDENT_KEYS[by](r, zone))
        before = _by(previous.incidents, lambda r: INCIDENT_KEYS[by](r, zone))
        groups = [f"{h:02d}" for h in range(24)] if by == "hour" else _groups(now, before)
        rows += [[by, group, len(now.get(group, ())), len(before.get(group, ()))] for group in groups]
    return Table("incidents", ("by", "group", "count", "previous_count"), rows)


def _interval_groups(records: list[IncidentRecord], seconds: list[float | None], by: str,
                     zone: tzinfo) -> dict[str, list[float]]:
    """By group, the `seconds` (one per record, None: the record lacks the interval) that are there, in the
    records' order."""
    groups: dict[str, list[float]] = defaultdict(list)
    key = INCIDENT_KEYS[by]
    for record, value in zip(records, seconds):
        group = groups[key(record, zone)]  # a group whose records all lack the interval is still a row
        if value is not None:
            group.append(value)
    return groups


def _seconds_of(records: list[IncidentRecord], interval: str) -> list[float | None]:
    """Each record's interval in seconds, read once for every grouping (a year of a city is a million)."""
    return [None if ms is None else ms / 1000 for ms in (r.interval_ms(interval) for r in records)]


def _stats_of_seconds(seconds: list[float]) -> IntervalStats:
    """reports.figures.interval_stats of records whose seconds are these."""
    if not seconds:
        return IntervalStats(0, None, None)
    return IntervalStats(len(seconds), percentile(seconds, 0.5), percentile(seconds, 0.9))


def response_table(current: PeriodFigures, previous: PeriodFigures, zone: tzinfo) -> Table:
    rows = []
    for interval in STATS_INTERVALS:
        seconds_now = _seconds_of(current.incidents, interval)
        seconds_before = _seconds_of(previous.incidents, interval)
        for by in ("all", "priority", "grid"):
            now = _interval_groups(current.incidents, seconds_now, by, zone)
            before = _interval_groups(previous.incidents, seconds_before, by, zone)
            for group in _groups(now, before):
                a, b = _stats_of_seconds(now.get(group, [])), _stats_of_seconds(before.get(group, []))
                rows.append([interval, by, group, a.count, _r(a.p50_s, 3), _r(a.p90_s, 3),
                             b.count, _r(b.p50_s, 3), _r(b.p90_s, 3)])
    return Table("response_times", ("interval", "by", "group", "count", "p50_s", "p90_s", "previous_count",
                                    "previous_p50_s", "previous_p90_s"), rows)


def camera_table(current: PeriodFigures, previous: PeriodFigures) -> Table:
    rows = []
    now = {"all": current.camera_total(), **current.cameras}
    before = {"all": previous.camera_total(), **previous.cameras}
    for group in ["all"] + _groups(set(now) - {"all"}, set(before) - {"all"}):
        a, b = now.get(group, CameraTime()), before.get(group, CameraTime())
        rows.append([group, a.cameras, _r(a.observed_s, 3), _r(a.online_s, 3), _r(a.unknown_s, 3),
                     _r(a.online_rate, 6), _r(b.online_rate, 6)])
    return Table("cameras", ("grid", "cameras", "observed_s", "online_s", "unknown_s", "online_rate",
                             "previous_online_rate"), rows)


def case_table(current: PeriodFigures, previous: PeriodFigures) -> Table:
    rows = []
    for by in CASE_KEYS:
        now, before = current.cases[by], previous.cases[by]
        for group in _groups(now, before):
            a, b = now.get(group, CaseCounts()), before.get(group, CaseCounts())
            if not (a.reported or b.reported or a.due or b.due):
                continue  # a group of cases neither reported nor due in either period (rated only)
            rows.append([by, group, a.reported, a.due, a.closed, a.closed_on_time, _r(a.closure.closure_rate, 6),
                         _r(a.closure.on_time_rate, 6), b.reported, b.due, _r(b.closure.closure_rate, 6),
                         _r(b.closure.on_time_rate, 6)])
    return Table("cases", ("by", "group", "reported", "due", "closed", "closed_on_time", "closure_rate",
                           "on_time_rate", "previous_reported", "previous_due", "previous_closure_rate",
                           "previous_on_time_rate"), rows)


def rating_table(current: PeriodFigures, previous: PeriodFigures) -> Table:
    rows = []
    for by in ("all", "category", "department"):
        now = {g: c for g, c in current.cases[by].items() if c.rated}
        before = {g: c for g, c in previous.cases[by].items() if c.rated}
        for group in _groups(now, before):
            rated, earlier = now.get(group, CaseCounts()), before.get(group, CaseCounts())
            rows.append([by, group, rated.rated, _r(rated.mean_rating, 3), *rated.ratings,
                         earlier.rated, _r(earlier.mean_rating, 3), *earlier.ratings])
    return Table("ratings", ("by", "group", "rated", "mean_rating", *(f"rating_{k}" for k in RATINGS),
                             "previous_rated", "previous_mean_rating", *(f"previous_rating_{k}" for k in RATINGS)),
                 rows)


def period_table(current: Period, previous: Period, zone: tzinfo) -> Table:
    return Table("periods", ("which", "period", "label", "start", "end", "start_local", "end_local"),
                 [[which, p.kind, p.label, rfc3339(p.start), rfc3339(p.end), local_label(p.start, zone),
                   local_label(p.end, zone)] for which, p in (("current", current), ("previous", previous))])


@dataclass
class Statistics:
    namespace: str
    zone: tzinfo
    current: PeriodFigures
    previous: PeriodFigures
    tables: list[Table]

    def table(self, name: str) -> Table:
        return next(t for t in self.tables if t.name == name)


def compute_stats(source: LogSource, namespace: str, period: Period, zone: tzinfo,
                  progress: Progress | None = None, *, rollups: "Rollups | None" = None) -> Statistics:
    """The figures of `period` and of the one before it: folded from the log, or, given `rollups`, merged
    from the days' roll-ups kept there (the same figures)."""
    report = progress or (lambda done, words: None)
    before = previous_period(period, zone)

    def figures(which: Period, done: Callable[[float], None]) -> PeriodFigures:
        if rollups is None:
            return period_figures(source, namespace, which, done)
        return rollup_period_figures(rollups, source, namespace, which, zone, done)

    report(0.0, "reading the previous period")
    previous = figures(before, lambda done: report(0.4 * done, "reading the previous period"))
    report(0.4, "reading the period")
    current = figures(period, lambda done: report(0.4 + 0.4 * done, "reading the period"))
    tables = [period_table(period, before, zone), incident_table(current, previous, zone),
              response_table(current, previous, zone), camera_table(current, previous),
              case_table(current, previous), rating_table(current, previous)]
    return Statistics(namespace, zone, current, previous, tables)


# ---- files -----------------------------------------------------------------------------------------------

def _csv_cell(value) -> str:
    return "" if value is None else str(value)


def write_tables(stats: Statistics, folder: Path) -> None:
    from openpyxl import Workbook  # only when files are written

    book = Workbook()
    book.remove(book.active)
    for table in stats.tables:
        with open(folder / f"{table.name}.csv", "w", newline="", encoding="utf-8") as file:
            writer = csv.writer(file)
            writer.writerow(table.columns)
            writer.writerows([[_csv_cell(v) for v in row] for row in table.rows])
        sheet = book.create_sheet(table.name)
        sheet.append(table.columns)
        for row in table.rows:
            sheet.append([None if v == "" else v for v in row])
        sheet.freeze_panes = "A2"
    book.save(folder / "stats.xlsx")


def write_stats(stats: Statistics, out_dir: str | Path, progress: Progress | None = None) -> list[Path]:
    """The tables (CSV, stats.xlsx) and report.html into the new (or empty) folder `out_dir`, written beside
    it and renamed into place, as the after-action report is."""
    from reports.stats_page import render_stats_page

    report = progress or (lambda done, words: None)
    out_dir = Path(out_dir)
    _check_target(out_dir)
    report(0.9, "writing the files")
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    partial = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.partial-", dir=out_dir.parent))
    try:
        write_tables(stats, partial)
        (partial / "report.html").write_text(render_stats_page(stats, time.time()), encoding="utf-8")
        _check_target(out_dir)  # it may have been filled meanwhile: never replace someone's files
        os.replace(partial, out_dir)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    report(1.0, "done")
    return [out_dir / name for name in STATS_FILES]


def open_source(db: str | None, store_url: str | None, namespace: str):
    """(the log as a LogSource, a function closing it) for --db PATH or --store URL; ReportError for a missing
    log or a namespace with no events."""
    if store_url is not None and not store_url.startswith(("postgresql://", "postgres://")):
        db, store_url = store_url.removeprefix("sqlite:///"), None  # a SQLite URL is a file: checked as --db
    if store_url is None:
        store, history, _ = open_log(Path(db), namespace)
        return history, store.close
    from dispatch.history import History
    from dispatch.stores import store_factory

    store = store_factory(store_url)()
    history = History(store, namespace)
    if history.bounds().first_ts is None:
        store.close()
        raise ReportError(f"namespace {namespace!r} has no events in {store_url.split('@')[-1]}")
    return history, store.close


def stats_of_log(db: str | None, store_url: str | None, namespace: str, period: Period, zone: tzinfo,
                 out_dir: str | Path, progress: Progress | None = None, *,
                 rollups_path: str | Path | None = None) -> list[Path]:
    """`onemap stats`: check the target, open the log, compute, write; nothing written on bad input.
    `rollups_path`: a roll-up file (reports/rollups.py, created if missing) whose days are merged, and kept
    up to date, instead of folding the log."""
    from reports.rollups import Rollups

    _check_target(Path(out_dir))
    source, close = open_source(db, store_url, namespace)
    rollups = None if rollups_path is None else Rollups(rollups_path)
    try:
        stats = compute_stats(source, namespace, period, zone, progress, rollups=rollups)
    finally:
        if rollups is not None:
            rollups.close()
        close()
    return write_stats(stats, out_dir, progress)

