"""`onemap stats` on a generated log of the demo city (late November 2026 to mid January 2027: a month and a
year boundary): every figure equals a computation made here with pandas from the raw SQLite rows, with
nothing of reports/ in it; the XLSX holds the CSVs' figures; the page renders offline in headless Chromium;
bad input is one line, exit 2, nothing written."""
from __future__ import annotations

import csv
import json
import sqlite3
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest

from support.stats_log import generate_stats_log

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "out" / "screenshots"
ZONE = "Europe/Helsinki"
PRINTED = 0.0005 + 1e-9  # seconds are printed to the millisecond
RATE = 5e-7 + 1e-12  # rates to six places


@pytest.fixture(scope="module")
def log(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("stats") / "events.db"
    return generate_stats_log(path, "2026-11-20T00:00:00Z", 54, incidents=2_500, cases=1_000, camera_reports=2_500)


@pytest.fixture(scope="module")
def events(log) -> pd.DataFrame:
    with sqlite3.connect(log) as db:
        rows = [json.loads(frame) for (frame,) in db.execute("SELECT frame FROM events WHERE ns = 'live' ORDER BY seq")]
    frame = pd.DataFrame({"seq": [e["seq"] for e in rows], "type": [e["type"] for e in rows],
                          "data": [e["data"] for e in rows]})
    frame["ts"] = pd.to_datetime([e["ts"] for e in rows], utc=True)
    return frame


def run_stats(*args: str, tz: str = ZONE) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "console.cli", "stats", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=300, env={"PATH": "/usr/bin:/bin", "TZ": tz, "HOME": str(ROOT)})


