"""The drill.* commands judged by the server's own ledger: who may send them, where, and in what order."""
from __future__ import annotations

import pytest

from dispatch.city_state import initial_state
from dispatch.commands import Rejected
from dispatch.reducer import copy_state
from drills.clock import DrillClock, fired_rows
from layers.citypack import load_city
from support.desk import Desk


_CITY_STATE = []  # the demo city's initial state, made once


def city_desk(role: str, namespace: str) -> Desk:
    """A desk on the demo city's state."""
    if not _CITY_STATE:
        _CITY_STATE.append(initial_state(load_city("demo")))
    return Desk(copy_state(_CITY_STATE[0]), role, namespace)


def drill_desk(role: str = "trainer", name: str = "exercise:d1") -> Desk:
    return city_desk(role, name)


def new_incident(desk: Desk) -> str:
    return desk.do("incident.create", kind="fire", priority=1, lon=24.94, lat=60.17)[0]["data"]["incident_id"]


def refused(desk: Desk, cmd: str, **args) -> Rejected:
    with pytest.raises(Rejected) as caught:
        desk.do(cmd, **args)
    return caught.value


def test_a_drill_starts_pauses_resumes_and_changes_speed_as_events_the_drill_clock_reads():
    desk = drill_desk()
    events = [*desk.do("drill.start", speed=60), *desk.do("drill.pause"), *desk.do("drill.set_speed", speed=10),
              *desk.do("drill.resume")]
    assert [e["type"] for e in events] == ["drill.started", "drill.paused", "drill.speed_set", "drill.resumed"]
    assert events[0]["data"] == {"speed": 60.0}
    assert desk.state["drill"]["clock"] == {"speed": 10.0, "running": True, "fired": [], "requests": {}}
    clock = DrillClock(events)
    assert clock.started and clock.running_at(clock.start_wall + 10)


def test_a_drill_starts_only_in_a_namespace_with_no_events_and_the_refusal_names_it():
    desk = drill_desk(name="exercise:used-2026")
    new_incident(desk)
    rejection = refused(desk, "drill.start", speed=1)
    assert rejection.code == "conflict" and "exercise:used-2026" in rejection.message
    started = drill_desk()
    started.do("drill.start", speed=1)
    assert refused(started, "drill.start", speed=1).code == "conflict"


@pytest.mark.parametrize("role", ["trainer", "supervisor", "dispatcher"])
def test_no_drill_command_is_taken_in_live_whoever_sends_it(role):
    rejection = refused(city_desk(role, "live"), "drill.start", speed=1)
    assert rejection.code == "forbidden" and "exercise" in rejection.message


@pytest.mark.parametrize("role", ["dispatcher", "viewer", "feed"])
def test_only_trainers_and_supervisors_run_drills(role):
    rejection = refused(drill_desk(role), "drill.start", speed=1)
    assert rejection.code == "forbidden" and role in rejection.message


def test_a_supervisor_may_run_a_drill():
    assert drill_desk("supervisor").do("drill.start", speed=2)[0]["type"] == "drill.started"


@pytest.mark.parametrize("args, field", [({}, "speed"), ({"speed": 0.05}, "speed"), ({"speed": 1001}, "speed"),
                                         ({"speed": "fast"}, "speed"), ({"speed": 1, "pace": 2}, "pace")])
def test_a_bad_speed_is_a_bad_request_naming_the_field(args, field):
    rejection = refused(drill_desk(), "drill.start", **args)
    assert rejection.code == "bad_request" and field in rejection.message


def test_pausing_a_paused_drill_or_resuming_a_running_one_is_a_conflict():
    desk = drill_desk()
    assert refused(desk, "drill.pause").code == "conflict"  # not started
    desk.do("drill.start", speed=1)
    assert refused(desk, "drill.resume").code == "conflict"
    desk.do("drill.pause")
    assert refused(desk, "drill.pause").code == "conflict"


