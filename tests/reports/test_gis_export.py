"""`onemap export` against a real server's log: each format, read back with geopandas/pyogrio (and the KML
validated against the OGC KML 2.2 schemas), holds the positions and incidents of the span as read here from
the stored events with raw SQLite; an exercise's export says EXERCISE in every row; bad input writes nothing."""
from __future__ import annotations

import asyncio
import json
import sqlite3
import subprocess
import sys
import time
from importlib import resources
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
from lxml import etree

from dispatch.client import DispatchClient

ROOT = Path(__file__).resolve().parents[2]
EXERCISE = "exercise:gis-drill"
KML = "{http://www.opengis.net/kml/2.2}"
GX = "{http://www.google.com/kml/ext/2.2}"


async def _next_millisecond() -> None:
    """Let the clock move past this millisecond, so the next event's time differs from the last one's."""
    deadline = time.time() + 0.003
    while time.time() < deadline:
        await asyncio.sleep(0.001)


async def _play(url: str, tokens: dict) -> dict:
    """Before the span: an incident left open, a position. In it: three units moving (one with its own fix
    times, one with a single fix), incidents through their milestones. After it: a position and a call the
    export must not hold. And an exercise's call and positions, in its own namespace."""
    live = await DispatchClient.connect(url, tokens["alice"], subscribe=False)
    do = live.command
    units = sorted(live.state["units"])[:4]

    async def create(kind, priority, lon, lat, **more):
        return (await do("incident.create", kind=kind, priority=priority, lon=lon, lat=lat, **more))["incident_id"]

    carried = await create("burglary", 2, 24.946, 60.171, address="Aleksanterinkatu 1")
    await do("unit.assign", unit_id=units[3], incident_id=carried)
    await do("unit.position", unit_id=units[0], lon=24.9300, lat=60.1600)
    await _next_millisecond()

    full = await create("fight", 1, 24.944, 60.172, address="Mannerheimintie 5")
    await do("unit.assign", unit_id=units[0], incident_id=full)
    await do("unit.status", unit_id=units[0], status="enroute")
    for k in range(5):  # the unit's own fix times, a second apart: the export keeps these, not the server's
        fix = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(time.time() - 60 + k)) + f".{100 + k}Z"
        await do("unit.position", unit_id=units[0], lon=24.9400 + k * 0.001, lat=60.1700 + k * 0.0005,
                 heading=45.0, speed=10.0 + k, ts=fix)
    await do("unit.status", unit_id=units[0], status="onscene")
    await do("incident.close", incident_id=full, disposition="ARREST", disposition_note="two held")
    for k in range(3):
        await do("unit.position", unit_id=units[1], lon=24.9500 - k * 0.002, lat=60.1750 + k * 0.001)
        await _next_millisecond()
    await do("unit.position", unit_id=units[2], lon=24.9380, lat=60.1660)
    still_open = await create("medical", 3, 24.942, 60.170)
    await do("unit.assign", unit_id=units[1], incident_id=still_open)
    await do("incident.close", incident_id=carried, disposition="NO_TRACE")
    await _next_millisecond()

    after = await create("theft", 4, 24.948, 60.169)
    await do("unit.position", unit_id=units[1], lon=24.9000, lat=60.1000)
    await live.close()

    trainer = await DispatchClient.connect(url, tokens["tina"], namespace=EXERCISE, subscribe=False)
    drill_unit = sorted(trainer.state["units"])[0]
    drill = (await trainer.command("incident.create", kind="fire", priority=1, lon=24.941, lat=60.169))["incident_id"]
    for k in range(2):
        await trainer.command("unit.position", unit_id=drill_unit, lon=24.941 + k * 0.001, lat=60.169)
    await trainer.close()
    return {"units": units, "carried": carried, "full": full, "still_open": still_open, "after": after,
            "drill": drill}


def _events(db: Path, namespace: str) -> list[dict]:
    with sqlite3.connect(db) as connection:
        return [json.loads(frame) for (frame,) in
                connection.execute("SELECT frame FROM events WHERE ns = ? ORDER BY seq", (namespace,))]


