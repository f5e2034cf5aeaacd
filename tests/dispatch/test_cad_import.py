"""`onemap import cad` on the real exports in /work/shared/data, checked against pandas reading the same CSVs;
malformed mappings and files refused with their line; history:NAME read-only on a real server."""
from __future__ import annotations

import asyncio
import re
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import orjson
import pandas as pd
import pytest

from dispatch.cad_import import MAPPINGS_DIR, MappingError, import_cad
from dispatch.client import DispatchClient, Refused
from dispatch.history import History, epoch
from dispatch.store import EventStore
from support.server import ROOT, ServerProcess
from support.sf_calls import SF_CSV, SF_ZONE, sf_frame

DATA = Path("/work/shared/data")
SEATTLE_CSV = DATA / "seattle" / "seattle_spd_calls_sector_c_2010_2023.csv"
SACRAMENTO_CSV = DATA / "sacramento" / "sacramento_dispatch_2019_01.csv"
SAC_NONE = "-2208988800000"


@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    """The three shipped sets imported into one log: (its path, {namespace: ImportResult})."""
    db = tmp_path_factory.mktemp("cad") / "history.db"
    results = {ns: import_cad(csv, mapping, db, ns) for ns, csv, mapping in (
        ("history:sf", SF_CSV, "sf"), ("history:seattle", SEATTLE_CSV, "seattle"),
        ("history:sac", SACRAMENTO_CSV, "sacramento"))}
    return db, results


def namespace_events(db: Path, namespace: str) -> list[dict]:
    store = EventStore(db)
    try:
        return [orjson.loads(frame) for _, frame in store.iter_frames(namespace)]
    finally:
        store.close()


def test_sf_counts_match_pandas(imported):
    db, results = imported
    result, df = results["history:sf"], sf_frame()
    used = df[df.in_order]
    assert result.rows_read == len(df) == 10_000
    assert dict(result.refused) == {"times_out_of_order": int((~df.in_order).sum())}
    assert result.incidents == used.call_number.nunique()
    assert result.units == used.unit_id.nunique()
    assert result.missing["enroute"] == used.response_timestamp.isna().sum()
    assert result.missing["onscene"] == used.on_scene_timestamp.isna().sum()
    events = namespace_events(db, "history:sf")
    assert len(events) == result.events_written
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    assert all(a["ts"] <= b["ts"] for a, b in zip(events, events[1:]))  # event time never goes back
    lines = result.lines()
    assert f"rows_read {len(df)}" in lines and f"events_written {len(events)}" in lines


def test_sf_call_to_dispatch_intervals_equal_the_csvs(imported):
    db, _ = imported
    df = sf_frame()
    used = df[df.in_order]
    expected = ((used.groupby("call_number").dispatch_timestamp_ms.min()
                 - used.groupby("call_number").received_timestamp_ms.first()) / 1000).to_dict()
    created, dispatched = {}, {}
    for event in namespace_events(db, "history:sf"):
        if event["type"] == "incident.created":
            created[event["data"]["incident_id"]] = epoch(event["ts"])
        elif event["type"] == "unit.assigned":
            dispatched.setdefault(event["data"]["incident_id"], epoch(event["ts"]))
    got = {incident_id.removeprefix("SF-"): round(dispatched[incident_id] - created[incident_id], 3)
           for incident_id in dispatched}
    assert len(got) == len(expected) == used.call_number.nunique()
    assert got == pytest.approx(expected, abs=1e-3)


def test_seattle_counts_match_pandas(imported):
    db, results = imported
    result, df = results["history:seattle"], pd.read_csv(SEATTLE_CSV, dtype=str)
    assert (result.rows_read, sum(result.refused.values()), result.incidents) == (len(df), 0, len(df))
    assert dict(result.missing) == {"onscene": df["Arrived Time"].isna().sum()} == {"onscene": 102}
    events = namespace_events(db, "history:seattle")
    arrived = [e for e in events if e["type"] == "incident.milestone"]
    assert len(arrived) == df["Arrived Time"].notna().sum()
    assert len(events) == result.events_written == len(df) + len(arrived)
    first = df.iloc[0]
    queued = datetime.strptime(first["Original Time Queued"], "%m/%d/%Y %I:%M:%S %p").replace(tzinfo=SF_ZONE)
    assert epoch(events[0]["ts"]) == queued.timestamp()


def test_sacramento_counts_match_pandas(imported):
    """Refusals by position: X/Y 0 has none; the state-plane point converted by pyproj falls outside the
    city exactly where the file's own Longitude/Latitude do."""
    _, results = imported
    result, df = results["history:sac"], pd.read_csv(SACRAMENTO_CSV, dtype=str)
    no_position = (df.X_Coordinate == "0") | (df.Y_Coordinate == "0")
    lon, lat = df.Longitude.astype(float), df.Latitude.astype(float)
    outside = ~no_position & ~(lon.between(-121.60, -121.33) & lat.between(38.43, 38.70))
    assert result.rows_read == len(df) == 25_000
    assert dict(result.refused) == {"no_position": no_position.sum(), "outside_bounds": outside.sum()}
    used = df[~no_position & ~outside]
    assert result.incidents == used.Record_ID.nunique()
    assert result.units == used.Unit_ID.dropna().nunique()
    assert result.missing["dispatched"] == (used.Dispatch_Date == SAC_NONE).sum()
    assert result.missing["cleared"] == (used.Clear_Date == SAC_NONE).sum() == 1


