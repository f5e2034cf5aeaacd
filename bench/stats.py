"""Statistics at a city's scale (issue #15): one month of a Dongguan-sized grid, generated, and a year of it.

The log: November 2026 (30 days, the demo city's zone, Europe/Helsinki) of the demo city with its grid
replaced by 2,927 cells (tests/support/stats_log.city_with_cells), with 100,000 incidents, 390,000 grid cases
(each reported, then registered, dispatched, started, handled, verified and closed, or rejected or left open;
60 % rated: ~7 steps each) and 30,000 camera observations: ~2.9 M events, every command judged by
dispatch.commands.decide, stored through EventStore in appends of 1,000 and folded by the server's keyframe
writer (a keyframe every 10,000 events rather than 1,500, so that generating it takes minutes, not an hour).
Seeded: every run the same log, cached under out/bench/ by GENERATOR_VERSION.

Prints `name value unit` lines:
  import_events_per_s  dispatch.cad_import.import_cad of the San Francisco export with the shipped `sf`
                       mapping into a fresh log (bench/cad_import.py's measure, the best of its runs)
  stats_day_s          one day's roll-up computed from the log (reports.rollups: the last day of the month,
                       as when the day ends: the state at its start loaded, cold, in this fresh process, its
                       events folded and its rows written)
  stats_month_s        `onemap stats --period month --rollups FILE` of the month (stats_of_log: both
                       periods merged from their days' roll-ups, kept beforehand, and every file written);
                       target at most 5 s
  stats_year_s         the same of the year 2026, its twelve months each a copy of the generated month's
                       roll-ups shifted to that month (each row's day and times moved by whole days; the days
                       a month has beyond 30 repeat its 30th day shifted), kept beforehand; target 30 s
  rss_mb               the peak resident memory of the process that times the three (generating the log and
                       keeping the other days' roll-ups run in child processes); target 2,048 MB
"""
from __future__ import annotations

import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
import zoneinfo
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

GENERATOR_VERSION = 2  # change when tests/support/stats_log.py changes what it writes
START = "2026-10-31T22:00:00Z"  # 1 November 2026, 00:00 in Helsinki
DAYS, INCIDENTS, CASES, CAMERA_REPORTS, GRID_CELLS = 30, 100_000, 390_000, 30_000, 2_927
KEYFRAME_EVERY = 10_000
ZONE = zoneinfo.ZoneInfo("Europe/Helsinki")


def cached_log() -> Path:
    path = ROOT / "out" / "bench" / f"stats-{DAYS}d-{INCIDENTS}i-{CASES}c-{GRID_CELLS}g-v{GENERATOR_VERSION}.db"
    if not path.is_file():
        from support.stats_log import generate_stats_log

        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".partial")
        partial.unlink(missing_ok=True)
        generate_stats_log(partial, START, DAYS, INCIDENTS, CASES, CAMERA_REPORTS, grid_cells=GRID_CELLS,
                           keyframe_every=KEYFRAME_EVERY)
        partial.rename(path)
    return path


def import_events_per_s() -> str:
    """bench/cad_import.py's import_events_per_s line, run in a process of its own."""
    lines = subprocess.run([sys.executable, str(ROOT / "bench" / "cad_import.py")], capture_output=True, text=True,
                           check=True).stdout.splitlines()
    return next(line for line in lines if line.startswith("import_events_per_s "))


