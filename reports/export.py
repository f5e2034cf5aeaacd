"""write_report: a span of one namespace's log to incidents.csv, unit_status.csv, summary.csv and report.html.

The span is [start, end): an event at `start` is in it, one at `end` is not. Everything is as known at the
span's end: a milestone after it is empty, as is one that never happened. Files are written into a hidden
folder beside the target and renamed into place at the end, so a failure leaves no half-written report.
"""
from __future__ import annotations

import csv
import os
import shutil
import sqlite3
import tempfile
import time
from datetime import tzinfo
from pathlib import Path
from typing import Callable, Iterable, Iterator, Protocol

from dispatch.city_state import initial_state
from dispatch.domain import is_exercise, is_history
from dispatch.history import History
from dispatch.reducer import State
from dispatch.store import EventStore, StoreError
from reports.figures import FIGURE_EVENT_TYPES, INTERVALS, MILESTONES, SpanFigures, bookmarks_in, summary_rows
from reports.page import render_page
from reports.times import ReportError, local_label, machine_zone
from reports.tracks import sample_tracks

Progress = Callable[[float, str], None]

INCIDENT_COLUMNS = ("incident_id", "kind", "priority", "grid_id", *MILESTONES, *(name for name, _, _ in INTERVALS), "units")
UNIT_STATUS_COLUMNS = ("unit_id", "callsign", "status", "incident_id", "start", "end", "duration_s")
SUMMARY_COLUMNS = ("measure", "by", "group", "count", "p50_s", "p90_s")
REPORT_FILES = ("incidents.csv", "unit_status.csv", "summary.csv", "report.html")
# An exercise's CSVs end every row with its namespace (exercise:NAME), so a table copied out of its folder
# still says it is no live figure; a live report's tables are as they always were.
NAMESPACE_COLUMN = "namespace"


def _seconds(value: float | None) -> str:
    return "" if value is None else f"{value:.3f}"


def _ms_seconds(ms: int | None) -> str:
    return "" if ms is None else f"{ms / 1000:.3f}"


def grid_rings(city) -> list[tuple[str, list[list[float]]]]:
    """The outlines of a city's grid cells as (name, [[lat, lon], ...]), for the map."""
    if city is None:
        return []
    rings = []
    for row in city.grids.itertuples(index=False):
        polygons = getattr(row.geometry, "geoms", [row.geometry])
        rings += [(row.name, [[round(lat, 6), round(lon, 6)] for lon, lat in polygon.exterior.coords])
                  for polygon in polygons]
    return rings


def _pack_named(name: str | None):
    """The city pack a log names, for its grid cells on the map; None if it names none or this machine
    lacks it (the report needs no more than the log then)."""
    if name is None:
        return None
    from layers.citypack import load_city

    try:
        return load_city(name)
    except (ValueError, OSError):
        return None


def _check_target(out_dir: Path) -> None:
    if out_dir.exists() and not (out_dir.is_dir() and not any(out_dir.iterdir())):
        raise ReportError(f"{out_dir} already exists and is not an empty folder: choose a new one")


def open_log(db_path: Path, namespace: str, state_before_first: State | None = None) -> tuple[EventStore, History, int]:
    """A log file's store, its namespace's History and last seq; ReportError for a missing file, one that
    is not a log, or a namespace with no events (the caller closes the store)."""
    if not db_path.is_file():  # opening a missing path would create an empty log there
        raise ReportError(f"no event log at {db_path}")
    try:
        store = EventStore(db_path)
    except StoreError as exc:
        raise ReportError(str(exc).splitlines()[0]) from None
    history = History(store, namespace, state_before_first)
    try:
        bounds = history.bounds()
    except sqlite3.Error as exc:
        store.close()
        raise ReportError(f"cannot read the event log {db_path}: {exc}") from None
    if bounds.first_ts is None:
        store.close()
        raise ReportError(f"namespace {namespace!r} has no events in {db_path}")
    return store, history, bounds.last_seq


class LogSource(Protocol):
    """What a report reads of a log: dispatch.history.History for a file, or the server's history requests
    (console.replay.ServerHistory) for a replay of a server."""

    def city(self) -> str | None: ...
    def seq_at(self, epoch_s: float) -> int: ...
    def state_at(self, seq: int) -> State: ...
    def events(self, after_seq: int, until_seq: int, types: Iterable[str] | None = None) -> Iterator[dict]: ...


def write_report(db_path: str | Path, namespace: str, start_epoch: float, end_epoch: float, out_dir: str | Path,
                 progress: Progress | None = None, *, zone: tzinfo | None = None, city=None) -> list[Path]:
    """Write the report of [start_epoch, end_epoch) of a log file into the new folder `out_dir`; return the
    files written.

    `zone`: the zone the page shows times in (default: the machine's). `city`: the layers.citypack.CityPack
    the server ran, needed only for a log that does not record the state its namespace started from (a log
    from before keyframes); None: the log's own keyframe at seq 0, and the grid cells of the pack the log
    names, when this machine has it.
    `progress(done_fraction, words)` is called now and then from the calling thread.
    Bad input raises ReportError (a ValueError) before anything is written."""
    check_span(start_epoch, end_epoch, zone or machine_zone())
    _check_target(Path(out_dir))
    store, history, last_seq = open_log(Path(db_path), namespace, None if city is None else initial_state(city))
    try:
        return write_source_report(history, last_seq, namespace, start_epoch, end_epoch, out_dir, progress,
                                   zone=zone, city=city)
    finally:
        store.close()


