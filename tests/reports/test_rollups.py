"""Daily roll-ups (reports/rollups.py): a period's statistics merged from its days equal the direct fold of the
log on a generated log (every table, every period kind, across a month and a year boundary); a day is computed
once, and again only when the log grew into it, and then its figures change with the log."""
from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import orjson
import pytest

from dispatch.history import History, epoch, rfc3339
from dispatch.store import EventStore, StoredEvent
from reports.rollups import Rollups, days_of
from reports.stats import compute_stats, period_of, stats_of_log
from support.stats_log import generate_stats_log

ZONE = ZoneInfo("Europe/Helsinki")
START, DAYS = "2026-11-20T00:00:00Z", 54


@pytest.fixture(scope="module")
def log(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("rollups") / "events.db"
    return generate_stats_log(path, START, DAYS, incidents=2_500, cases=1_000, camera_reports=2_500)


def both_ways(log: Path, rollup_file: Path, kind: str, day: date):
    store = EventStore(log)
    rollups = Rollups(rollup_file)
    try:
        period = period_of(kind, day, ZONE)
        direct = compute_stats(History(store, "live"), "live", period, ZONE)
        merged = compute_stats(History(store, "live"), "live", period, ZONE, rollups=rollups)
    finally:
        rollups.close()
        store.close()
    return direct, merged


@pytest.mark.parametrize("kind, day", [("day", date(2026, 12, 1)), ("week", date(2026, 12, 30)),
                                       ("month", date(2026, 12, 15)), ("month", date(2027, 1, 3)),
                                       ("quarter", date(2026, 12, 1)), ("year", date(2027, 1, 5))])
def test_the_merged_days_give_every_table_of_the_direct_fold(log, tmp_path, kind, day):
    direct, merged = both_ways(log, tmp_path / "rollups.db", kind, day)
    assert [t.name for t in merged.tables] == [t.name for t in direct.tables]
    for mine, theirs in zip(merged.tables, direct.tables):
        assert mine.rows == theirs.rows, mine.name
    incidents = next(t for t in direct.tables if t.name == "incidents").rows
    assert sum(row[2] for row in incidents if row[0] == "all") > 0  # the period is not an empty one


def test_a_month_computed_once_is_read_again_without_computing_a_day(log, tmp_path):
    store = EventStore(log)
    rollups = Rollups(tmp_path / "rollups.db")
    try:
        history = History(store, "live")
        days = days_of(period_of("month", date(2026, 12, 1), ZONE).start,
                       period_of("month", date(2026, 12, 1), ZONE).end, ZONE)
        assert rollups.update(history, "live", days, ZONE) == days
        assert rollups.update(history, "live", days, ZONE) == []
    finally:
        rollups.close()
        store.close()


def test_a_day_the_log_grew_into_is_computed_again_and_its_figures_follow_the_log(log, tmp_path):
    grown = tmp_path / "grown.db"
    grown.write_bytes(log.read_bytes())
    rollup_file = tmp_path / "rollups.db"
    store = EventStore(grown)
    last_seq = store.last_seq("live")
    history = History(store, "live")
    last_ts = next(history.events(last_seq - 1, last_seq))["ts"]
    ts = rfc3339(epoch(last_ts) + 60)
    last_day = datetime.fromtimestamp(epoch(ts), ZONE).date()  # the day of the log's last events
    month = period_of("month", last_day, ZONE)
    month_days = days_of(month.start, month.end, ZONE)
    rollups = Rollups(rollup_file)
    try:
        rollups.update(history, "live", month_days, ZONE)
    finally:
        rollups.close()
    before, _ = both_ways(grown, rollup_file, "day", last_day)

    state = history.state_at(last_seq)
    camera_id = next(c for c, camera in sorted(state["cameras"].items()) if camera.get("state") == "online")
    event = {"op": "event", "seq": last_seq + 1, "ts": ts, "actor": "sam", "type": "camera.status_changed",
             "data": {"camera_id": camera_id, "online": False, "state": "offline"}}
    store.append([StoredEvent("live", event["seq"], ts, "sam", event["type"], orjson.dumps(event))])
    rollups = Rollups(rollup_file)
    try:
        recomputed = rollups.update(History(store, "live"), "live", month_days, ZONE)
    finally:
        rollups.close()
        store.close()
    # the day the event is in, and the days after it (they start after it now); none before
    assert recomputed == [day for day in month_days if day >= last_day]

    direct, merged = both_ways(grown, rollup_file, "day", last_day)
    cameras = lambda stats: {row[0]: row for row in stats.table("cameras").rows}  # noqa: E731
    assert merged.table("cameras").rows == direct.table("cameras").rows
    assert cameras(merged)["all"][3] < cameras(before)["all"][3]  # less online: the new event counts


def test_onemap_stats_with_rollups_writes_the_files_of_the_direct_fold(log, tmp_path):
    period = period_of("month", date(2026, 12, 1), ZONE)
    direct = stats_of_log(str(log), None, "live", period, ZONE, tmp_path / "direct")
    merged = stats_of_log(str(log), None, "live", period, ZONE, tmp_path / "merged",
                          rollups_path=tmp_path / "rollups.db")
    for a, b in zip(direct, merged):
        if a.suffix == ".csv":
            assert b.read_text(encoding="utf-8") == a.read_text(encoding="utf-8"), a.name


def test_the_command_line_keeps_its_rollups_in_the_file_it_is_given(log, tmp_path):
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    rollup_file = tmp_path / "kept.db"
    command = [sys.executable, "-m", "console.cli", "stats", "--db", str(log), "--period", "week", "--at",
               "2026-12-09", "--tz", "Europe/Helsinki", "--rollups", str(rollup_file)]
    first = subprocess.run([*command, "--out", str(tmp_path / "first")], cwd=root, capture_output=True, text=True,
                           timeout=300)
    assert first.returncode == 0, first.stderr
    rollups = Rollups(rollup_file)
    try:
        kept = rollups.kept_days("live", ZONE)
    finally:
        rollups.close()
    assert min(kept) == "2026-11-20" and max(kept) == "2026-12-13"  # from the log's first day to the week's last
    direct = subprocess.run([*command[:-2], "--out", str(tmp_path / "direct")], cwd=root, capture_output=True,
                            text=True, timeout=300)
    assert direct.returncode == 0, direct.stderr
    for name in ("incidents.csv", "response_times.csv", "cameras.csv", "cases.csv", "ratings.csv"):
        assert (tmp_path / "first" / name).read_text() == (tmp_path / "direct" / name).read_text(), name


def test_a_postgresql_log_keeps_its_rollups_in_a_sqlite_file_with_the_figures_of_the_direct_fold(postgres, tmp_path):
    url = postgres.new_database()
    generate_stats_log(url, "2026-11-25T00:00:00Z", 12, incidents=600, cases=300, camera_reports=600)
    period = period_of("week", date(2026, 12, 2), ZONE)
    direct = stats_of_log(None, url, "live", period, ZONE, tmp_path / "direct")
    merged = stats_of_log(None, url, "live", period, ZONE, tmp_path / "merged", rollups_path=tmp_path / "rollups.db")
    rollups = Rollups(tmp_path / "rollups.db")
    try:
        assert min(rollups.kept_days("live", ZONE)) == "2026-11-23"  # the previous week's Monday
    finally:
        rollups.close()
    for a, b in zip(direct, merged):
        if a.suffix == ".csv":
            assert b.read_text(encoding="utf-8") == a.read_text(encoding="utf-8"), a.name
