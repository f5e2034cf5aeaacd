"""The timeline of an incident from events: the same entries from the whole log or from the incident's own
events (the seqs the reducer keeps), in order, with other incidents' events left out."""
from __future__ import annotations

import random
from datetime import timezone

from dispatch.commands import Centre, Context, decide
from dispatch.reducer import apply, empty_state
from dispatch.timeline import timeline


def _log() -> tuple[list[dict], dict]:
    state = empty_state()
    for n in range(2):
        state["units"][f"U{n}"] = {"unit_id": f"U{n}", "status": "available", "incident_id": None,
                                   "lon": 24.9, "lat": 60.1}
    log: list[dict] = []

    def do(actor: str, cmd: str, **args) -> None:
        ts = f"2026-12-02T06:{len(log):02d}:00.000Z"
        for event_type, data in decide(state, cmd, args, Context("dispatcher", "live", lambda lon, lat: None, ts,
                                                                 Centre("T", timezone.utc))):
            event = {"seq": len(log) + 1, "ts": ts, "actor": actor,
                     "type": event_type, "data": data}
            apply(state, event)
            log.append(event)

    do("alice", "incident.create", kind="fire", priority=1, lon=24.9, lat=60.1, source="app", caller_name="A",
       incident_id="I1")
    do("bob", "incident.create", kind="theft", priority=4, lon=24.9, lat=60.1, incident_id="I2")  # another one
    do("alice", "unit.assign", unit_id="U0", incident_id="I1")
    do("bob", "unit.assign", unit_id="U1", incident_id="I2")
    do("alice", "unit.status", unit_id="U0", status="enroute")
    do("bob", "unit.status", unit_id="U1", status="onscene")
    do("bob", "incident.note", incident_id="I1", text="smoke from the roof")
    do("alice", "unit.status", unit_id="U0", status="onscene")
    do("bob", "unit.position", unit_id="U0", lon=24.91, lat=60.11)
    do("alice", "incident.close", incident_id="I1", disposition="FIRE_OUT")
    do("bob", "unit.status", unit_id="U0", status="busy")  # after the incident: not on its timeline
    do("sam", "incident.note", incident_id="I1", text="late: owner called back")
    return log, state


def test_the_timeline_lists_every_step_in_order_with_time_and_actor():
    log, _ = _log()
    entries = timeline(log, "I1")
    assert [(e.what, e.actor, e.unit_id, e.status, e.text) for e in entries] == [
        ("created", "alice", None, None, None),
        ("assigned", "alice", "U0", None, None),
        ("unit_status", "alice", "U0", "enroute", None),
        ("note", "bob", None, None, "smoke from the roof"),
        ("unit_status", "alice", "U0", "onscene", None),
        ("closed", "alice", None, None, "FIRE_OUT"),
        ("unit_status", "alice", "U0", "available", None),
        ("note", "sam", None, None, "late: owner called back"),
    ]
    assert entries[0].source == "app" and entries[0].kind == "fire" and entries[0].priority == 1
    assert [e.ts for e in entries] == sorted(e.ts for e in entries)


def test_the_incidents_own_events_in_any_order_and_repeated_give_the_same_timeline():
    log, state = _log()
    seqs = state["incidents"]["I1"]["event_seqs"]
    own = [log[s - 1] for s in seqs]
    assert timeline(own, "I1") == timeline(log, "I1")
    shuffled = own + own[:3]
    random.Random(7).shuffle(shuffled)
    assert timeline(shuffled, "I1") == timeline(log, "I1")
    assert [e.what for e in timeline(log, "I2")] == ["created", "assigned", "unit_status"]
