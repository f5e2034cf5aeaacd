"""`onemap report` against a real server's log: every figure equals a reading of the stored events made
here, with nothing of reports/ in it (raw SQLite rows, string-compared times, the statistics module)."""
from __future__ import annotations

import asyncio
import csv
import json
import sqlite3
import statistics
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

from dispatch.client import DispatchClient

ROOT = Path(__file__).resolve().parents[2]
PRINTED = 0.0005 + 1e-9  # the files give seconds to the millisecond: half of one either way (and float noise)

INTERVALS = {
    "call_to_dispatch_s": ("created", "first_dispatched"),
    "dispatch_to_onscene_s": ("first_dispatched", "first_onscene"),
    "call_to_onscene_s": ("created", "first_onscene"),
    "call_to_close_s": ("created", "closed"),
}


async def _after_this_millisecond(milliseconds: int = 3) -> None:
    """Let the clock move on (at least past the current millisecond, so the next event's time differs)."""
    deadline = time.time() + milliseconds / 1000
    while time.time() < deadline:
        await asyncio.sleep(0.001)


async def _play_shift(url: str, token: str) -> dict:
    """Three phases: before the span (an incident left open, one closed), the span (incidents with
    some milestones that never happen), and after it (a close that the report must not see)."""
    client = await DispatchClient.connect(url, token, subscribe=False)
    units = sorted(client.state["units"])[:8]
    do = client.command

    async def create(kind, priority, lon, lat):
        return (await do("incident.create", kind=kind, priority=priority, lon=lon, lat=lat))["incident_id"]

    carried = await create("burglary", 2, 24.946, 60.171)  # open across the span's start
    await do("unit.assign", unit_id=units[5], incident_id=carried)
    done_before = await create("theft", 4, 24.940, 60.168)  # closed before the span
    await do("incident.close", incident_id=done_before, disposition="REPORT")
    await _after_this_millisecond()

    full = await create("fight", 1, 24.944, 60.172)
    await do("unit.assign", unit_id=units[0], incident_id=full)
    await do("unit.status", unit_id=units[0], status="enroute")
    await do("unit.position", unit_id=units[0], lon=24.9441, lat=60.1715)
    await do("unit.status", unit_id=units[0], status="onscene")
    await do("incident.close", incident_id=full, disposition="ARREST")
    never_enroute = await create("theft", 2, 24.950, 60.175)
    await do("unit.assign", unit_id=units[1], incident_id=never_enroute)
    await do("unit.status", unit_id=units[1], status="onscene")
    never_assigned = await create("fight", 1, 24.938, 60.166)
    inside = datetime.now(timezone.utc).isoformat(timespec="milliseconds")  # this machine is the server's clock
    no_scene = await create("medical", 3, 24.942, 60.170)
    await do("unit.assign", unit_id=units[2], incident_id=no_scene)
    await do("unit.status", unit_id=units[2], status="enroute")
    await do("incident.close", incident_id=no_scene, disposition="CANCELLED")
    closes_later = await create("theft", 2, 24.948, 60.169)
    await do("unit.assign", unit_id=units[3], incident_id=closes_later)
    await do("unit.status", unit_id=units[3], status="enroute")
    await do("unit.assign", unit_id=units[4], incident_id=closes_later)
    await do("unit.status", unit_id=units[4], status="onscene")
    await do("unit.status", unit_id=units[5], status="onscene")
    await do("incident.close", incident_id=carried, disposition="NO_TRACE")
    await do("unit.status", unit_id=units[6], status="busy")
    for k in range(9):  # groups of several values, so percentiles interpolate
        routine = await create(("theft", "fight", "disturbance")[k % 3], 1 + k % 3, 24.936 + k * 0.002, 60.165 + k * 0.001)
        await _after_this_millisecond(1 + 3 * k)
        await do("unit.assign", unit_id=units[7], incident_id=routine)
        await _after_this_millisecond(2 + 5 * (k % 4))
        await do("unit.status", unit_id=units[7], status="onscene")
        await do("incident.close", incident_id=routine, disposition="RESOLVED")
    await _after_this_millisecond()

    await do("incident.close", incident_id=closes_later, disposition="REPORT")
    await do("unit.status", unit_id=units[6], status="available")
    # Marked afterwards, as while replaying: one instant inside the span, one before it.
    await do("bookmark.add", at=inside, note="first call of the rush <b>")
    await do("bookmark.add", at="2020-01-01T00:00:00Z", note="long before")
    await client.close()
    return {"carried": carried, "never_assigned": never_assigned, "never_enroute": never_enroute,
            "no_scene": no_scene, "closes_later": closes_later, "full": full}