def test_state_at_an_instant_shows_the_calls_open_then(imported):
    db, _ = imported
    df = sf_frame()
    used = df[df.in_order]
    instant = datetime(2018, 1, 20, 12, 0, tzinfo=SF_ZONE).timestamp() * 1000
    calls = used.groupby("call_number").agg(received=("received_timestamp_ms", "first"),
                                            cleared=("available_timestamp_ms", "max"))
    open_then = {f"SF-{n}" for n, row in calls.iterrows() if row.received <= instant < row.cleared}
    store = EventStore(db)
    try:
        _, state = History(store, "history:sf").state_at_time(instant / 1000)
    finally:
        store.close()
    assert open_then and {i for i, inc in state["incidents"].items() if inc["status"] != "closed"} == open_then
    on_calls = {u["unit_id"] for u in state["units"].values() if u["incident_id"] in open_then}
    assert on_calls and all(state["units"][u]["status"] in ("dispatched", "enroute", "onscene") for u in on_calls)


def test_cli_imports_and_report_reads_the_namespace(imported, tmp_path):
    db, results = imported
    fresh = tmp_path / "seattle.db"
    run = subprocess.run([sys.executable, "-m", "console.cli", "import", "cad", str(SEATTLE_CSV), "--mapping",
                          str(MAPPINGS_DIR / "seattle.toml"), "--db", str(fresh), "--namespace", "history:seattle"],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    written = results["history:seattle"].events_written
    assert run.stdout.splitlines()[:2] == ["rows_read 497", f"events_written {written}"]
    again = subprocess.run(run.args, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert again.returncode == 2 and "already holds" in again.stderr and again.stdout == ""
    out = tmp_path / "report"
    report = subprocess.run([sys.executable, "-m", "console.cli", "report", "--db", str(db), "--namespace",
                             "history:sf", "--from", "2018-01-13T00:00:00-08:00", "--to", "2018-01-26T00:00:00-08:00",
                             "--out", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert report.returncode == 0, report.stderr
    incidents = pd.read_csv(out / "incidents.csv")
    assert len(incidents) == results["history:sf"].incidents
    assert incidents.call_to_dispatch_s.notna().all()


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


SMALL_MAPPING = """[times]
format = "%Y-%m-%d %H:%M"
timezone = "Europe/Helsinki"
received = "received"

[incident]
id = "call"
kind = "type"
default_priority = 2

[position]
x = "lon"
y = "lat"
"""
SMALL_CSV = "call,type,received,lon,lat\n1,fire,2026-01-02 10:00,24.9,60.1\n"


@pytest.mark.parametrize("mapping, message", [
    (SMALL_MAPPING.replace('kind = "type"', 'kind = "type'), "line 8"),  # bad TOML
    (SMALL_MAPPING.replace('kind = "type"', 'kind = "call_type"'), "line 8: incident.kind names column 'call_type'"),
    (SMALL_MAPPING.replace('format = "%Y-%m-%d %H:%M"', 'format = "%Y-%m-%d %Q"'), "line 2: times.format"),
    (SMALL_MAPPING.replace('format = "%Y-%m-%d %H:%M"', 'format = "%d.%m.%Y %H:%M"'),
     "in.csv line 2: '2026-01-02 10:00' does not match times.format '%d.%m.%Y %H:%M'"),
    (SMALL_MAPPING.replace("default_priority = 2", "default_priority = 2\ncolour = \"red\""),
     "line 10: unknown key incident.colour"),
    (SMALL_MAPPING.replace('timezone = "Europe/Helsinki"', 'timezone = "Mars/Olympus"'), "line 3: times.timezone"),
])
def test_malformed_mapping_is_refused_naming_the_line_and_writes_nothing(tmp_path, mapping, message):
    db = tmp_path / "events.db"
    with pytest.raises(MappingError, match=re.escape(message)) as refused:
        import_cad(write(tmp_path / "in.csv", SMALL_CSV), write(tmp_path / "m.toml", mapping), db, "history:x")
    assert "m.toml" in str(refused.value)
    if db.exists():
        store = EventStore(db)
        assert store.namespaces() == [] and store.keyframe_seqs("history:x") == []
        store.close()


def test_time_not_matching_the_format_names_the_csv_line(tmp_path):
    csv = write(tmp_path / "in.csv", SMALL_CSV + "2,fire,02.01.2026 10:05,24.9,60.1\n")
    mapping = write(tmp_path / "m.toml", SMALL_MAPPING)
    result = import_cad(csv, mapping, tmp_path / "ok.db", "history:x")  # a later bad row: refused, counted
    assert result.refused == {"bad_time_received": 1} and result.first_line == {"bad_time_received": 3}
    first_bad = write(tmp_path / "bad.csv", "call,type,received,lon,lat\n1,fire,02.01.2026 10:05,24.9,60.1\n")
    with pytest.raises(MappingError, match=r"bad\.csv line 2: '02\.01\.2026 10:05' does not match times\.format"):
        import_cad(first_bad, mapping, tmp_path / "bad.db", "history:y")


def test_broken_csv_is_refused_naming_the_line(tmp_path):
    csv = write(tmp_path / "in.csv", SMALL_CSV + '2,fire,"2026-01-02 10:05,24.9,60.1\n')
    with pytest.raises(MappingError, match=r"in\.csv line \d+: not readable as CSV"):
        import_cad(csv, write(tmp_path / "m.toml", SMALL_MAPPING), tmp_path / "e.db", "history:x")
    with pytest.raises(ValueError, match="history:NAME"):
        import_cad(csv, tmp_path / "m.toml", tmp_path / "e.db", "exercise:x")


@pytest.fixture(scope="module")
def history_server(imported, tmp_path_factory):
    from support.server import make_users

    db, _ = imported
    users = tmp_path_factory.mktemp("users") / "users.json"
    tokens = make_users(users)
    process = ServerProcess(db, users)
    process.start()
    yield process, tokens
    process.kill()


def test_server_refuses_every_command_into_a_history_namespace(history_server, imported):
    process, tokens = history_server
    _, results = imported

    async def run():
        alice = await DispatchClient.connect(process.url, tokens["alice"], namespace="history:sf")
        try:
            assert len(alice.state["incidents"]) == results["history:sf"].incidents
            assert len(alice.state["units"]) == results["history:sf"].units
            before = alice.seq
            unit = sorted(alice.state["units"])[0]
            open_incident = next(i for i, inc in alice.state["incidents"].items() if inc["status"] == "closed")
            for cmd, args in (("incident.create", {"kind": "fire", "priority": 1, "lon": -122.4, "lat": 37.77}),
                              ("unit.status", {"unit_id": unit, "status": "busy"}),
                              ("incident.note", {"incident_id": open_incident, "text": "rewrite history"}),
                              ("bookmark.add", {"at": "2018-01-20T12:00:00-08:00", "note": "x"})):
                reply = await alice.command(cmd, **args)
                assert reply["op"] == "nack" and reply["code"] == "forbidden", reply
                assert "read-only" in reply["message"]
            bounds = await alice.command("history.bounds")
            assert bounds["op"] == "ack" and bounds["last_seq"] == before == results["history:sf"].events_written
            history = await alice.command("incident.history", incident_id=open_incident)
            assert history["op"] == "ack" and history["events"][0]["type"] == "incident.created"
        finally:
            await alice.close()
        sam = await DispatchClient.connect(process.url, tokens["sam"], namespace="history:sac")
        try:
            state = await sam.command("history.state", at="2019-01-15T12:00:00-08:00")
            assert state["op"] == "ack" and state["state"]["incidents"]
        finally:
            await sam.close()
        with pytest.raises(Refused) as refused:
            await DispatchClient.connect(process.url, tokens["alice"], namespace="history:nothing")
        assert refused.value.code == "not_found" and "no imported calls" in refused.value.message

    asyncio.run(run())


def test_later_rows_of_a_call_that_cannot_join_it_are_refused(tmp_path):
    """Rows of one call: a unit on it twice, or a row received before the row that created the call (its
    events would come before the incident exists), are refused by reason; the rest make one incident."""
    mapping = write(tmp_path / "m.toml", SMALL_MAPPING.replace('received = "received"',
                                                               'received = "received"\ndispatched = "sent"')
                    + '\n[unit]\nid = "unit"\n')
    csv = write(tmp_path / "in.csv", "call,type,received,sent,lon,lat,unit\n"
                                     "1,fire,2026-01-02 10:00,2026-01-02 10:01,24.9,60.1,E1\n"
                                     "1,fire,2026-01-02 10:00,2026-01-02 10:02,24.9,60.1,E1\n"
                                     "1,fire,2026-01-02 09:50,2026-01-02 09:51,24.9,60.1,E2\n"
                                     "1,fire,2026-01-02 10:00,2026-01-02 10:03,24.9,60.1,E3\n")
    result = import_cad(csv, mapping, tmp_path / "e.db", "history:x")
    assert result.refused == {"unit_twice_on_call": 1, "received_before_its_call": 1}
    assert result.first_line == {"unit_twice_on_call": 3, "received_before_its_call": 4}
    events = namespace_events(tmp_path / "e.db", "history:x")
    assert [e["type"] for e in events] == ["incident.created", "unit.registered", "unit.assigned",
                                           "unit.registered", "unit.assigned"]
    assert [e["data"]["unit_id"] for e in events if e["type"] == "unit.assigned"] == ["E1", "E3"]
