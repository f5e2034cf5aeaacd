"""Perimeter sensors (`sensor.alert`: radar, infrared, fence, vibration): an alert is an alarm whose cameras
are those whose view covers where the sensor fired (radar-camera linkage, 雷球联动), checked against pyproj's
geodesics; a sensor firing again while its alarm is open moves the alarm; bad alerts are refused."""
from __future__ import annotations

import numpy as np
import pytest
from pyproj import Geod

from dispatch.city_state import initial_state
from dispatch.commands import ALARM_CAMERAS, SENSOR_CAMERA_RANGE_M, Rejected
from dispatch.domain import DEFAULT_CAMERA_FOV_DEG, SENSOR_KINDS
from dispatch.nearby import Nearby
from layers.citypack import load_city
from support.desk import Desk

ALERT = {"device_id": "RADAR-N3", "kind": "radar", "lon": 24.9442, "lat": 60.1719, "ts": "2026-12-02T05:59:58Z",
         "text": "a walking target, 1.4 m/s, heading 200"}
GEOD = Geod(ellps="WGS84")


@pytest.fixture(scope="module")
def cameras():
    """The demo city's cameras, each given a direction and a field of view (some left unknown, as in OSM)."""
    city = load_city("demo")
    rng = np.random.default_rng(7)
    count = len(city.cameras)
    direction = rng.uniform(0, 360, count)
    direction[rng.random(count) < 0.2] = np.nan  # facing no known way: sees all around
    fov = rng.uniform(30, 120, count)
    fov[rng.random(count) < 0.3] = np.nan  # a direction without a width: DEFAULT_CAMERA_FOV_DEG
    return (list(city.cameras["camera_id"]), city.cameras.geometry.x.to_numpy(), city.cameras.geometry.y.to_numpy(),
            direction, fov)


def test_the_cameras_viewing_a_point_are_those_in_range_facing_it(cameras):
    ids, lon, lat, direction, fov = cameras
    nearby = Nearby([], [], [], ids, lon, lat, direction, fov)
    rng = np.random.default_rng(11)
    named = 0
    for _ in range(60):
        at_lon, at_lat = rng.uniform(lon.min(), lon.max()), rng.uniform(lat.min(), lat.max())
        azimuth, _, distance = GEOD.inv(lon, lat, np.full(len(ids), at_lon), np.full(len(ids), at_lat))
        off_axis = np.abs((np.asarray(azimuth) % 360 - direction + 180) % 360 - 180)
        half = np.nan_to_num(fov, nan=DEFAULT_CAMERA_FOV_DEG) / 2
        facing = np.isnan(direction) | (off_axis <= half)
        expected = [ids[i] for i in np.argsort(distance, kind="stable") if distance[i] <= SENSOR_CAMERA_RANGE_M
                    and facing[i]]
        # Within 2 m or half a degree of its view's edge, a camera may fall either way: the rules measure on a
        # local flat earth of the sphere's radius, pyproj on the ellipsoid (0.4 % apart here at 60° N).
        borderline = {ids[i] for i in range(len(ids)) if abs(distance[i] - SENSOR_CAMERA_RANGE_M) < 2.0
                      or (not np.isnan(direction[i]) and abs(off_axis[i] - half[i]) < 0.5)}
        got = nearby.cameras_viewing(at_lon, at_lat, SENSOR_CAMERA_RANGE_M)
        assert {c for c in got if c not in borderline} == {c for c in expected if c not in borderline}
        geodesic = dict(zip(ids, distance))
        assert all(geodesic[a] <= geodesic[b] * 1.005 for a, b in zip(got, got[1:])), "nearest first"
        named += len(expected)
    assert named > 60, "the points must fall in view of cameras often enough to test the choice"


def sensor_desk():
    city = load_city("demo")
    return Desk(initial_state(city), "feed", grid_at=city.grid_at, nearby=Nearby.of_city(city)), city


def test_a_sensor_alert_is_an_alarm_with_the_cameras_that_see_where_it_fired():
    desk, city = sensor_desk()
    [raised] = desk.do("sensor.alert", **ALERT)
    assert raised["type"] == "alarm.raised"
    data = raised["data"]
    assert (data["kind"], data["device_id"], data["text"]) == ("radar", "RADAR-N3", ALERT["text"])
    assert data["grid_id"] == city.grid_at(ALERT["lon"], ALERT["lat"]) and data["station_id"]
    viewing = Nearby.of_city(city).cameras_viewing(ALERT["lon"], ALERT["lat"], SENSOR_CAMERA_RANGE_M)
    assert data["camera_ids"] == viewing[:ALARM_CAMERAS] and data["camera_ids"]
    alarm = desk.state["alarms"][data["alarm_id"]]
    assert alarm["status"] == "raised" and alarm["kind"] == "radar"

    # It fires again while its alarm is open: the alarm follows the target, it is not a second alarm.
    [moved] = desk.do("sensor.alert", **{**ALERT, "lon": 24.9446, "ts": "2026-12-02T06:00:03Z"})
    assert moved["type"] == "alarm.updated" and moved["data"]["alarm_id"] == data["alarm_id"]
    assert len(desk.state["alarms"]) == 1 and desk.state["alarms"][data["alarm_id"]]["lon"] == 24.9446


@pytest.mark.parametrize("changes, words", [
    ({"kind": "panic"}, "kind"),  # a device's kind, not a sensor's
    ({"kind": None}, "kind is missing"),
    ({"lat": 91.0}, "lat"),
    ({"device_id": " RADAR"}, "device_id"),
    ({"media_url": "rtsp://x/y"}, "unknown field 'media_url'"),
    ({"ts": "yesterday"}, "ts"),
])
def test_bad_alerts_are_refused_naming_the_field(changes, words):
    desk, _ = sensor_desk()
    args = {key: value for key, value in {**ALERT, **changes}.items() if value is not None}
    with pytest.raises(Rejected) as caught:
        desk.do("sensor.alert", **args)
    assert caught.value.code == "bad_request" and words in caught.value.message, caught.value.message
    assert desk.state.get("alarms", {}) == {}


def test_every_sensor_kind_is_an_alarm_kind_of_its_own():
    desk, _ = sensor_desk()
    kinds = [desk.do("sensor.alert", **{**ALERT, "device_id": f"S-{kind}", "kind": kind})[0]["data"]["kind"]
             for kind in SENSOR_KINDS]
    assert kinds == list(SENSOR_KINDS)
