"""The rules and the reducer, without a server: the state machines, assignment, closing. Commands go
through the server's own ledger (dispatch/ledger.py), one group commit each."""
from __future__ import annotations

import itertools
import pytest

from dispatch.commands import Rejected
from dispatch.domain import UNIT_STATUSES, UNIT_TRANSITIONS
from dispatch.reducer import empty_state
from support.desk import Desk


def rules_desk(role: str = "dispatcher", namespace: str = "live") -> Desk:
    """Three available units and an online camera; every place is in grid cell G7."""
    state = empty_state()
    for n in range(3):
        state["units"][f"U{n}"] = {"unit_id": f"U{n}", "callsign": f"P-{n}", "status": "available",
                                  "incident_id": None, "lon": 24.9, "lat": 60.1}
    state["cameras"]["C1"] = {"camera_id": "C1", "online": True, "state": "online", "state_ts": "t0"}
    return Desk(state, role, namespace, grid_at=lambda lon, lat: "G7")


def new_incident(desk: Desk) -> str:
    return desk.do("incident.create", kind="fire", priority=1, lon=24.9, lat=60.1)[0]["data"]["incident_id"]


def _reach(desk: Desk, status: str) -> None:
    """Put U0 into `status` by allowed steps."""
    paths = {"available": [], "busy": ["busy"], "offduty": ["offduty"], "dispatched": ["assign"],
             "enroute": ["assign", "enroute"], "onscene": ["assign", "onscene"]}
    for step in paths[status]:
        if step == "assign":
            desk.do("unit.assign", unit_id="U0", incident_id=new_incident(desk))
        else:
            desk.do("unit.status", unit_id="U0", status=step)
    assert desk.state["units"]["U0"]["status"] == status


@pytest.mark.parametrize("current,target", list(itertools.product(UNIT_STATUSES, UNIT_STATUSES)))
def test_unit_state_machine_allows_exactly_the_documented_steps(current, target):
    desk = rules_desk()
    _reach(desk, current)
    if target in UNIT_TRANSITIONS[current]:
        desk.do("unit.status", unit_id="U0", status=target)
        assert desk.state["units"]["U0"]["status"] == target
    else:
        with pytest.raises(Rejected) as rejected:
            desk.do("unit.status", unit_id="U0", status=target)
        assert rejected.value.code == "invalid_transition"
        assert desk.state["units"]["U0"]["status"] == current


def test_incident_lifecycle_new_dispatched_onscene_closed_releases_units():
    desk = rules_desk()
    incident_id = new_incident(desk)

    def incident():
        return desk.state["incidents"][incident_id]

    assert (incident()["status"], incident()["grid_id"], incident()["created_ts"]) == ("new", "G7", desk.ts(1))
    desk.do("unit.assign", unit_id="U0", incident_id=incident_id)
    desk.do("unit.assign", unit_id="U1", incident_id=incident_id)
    assert incident()["status"] == "dispatched" and incident()["dispatched_ts"] == desk.ts(2)
    assert incident()["units"] == ["U0", "U1"]
    desk.do("unit.status", unit_id="U0", status="enroute")
    desk.do("unit.status", unit_id="U0", status="onscene")
    assert incident()["status"] == "onscene" and incident()["onscene_ts"] == desk.ts(5)
    events = desk.do("incident.close", incident_id=incident_id, disposition="FIRE_OUT", disposition_note="  out at 14:02  ")
    assert [e["type"] for e in events] == ["incident.closed", "unit.status_changed", "unit.status_changed"]
    assert incident()["status"] == "closed" and incident()["disposition"] == "FIRE_OUT"
    assert incident()["disposition_note"] == "out at 14:02"
    assert all(desk.state["units"][u]["status"] == "available" and desk.state["units"][u]["incident_id"] is None
               for u in ("U0", "U1"))
    with pytest.raises(Rejected) as twice:
        desk.do("incident.close", incident_id=incident_id, disposition="REPORT")
    assert twice.value.code == "invalid_transition"
    with pytest.raises(Rejected) as closed:
        desk.do("unit.assign", unit_id="U2", incident_id=incident_id)
    assert closed.value.code == "invalid_transition"


def test_assigning_a_unit_that_is_not_available_is_a_conflict_naming_it():
    desk = rules_desk()
    first, second = new_incident(desk), new_incident(desk)
    desk.do("unit.assign", unit_id="U0", incident_id=first)
    with pytest.raises(Rejected) as rejected:
        desk.do("unit.assign", unit_id="U0", incident_id=second)
    assert rejected.value.code == "conflict"
    assert rejected.value.message == f"unit P-0 is dispatched to {first}, not available"


def test_a_unit_cleared_from_an_incident_leaves_its_unit_list():
    desk = rules_desk()
    incident_id = new_incident(desk)
    desk.do("unit.assign", unit_id="U0", incident_id=incident_id)
    desk.do("unit.status", unit_id="U0", status="available")
    assert desk.state["incidents"][incident_id]["units"] == []
    assert desk.state["incidents"][incident_id]["status"] == "dispatched"


def test_client_chosen_incident_id_must_be_new():
    desk = rules_desk()
    desk.do("incident.create", kind="fire", priority=1, lon=24.9, lat=60.1, incident_id="CAD-1")
    with pytest.raises(Rejected) as rejected:
        desk.do("incident.create", kind="fire", priority=1, lon=24.9, lat=60.1, incident_id="CAD-1")
    assert rejected.value.code == "conflict"


def test_camera_report_that_changes_nothing_makes_no_event():
    desk = rules_desk(role="feed")
    assert desk.do("camera.status", camera_id="C1", online=True) == []
    assert [e["type"] for e in desk.do("camera.status", camera_id="C1", online=False)] == ["camera.status_changed"]
    assert desk.state["cameras"]["C1"]["online"] is False


@pytest.mark.parametrize("role,namespace,cmd,allowed", [
    ("viewer", "live", "unit.position", False),
    ("feed", "live", "unit.position", True),
    ("feed", "live", "incident.create", False),
    ("trainer", "live", "unit.position", False),
    ("trainer", "exercise:flood", "incident.create", True),
    ("dispatcher", "exercise:flood", "incident.create", True),
    ("supervisor", "live", "incident.close", True),
])
def test_roles(role, namespace, cmd, allowed):
    desk = rules_desk(role, namespace)
    args = {"unit.position": {"unit_id": "U0", "lon": 24.9, "lat": 60.1},
            "incident.create": {"kind": "x", "priority": 3, "lon": 24.9, "lat": 60.1},
            "incident.close": {"incident_id": "nope", "disposition": "REPORT"}}[cmd]
    try:
        desk.do(cmd, **args)
        outcome = True
    except Rejected as rejected:
        outcome = rejected.code != "forbidden"
    assert outcome == allowed


def test_rate_meter_sees_a_steady_load_not_a_burst():
    from dispatch.server import BUSY_EPS, RateMeter
    meter = RateMeter()
    meter.add(0, 100.0)
    meter.add(50, 100.001)  # 50 events a millisecond after a quiet spell: a burst, not a load
    meter.add(1, 100.05)
    assert meter.rate == 0.0
    meter.add(1, 100.125)  # the first window closes: 51 events in 0.125 s
    assert meter.rate == pytest.approx(408.0)
    for k in range(1, 41):  # 5,000 events a second, in 10 ms groups
        meter.add(50, 100.125 + k * 0.01)
    assert meter.rate == pytest.approx(5000.0, rel=0.05)
    assert meter.rate > BUSY_EPS
    meter.add(1, 102.0)  # after a quiet 1.5 s the namespace is no longer busy
    assert meter.rate < BUSY_EPS
