"""The typed command line and the console's folded state, on the demo city's real streets."""
from __future__ import annotations

import pytest

from console.live import LiveState, format_duration
from console.typed import TypedError, parse
from dispatch.city_state import initial_state
from layers.citypack import load_city
from layers.geocode import Geocoder


@pytest.fixture(scope="module")
def city():
    return load_city("demo")


@pytest.fixture(scope="module")
def streets(city):
    return Geocoder(city.streets, city.places, city.areas)


@pytest.fixture
def state(city):
    state = initial_state(city)
    state["incidents"]["I7"] = {"incident_id": "I7", "status": "new", "units": [], "lon": 24.94, "lat": 60.17,
                                "priority": 2, "kind": "fire", "created_ts": "2026-11-23T12:00:00.000Z"}
    return state


def test_assign_by_callsign_in_either_language(state, streets):
    unit = next(u for u in state["units"].values() if u["callsign"] == "P-03")
    for line in ("assign p-03 i7", "派 P-03 I7", "a P-03 I7"):
        typed = parse(line, state, streets)
        assert (typed.cmd, typed.args) == ("unit.assign", {"unit_id": unit["unit_id"], "incident_id": "I7"})


def test_new_incident_at_a_real_street_of_the_demo_city(state, streets):
    typed = parse("new fire 1 @mannerheim smoke from a window", state, streets)
    assert typed.cmd == "incident.create"
    assert typed.args["address"] == "Mannerheimintie" and typed.args["priority"] == 1
    lon, lat = typed.args["lon"], typed.args["lat"]
    assert 24.93 < lon < 24.95 and 60.16 < lat < 60.18
    typed = parse("新建 theft 4 24.9412,60.1702 bag snatched", state, streets)
    assert typed.args == {"kind": "theft", "priority": 4, "lon": 24.9412, "lat": 60.1702, "note": "bag snatched"}


@pytest.mark.parametrize("line,words", [
    ("", "type a command"),
    ("teleport P-03", "unknown command teleport"),
    ("assign P-99 I7", "no unit P-99"),
    ("assign P-03 I99", "no incident I99"),
    ("status P-03 asleep", "status UNIT"),
    ("new fire 9 24.9,60.1", "PRIORITY(1-5)"),
    ("new fire 1 @Nowhere Street", "no place called Nowhere Street: closest"),
    ("find the moon", "nothing called the moon"),
])
def test_mistyped_commands_are_explained(state, streets, line, words):
    with pytest.raises(TypedError) as error:
        parse(line, state, streets)
    assert words in str(error.value)


def test_find_units_incidents_cameras_and_streets(state, streets):
    camera = next(iter(state["cameras"].values()))
    assert parse("find I7", state, streets).target == ("incidents", "I7")
    assert parse(f"find {camera['name']}", state, streets).target == ("cameras", camera["camera_id"])
    assert parse("查找 Esplanadi", state, streets).target[0] == "point"


def test_timers_and_overdue():
    live = LiveState(dispatch_threshold_s=180)
    created = 1_800_000_000.0

    def iso(t):
        from datetime import datetime, timezone
        return datetime.fromtimestamp(t, timezone.utc).isoformat().replace("+00:00", "Z")
    incident = {"status": "new", "created_ts": iso(created)}
    assert not live.timers(incident, created + 179).overdue
    assert live.timers(incident, created + 181).dispatch_overdue
    incident.update(status="dispatched", dispatched_ts=iso(created + 200))
    timers = live.timers(incident, created + 260)
    assert (timers.to_dispatch_s, timers.to_onscene_s, timers.dispatch_overdue) == (200, 60, False)
    assert format_duration(200) == "3:20" and format_duration(3725) == "1:02:05"


def test_changes_name_the_incident_a_unit_left(state):
    live = LiveState()
    live.reset(state, 0)
    unit = next(iter(state["units"]))
    live.apply_events([{"seq": 1, "ts": "2026-11-23T12:00:01.000Z", "actor": "a", "type": "unit.assigned",
                        "data": {"unit_id": unit, "incident_id": "I7"}}])
    changes = live.apply_events([{"seq": 2, "ts": "2026-11-23T12:00:02.000Z", "actor": "a",
                                  "type": "unit.status_changed",
                                  "data": {"unit_id": unit, "status": "available", "incident_id": None}}])
    assert changes.units == {unit} and changes.incidents == {"I7"}
    assert live.state["incidents"]["I7"]["units"] == []


def test_new_incident_at_a_house_number_keeps_the_rest_as_the_note(state, streets):
    typed = parse("new fire 1 @Mannerheimintie 5 smoke from a window", state, streets)
    place = streets.resolve("Mannerheimintie 5")
    assert typed.args == {"kind": "fire", "priority": 1, "lon": place.lon, "lat": place.lat,
                          "address": "Mannerheimintie 5", "note": "smoke from a window"}
    typed = parse("new fight 2 @Mannerheimintie & Kaivokatu", state, streets)
    assert typed.args["address"] == "Mannerheimintie & Kaivokatu" and "note" not in typed.args


def test_a_kind_of_several_words_runs_up_to_the_priority(state, streets):
    typed = parse("new traffic accident 2 @Bulevardi 11 two cars", state, streets)
    assert (typed.args["kind"], typed.args["priority"], typed.args["note"]) == ("traffic accident", 2, "two cars")
    with pytest.raises(TypedError):
        parse("new traffic accident @Bulevardi 11", state, streets)  # no priority


def test_an_unknown_place_is_an_error_with_suggestions_not_a_note(state, streets):
    with pytest.raises(TypedError) as refused:
        parse("new fire 1 @Atlantis burning", state, streets)
    assert str(refused.value).startswith("no place called Atlantis burning: closest ")
    assert "Atlantit" in str(refused.value)
    assert parse("find Mannerheimintie 5", state, streets).target == (
        "point", f"{streets.resolve('Mannerheimintie 5').lon},{streets.resolve('Mannerheimintie 5').lat}")


def test_the_state_of_another_instant_names_only_what_differs(state):
    import copy

    live = LiveState()
    live.reset(copy.deepcopy(state), 10)
    moved, sent = list(state["units"])[:2]
    other = copy.deepcopy(state)
    other["units"][moved]["lon"] += 0.01
    other["units"][sent].update(status="dispatched", incident_id="I7")
    del other["incidents"]["I7"]  # the instant is before it was created
    other["incidents"]["I9"] = {**state["incidents"]["I7"], "incident_id": "I9"}
    other["cameras"][next(iter(other["cameras"]))]["state"] = "online"
    changes = live.replace(other, 4)
    assert not changes.reset and changes.jumped
    assert changes.moved_units == {moved} and changes.units == {sent}
    assert changes.incidents == {"I7", "I9"} and len(changes.cameras) == 1
    assert live.state is other and live.seq == 4
    fewer = copy.deepcopy(other)
    del fewer["units"][moved]  # another set of units: nothing to compare, everything is redrawn
    assert live.replace(fewer, 5).reset