def shift_month_into_year(month: Path, year_file: Path, log: Path, year: int) -> None:
    """The month's roll-ups copied into each month of `year` in `year_file` (see the docstring). Each copy's
    incident and case ids end in -MM, so that the twelve are distinct; each day is kept with the seqs the log
    gives that day, so that reports take it as up to date."""
    from dispatch.history import History
    from dispatch.store import EventStore
    from reports.export import seq_before_instant
    from reports.rollups import CASE_FIELDS, Rollups, zone_key
    from reports.stats import _midnight

    Rollups(year_file).close()  # the schema
    store = EventStore(log)
    history = History(store, "live")
    db = sqlite3.connect(year_file)
    db.execute("ATTACH ? AS month", (str(month),))
    zone = zone_key(ZONE)
    shifted = "strftime('%Y-%m-%dT%H:%M:%fZ', {0}, :shift)"
    with db:
        first = date(year, 1, 1)
        for day in (first + timedelta(days=n) for n in range((date(year + 1, 1, 1) - first).days)):
            source = date(2026, 11, min(day.day, DAYS))
            params = {"ns": "live", "zone": zone, "day": day.isoformat(), "source": source.isoformat(),
                      "shift": f"{(day - source).days:+d} days", "suffix": f"-{day.month:02d}"}
            seqs = (seq_before_instant(history, _midnight(day, ZONE)),
                    seq_before_instant(history, _midnight(day + timedelta(days=1), ZONE)))
            db.execute("INSERT INTO rollup_days VALUES (:ns, :zone, :day, :first, :last)",
                       {**params, "first": seqs[0], "last": seqs[1]})
            where = "FROM month.{0} WHERE ns = :ns AND zone = :zone AND day = :source"
            db.execute("INSERT INTO rollup_incidents SELECT ns, zone, :day, incident_id || :suffix, kind, priority, "
                       f"grid_id, lon, lat, {shifted.format('created')} {where.format('rollup_incidents')}", params)
            db.execute("INSERT INTO rollup_milestones SELECT ns, zone, :day, incident_id || :suffix, "
                       f"{shifted.format('dispatched')}, {shifted.format('onscene')} "
                       f"{where.format('rollup_milestones')}", params)
            db.execute("INSERT INTO rollup_cameras SELECT ns, zone, :day, grid_id, cameras, online_ms, offline_ms, "
                       f"unknown_ms {where.format('rollup_cameras')}", params)
            times = {"reported_ts", "due", "closed_at", "rated_ts"}
            fields = ", ".join(shifted.format(f) if f in times else f for f in CASE_FIELDS)
            db.execute(f"INSERT INTO rollup_cases SELECT ns, zone, :day, case_id || :suffix, {fields} "
                       f"{where.format('rollup_cases')}", params)
    db.close()
    store.close()


def keep_rollups_but_the_last_day(log: Path, month_file: Path) -> None:
    """The roll-ups of October (before the log: empty days) and of November but its last day."""
    from dispatch.history import History
    from dispatch.store import EventStore
    from reports.rollups import Rollups, days_of

    store = EventStore(log)
    rollups = Rollups(month_file)
    month, before = resolve_month("2026-11-15"), resolve_month("2026-10-15")
    rollups.update(History(store, "live"), "live",
                   days_of(before.start, before.end, ZONE) + days_of(month.start, month.end, ZONE)[:-1], ZONE)
    rollups.close()
    store.close()


def resolve_month(at: str):
    from reports.stats import resolve_period

    return resolve_period("month", at, ZONE)


def main() -> None:
    print(import_events_per_s(), flush=True)
    subprocess.run([sys.executable, __file__, "--generate"], check=True, stdout=subprocess.DEVNULL)
    log = cached_log()

    from dispatch.history import History
    from dispatch.store import EventStore
    from reports.rollups import Rollups, days_of
    from reports.stats import resolve_period, stats_of_log

    month = resolve_month("2026-11-15")
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        month_file = scratch / "month-rollups.db"
        # kept beforehand, as a server keeps them day by day: in a child, so that rss_mb is the reports'
        subprocess.run([sys.executable, __file__, "--keep-rollups", str(month_file)], check=True)
        store = EventStore(log)
        rollups = Rollups(month_file)
        begun = time.perf_counter()
        rollups.update(History(store, "live"), "live", days_of(month.start, month.end, ZONE)[-1:], ZONE)
        print(f"stats_day_s {time.perf_counter() - begun:.2f} s", flush=True)
        rollups.close()
        store.close()

        begun = time.perf_counter()
        stats_of_log(str(log), None, "live", month, ZONE, scratch / "month", rollups_path=month_file)
        print(f"stats_month_s {time.perf_counter() - begun:.2f} s", flush=True)

        year_file = scratch / "year-rollups.db"
        shift_month_into_year(month_file, year_file, log, 2026)
        year, year_before = resolve_period("year", "2026-06-01", ZONE), resolve_period("year", "2025-06-01", ZONE)
        store = EventStore(log)
        rollups = Rollups(year_file)
        rollups.update(History(store, "live"), "live", days_of(year_before.start, year_before.end, ZONE), ZONE)
        rollups.close()
        store.close()
        begun = time.perf_counter()
        stats_of_log(str(log), None, "live", year, ZONE, scratch / "year", rollups_path=year_file)
        print(f"stats_year_s {time.perf_counter() - begun:.2f} s", flush=True)
    print(f"rss_mb {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB", flush=True)


if __name__ == "__main__":
    if sys.argv[1:] == ["--generate"]:
        print(cached_log())
    elif sys.argv[1:2] == ["--keep-rollups"]:
        keep_rollups_but_the_last_day(cached_log(), Path(sys.argv[2]))
    else:
        main()