def read_csv(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as file:
        return list(csv.DictReader(file))


def bounds(first: str, after: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    return pd.Timestamp(first, tz=ZONE), pd.Timestamp(after, tz=ZONE)


# ---- the independent computation ----------------------------------------------------------------------------

def expected_incidents(events: pd.DataFrame, start, end) -> pd.DataFrame:
    before_end = events[events.ts < end]
    created = before_end[(before_end.type == "incident.created") & (before_end.ts >= start)]
    incidents = pd.DataFrame({"incident_id": [d["incident_id"] for d in created.data],
                              "kind": [d["kind"] for d in created.data],
                              "priority": [str(d["priority"]) for d in created.data],
                              "grid": [d.get("grid_id") or "" for d in created.data], "created": created.ts.array})
    incidents["created"] = pd.to_datetime(incidents.created, utc=True)
    assigned = before_end[before_end.type == "unit.assigned"]
    first_assigned = pd.Series(assigned.ts.array, index=[d["incident_id"] for d in assigned.data]).groupby(level=0).min()
    onscene = before_end[(before_end.type == "unit.status_changed")
                         & before_end.data.map(lambda d: d.get("status") == "onscene" and bool(d.get("incident_id")))]
    first_onscene = pd.Series(onscene.ts.array, index=[d["incident_id"] for d in onscene.data]).groupby(level=0).min()
    incidents["dispatched"] = pd.to_datetime(incidents.incident_id.map(first_assigned), utc=True)
    incidents["onscene"] = pd.to_datetime(incidents.incident_id.map(first_onscene), utc=True)
    incidents["call_to_dispatch_s"] = (incidents.dispatched - incidents.created).dt.total_seconds()
    incidents["dispatch_to_onscene_s"] = (incidents.onscene - incidents.dispatched).dt.total_seconds()
    incidents["hour"] = incidents.created.dt.tz_convert(ZONE).dt.strftime("%H")
    return incidents


def expected_camera_seconds(events: pd.DataFrame, start, end) -> pd.DataFrame:
    """Per cell, the camera-seconds online, offline and unknown (before a camera's first observation)."""
    from layers.citypack import load_city

    city = load_city("demo")
    cells = {row.camera_id: city.grid_at(row.geometry.x, row.geometry.y) or "" for row in city.cameras.itertuples()}
    changes = events[events.type == "camera.status_changed"]
    seen = pd.DataFrame({"camera": [d["camera_id"] for d in changes.data],
                         "state": [d["state"] for d in changes.data], "ts": changes.ts.array})
    rows = []
    for camera, cell in cells.items():
        mine = seen[seen.camera == camera]
        edges = [pd.Timestamp.min.tz_localize("UTC"), *pd.to_datetime(mine.ts, utc=True), pd.Timestamp.max.tz_localize("UTC")]
        states = ["unknown", *mine.state]
        for state, a, b in zip(states, edges[:-1], edges[1:]):
            seconds = (min(b, end) - max(a, start)).total_seconds()
            if seconds > 0:
                rows.append({"grid": cell, "state": state, "seconds": seconds})
    return pd.DataFrame(rows).pivot_table(index="grid", columns="state", values="seconds", aggfunc="sum", fill_value=0)


def expected_cases(events: pd.DataFrame, end) -> pd.DataFrame:
    """Every case as known at `end`."""
    cases: dict[str, dict] = {}
    for event_type, data, ts in zip(events.type, events.data, events.ts):
        if ts >= end or not event_type.startswith("case."):
            continue
        if event_type == "case.reported":
            cases[data["case_id"]] = {"category": data["category"], "grid": data["grid_id"],
                                      "town": data["areas"].get("town", ""), "department": "", "reported": ts,
                                      "due": pd.NaT, "closed": pd.NaT, "on_time": False, "rated": pd.NaT,
                                      "rating": np.nan}
        case = cases[data["case_id"]]
        if event_type == "case.registered":
            case.update(category=data["category"], due=pd.Timestamp(data["due"]))
        elif event_type == "case.dispatched":
            case["department"] = data["department"]
        elif event_type == "case.closed":
            case.update(closed=ts, on_time=data["on_time"])
        elif event_type == "case.rated":
            case.update(rated=ts, rating=data["rating"])
    return pd.DataFrame(list(cases.values()))


def closure(cases: pd.DataFrame, start, end) -> tuple[int, int, int]:
    """应结案: due in the period, or closed in it ahead of a later limit; 结案: of those, closed by its end."""
    closed_in = (cases.closed >= start) & (cases.closed < end)
    due = cases[((cases.due >= start) & (cases.due < end)) | (closed_in & (cases.due >= end))]
    closed = due[due.closed < end]
    return len(due), len(closed), int(closed.on_time.sum())


# ---- the checks ---------------------------------------------------------------------------------------------

def check_period_figures(out: Path, events: pd.DataFrame, current, previous) -> None:
    periods = {row["which"]: row for row in read_csv(out / "periods.csv")}
    for which, (start, end) in (("current", current), ("previous", previous)):
        assert pd.Timestamp(periods[which]["start"]) == start and pd.Timestamp(periods[which]["end"]) == end

    now, before = expected_incidents(events, *current), expected_incidents(events, *previous)
    rows = read_csv(out / "incidents.csv")
    for by, key in (("all", None), ("kind", "kind"), ("hour", "hour"), ("grid", "grid")):
        got = {r["group"]: (int(r["count"]), int(r["previous_count"])) for r in rows if r["by"] == by}
        if key is None:
            want = {"all": (len(now), len(before))}
        else:
            a, b = now[key].value_counts(), before[key].value_counts()
            groups = set(a.index) | set(b.index) | ({f"{h:02d}" for h in range(24)} if by == "hour" else set())
            want = {g: (int(a.get(g, 0)), int(b.get(g, 0))) for g in groups}
        assert got == want, by
    assert len(now) > 100 and len(before) > 100

    times = read_csv(out / "response_times.csv")
    checked = 0
    for interval in ("call_to_dispatch_s", "dispatch_to_onscene_s"):
        for by, key in (("all", None), ("priority", "priority"), ("grid", "grid")):
            for row in (r for r in times if r["interval"] == interval and r["by"] == by):
                for prefix, frame in (("", now), ("previous_", before)):
                    chosen = frame if key is None else frame[frame[key] == row["group"]]
                    values = chosen[interval].dropna()
                    assert int(row[f"{prefix}count"]) == len(values), (interval, by, row["group"])
                    for q in (50, 90):
                        cell = row[f"{prefix}p{q}_s"]
                        if values.empty:
                            assert cell == ""
                        else:
                            assert abs(float(cell) - values.quantile(q / 100)) <= PRINTED
                            checked += 1
    assert checked > 100

    for prefix, (start, end) in (("", current), ("previous_", previous)):
        seconds = expected_camera_seconds(events, start, end)
        for row in read_csv(out / "cameras.csv"):
            chosen = seconds.sum() if row["grid"] == "all" else seconds.loc[row["grid"]]
            observed = chosen.get("online", 0) + chosen.get("offline", 0)
            rate = row[f"{prefix}online_rate"]
            assert (rate == "") == (observed == 0)
            if observed:
                assert abs(float(rate) - chosen.get("online", 0) / observed) <= RATE, row["grid"]
            if not prefix:
                assert abs(float(row["observed_s"]) - observed) <= PRINTED * 10
                assert abs(float(row["unknown_s"]) - chosen.get("unknown", 0)) <= PRINTED * 10

    cases_now, cases_before = expected_cases(events, current[1]), expected_cases(events, previous[1])
    case_rows = read_csv(out / "cases.csv")
    seen_groups = 0
    for row in case_rows:
        for prefix, cases, (start, end) in (("", cases_now, current), ("previous_", cases_before, previous)):
            mine = cases if row["by"] == "all" else cases[cases[row["by"]] == row["group"]]
            reported = mine[(mine.reported >= start) & (mine.reported < end)]
            assert int(row[f"{prefix}reported"]) == len(reported), (row["by"], row["group"])
            due, closed, on_time = closure(mine, start, end)
            assert int(row[f"{prefix}due"]) == due
            if not prefix:
                assert (int(row["closed"]), int(row["closed_on_time"])) == (closed, on_time)
            if due:
                assert abs(float(row[f"{prefix}closure_rate"]) - closed / due) <= RATE
                assert abs(float(row[f"{prefix}on_time_rate"]) - on_time / due) <= RATE
            else:
                assert row[f"{prefix}closure_rate"] == "" and row[f"{prefix}on_time_rate"] == ""
        seen_groups += 1
    for by in ("category", "grid", "town", "department"):  # every group of cases reported in the period is a row
        want = set(cases_now[(cases_now.reported >= current[0]) & (cases_now.reported < current[1])][by])
        assert want <= {r["group"] for r in case_rows if r["by"] == by}
    assert {r["group"] for r in case_rows if r["by"] == "town"} == {"T-N", "T-S"}

    for row in read_csv(out / "ratings.csv"):
        for prefix, cases, (start, end) in (("", cases_now, current), ("previous_", cases_before, previous)):
            mine = cases if row["by"] == "all" else cases[cases[row["by"]] == row["group"]]
            rated = mine[(mine.rated >= start) & (mine.rated < end)]
            assert int(row[f"{prefix}rated"]) == len(rated)
            if len(rated):
                assert abs(float(row[f"{prefix}mean_rating"]) - rated.rating.mean()) <= 0.0005 + 1e-9
            assert [int(row[f"{prefix}rating_{k}"]) for k in range(1, 6)] == [int((rated.rating == k).sum())
                                                                             for k in range(1, 6)]


@pytest.fixture(scope="module")
def december(log, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("out") / "2026-12"
    done = run_stats("--db", str(log), "--period", "month", "--at", "2026-12-15", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [str(out / name) for name in ("periods.csv", "incidents.csv", "response_times.csv",
                                                                "cameras.csv", "cases.csv", "ratings.csv",
                                                                "stats.xlsx", "report.html")]
    return out


def test_a_month_against_the_one_before_across_a_month_boundary(december, events):
    check_period_figures(december, events, bounds("2026-12-01", "2027-01-01"), bounds("2026-11-01", "2026-12-01"))


def test_the_previous_period_across_a_year_boundary_as_a_month_and_as_a_week(log, events, tmp_path):
    out = tmp_path / "2027-01"
    # --store with a SQLite URL: the same file as --db
    done = run_stats("--store", f"sqlite:///{log}", "--period", "month", "--at", "2027-01-03", "--out", str(out))
    assert done.returncode == 0, done.stderr
    check_period_figures(out, events, bounds("2027-01-01", "2027-02-01"), bounds("2026-12-01", "2027-01-01"))
    # ISO week 2026-W53 is Monday 28 December to Sunday 3 January; the one before it is W52.
    week = tmp_path / "week"
    done = run_stats("--db", str(log), "--period", "week", "--at", "2027-01-01T12:00:00+02:00", "--out", str(week))
    assert done.returncode == 0, done.stderr
    assert [r["label"] for r in read_csv(week / "periods.csv")] == ["2026-W53", "2026-W52"]
    check_period_figures(week, events, bounds("2026-12-28", "2027-01-04"), bounds("2026-12-21", "2026-12-28"))


def test_a_postgresql_log_gives_the_figures_of_the_same_log_in_sqlite(postgres, december, tmp_path):
    url = postgres.new_database()
    generate_stats_log(url, "2026-11-20T00:00:00Z", 54, incidents=2_500, cases=1_000, camera_reports=2_500)
    out = tmp_path / "pg"
    done = run_stats("--store", url, "--period", "month", "--at", "2026-12-15", "--out", str(out))
    assert done.returncode == 0, done.stderr
    for name in ("periods", "incidents", "response_times", "cameras", "cases", "ratings"):
        assert (out / f"{name}.csv").read_bytes() == (december / f"{name}.csv").read_bytes(), name


def test_the_xlsx_holds_the_figures_of_the_csv_files(december):
    from openpyxl import load_workbook

    book = load_workbook(december / "stats.xlsx", read_only=True)
    names = ["periods", "incidents", "response_times", "cameras", "cases", "ratings"]
    assert book.sheetnames == names
    for name in names:
        with open(december / f"{name}.csv", newline="", encoding="utf-8") as file:
            table = list(csv.reader(file))
        sheet = [["" if v is None else v for v in row] for row in book[name].iter_rows(values_only=True)]
        assert sheet[0] == table[0] and len(sheet) == len(table) > 1
        for got, want in zip(sheet[1:], table[1:]):
            for value, text in zip(got, want):
                if isinstance(value, (int, float)):
                    assert value == float(text)  # a number in the sheet, the same number in the CSV
                else:
                    assert value == text


def test_previous_is_the_last_complete_period_before_now():
    from reports.stats import resolve_period

    zone = ZoneInfo(ZONE)
    at = lambda text: datetime.fromisoformat(text).timestamp()  # noqa: E731
    assert resolve_period("month", "previous", zone, now=at("2027-01-01T00:30:00+02:00")).label == "2026-12"
    assert resolve_period("month", "previous", zone, now=at("2026-12-31T23:59:00+02:00")).label == "2026-11"
    assert resolve_period("week", "previous", zone, now=at("2027-01-04T08:00:00+02:00")).label == "2026-W53"
    assert resolve_period("quarter", "previous", zone, now=at("2027-01-02T08:00:00+02:00")).label == "2026-Q4"
    assert resolve_period("year", "previous", zone, now=at("2027-03-02T08:00:00+02:00")).label == "2026"
    day = resolve_period("day", "previous", zone, now=at("2026-03-30T10:00:00+03:00"))  # after a summer-time change
    assert (day.label, day.end - day.start) == ("2026-03-29", 23 * 3600)


def test_at_previous_on_the_command_line_writes_the_week_before_this_one_into_a_folder_of_its_label(log, tmp_path):
    """What a weekly timer runs: the folder is named by the period, so a second run of the same week is refused."""
    args = ("--db", str(log), "--period", "week", "--at", "previous", "--out", str(tmp_path / "week-{label}"))
    done = run_stats(*args)
    assert done.returncode == 0, done.stderr
    today = datetime.now(ZoneInfo(ZONE)).date()
    monday = pd.Timestamp(today, tz=ZONE) - pd.Timedelta(days=today.weekday() + 7)
    year, week, _ = monday.date().isocalendar()
    out = tmp_path / f"week-{year}-W{week:02d}"
    current = next(r for r in read_csv(out / "periods.csv") if r["which"] == "current")
    assert pd.Timestamp(current["start"]) == monday
    again = run_stats(*args)
    assert again.returncode == 2 and "already exists" in again.stderr


def test_the_statistics_never_import_qt(log, tmp_path):
    script = ("import sys, reports.stats, reports.stats_page; from pathlib import Path; from zoneinfo import ZoneInfo; "
              "from reports.stats import resolve_period, stats_of_log; zone = ZoneInfo('Europe/Helsinki'); "
              f"stats_of_log({str(log)!r}, None, 'live', "
              f"resolve_period('day', '2026-12-02', zone), zone, Path({str(tmp_path / 'out')!r})); "
              "print(sorted(m for m in sys.modules if m.split('.')[0] in ('PySide6', 'pyqtgraph')))")
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_report_html_renders_in_headless_chromium_with_no_network_request(december):
    from support.chromium import ChromiumPage

    page_file = december / "report.html"
    with ChromiumPage(width=1400, height=1000) as page:
        page.open(page_file)
        assert page.requests[0] == page_file.resolve().as_uri()
        assert [url for url in page.requests if not url.startswith(("file:", "data:"))] == []
        assert page.failed_requests == [] and page.console_errors == []
        assert page.evaluate("document.querySelectorAll('svg.chart').length") == 9
        assert page.evaluate("document.querySelectorAll('#incidents-hour rect').length") >= 24 * 2
        incidents = read_csv(december / "incidents.csv")
        assert page.evaluate("document.querySelectorAll('#table-incidents tr').length") == len(incidents) + 1
        cards = page.evaluate("[...document.querySelectorAll('#headline .card b')].map(b => b.textContent)")
        assert cards[0] == next(r["count"] for r in incidents if r["by"] == "all")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(SCREENSHOTS / "statistics_report.png")


@pytest.mark.parametrize("args,words", [
    (["--period", "fortnight", "--at", "2026-12-01"], "--period: 'fortnight' is not one of day, week"),
    (["--period", "month", "--at", "yesterday"], "--at: cannot read 'yesterday'"),
    (["--period", "month", "--at", "2026-12-01", "--tz", "Mars/Olympus"], "unknown time zone 'Mars/Olympus'"),
])
def test_bad_input_is_one_line_exit_2_and_writes_nothing(log, tmp_path, args, words):
    out = tmp_path / "out"
    done = run_stats("--db", str(log), "--out", str(out), *args)
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and words in done.stderr, done.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_missing_log_and_a_folder_with_files_are_refused(log, tmp_path):
    missing = tmp_path / "nowhere.db"
    done = run_stats("--db", str(missing), "--period", "day", "--at", "2026-12-01", "--out", str(tmp_path / "a"))
    assert done.returncode == 2 and done.stderr == f"onemap stats: no event log at {missing}\n"
    assert list(tmp_path.iterdir()) == []
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "mine.txt").write_text("keep")
    done = run_stats("--db", str(log), "--period", "day", "--at", "2026-12-01", "--out", str(taken))
    assert done.returncode == 2 and "already exists and is not an empty folder" in done.stderr
    assert done.stderr.count("\n") == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["taken"] and [p.name for p in taken.iterdir()] == ["mine.txt"]
    done = run_stats("--period", "day", "--at", "2026-12-01", "--out", str(tmp_path / "b"))
    assert done.returncode == 2 and "give either --db PATH" in done.stderr