@pytest.fixture(scope="module")
def shift(server, users):
    played = asyncio.run(_play(server.url, users[1]))
    events = _events(server.db, "live")
    played["from"] = next(e["ts"] for e in events if e["type"] == "incident.created"
                          and e["data"]["incident_id"] == played["full"])
    played["to"] = next(e["ts"] for e in events if e["type"] == "incident.created"
                        and e["data"]["incident_id"] == played["after"])
    played["all"] = events
    played["events"] = [e for e in events if played["from"] <= e["ts"] < played["to"]]
    return played


def _export(db: Path, fmt: str, out: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "console.cli", "export", "--db", str(db), "--format", fmt,
                           "--out", str(out), *args], cwd=ROOT, capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def exports(server, shift, tmp_path_factory):
    folder = tmp_path_factory.mktemp("gis")
    files = {}
    for fmt in ("geojson", "gpkg", "kml"):
        files[fmt] = folder / f"shift.{fmt}"
        done = _export(server.db, fmt, files[fmt], "--from", shift["from"], "--to", shift["to"])
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == str(files[fmt])
    return files


def _fixes(shift) -> dict[str, list[tuple[float, float, str]]]:
    """Each unit's positions in the span, from the stored events: (lon, lat, the fix's time)."""
    fixes: dict[str, list] = {}
    for e in shift["events"]:
        if e["type"] == "unit.moved":
            d = e["data"]
            fixes.setdefault(d["unit_id"], []).append((d["lon"], d["lat"], d.get("ts") or e["ts"]))
    return fixes


@pytest.fixture(scope="module")
def expected_incidents(shift) -> dict[str, dict]:
    """Each incident's milestones as known at the span's end (the carried one's call and dispatch precede it)."""
    incidents: dict[str, dict] = {}
    for e in (e for e in shift["all"] if e["ts"] < shift["to"]):
        d = e["data"]
        if e["type"] == "incident.created":
            incidents[d["incident_id"]] = {"kind": d["kind"], "priority": d["priority"], "address": d.get("address"),
                                           "lon": d["lon"], "lat": d["lat"], "created": e["ts"],
                                           "dispatched": None, "enroute": None, "onscene": None, "closed": None,
                                           "units": [], "closed_reason": None, "closed_note": None}
        elif e["type"] == "unit.assigned":
            record = incidents[d["incident_id"]]
            record["dispatched"] = record["dispatched"] or e["ts"]
            record["units"].append(d["unit_id"])
        elif e["type"] == "unit.status_changed" and d.get("incident_id") in incidents:
            record = incidents[d["incident_id"]]
            if d["status"] in ("enroute", "onscene"):
                record[d["status"]] = record[d["status"]] or e["ts"]
        elif e["type"] == "incident.closed":
            incidents[d["incident_id"]].update(closed=e["ts"], closed_reason=d["disposition"],
                                               closed_note=d["disposition_note"])
    return incidents


def _value(read):
    """A field read back: None for a null, however the reader spells it (None or NaN)."""
    return None if read is None or (isinstance(read, float) and pd.isna(read)) else read


def _stamp(ts: str | None):
    return pd.NaT if ts is None else pd.Timestamp(ts)


def _check_incident_rows(rows: pd.DataFrame, expected: dict, shift) -> None:
    assert sorted(rows["incident_id"]) == sorted([shift["carried"], shift["full"], shift["still_open"]])
    for row in rows.itertuples():
        want = expected[row.incident_id]
        assert (row.geometry.x, row.geometry.y) == (want["lon"], want["lat"])
        assert (row.kind, row.priority, row.units.split()) == (want["kind"], want["priority"], want["units"])
        assert _value(row.address) == want["address"]
        for name in ("created", "dispatched", "enroute", "onscene", "closed"):
            got = getattr(row, name)
            assert (pd.isna(got) and want[name] is None) or got == _stamp(want[name]), (row.incident_id, name)
        assert (_value(row.closed_reason), _value(row.closed_note)) == (want["closed_reason"], want["closed_note"])
    assert rows.set_index("incident_id")["open_at_start"].to_dict() == {
        shift["carried"]: True, shift["full"]: False, shift["still_open"]: False}