def test_an_inject_fired_is_recorded_once_with_its_incident():
    desk = drill_desk()
    desk.do("drill.start", speed=60)
    incident_id = new_incident(desk)
    events = [*desk.do("drill.fired", event_number=1, drill_s=12.5, incident_id=incident_id),
              *desk.do("drill.fired", event_number=None, drill_s=13.0, fire_now=True)]
    assert [e["data"] for e in events] == [{"event_number": 1, "drill_s": 12.5, "incident_id": incident_id},
                                           {"event_number": None, "drill_s": 13.0, "fire_now": True}]
    assert set(fired_rows(events)) == {1}
    assert refused(desk, "drill.fired", event_number=1, drill_s=14.0).code == "conflict"
    assert refused(desk, "drill.fired", event_number=2, drill_s=-1).code == "bad_request"
    assert refused(desk, "drill.fired", event_number=2, drill_s=1, incident_id="NOPE-1").code == "not_found"
    assert desk.state["drill"]["clock"]["fired"] == [1]


def test_fire_now_asks_the_runner_for_a_row_even_while_paused_but_never_for_one_fired():
    desk = drill_desk()
    desk.do("drill.start", speed=60)
    desk.do("drill.pause")
    assert [(e["type"], e["data"]) for e in desk.do("drill.fire_now", event_number=3)] == [
        ("drill.fire_requested", {"event_number": 3})]
    desk.do("drill.fired", event_number=3, drill_s=10.0, fire_now=True)
    assert "already fired" in refused(desk, "drill.fire_now", event_number=3).message
    assert refused(desk, "drill.fire_now", event_number=0).code == "bad_request"


def test_an_unplanned_inject_gets_a_request_id_and_is_recorded_fired_once():
    desk = drill_desk()
    assert refused(desk, "drill.inject", command="message", message="x").code == "conflict"  # not started
    desk.do("drill.start", speed=1)
    first = desk.do("drill.inject", command="call", args={"kind": "fire", "priority": 1, "grid_id": "G1"})[0]
    second = desk.do("drill.inject", command="message", message="The radio channel 2 is down")[0]
    assert (first["type"], first["data"]) == ("drill.inject_requested", {
        "request_id": "U1", "command": "call", "args": {"kind": "fire", "priority": 1, "grid_id": "G1"}})
    assert second["data"] == {"request_id": "U2", "command": "message", "args": {},
                              "message": "The radio channel 2 is down"}
    assert desk.state["drill"]["clock"]["requests"] == {"U1": False, "U2": False}
    fired = desk.do("drill.fired", event_number=None, drill_s=5.0, fire_now=True, request_id="U2")[0]
    assert fired["data"]["request_id"] == "U2"
    assert desk.state["drill"]["clock"]["requests"] == {"U1": False, "U2": True}
    assert refused(desk, "drill.fired", event_number=None, drill_s=6.0, request_id="U2").code == "conflict"
    assert refused(desk, "drill.fired", event_number=None, drill_s=6.0, request_id="U9").code == "not_found"
    assert refused(desk, "drill.fired", event_number=4, drill_s=6.0, request_id="U1").code == "bad_request"


@pytest.mark.parametrize("args, field", [
    ({"command": "launch"}, "command"), ({}, "command"), ({"command": "call", "args": [1]}, "args"),
    ({"command": "call", "args": {"note": "x" * 3000}}, "args"), ({"command": "message"}, "message"),
    ({"command": "message", "message": "x", "extra": 1}, "extra")])
def test_a_bad_unplanned_inject_is_a_bad_request_naming_the_field(args, field):
    desk = drill_desk()
    desk.do("drill.start", speed=1)
    rejected = refused(desk, "drill.inject", **args)
    assert rejected.code == "bad_request" and field in rejected.message


@pytest.mark.parametrize("cmd, args", [("drill.fire_now", {"event_number": 1}),
                                       ("drill.inject", {"command": "message", "message": "x"})])
def test_trainers_requests_are_refused_in_live_and_to_dispatchers(cmd, args):
    assert refused(city_desk("trainer", "live"), cmd, **args).code == "forbidden"
    assert refused(city_desk("supervisor", "live"), cmd, **args).code == "forbidden"
    assert refused(city_desk("dispatcher", "exercise:d1"), cmd, **args).code == "forbidden"
