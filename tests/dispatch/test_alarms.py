"""Alarms (docs/state-machines.md, "Alarm"): raised by a device, acknowledged, turned into an incident or
closed as false; the nearest police station and cameras named at raise time; over the wire to consoles."""
from __future__ import annotations

import asyncio
import itertools
import json
import shutil

import geopandas as gpd
import numpy as np
import pytest
import shapely

from dispatch.city_state import initial_state
from dispatch.client import DispatchClient
from dispatch.commands import ALARM_CAMERAS, ALARM_CAMERA_RADIUS_M, Rejected
from dispatch.domain import ALARM_STATUSES, ALARM_TRANSITIONS, ROLES
from dispatch.nearby import Nearby
from dispatch.privacy import public_state
from dispatch.reducer import empty_state, fold
from layers.citypack import CITIES_DIR, load_city
from support.desk import Desk

METRIC_CRS = "EPSG:3067"  # ETRS-TM35FIN, Finland's metric grid: distances for the independent check
RAISE = {"device_id": "APP-138001", "kind": "panic", "lon": 24.9442, "lat": 60.1719,
         "ts": "2026-12-02T05:59:58+00:00", "text": "help, a man with a knife",
         "media_url": "rtsp://media.example.org/live/138001"}


def alarm_desk(role: str = "dispatcher", namespace: str = "live", state=None) -> Desk:
    state = state if state is not None else empty_state()
    return Desk(state, role, namespace, grid_at=lambda lon, lat: "G7")


def rejected(desk: Desk, cmd: str, **args) -> Rejected:
    with pytest.raises(Rejected) as caught:
        desk.do(cmd, **args)
    return caught.value


def raised(desk: Desk, **changes) -> str:
    return desk.do("alarm.raise", **{**RAISE, **changes})[0]["data"]["alarm_id"]


def reach(desk: Desk, status: str) -> str:
    """A new alarm (from a device of its own) brought to `status` by allowed steps; its id."""
    alarm_id = raised(desk, device_id=f"DEV-{len(desk.state['alarms'])}")
    steps = {"raised": [], "acknowledged": [("alarm.acknowledge", {})],
             "incident": [("alarm.to_incident", {})], "false": [("alarm.close_false", {"reason": "test"})]}
    for cmd, args in steps[status]:
        desk.do(cmd, alarm_id=alarm_id, **args)
    assert desk.state["alarms"][alarm_id]["status"] == status
    return alarm_id


COMMAND_ARGS = {"alarm.acknowledge": {"note": "called back: on our way"}, "alarm.to_incident": {},
                "alarm.close_false": {"reason": "misdial", "note": "pocket dial"}}
OUTCOME = {"alarm.acknowledge": "acknowledged", "alarm.to_incident": "incident", "alarm.close_false": "false"}
# Who may act on an alarm: (role, namespace). A trainer acts only in exercises.
ACTORS = [(role, "live") for role in ROLES] + [("trainer", "exercise:x")]
HANDLERS = {("dispatcher", "live"), ("supervisor", "live"), ("trainer", "exercise:x")}


@pytest.mark.parametrize("status,cmd,actor", list(itertools.product(ALARM_STATUSES, COMMAND_ARGS, ACTORS)))
def test_every_status_command_and_role(status, cmd, actor):
    role, namespace = actor
    dispatcher = alarm_desk("dispatcher", namespace)
    alarm_id = reach(dispatcher, status)
    desk = Desk(dispatcher.state, role, namespace)
    if actor not in HANDLERS:
        assert rejected(desk, cmd, alarm_id=alarm_id, **COMMAND_ARGS[cmd]).code == "forbidden"
        assert desk.state["alarms"][alarm_id]["status"] == status
        return
    if status not in ALARM_TRANSITIONS[cmd]:
        refusal = rejected(desk, cmd, alarm_id=alarm_id, **COMMAND_ARGS[cmd])
        assert refusal.code == "conflict"
        assert f"alarm {alarm_id} is already" in refusal.message
        assert {"acknowledged": "acknowledged", "incident": "incident", "false": "false alarm"}[status] in refusal.message
        assert desk.state["alarms"][alarm_id]["status"] == status
        return
    desk.do(cmd, alarm_id=alarm_id, **COMMAND_ARGS[cmd])
    alarm = desk.state["alarms"][alarm_id]
    assert alarm["status"] == OUTCOME[cmd]
    if cmd == "alarm.acknowledge":
        assert (alarm["ack_by"], alarm["ack_note"], alarm["ack_ts"] is not None) == ("a", "called back: on our way", True)
    elif cmd == "alarm.close_false":
        assert (alarm["reason"], alarm["close_note"], alarm["closed_by"]) == ("misdial", "pocket dial", "a")
    else:
        assert alarm["incident_id"] in desk.state["incidents"]