def test_geojson_holds_each_units_track_with_its_fix_times_and_the_incidents(exports, shift, expected_incidents):
    frame = gpd.read_file(exports["geojson"])
    assert frame.crs.to_epsg() == 4326
    tracks = frame[frame["feature"] == "unit_track"]
    fixes = _fixes(shift)
    lines = {unit: points for unit, points in fixes.items() if len(points) >= 2}  # one fix is no line
    assert sorted(tracks["unit_id"]) == sorted(lines) and len(lines) == 2
    for row in tracks.itertuples():
        points = lines[row.unit_id]
        # GDAL's GeoJSON writer gives 15 significant digits: the same to a nanometre
        assert [c for xy in row.geometry.coords for c in xy] == pytest.approx(
            [c for lon, lat, _ in points for c in (lon, lat)], abs=1e-12, rel=0)
        assert list(row.times) == [ts for _, _, ts in points]
        assert (row.start, row.end) == (pd.Timestamp(points[0][2]), pd.Timestamp(points[-1][2]))
        assert row.fixes == len(points)
    own_times = lines[shift["units"][0]]
    assert own_times[0][2].endswith(".100Z")  # the sender's own fix time, not the server's
    _check_incident_rows(frame[frame["feature"] == "incident"], expected_incidents, shift)
    assert "exercise" not in frame.columns  # a live export as it is


def test_geopackage_has_lines_every_position_with_its_time_and_the_incidents(exports, shift, expected_incidents):
    assert {name for name, _ in pyogrio.list_layers(exports["gpkg"])} == {"unit_tracks", "unit_positions", "incidents"}
    fixes = _fixes(shift)
    positions = gpd.read_file(exports["gpkg"], layer="unit_positions")
    assert positions.crs.to_epsg() == 4326
    read = {}
    for row in positions.itertuples():
        read.setdefault(row.unit_id, []).append((row.geometry.x, row.geometry.y, row.time))
    assert read == {unit: [(lon, lat, pd.Timestamp(ts)) for lon, lat, ts in points] for unit, points in fixes.items()}
    assert len(read[shift["units"][2]]) == 1  # a single fix is a position, though no line
    moved = [e["data"] for e in shift["events"] if e["type"] == "unit.moved" and e["data"]["unit_id"] == shift["units"][0]]
    mine = positions[positions["unit_id"] == shift["units"][0]]
    assert list(mine["speed"]) == [d["speed"] for d in moved] and set(mine["heading"]) == {45.0}

    lines = gpd.read_file(exports["gpkg"], layer="unit_tracks")
    assert sorted(lines["unit_id"]) == sorted(u for u, p in fixes.items() if len(p) >= 2)
    for row in lines.itertuples():
        assert [tuple(c) for c in row.geometry.coords] == [(lon, lat) for lon, lat, _ in fixes[row.unit_id]]
        assert row.kind and row.end == pd.Timestamp(fixes[row.unit_id][-1][2])
    _check_incident_rows(gpd.read_file(exports["gpkg"], layer="incidents"), expected_incidents, shift)


def _kml_schema() -> etree.XMLSchema:
    """pykml ships the OGC KML 2.2 schema and Google's gx extension (importing ogckml22.xsd, atom and xAL from
    local copies), so validation needs no network."""
    with resources.as_file(resources.files("pykml") / "schemas" / "kml22gx.xsd") as path:
        return etree.XMLSchema(etree.parse(str(path)))


def test_kml_is_valid_kml_2_2_with_a_gx_track_per_unit_and_a_timespan_per_incident(exports, shift,
                                                                                   expected_incidents):
    document = etree.parse(str(exports["kml"]))
    schema = _kml_schema()
    assert schema.validate(document), schema.error_log
    fixes = _fixes(shift)
    tracks = {p.find(f"{KML}ExtendedData/{KML}Data[@name='unit_id']/{KML}value").text: p
              for p in document.iter(f"{KML}Placemark") if p.find(f"{GX}Track") is not None}
    assert sorted(tracks) == sorted(u for u, p in fixes.items() if len(p) >= 2)  # as the lines of the other formats
    for unit, placemark in tracks.items():
        track = placemark.find(f"{GX}Track")
        assert [w.text for w in track.findall(f"{KML}when")] == [ts for _, _, ts in fixes[unit]]
        coords = [tuple(float(v) for v in c.text.split()) for c in track.findall(f"{GX}coord")]
        assert coords == [(lon, lat, 0.0) for lon, lat, _ in fixes[unit]]
    incidents = {p.get("id").removeprefix("incident-"): p for p in document.iter(f"{KML}Placemark")
                 if p.find(f"{KML}Point") is not None}
    assert sorted(incidents) == sorted([shift["carried"], shift["full"], shift["still_open"]])
    for incident_id, placemark in incidents.items():
        want = expected_incidents[incident_id]
        assert placemark.findtext(f"{KML}TimeSpan/{KML}begin") == want["created"]
        assert placemark.findtext(f"{KML}TimeSpan/{KML}end") == want["closed"]  # None: open at the span's end
        lon, lat = map(float, placemark.findtext(f"{KML}Point/{KML}coordinates").split(","))
        assert (lon, lat) == (want["lon"], want["lat"])
    assert document.findtext(f"{KML}Document/{KML}name").startswith("OneMap live ")

    # GDAL's LIBKML driver reads it as GIS software would: a layer per folder, a line per track.
    layers = {name for name, _ in pyogrio.list_layers(exports["kml"])}
    assert layers == {"Unit tracks", "Incidents"}
    read_tracks = gpd.read_file(exports["kml"], layer="Unit tracks", engine="pyogrio")
    assert len(read_tracks) == len(tracks) and set(read_tracks.geom_type) == {"LineString"}
    read_incidents = gpd.read_file(exports["kml"], layer="Incidents", engine="pyogrio")
    assert sorted(read_incidents["incident_id"]) == sorted(incidents)


