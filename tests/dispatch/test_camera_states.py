"""A camera's state is what was last observed of it: online, offline or unknown, and since when.

Nothing is assumed: a city pack's `online` column is not an observation, so every camera starts unknown,
and the online rate counts only the cameras someone has observed.
"""
from __future__ import annotations

from datetime import timezone

import pytest

from dispatch.city_state import initial_state
from dispatch.commands import Centre, Context, decide
from dispatch.reducer import apply, fold
from layers.camera_health import online_rates
from layers.citypack import load_city


@pytest.fixture(scope="module")
def demo_state():
    return initial_state(load_city("demo"))


def report(state, camera_id: str, online: bool, seq: int) -> list[dict]:
    """A feed's `camera.status` decided and applied as the server does; the events it made."""
    ts = f"2026-12-02T06:00:{seq:02d}.000Z"
    decided = decide(state, "camera.status", {"camera_id": camera_id, "online": online},
                     Context("feed", "live", lambda lon, lat: None, ts, Centre("T", timezone.utc)))
    events = [{"seq": seq, "ts": ts, "actor": "probe", "type": t, "data": d} for t, d in decided]
    fold(state, events)
    return events


def test_every_camera_of_a_pack_starts_unknown_whatever_its_online_column_says(demo_state):
    city = load_city("demo")
    assert city.cameras["online"].all(), "the demo pack writes every camera down as online"
    cameras = demo_state["cameras"]
    assert len(cameras) == len(city.cameras) == 221
    assert {(c["state"], c["online"], c["state_ts"]) for c in cameras.values()} == {("unknown", False, None)}
    rates = online_rates((c["grid_id"], c["state"]) for c in cameras.values())
    assert (rates.online, rates.offline, rates.unknown, rates.observed) == (0, 0, 221, 0)
    assert rates.overall is None and rates.by_cell == {}


def test_unknown_to_offline_is_a_change_and_a_repeat_is_not(demo_state):
    state = {"cameras": {k: dict(v) for k, v in demo_state["cameras"].items()}}
    camera_id = next(iter(state["cameras"]))
    first = report(state, camera_id, False, 1)
    assert [e["data"] for e in first] == [{"camera_id": camera_id, "online": False, "state": "offline"}]
    camera = state["cameras"][camera_id]
    assert (camera["state"], camera["online"], camera["state_ts"]) == ("offline", False, first[0]["ts"])
    assert report(state, camera_id, False, 2) == [], "the same observation again changes nothing"
    assert state["cameras"][camera_id] is camera, "since when: the first observation of the state"
    back = report(state, camera_id, True, 3)
    assert [e["data"]["state"] for e in back] == ["online"]
    camera = state["cameras"][camera_id]
    assert (camera["state"], camera["online"], camera["state_ts"]) == ("online", True, back[0]["ts"])


def test_a_camera_from_an_old_snapshot_without_a_state_is_unknown_until_reported():
    # Snapshots stored before states existed hold the pack's `online: true`: never observed.
    state = {"cameras": {"C1": {"camera_id": "C1", "online": True}}}
    events = report(state, "C1", True, 1)
    assert [e["data"]["state"] for e in events] == ["online"]
    assert state["cameras"]["C1"]["state"] == "online"


def test_old_events_carrying_only_online_fold_to_an_observed_state():
    state = {"cameras": {"C1": {"camera_id": "C1", "online": False, "state": "unknown", "state_ts": None}}}
    apply(state, {"seq": 1, "ts": "2026-11-01T10:00:00.000Z", "actor": "wall", "type": "camera.status_changed",
                  "data": {"camera_id": "C1", "online": False}})
    assert state["cameras"]["C1"] == {"camera_id": "C1", "online": False, "state": "offline",
                                      "state_ts": "2026-11-01T10:00:00.000Z"}


def test_online_rate_counts_observed_cameras_only():
    rates = online_rates([("G1", "online"), ("G1", "unknown"), ("G1", "unknown"), ("G2", "offline"),
                          ("G3", "unknown"), (None, "online")])
    assert (rates.online, rates.offline, rates.unknown, rates.observed, rates.total) == (2, 1, 3, 3, 6)
    assert rates.overall == pytest.approx(2 / 3)
    assert rates.by_cell == {"G1": 1.0, "G2": 0.0}, "a cell with no observed camera has no rate"
    with pytest.raises(ValueError, match="not one of online, offline, unknown"):
        online_rates([("G1", True)])
