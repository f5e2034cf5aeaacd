"""Field devices (docs/tak.md): devices a gateway heard and could not map, attached to units by
dispatchers; positions with a CoT stale time; incidents a gateway raises from the field."""
from __future__ import annotations

import pytest

from dispatch.commands import Rejected
from dispatch.reducer import empty_state, fold
from support.desk import Desk


def desk(role: str = "dispatcher") -> Desk:
    state = empty_state()
    for n in range(2):
        state["units"][f"U{n}"] = {"unit_id": f"U{n}", "callsign": f"P-{n}", "status": "available",
                                  "incident_id": None, "lon": 24.9, "lat": 60.1}
    return Desk(state, role, "live", grid_at=lambda lon, lat: "G7")


def rejected(d: Desk, cmd: str, **args) -> Rejected:
    with pytest.raises(Rejected) as caught:
        d.do(cmd, **args)
    return caught.value


def test_a_device_seen_is_listed_then_attached_and_detached():
    feed = desk("feed")
    feed.do("device.seen", device_uid="ANDROID-351811095448994", callsign="C0rv0", type="a-f-G-U-C",
            lon=-66.1, lat=43.97, ts="2020-02-08T18:10:44.000Z", via="tak")
    device = feed.state["devices"]["ANDROID-351811095448994"]
    assert (device["callsign"], device["lon"], device["lat"], device["unit_id"], device["via"]) == (
        "C0rv0", -66.1, 43.97, None, "tak")
    assert device["pos_ts"] == "2020-02-08T18:10:44.000Z"
    dispatcher = Desk(feed.state, "dispatcher", "live", grid_at=lambda lon, lat: "G7")
    dispatcher.do("device.attach", device_uid="ANDROID-351811095448994", unit_id="U1")
    assert dispatcher.state["devices"]["ANDROID-351811095448994"]["unit_id"] == "U1"
    assert rejected(dispatcher, "device.attach", device_uid="ANDROID-351811095448994", unit_id="U1").code == "conflict"
    # seen again: the attachment stays
    Desk(dispatcher.state, "feed", "live", grid_at=lambda lon, lat: "G7").do(
        "device.seen", device_uid="ANDROID-351811095448994", callsign="C0rv0")
    assert dispatcher.state["devices"]["ANDROID-351811095448994"]["unit_id"] == "U1"
    events = dispatcher.do("device.detach", device_uid="ANDROID-351811095448994")
    assert events[0]["data"] == {"device_uid": "ANDROID-351811095448994", "unit_id": "U1"}
    assert dispatcher.state["devices"]["ANDROID-351811095448994"]["unit_id"] is None
    assert rejected(dispatcher, "device.detach", device_uid="ANDROID-351811095448994").code == "conflict"


def test_a_device_with_no_fix_has_no_position():
    feed = desk("feed")
    feed.do("device.seen", device_uid="ANDROID-R52JB0CDC4E", callsign="corvTab")
    device = feed.state["devices"]["ANDROID-R52JB0CDC4E"]
    assert (device["lon"], device["lat"]) == (None, None)
    assert "both lon and lat" in rejected(feed, "device.seen", device_uid="X", lon=1.0).message


@pytest.mark.parametrize("args,words", [
    ({"device_uid": ""}, "device_uid is empty"),
    ({"device_uid": " padded"}, "no space at either end"),
    ({"device_uid": "a\nb"}, "printable"),
    ({"device_uid": "x" * 129}, "longer than 128"),
    ({"device_uid": "X", "lon": 0.0, "lat": 91.0}, "lat 91.0 is outside"),
    ({"device_uid": "X", "ts": "yesterday"}, "not an RFC 3339 time"),
    ({"device_uid": "X", "colour": "red"}, "unknown field 'colour'"),
])
def test_bad_device_reports_name_the_field(args, words):
    assert words in rejected(desk("feed"), "device.seen", **args).message


def test_attach_needs_a_seen_device_a_known_unit_and_a_dispatcher():
    d = desk()
    assert rejected(d, "device.attach", device_uid="nobody", unit_id="U0").code == "not_found"
    d.do("device.seen", device_uid="D1")
    assert rejected(d, "device.attach", device_uid="D1", unit_id="U9").code == "not_found"
    feed = Desk(d.state, "feed", "live", grid_at=lambda lon, lat: "G7")
    assert rejected(feed, "device.attach", device_uid="D1", unit_id="U0").code == "forbidden"
    viewer = Desk(d.state, "viewer", "live", grid_at=lambda lon, lat: "G7")
    assert rejected(viewer, "device.seen", device_uid="D2").code == "forbidden"


def test_a_position_carries_its_stale_time_only_when_given():
    d = desk("feed")
    plain = d.do("unit.position", unit_id="U0", lon=24.91, lat=60.11)[0]
    assert "stale" not in plain["data"] and d.state["units"]["U0"]["pos_stale"] is None
    tak = d.do("unit.position", unit_id="U0", lon=24.92, lat=60.12, ts="2026-12-02T08:00:00.000Z",
               stale="2026-12-02T08:01:15.000Z")[0]
    assert tak["data"]["stale"] == "2026-12-02T08:01:15.000Z"
    assert d.state["units"]["U0"]["pos_stale"] == "2026-12-02T08:01:15.000Z"
    assert "not an RFC 3339 time" in rejected(d, "unit.position", unit_id="U0", lon=1.0, lat=1.0, stale="soon").message


def test_a_feed_raises_incidents_only_from_the_field_and_notes_them():
    feed = desk("feed")
    refused = rejected(feed, "incident.create", kind="emergency", priority=1, lon=24.9, lat=60.1, source="phone")
    assert refused.code == "forbidden" and "field_unit" in refused.message
    assert rejected(feed, "incident.create", kind="clue", priority=4, lon=24.9, lat=60.1).code == "forbidden"
    created = feed.do("incident.create", kind="emergency", priority=1, lon=24.9, lat=60.1, source="field_unit",
                      incident_id="TAK-ANDROID-1", note="911 from C0rv0")[0]["data"]
    feed.do("incident.note", incident_id="TAK-ANDROID-1", text="Emergency cancelled on the device")
    assert created["source"] == "field_unit"
    assert feed.state["incidents"]["TAK-ANDROID-1"]["notes"][0]["text"] == "Emergency cancelled on the device"
    for cmd, args in (("unit.assign", {"unit_id": "U0", "incident_id": "TAK-ANDROID-1"}),
                      ("incident.close", {"incident_id": "TAK-ANDROID-1", "disposition": "CANCELLED"})):
        assert rejected(feed, cmd, **args).code == "forbidden"


def test_device_events_fold_on_a_snapshot_stored_before_devices_existed():
    state = empty_state()
    del state["devices"]
    events = [{"seq": 1, "ts": "2026-12-02T08:00:00.000Z", "actor": "tak", "type": "device.seen",
               "data": {"device_uid": "D1", "callsign": "C", "type": None, "lon": None, "lat": None, "ts": None,
                        "via": None}}]
    assert fold(state, events)["devices"]["D1"]["seen_ts"] == "2026-12-02T08:00:00.000Z"