def test_an_exercise_export_is_marked_exercise_in_every_row_and_its_document_name(server, shift, tmp_path):
    events = _events(server.db, EXERCISE)
    start, end = events[0]["ts"], "2100-01-01T00:00:00Z"
    files = {fmt: tmp_path / f"drill.{fmt}" for fmt in ("geojson", "gpkg", "kml")}
    for fmt, out in files.items():
        done = _export(server.db, fmt, out, "--namespace", EXERCISE, "--from", start, "--to", end)
        assert done.returncode == 0, done.stderr

    geojson = gpd.read_file(files["geojson"])
    assert set(geojson["feature"]) == {"unit_track", "incident"}
    assert set(geojson["exercise"]) == {"EXERCISE"} and set(geojson["namespace"]) == {EXERCISE}
    assert list(geojson[geojson["feature"] == "incident"]["incident_id"]) == [shift["drill"]]  # not live's
    for layer in ("unit_tracks", "unit_positions", "incidents"):
        rows = gpd.read_file(files["gpkg"], layer=layer)
        assert len(rows) and set(rows["exercise"]) == {"EXERCISE"} and set(rows["namespace"]) == {EXERCISE}, layer
    kml = etree.parse(str(files["kml"]))
    schema = _kml_schema()
    assert schema.validate(kml), schema.error_log
    assert kml.findtext(f"{KML}Document/{KML}name").startswith("EXERCISE gis-drill · ")
    placemarks = list(kml.iter(f"{KML}Placemark"))
    assert len(placemarks) == 2 and all(
        p.findtext(f"{KML}ExtendedData/{KML}Data[@name='exercise']/{KML}value") == "EXERCISE" for p in placemarks)


@pytest.mark.parametrize("args, words", [
    (("--from", "yesterday", "--to", "2100-01-01T00:00:00Z"), "--from: cannot read 'yesterday' as a time"),
    (("--from", "2020-01-01T00:00:00Z", "--to", "2020-01-02T00:00:00Z"), "nothing happened in live"),
    (("--from", "2100-01-02T00:00:00Z", "--to", "2100-01-01T00:00:00Z"), "the span must end after it starts"),
    (("--namespace", "exercise:nobody", "--from", "2020-01-01T00:00:00Z", "--to", "2100-01-01T00:00:00Z"),
     "namespace 'exercise:nobody' has no events"),
])
def test_bad_input_is_refused_in_words_and_leaves_no_file(server, shift, tmp_path, args, words):
    out = tmp_path / "refused.gpkg"
    done = _export(server.db, "gpkg", out, *args)
    assert done.returncode == 2 and words in done.stderr, done.stderr
    assert "Traceback" not in done.stderr and list(tmp_path.iterdir()) == []


def test_an_existing_file_is_never_replaced(server, shift, tmp_path):
    out = tmp_path / "mine.kml"
    out.write_text("someone's file")
    done = _export(server.db, "kml", out, "--from", shift["from"], "--to", shift["to"])
    assert done.returncode == 2 and "already exists" in done.stderr
    assert out.read_text() == "someone's file" and list(tmp_path.iterdir()) == [out]