@pytest.mark.parametrize("actor", ACTORS)
def test_who_may_raise_an_alarm(actor):
    role, namespace = actor
    desk = alarm_desk(role, namespace)
    if role in ("feed", "dispatcher", "supervisor") or actor == ("trainer", "exercise:x"):
        assert desk.do("alarm.raise", **RAISE)[0]["type"] == "alarm.raised"
    else:
        assert rejected(desk, "alarm.raise", **RAISE).code == "forbidden"


def test_a_raised_alarm_and_its_record():
    desk = alarm_desk("feed")
    events = desk.do("alarm.raise", **RAISE)
    assert [e["type"] for e in events] == ["alarm.raised"]
    assert events[0]["data"] == {
        "alarm_id": "A1", "device_id": "APP-138001", "kind": "panic", "lon": 24.9442, "lat": 60.1719,
        "device_ts": "2026-12-02T05:59:58.000Z", "text": "help, a man with a knife",
        "media_url": "rtsp://media.example.org/live/138001", "grid_id": "G7", "station_id": None, "camera_ids": []}
    alarm = desk.state["alarms"]["A1"]
    assert (alarm["status"], alarm["raised_ts"], alarm["ack_ts"], alarm["incident_id"]) == (
        "raised", events[0]["ts"], None, None)
    assert raised(desk, device_id="PANEL-7", kind="intrusion", text=None, media_url=None) == "A2"


def test_a_repeat_raise_while_open_is_an_update_not_a_second_alarm():
    desk = alarm_desk("feed")
    raised(desk)
    events = desk.do("alarm.raise", **{**RAISE, "lon": 24.9450, "lat": 60.1725, "ts": "2026-12-02T06:00:08Z",
                                       "text": "he is following me", "media_url": None})
    assert [(e["type"], e["data"]) for e in events] == [("alarm.updated", {
        "alarm_id": "A1", "lon": 24.945, "lat": 60.1725, "device_ts": "2026-12-02T06:00:08.000Z", "grid_id": "G7",
        "text": "he is following me"})]
    alarm = desk.state["alarms"]["A1"]
    assert (alarm["lon"], alarm["lat"], alarm["text"], alarm["status"], len(desk.state["alarms"])) == (
        24.945, 60.1725, "he is following me", "raised", 1)
    assert alarm["media_url"] == RAISE["media_url"], "an update without a URL keeps the one it had"
    # acknowledged is still open: an update; once it is an incident the device's next alarm is a new one
    desk.role = "dispatcher"
    desk.do("alarm.acknowledge", alarm_id="A1")
    assert desk.do("alarm.raise", **RAISE)[0]["type"] == "alarm.updated"
    desk.do("alarm.to_incident", alarm_id="A1")
    assert desk.do("alarm.raise", **RAISE)[0]["data"]["alarm_id"] == "A2"


def test_to_incident_fills_the_incident_from_the_alarm_in_one_step():
    desk = alarm_desk()
    alarm_id = raised(desk)
    events = desk.do("alarm.to_incident", alarm_id=alarm_id)
    assert [e["type"] for e in events] == ["incident.created", "alarm.escalated"]
    incident = desk.state["incidents"][events[0]["data"]["incident_id"]]
    assert (incident["kind"], incident["priority"], incident["lon"], incident["lat"], incident["source"],
            incident["alarm_id"], incident["grid_id"]) == ("alarm", 1, 24.9442, 60.1719, "alarm", "A1", "G7")
    assert incident["note"] == "Alarm A1 (panic) from device APP-138001: help, a man with a knife"
    assert incident["incident_id"] == "T-261202-0001", "numbered like every other incident"
    assert events[1]["data"] == {"alarm_id": "A1", "incident_id": "T-261202-0001"}
    assert desk.state["alarms"]["A1"]["incident_id"] == "T-261202-0001"
    # an intrusion is a burglary at P2 unless the dispatcher says otherwise
    intrusion = raised(desk, device_id="PANEL-7", kind="intrusion", text=None)
    created = desk.do("alarm.to_incident", alarm_id=intrusion)[0]["data"]
    assert (created["kind"], created["priority"], created["note"]) == (
        "burglary", 2, "Alarm A2 (intrusion) from device PANEL-7")
    third = raised(desk, device_id="APP-9")
    created = desk.do("alarm.to_incident", alarm_id=third, kind="robbery", priority=3)[0]["data"]
    assert (created["kind"], created["priority"]) == ("robbery", 3)


