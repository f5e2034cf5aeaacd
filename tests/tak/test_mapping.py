"""Inbound (CoT -> feed commands) and outbound (state -> CoT), without I/O."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pytest
from pyproj import Geod

from tak.cot import Cot, parse_xml
from tak.inbound import DeviceTable, DeviceTableError, Inbound
from tak.outbound import MIN_UNIT_INTERVAL_S, MOVING_EVERY_S, RESTING_EVERY_S, Outbound, UnitRange, unit_uid

CAPTURES = Path("/work/shared/data/cot/freetakserver")
C0RV0 = parse_xml((CAPTURES / "a-f-G-U-C-1581186300261.xml").read_bytes())
CORVTAB = parse_xml((CAPTURES / "a-f-G-U-C-1581185446278.xml").read_bytes())
NOW = 1_800_000_000.0


def state(*unit_ids: str) -> dict:
    return {"units": {u: {"unit_id": u, "kind": "patrol", "status": "available", "lon": 24.9, "lat": 60.1,
                          "speed": 0.0, "heading": 0.0, "incident_id": None} for u in unit_ids},
            "incidents": {}, "devices": {}}


def table(tmp_path: Path, text: str) -> DeviceTable:
    path = tmp_path / "devices.toml"
    path.write_text(text)
    return DeviceTable.load(path)


def test_a_mapped_device_moves_its_unit_and_an_unknown_one_is_seen_once_a_minute(tmp_path):
    inbound = Inbound(devices=table(tmp_path, '[[device]]\nuid = "ANDROID-351811095448994"\nunit_id = "P1"\n'))
    [(cmd, args)] = inbound.handle(C0RV0, "live", state("P1"), NOW)
    assert cmd == "unit.position" and args == {
        "unit_id": "P1", "lon": -66.12627, "lat": 43.967295, "heading": 209.49418484, "speed": 0.97000003,
        "ts": "2020-02-08T18:24:55.000Z", "stale": "2020-02-08T18:25:49.000Z"}
    [(cmd, args)] = inbound.handle(CORVTAB, "live", state("P1"), NOW)
    assert cmd == "device.seen" and "lon" not in args and args["callsign"] == "corvTab"  # no fix: no position
    assert inbound.handle(CORVTAB, "live", state("P1"), NOW + 59) == []
    assert inbound.handle(CORVTAB, "live", state("P1"), NOW + 61)[0][0] == "device.seen"


def test_the_dispatchers_attachment_wins_then_uid_then_callsign(tmp_path):
    devices = table(tmp_path, '[[device]]\nuid = "ANDROID-351811095448994"\nunit_id = "P1"\n'
                              '[[device]]\ncallsign = "C0rv0"\nunit_id = "P2"\n'
                              '[[device]]\ncallsign = "corvTab"\nunit_id = "P2"\n')
    inbound = Inbound(devices=devices)
    s = state("P1", "P2", "P3")
    assert inbound.handle(C0RV0, "live", s, NOW)[0][1]["unit_id"] == "P1"
    assert inbound.handle(replace(C0RV0, uid="OTHER"), "live", s, NOW)[0][1]["unit_id"] == "P2"
    s["devices"]["ANDROID-351811095448994"] = {"unit_id": "P3"}
    assert inbound.handle(C0RV0, "live", s, NOW)[0][1]["unit_id"] == "P3"
    assert inbound.handle(CORVTAB, "live", s, NOW) == []  # mapped, no fix: nothing sent, never 0,0
    assert inbound.ignored["mapped_no_fix"] == 1


def test_a_marker_is_not_a_device():
    marker = parse_xml((CAPTURES / "a-h-G-1581185498005.xml").read_bytes())
    inbound = Inbound()
    assert inbound.handle(marker, "live", state(), NOW) == [] and inbound.ignored["marker"] == 1


def test_exercise_marked_cot_is_refused_in_live_and_a_bound_device_goes_to_its_exercise(tmp_path):
    devices = table(tmp_path, '[[device]]\nuid = "ANDROID-351811095448994"\nunit_id = "P1"\n'
                              'namespace = "exercise:north"\n')
    inbound = Inbound(devices=devices)
    for marked in (replace(C0RV0, opex="e-north"), replace(C0RV0, opex="s-sim"), replace(C0RV0, how="m-s")):
        assert inbound.handle(marked, "live", state("P1"), NOW) == []
    assert inbound.refused["exercise_in_live"] == 3
    assert inbound.namespace_for(C0RV0) == "exercise:north" and inbound.namespace_for(CORVTAB) == "live"
    assert inbound.handle(replace(C0RV0, opex="e-north"), "exercise:north", state("P1"), NOW)[0][0] == "unit.position"


@pytest.mark.parametrize("text,words", [
    ('[[device]]\nuid = "A"\n', "unit_id is required"),
    ('[[device]]\nunit_id = "P1"\n', "give a uid or a callsign"),
    ('[[device]]\nuid = "A"\nunit_id = "P1"\nnamespace = "drill"\n', "is not live or exercise:NAME"),
    ('[[device]]\nuid = "A"\nunit_id = "P1"\n[[device]]\nuid = "A"\nunit_id = "P2"\n', "listed twice"),
    ('[[device]]\nuid = "A"\nunit = "P1"\n', "fields are"),
    ("[[device]\n", "devices.toml"),
])
def test_a_bad_device_table_is_refused_with_the_reason(tmp_path, text, words):
    with pytest.raises(DeviceTableError, match=words):
        table(tmp_path, text)


def alert(kind: str, lat=43.97, lon=-66.1) -> Cot:
    moment = datetime(2026, 12, 2, 8, 0, tzinfo=timezone.utc)
    return Cot(uid="ANDROID-351811095448994-9-1-1", type=kind, time=moment, start=moment, stale=moment,
               lat=lat, lon=lon, how="m-g", callsign="C0rv0-Alert", links=["ANDROID-351811095448994"])


def test_an_emergency_raises_a_panic_alarm_each_repeat_raises_again_and_a_cancel_is_said_on_the_open_alarm():
    inbound = Inbound()
    [(cmd, args)] = inbound.handle(alert("b-a-o-tbl"), "live", state(), NOW)
    assert cmd == "alarm.raise" and (args["device_id"], args["kind"], args["lon"], args["lat"]) == (
        "ANDROID-351811095448994", "panic", -66.1, 43.97)
    assert args["ts"] == "2026-12-02T08:00:00.000Z" and "ANDROID-351811095448994" in args["text"]
    # ATAK repeats it with where the device is now: raised again (the server updates the open alarm)
    [(cmd, repeat)] = inbound.handle(alert("b-a-o-tbl", lat=43.98), "live", state(), NOW + 5)
    assert (cmd, repeat["lat"]) == ("alarm.raise", 43.98)
    assert inbound.handle(alert("b-a-o-can"), "live", state(), NOW + 9) == []  # no open alarm on the server
    assert inbound.ignored["cancel_without_emergency"] == 1
    with_alarm = state()
    with_alarm["alarms"] = {"A1": {"alarm_id": "A1", "device_id": "ANDROID-351811095448994", "kind": "panic",
                                   "status": "acknowledged", "lon": -66.1, "lat": 43.97}}
    [(cmd, cancel)] = inbound.handle(alert("b-a-o-can"), "live", with_alarm, NOW + 9)
    assert (cmd, cancel["device_id"], cancel["kind"]) == ("alarm.raise", "ANDROID-351811095448994", "panic")
    assert cancel["text"].startswith("Emergency cancelled on the device of")  # said, never closed by itself
    # without a fix and never heard with one: no alarm, counted
    assert inbound.handle(replace(alert("b-a-o-tbl"), uid="X-9-1-1", links=[], lat=0.0, lon=0.0),
                          "live", state(), NOW) == []
    assert inbound.refused["no_position"] == 1


def test_a_marker_or_a_chat_to_the_centre_is_a_clue():
    inbound = Inbound(callsign="OneMap")
    marker = replace(parse_xml((CAPTURES / "b-m-p-s-m-1581185985900.xml").read_bytes()), remarks="a red car")
    assert inbound.handle(marker, "live", state(), NOW) == []  # addressed to nobody in particular
    [(cmd, args)] = inbound.handle(replace(marker, dest=["OneMap"]), "live", state(), NOW)
    assert (cmd, args["kind"], args["lat"], args["source"]) == ("incident.create", "clue", 43.96810741, "field_unit")
    assert args["note"] == "Y 1 a red car (from ANDROID-351811095448994)"
    chat = replace(parse_xml((CAPTURES / "b-t-f-1581185463563.xml").read_bytes()), chat_room="OneMap")
    assert inbound.handle(chat, "live", state(), NOW) == [] and inbound.refused["no_position"] == 1  # corvTab: no fix
    inbound.handle(replace(CORVTAB, lat=43.9, lon=-66.2), "live", state(), NOW)  # now it has been heard with one
    [(cmd, args)] = inbound.handle(chat, "live", state(), NOW)
    assert (args["kind"], args["lon"], args["note"]) == ("clue", -66.2, "need supoort (from corvTab)")


def outbound_state() -> dict:
    s = state("P1", "P2")
    s["units"]["P2"].update(speed=10.0, heading=90.0, status="enroute", incident_id="I1")
    s["incidents"]["I1"] = {"incident_id": "I1", "kind": "fire", "priority": 2, "lon": 24.95, "lat": 60.17,
                            "address": "Mannerheimintie 5", "status": "dispatched", "units": ["P2"]}
    s["devices"]["D1"] = {"device_uid": "D1", "callsign": "Hawk", "unit_id": "P1"}
    return s


def test_outbound_sends_units_and_incidents_and_again_when_due():
    outbound = Outbound("exercise:north")
    cots = {c.uid: c for c in outbound.everything(outbound_state(), NOW)}
    assert set(cots) == {"OneMap.unit.P1", "OneMap.unit.P2", "OneMap.incident.I1"}
    assert {c.opex for c in cots.values()} == {"e-north"}
    moving, resting = cots["OneMap.unit.P2"], cots["OneMap.unit.P1"]
    assert (moving.type, moving.speed, moving.course, moving.remarks) == ("a-f-G-U-C-I", 10.0, 90.0, "enroute on I1")
    assert (moving.stale - moving.time).total_seconds() == 2 * MOVING_EVERY_S
    assert (resting.stale - resting.time).total_seconds() == 60
    assert "Mannerheimintie 5" in cots["OneMap.incident.I1"].remarks
    assert [c.uid for c in outbound.due(NOW + MOVING_EVERY_S)] == ["OneMap.unit.P2"]
    assert "OneMap.unit.P1" in [c.uid for c in outbound.due(NOW + RESTING_EVERY_S)]


def test_closing_an_incident_sends_it_stale_and_an_assignment_tasks_the_units_devices():
    outbound = Outbound()
    s = outbound_state()
    outbound.everything(s, NOW)
    s["incidents"]["I1"]["status"] = "closed"
    [closed] = [c for c in outbound.on_event({"type": "incident.closed", "data": {"incident_id": "I1"}}, s, NOW + 1)
                if c.uid == "OneMap.incident.I1"]
    assert closed.stale == closed.time and closed.opex is None
    assert "OneMap.incident.I1" not in [c.uid for c in outbound.due(NOW + 3600)]
    s["incidents"]["I1"]["status"] = "dispatched"
    cots = outbound.on_event({"seq": 9, "type": "unit.assigned", "data": {"unit_id": "P1", "incident_id": "I1"}},
                             s, NOW + 2)
    [chat] = [c for c in cots if c.type == "b-t-f"]
    assert (chat.remarks, chat.chat_to, chat.dest, chat.chat_sender) == (
        "Go to I1 fire P2 Mannerheimintie 5", "D1", ["Hawk"], "OneMap")


def test_a_moving_unit_goes_at_most_every_few_seconds_with_its_last_position():
    outbound = Outbound()
    s = state("P1")
    outbound.everything(s, NOW)
    s["units"]["P1"].update(lon=24.95, speed=12.0)
    moved = {"type": "unit.moved", "data": {"unit_id": "P1"}}
    sent = NOW + MIN_UNIT_INTERVAL_S  # past the picture's own hold-back, whatever part of it was the unit's
    assert [c.lon for c in outbound.on_event(moved, s, sent)] == [24.95]
    s["units"]["P1"].update(lon=25.0)
    assert outbound.on_event(moved, s, sent + 0.2) == []
    s["units"]["P1"].update(lon=25.1)
    assert outbound.on_event(moved, s, sent + 0.4) == []
    assert outbound.due(sent + MIN_UNIT_INTERVAL_S - 0.1) == []
    [cot] = outbound.due(sent + MIN_UNIT_INTERVAL_S)
    assert cot.lon == 25.1 and cot.speed == 12.0


@pytest.mark.parametrize("lat", [0.5, 22.8, 60.17, 69.6])  # the equator, Dongguan, Helsinki, Tromsø
def test_a_device_sees_every_unit_within_its_range_and_none_far_beyond(lat):
    """Against true (geodesic) distances: within the range, always seen; beyond 2.45 times it, never."""
    unit_range, km = UnitRange(5.0), 5.0
    rng = np.random.default_rng(int(lat * 10))
    geod = Geod(ellps="WGS84")
    spread = 0.4  # degrees of latitude around the place, and as many km of longitude
    units = [Cot(uid=unit_uid(f"U{n}"), type="a-f-G-U-C", lat=float(lat + rng.uniform(-spread, spread)),
                 lon=float(113.7 + rng.uniform(-spread, spread) / np.cos(np.radians(lat))), time=None, start=None,
                 stale=None) for n in range(400)]
    incident = Cot(uid="OneMap.incident.I1", type="b-m-p-s-m", lat=0.0, lon=0.0, time=None, start=None, stale=None)
    cots = [*units, incident]
    seen_from = unit_range.selection(cots)
    checked_within = checked_beyond = 0
    for device in units[:60]:
        seen = {cots[i].uid for i in seen_from(unit_range.square(device.lon, device.lat))}
        assert incident.uid in seen
        for unit in units:
            distance_km = geod.inv(device.lon, device.lat, unit.lon, unit.lat)[2] / 1000
            if distance_km <= km:
                assert unit.uid in seen, (device, unit, distance_km)
                checked_within += 1
            elif distance_km > 2.45 * km:
                assert unit.uid not in seen, (device, unit, distance_km)
                checked_beyond += 1
    assert checked_within > 100 and checked_beyond > 10_000


def test_the_pictures_repeats_come_due_a_little_at_a_time_not_in_one_flush():
    outbound = Outbound()
    outbound.everything(state(*(f"P{n}" for n in range(500))), NOW)
    per_tenth = [len(outbound.due(NOW + RESTING_EVERY_S * k / 10)) for k in range(1, 11)]
    assert sum(per_tenth) == 500  # each unit once within its interval
    assert max(per_tenth) < 500 / 10 * 1.5, per_tenth