def check_span(start_epoch: float, end_epoch: float, zone: tzinfo) -> None:
    if not end_epoch > start_epoch:
        raise ReportError(f"the span must end after it starts ({local_label(start_epoch, zone)} to "
                          f"{local_label(end_epoch, zone)})")


def seq_before_instant(source: LogSource, instant: float) -> int:
    """The last seq strictly before `instant`: the log's times are milliseconds, so "before t" is "at or
    before t - 1 ms"."""
    return source.seq_at(round(instant * 1000) / 1000 - 0.001)


def read_span_start(source: LogSource, start_epoch: float, end_epoch: float,
                    namespace: str) -> tuple[int, int, State]:
    """The span [start, end) as seqs (first, last: its events are first < seq <= last) and the state at its
    start; ReportError for a log that does not record the state its namespace started from."""
    first, last = seq_before_instant(source, start_epoch), seq_before_instant(source, end_epoch)
    try:
        start_state = source.state_at(first)
    except KeyError as exc:
        raise ReportError(f"the log does not record the state its namespace started from (no {exc} in it): "
                          "name the city pack the server ran (--city)") from None
    if not start_state["units"] and not is_history(namespace):  # an import's units come with its events
        raise ReportError("the log does not record the state its namespace started from: "
                          "name the city pack the server ran (--city)")
    return first, last, start_state


def write_source_report(source: LogSource, last_seq: int, namespace: str, start_epoch: float, end_epoch: float,
                        out_dir: str | Path, progress: Progress | None = None, *, zone: tzinfo | None = None,
                        city=None) -> list[Path]:
    """`write_report` of any LogSource whose last event is `last_seq`."""
    report = progress or (lambda done, words: None)
    zone = zone or machine_zone()
    out_dir = Path(out_dir)
    check_span(start_epoch, end_epoch, zone)
    _check_target(out_dir)
    report(0.0, "reading the state at the start")
    first, last, start_state = read_span_start(source, start_epoch, end_epoch, namespace)
    report(0.1, "reading incidents and unit status changes")
    figures = SpanFigures(start_state)
    figures.feed(source.events(first, last, types=FIGURE_EVENT_TYPES))
    report(0.3, "reading unit positions")
    tracks = sample_tracks(source, start_state, start_epoch, end_epoch,
                           lambda instant: seq_before_instant(source, instant),
                           lambda done: report(0.3 + 0.6 * done, "reading unit positions"))
    bookmarks = bookmarks_in(source.events(0, last_seq, types=("bookmark.added",)), start_epoch, end_epoch)
    drawn_city = city if city is not None else _pack_named(source.city())

    report(0.9, "writing the report")
    callsigns = {unit_id: unit.get("callsign") or unit_id for unit_id, unit in start_state["units"].items()}
    records = list(figures.incidents.values())
    marked = (NAMESPACE_COLUMN,) if is_exercise(namespace) else ()
    mark = [namespace] if marked else []
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    partial = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.partial-", dir=out_dir.parent))
    try:
        with open(partial / "incidents.csv", "w", newline="", encoding="utf-8") as file:
            writer = csv.writer(file)
            writer.writerow(INCIDENT_COLUMNS + marked)
            for r in records:
                writer.writerow([r.incident_id, r.kind, r.priority, r.grid_id or "",
                                 *(getattr(r, m) or "" for m in MILESTONES),
                                 *(_ms_seconds(r.interval_ms(name)) for name, _, _ in INTERVALS),
                                 " ".join(r.units), *mark])
        with open(partial / "unit_status.csv", "w", newline="", encoding="utf-8") as file:
            writer = csv.writer(file)
            writer.writerow(UNIT_STATUS_COLUMNS + marked)
            for p in figures.periods:
                writer.writerow([p.unit_id, p.callsign, p.status, p.incident_id or "", p.start, p.end or "",
                                 _ms_seconds(p.duration_ms()), *mark])
        with open(partial / "summary.csv", "w", newline="", encoding="utf-8") as file:
            writer = csv.DictWriter(file, SUMMARY_COLUMNS + marked)
            writer.writeheader()
            for row in summary_rows(records, len(figures.open_at_start), start_epoch, end_epoch):
                writer.writerow({**row, "p50_s": _seconds(row.get("p50_s")), "p90_s": _seconds(row.get("p90_s")),
                                 **dict(zip(marked, mark))})
        page = render_page(namespace=namespace, start_epoch=start_epoch, end_epoch=end_epoch, zone=zone,
                           records=records, open_at_start=list(figures.open_at_start.values()), tracks=tracks,
                           callsigns=callsigns, grids=grid_rings(drawn_city), bookmarks=bookmarks,
                           generated_epoch=time.time())
        (partial / "report.html").write_text(page, encoding="utf-8")
        _check_target(out_dir)  # it may have been filled meanwhile: never replace someone's files
        os.replace(partial, out_dir)  # onto an empty folder or none: atomic
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    report(1.0, "done")
    return [out_dir / name for name in REPORT_FILES]