@pytest.mark.parametrize("changes,words", [
    ({"lat": 91}, "lat 91 is outside [-90.0, 90.0]"),
    ({"lon": float("nan")}, "lon must be a finite number"),
    ({"kind": "fire"}, "kind 'fire' is not one of panic, audio, text, video, intrusion"),
    ({"kind": None}, "kind is missing"),
    ({"media_url": "ftp://media.example.org/x"}, "media_url 'ftp://media.example.org/x' is not an http, https or rtsp URL"),
    ({"media_url": "http://"}, "is not an http, https or rtsp URL"),
    ({"media_url": "https://x.org/" + "a" * 500}, "media_url is longer than 500 characters"),
    ({"device_id": " APP"}, "device_id must be printable, with no space at either end"),
    ({"device_id": "x" * 129}, "device_id is longer than 128 characters"),
    ({"ts": "yesterday"}, "ts 'yesterday' is not an RFC 3339 time"),
    ({"ts": "2026-12-02T06:00:00"}, "has no offset"),
    ({"ts": None}, "ts is missing"),
    ({"text": "x" * 1001}, "text is longer than 1000 characters"),
    ({"colour": "red"}, "unknown field 'colour'"),
])
def test_bad_raises_are_refused_naming_the_field_and_change_nothing(changes, words):
    desk = alarm_desk("feed")
    refusal = rejected(desk, "alarm.raise", **{**RAISE, **changes})
    assert refusal.code == "bad_request"
    assert words in refusal.message
    assert desk.state["alarms"] == {}


@pytest.mark.parametrize("cmd,args,code,words", [
    ("alarm.acknowledge", {"alarm_id": "A9"}, "not_found", "no alarm 'A9'"),
    ("alarm.close_false", {"alarm_id": "A1"}, "bad_request", "reason is missing: one of misdial, test"),
    ("alarm.close_false", {"alarm_id": "A1", "reason": "bored"}, "bad_request", "reason 'bored' is not one of"),
    ("alarm.to_incident", {"alarm_id": "A1", "priority": 9}, "bad_request", "priority 9 is outside [1, 5]"),
    ("alarm.acknowledge", {"alarm_id": "A1", "note": "x" * 1001}, "bad_request", "note is longer than 1000"),
])
def test_bad_handling_is_refused_and_the_alarm_stays(cmd, args, code, words):
    desk = alarm_desk()
    raised(desk)
    refusal = rejected(desk, cmd, **args)
    assert (refusal.code, words in refusal.message) == (code, True), refusal.message
    assert desk.state["alarms"]["A1"]["status"] == "raised"
    assert desk.state["incidents"] == {}


def test_states_stored_before_alarms_existed_fold_alarms_and_raise_them():
    def old_state():
        return {key: value for key, value in empty_state().items() if key != "alarms"}

    desk = alarm_desk("feed", state=old_state())
    events = desk.do("alarm.raise", **RAISE)
    assert desk.state["alarms"]["A1"]["status"] == "raised"
    assert rejected(Desk(desk.state, "dispatcher"), "alarm.acknowledge", alarm_id="A2").code == "not_found"
    assert fold(old_state(), events)["alarms"]["A1"]["device_id"] == RAISE["device_id"]
    assert "alarms" not in public_state(old_state())


def test_media_urls_reach_only_the_roles_that_see_personal_data():
    desk = alarm_desk("feed")
    raised(desk)
    assert desk.state["alarms"]["A1"]["media_url"] == RAISE["media_url"]
    assert "media_url" not in public_state(desk.state)["alarms"]["A1"]
    assert public_state(desk.state)["alarms"]["A1"]["text"] == RAISE["text"]


# ---- the nearest station and cameras, against geopandas distances -------------------------------------