@pytest.fixture(scope="module")
def shift(server, users):
    played = asyncio.run(_play_shift(server.url, users[1]["alice"]))
    with sqlite3.connect(server.db) as db:
        events = [json.loads(frame) for (frame,) in
                  db.execute("SELECT frame FROM events WHERE ns = 'live' ORDER BY seq")]
    # The span: from the first in-span event's time (included) to the first after-span event's (excluded).
    played["from"] = next(e["ts"] for e in events if e["type"] == "incident.created"
                          and e["data"]["incident_id"] == played["full"])
    played["to"] = next(e["ts"] for e in events if e["type"] == "incident.closed"
                        and e["data"]["incident_id"] == played["closes_later"])
    played["events"] = events
    played["bookmark"] = next(e["data"]["at"] for e in events if e["type"] == "bookmark.added")
    return played


def _run_report(db: Path, out: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "console.cli", "report", "--db", str(db), "--out", str(out), *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def report(server, shift, tmp_path_factory):
    out = tmp_path_factory.mktemp("reports") / "shift"
    # No --city: the log records the state it started from and names its city (whose grid cells are drawn).
    done = _run_report(server.db, out, "--from", shift["from"], "--to", shift["to"], "--tz", "Europe/Helsinki")
    assert done.returncode == 0, done.stderr
    return out


def _rows(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as file:
        return list(csv.DictReader(file))


def _seconds(a: str, b: str) -> float:
    return (datetime.fromisoformat(b.replace("Z", "+00:00")) - datetime.fromisoformat(a.replace("Z", "+00:00"))).total_seconds()


def _in_span(shift) -> list[dict]:
    return [e for e in shift["events"] if shift["from"] <= e["ts"] < shift["to"]]


def _expected_incidents(shift) -> dict[str, dict]:
    span = _in_span(shift)
    expected = {}
    for created in (e for e in span if e["type"] == "incident.created"):
        iid = created["data"]["incident_id"]

        def first(test):
            return next((e["ts"] for e in span if test(e)), "")
        row = {
            "kind": created["data"]["kind"], "priority": str(created["data"]["priority"]),
            "grid_id": created["data"]["grid_id"] or "", "created": created["ts"],
            "first_dispatched": first(lambda e: e["type"] == "unit.assigned" and e["data"]["incident_id"] == iid),
            "first_enroute": first(lambda e: e["type"] == "unit.status_changed" and e["data"]["status"] == "enroute"
                                   and e["data"]["incident_id"] == iid),
            "first_onscene": first(lambda e: e["type"] == "unit.status_changed" and e["data"]["status"] == "onscene"
                                   and e["data"]["incident_id"] == iid),
            "closed": first(lambda e: e["type"] == "incident.closed" and e["data"]["incident_id"] == iid),
            "units": " ".join(e["data"]["unit_id"] for e in span
                              if e["type"] == "unit.assigned" and e["data"]["incident_id"] == iid),
        }
        for name, (a, b) in INTERVALS.items():
            row[name] = _seconds(row[a], row[b]) if row[a] and row[b] else None
        expected[iid] = row
    return expected


def test_the_incident_table_equals_a_reading_of_the_events_sent_and_intervals_that_never_happened_stay_empty(report, shift):
    rows = {row["incident_id"]: row for row in _rows(report / "incidents.csv")}
    expected = _expected_incidents(shift)
    assert list(rows) == list(expected)  # created in the span, in order; not the one open at its start
    assert shift["carried"] not in rows
    for iid, want in expected.items():
        got = rows[iid]
        for column in ("kind", "priority", "grid_id", "created", "first_dispatched", "first_enroute",
                       "first_onscene", "closed", "units"):
            assert got[column] == want[column], (iid, column)
        for name in INTERVALS:
            if want[name] is None:
                assert got[name] == "", (iid, name)
            else:
                assert float(got[name]) == pytest.approx(want[name], abs=PRINTED), (iid, name)
    # The shapes the scenario built, read from the table itself:
    assert all(rows[shift["full"]][name] != "" for name in INTERVALS)
    assert rows[shift["never_enroute"]]["first_enroute"] == "" and rows[shift["never_enroute"]]["call_to_close_s"] == ""
    assert all(rows[shift["never_assigned"]][name] == "" for name in INTERVALS)
    assert rows[shift["no_scene"]]["dispatch_to_onscene_s"] == "" and rows[shift["no_scene"]]["call_to_close_s"] != ""
    assert rows[shift["closes_later"]]["closed"] == ""  # closed at the span's end: not in it


def test_unit_status_rows_are_every_change_in_the_span_each_ending_at_the_units_next(report, shift):
    changes = [(e["data"]["unit_id"], "dispatched" if e["type"] == "unit.assigned" else e["data"]["status"],
                e["data"].get("incident_id") or "", e["ts"])
               for e in _in_span(shift) if e["type"] in ("unit.assigned", "unit.status_changed")]
    expected = []
    for index, (unit, status, incident, start) in enumerate(changes):
        end = next((c[3] for c in changes[index + 1:] if c[0] == unit), "")
        expected.append((unit, status, incident, start, end))
    rows = _rows(report / "unit_status.csv")
    assert [(r["unit_id"], r["status"], r["incident_id"], r["start"], r["end"]) for r in rows] == expected
    for row in rows:
        if row["end"]:
            assert float(row["duration_s"]) == pytest.approx(_seconds(row["start"], row["end"]), abs=PRINTED)
        else:
            assert row["duration_s"] == ""
    callsigns = {r["unit_id"]: r["callsign"] for r in rows}
    assert all(callsign and callsign != unit for unit, callsign in callsigns.items())  # the city's callsigns
    assert any(r["status"] == "available" and r["end"] == "" for r in rows)  # cleared by a close, then nothing


def _quantiles(values: list[float]) -> tuple[float, float]:
    if len(values) == 1:
        return values[0], values[0]
    return statistics.median(values), statistics.quantiles(values, n=10, method="inclusive")[8]


def test_summary_counts_and_percentiles_equal_an_independent_computation(report, shift):
    rows = _rows(report / "summary.csv")
    table = {(r["measure"], r["by"], r["group"]): r for r in rows}
    expected = _expected_incidents(shift)
    assert table[("incidents", "all", "all")]["count"] == str(len(expected))
    assert table[("incidents_open_at_start", "all", "all")]["count"] == "1"
    for kind in {row["kind"] for row in expected.values()}:
        assert table[("incidents", "kind", kind)]["count"] == str(sum(r["kind"] == kind for r in expected.values()))
    hours = {r["group"]: int(r["count"]) for r in rows if r["measure"] == "incidents" and r["by"] == "hour"}
    for hour, count in hours.items():
        assert count == sum(r["created"][:13] == hour[:13] for r in expected.values())
    assert sum(hours.values()) == len(expected)
    for name in INTERVALS:
        for by, key in (("all", lambda r: "all"), ("priority", lambda r: r["priority"]), ("grid", lambda r: r["grid_id"])):
            groups: dict[str, list[float]] = {}
            for row in expected.values():
                groups.setdefault(key(row), [])
                if row[name] is not None:
                    groups[key(row)].append(row[name])
            for group, values in groups.items():
                got = table[(name, by, group)]
                assert got["count"] == str(len(values)), (name, by, group)
                if not values:
                    assert got["p50_s"] == got["p90_s"] == "", (name, by, group)
                    continue
                p50, p90 = _quantiles(values)
                assert float(got["p50_s"]) == pytest.approx(p50, abs=PRINTED), (name, by, group)
                assert float(got["p90_s"]) == pytest.approx(p90, abs=PRINTED), (name, by, group)


@pytest.mark.parametrize("case, args, words", [
    ("unparsable from", ["--from", "yesterday", "--to", "2026-12-02T10:00:00Z"], "--from: cannot read 'yesterday' as a time"),
    ("unparsable to", ["--from", "2026-12-02T08:00:00Z", "--to", "2026-13-02T10:00:00Z"], "--to: cannot read"),
    ("from after to", ["--from", "2026-12-02T10:00:00Z", "--to", "2026-12-02T08:00:00Z"], "the span must end after it starts"),
    ("from equals to", ["--from", "2026-12-02T10:00:00+02:00", "--to", "2026-12-02T08:00:00Z"], "the span must end after it starts"),
    ("unknown zone", ["--from", "2026-12-02T08:00", "--to", "2026-12-02T10:00", "--tz", "Mars/Olympus"], "unknown time zone 'Mars/Olympus'"),
    ("missing log", ["--db-missing"], "no event log at"),
    ("empty namespace", ["--namespace", "exercise:nothing"], "namespace 'exercise:nothing' has no events in"),
])
def test_bad_times_a_missing_log_or_an_empty_namespace_get_one_clear_line_exit_2_and_nothing_written(
        server, shift, tmp_path, case, args, words):
    db = server.db
    if args == ["--db-missing"]:
        db, args = tmp_path / "no-such.db", []
    if "--from" not in args:
        args = [*args, "--from", shift["from"], "--to", shift["to"], "--city", "demo"]
    before = set(tmp_path.iterdir())
    done = _run_report(db, tmp_path / "out", *args)
    assert done.returncode == 2, (case, done.stderr)
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("onemap report: ") and words in lines[0], (case, done.stderr)
    assert set(tmp_path.iterdir()) == before  # no report folder, no partial one, no log created
    assert done.stdout == ""


def test_a_folder_that_already_holds_files_is_refused_and_left_as_it_was(server, shift, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "mine.txt").write_text("keep me")
    done = _run_report(server.db, out, "--from", shift["from"], "--to", shift["to"], "--city", "demo")
    assert done.returncode == 2
    assert "already exists and is not an empty folder" in done.stderr
    assert [p.name for p in out.iterdir()] == ["mine.txt"] and sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_a_log_that_does_not_record_its_start_asks_for_the_city(server, shift, tmp_path):
    """A log written before keyframes (no state at seq 0, no city named): the report needs the pack."""
    import sqlite3

    old = tmp_path / "old.db"
    with sqlite3.connect(server.db) as source, sqlite3.connect(old) as copy:
        source.backup(copy)
        for table in ("keyframes", "chunks", "meta", "snapshots"):
            copy.execute(f"DELETE FROM {table}")
    before = set(tmp_path.iterdir())
    done = _run_report(old, tmp_path / "out", "--from", shift["from"], "--to", shift["to"])
    assert done.returncode == 2
    assert done.stderr.splitlines() == [done.stderr.strip()] and "name the city pack the server ran (--city)" in done.stderr
    assert set(tmp_path.iterdir()) == before


def test_a_time_without_an_offset_is_read_in_the_reports_zone(server, shift, tmp_path):
    """The same span given as Helsinki wall-clock times (no offset, --tz) gives the same incidents."""
    from zoneinfo import ZoneInfo

    def wall(ts: str) -> str:
        utc = datetime.fromisoformat(ts.replace("Z", "+00:00")).astimezone(timezone.utc)
        return utc.astimezone(ZoneInfo("Europe/Helsinki")).replace(tzinfo=None).isoformat(timespec="milliseconds")

    done = _run_report(server.db, tmp_path / "out", "--from", wall(shift["from"]), "--to", wall(shift["to"]),
                       "--tz", "Europe/Helsinki", "--city", "demo")
    assert done.returncode == 0, done.stderr
    assert [r["incident_id"] for r in _rows(tmp_path / "out" / "incidents.csv")] == list(_expected_incidents(shift))


SCREENSHOTS = ROOT / "out" / "screenshots"

_DRAWN_PIXELS = """(selector => {
  const canvas = document.querySelector(selector);
  if (!canvas) return -1;
  const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let drawn = 0;
  for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) drawn++;
  return drawn;
})"""


def test_the_page_opens_in_headless_chromium_with_no_network_request_and_shows_map_slider_tables_and_charts(report, shift):
    from zoneinfo import ZoneInfo

    from support.chromium import ChromiumPage

    def helsinki(ts: str) -> str:
        return datetime.fromisoformat(ts.replace("Z", "+00:00")).astimezone(ZoneInfo("Europe/Helsinki")).strftime(
            "%Y-%m-%d %H:%M:%S %Z")

    expected = _expected_incidents(shift)
    page_file = report / "report.html"
    with ChromiumPage(width=1400, height=1000) as page:
        page.open(page_file)
        assert page.requests[0] == page_file.resolve().as_uri()  # the listener hears the page's requests
        assert [url for url in page.requests if not url.startswith(("file:", "data:"))] == []
        assert page.failed_requests == [] and page.console_errors == []
        assert page.evaluate("document.body.dataset.ready") == "yes"
        # The slider starts at the span's end, in local time with the zone; at its start it shows the start.
        assert page.evaluate("document.getElementById('slider-time').textContent") == helsinki(shift["to"])
        heat_at_end = page.evaluate(_DRAWN_PIXELS + "('.leaflet-overlay-pane canvas.leaflet-heatmap-layer')")
        assert heat_at_end > 1000
        drawn_at_end = page.evaluate(_DRAWN_PIXELS + "('.leaflet-overlay-pane canvas:not(.leaflet-heatmap-layer)')")
        assert drawn_at_end > 1000
        assert page.evaluate("document.querySelectorAll('#incident-table tr').length") == len(expected) + 1
        dots = sum(row[name] is not None for row in expected.values() for name in INTERVALS)
        assert page.evaluate("document.querySelectorAll('#response-times circle').length") == dots
        assert page.evaluate("document.querySelectorAll('#per-hour rect').length") >= 1
        assert page.evaluate("document.getElementById('count-created').textContent") == str(len(expected))
        assert page.evaluate("document.getElementById('count-open-at-start').textContent") == "1"
        assert page.evaluate("document.querySelectorAll('.grid-label').length") == 23  # the demo city's cells
        assert page.evaluate("[...document.querySelectorAll('#bookmarks li')].map(li => li.textContent)") == [
            f"{helsinki(shift['bookmark'])[:19]}: first call of the rush <b> (alice)"]  # inside the span, as text
        page.screenshot(SCREENSHOTS / "report_html.png")

        page.evaluate("(s => { s.value = 0; s.dispatchEvent(new Event('input')); })(document.getElementById('slider'))")
        assert page.evaluate("document.getElementById('slider-time').textContent") == helsinki(shift["from"])
        # At the start: the incident open then and the one created at that instant; less heat, shorter tracks.
        assert 0 < page.evaluate(_DRAWN_PIXELS + "('.leaflet-overlay-pane canvas.leaflet-heatmap-layer')") < heat_at_end
        assert page.evaluate(_DRAWN_PIXELS + "('.leaflet-overlay-pane canvas:not(.leaflet-heatmap-layer)')") < drawn_at_end


def test_the_reports_room_never_imports_qt():
    done = subprocess.run([sys.executable, "-c", "import sys, reports.export, reports.page, reports.times, reports.tracks; "
                           "print(sorted(m for m in sys.modules if m.split('.')[0] in ('PySide6', 'pyqtgraph')))"],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