@pytest.fixture(scope="module")
def city_with_stations(tmp_path_factory):
    """The demo pack with police stations at eight of its named places besides its own one."""
    pack = tmp_path_factory.mktemp("pack") / "stations"
    shutil.copytree(CITIES_DIR / "demo", pack)
    demo = load_city("demo")
    places = demo.places[demo.places["kind"] == "place"].iloc[::max(1, len(demo.places) // 40)].head(8)
    stations = json.loads((pack / "stations.geojson").read_text(encoding="utf-8"))
    for n, point in enumerate(places.geometry):
        stations["features"].append({"type": "Feature", "geometry": {"type": "Point", "coordinates": [point.x, point.y]},
                                     "properties": {"station_id": f"extra-police-{n}", "name": f"Police {n}",
                                                    "kind": "police"}})
    (pack / "stations.geojson").write_text(json.dumps(stations), encoding="utf-8")
    city = load_city(pack)
    assert (city.stations["kind"] == "police").sum() == 9
    return city


def test_nearest_police_station_and_cameras_match_geopandas(city_with_stations):
    city = city_with_stations
    state = initial_state(city)
    rng = np.random.default_rng(14)
    camera_ids = sorted(state["cameras"])
    for camera_id in rng.choice(camera_ids, 60, replace=False):  # observed offline: never named
        state["cameras"][camera_id] = {**state["cameras"][camera_id], "state": "offline", "online": False}
    for camera_id in rng.choice(camera_ids, 60, replace=False):
        state["cameras"][camera_id] = {**state["cameras"][camera_id], "state": "online", "online": True}
    desk = Desk(state, "feed", grid_at=city.grid_at, nearby=Nearby.of_city(city))
    police = city.stations[city.stations["kind"] == "police"].to_crs(METRIC_CRS)
    cameras = city.cameras.to_crs(METRIC_CRS)
    minlon, minlat, maxlon, maxlat = city.cameras.total_bounds
    named_cameras = 0
    for n in range(40):
        lon, lat = float(rng.uniform(minlon, maxlon)), float(rng.uniform(minlat, maxlat))
        data = desk.do("alarm.raise", **{**RAISE, "device_id": f"D{n}", "lon": lon, "lat": lat})[0]["data"]
        here = gpd.GeoSeries([shapely.Point(lon, lat)], crs="EPSG:4326").to_crs(METRIC_CRS).iloc[0]
        assert data["station_id"] == police["station_id"].iloc[int(np.argmin(police.distance(here)))]
        assert data["grid_id"] == city.grid_at(lon, lat)
        distance = cameras.distance(here)
        eligible = cameras.assign(d=distance)[(distance <= ALARM_CAMERA_RADIUS_M).to_numpy()
                                              & np.array([state["cameras"][c]["state"] != "offline"
                                                          for c in cameras["camera_id"]])]
        expected = list(eligible.sort_values("d")["camera_id"].head(ALARM_CAMERAS))
        assert data["camera_ids"] == expected, (lon, lat)
        named_cameras += len(expected)
    assert named_cameras > 40, "the points must fall near cameras often enough to test the choice"


# ---- over the wire ---------------------------------------------------------------------------------

def test_a_feed_raises_an_alarm_and_every_console_sees_it(server, tokens):
    _, token = tokens

    async def run():
        dispatcher = await DispatchClient.connect(server.url, token["alice"], keep_state=True)
        viewer = await DispatchClient.connect(server.url, token["vic"], keep_state=True)
        feed = await DispatchClient.connect(server.url, token["fred"], subscribe=False)
        assert dispatcher.welcome["realert_s"] == 60.0
        ack = await feed.command("alarm.raise", **{**RAISE, "device_id": "WIRE-1"})
        assert ack["op"] == "ack" and ack["alarm_id"].startswith("A"), ack
        await dispatcher.wait_for_seq(ack["seq"])
        await viewer.wait_for_seq(ack["seq"])
        alarm = dispatcher.state["alarms"][ack["alarm_id"]]
        assert (alarm["status"], alarm["station_id"], alarm["media_url"]) == ("raised", "placed-police-1", RAISE["media_url"])
        assert len(alarm["camera_ids"]) == ALARM_CAMERAS, "the demo centre has unknown cameras all round"
        assert "media_url" not in viewer.state["alarms"][ack["alarm_id"]], "a viewer's copy lacks the media URL"
        made = await dispatcher.command("alarm.to_incident", alarm_id=ack["alarm_id"])
        assert made["op"] == "ack" and made["incident_id"], made
        await dispatcher.wait_for_seq(made["seq"])
        assert dispatcher.state["incidents"][made["incident_id"]]["alarm_id"] == ack["alarm_id"]
        refused = await dispatcher.command("alarm.acknowledge", alarm_id=ack["alarm_id"])
        assert (refused["op"], refused["code"]) == ("nack", "conflict")
        assert f"already incident {made['incident_id']}" in refused["message"]
        for client in (dispatcher, viewer, feed):
            await client.close()
    asyncio.run(run())
