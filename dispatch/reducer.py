"""The one reducer: `apply(state, event) -> state`, used by the server, the console, replay and drills.

State is plain JSON-able dicts (it is also the welcome snapshot):
    {"units": {id: unit}, "incidents": {id: incident}, "cameras": {id: camera},
     "checkpoints": {id: checkpoint}, "grids": {id: grid},
     "counters": {"incidents": {"day": "2026-12-02", "number": 7}},  # the last incident number given
     "bookmarks": {id: {bookmark_id, at, note, actor, ts}},  # instants marked for replays
     # field devices (TAK) a gateway heard, and the unit a dispatcher attached each to (or None)
     "devices": {uid: {device_uid, callsign, type, lon, lat, pos_ts, via, seen_ts, unit_id}},
     # alarms from devices (alarm.raise) and what dispatchers made of them; status raised, acknowledged,
     # incident or false (docs/state-machines.md)
     "alarms": {id: {alarm_id, device_id, kind, lon, lat, device_ts, text, media_url, grid_id, station_id,
                     camera_ids, status, raised_ts, updated_ts, ack_ts, ack_by, ack_note, incident_id,
                     closed_ts, closed_by, reason, close_note}},
     # watchlist entries (布控) and the hits of plate reads on them; only dispatchers and supervisors receive
     # these (dispatch/privacy.py); counters["watchlist"] = {"seq": the seq of its last change}
     "watchlist": {id: {entry_id, pattern, category, reason, valid_from, valid_until, added_by, added_ts}},
     "hits": {id: {hit_id, checkpoint_id, plate, display, read_ts, confidence, entry_id, match, positions,
                   camera_ids, unit_ids, status (open, accepted, rejected), handled_by, incident_id, ...}},
     # an exercise's drill, once started; requests: the trainer's unplanned injects, True once fired
     "drill": {"clock": {speed, running, fired: [event numbers], requests: {request_id: fired}}},
     # grid cases (网格事件, dispatch/grid_cases.py) and every step of each: status one of
     # grid_cases.CASE_STATUSES; due, closed_at and on_time for the closure rates
     "cases": {id: {case_id, category, lon, lat, grid_id, areas, text, photos, source, address, caller_name,
                    callback, status, reported_ts, reported_by, due, limit, department, closed_at, on_time,
                    rating, rating_comment, reject_reason, return_reason, <step>_ts, steps, event_seqs}}}
An incident also keeps its notes ({ts, actor, text}, in order) and the seqs of its events (`event_seqs`:
created, assignments, its units' status changes, notes, closed), by which its history is read.

`apply` is deterministic and does no I/O and reads no clock: everything it needs is in the event. For
speed it updates the state it is given in place and returns it (5,000 position events a second cannot
afford a copy of the state each). Records are values: a handler never changes a record (or a list in
one) in place, it puts a new record in its collection. So states may share records, and a copy of a
state (`copy_state`) is a copy of its collection dicts only, which replay's keyframes rely on
(dispatch/history.py builds states from shared parsed chunks). Whatever else changes a state's records
must replace them the same way.
Events reaching `apply` were validated by dispatch.commands; an unknown type is ignored so that an old
console can follow a newer server.
"""
from __future__ import annotations

from typing import Any, Callable

State = dict[str, dict[str, dict[str, Any]]]
Event = dict[str, Any]


def empty_state() -> State:
    return {"units": {}, "incidents": {}, "cameras": {}, "checkpoints": {}, "grids": {}, "counters": {},
            "bookmarks": {}, "devices": {}, "alarms": {}, "cases": {}}


def copy_state(state: State) -> State:
    """A state of the caller's own to fold: its collections are copied, its records (values) shared."""
    return {name: dict(collection) for name, collection in state.items()}


def _recorded(incident: dict, event: Event, **changes) -> dict:
    """The incident with `changes` and the seq of an event that concerns it (`incident.history` reads
    them from the store)."""
    return {**incident, **changes, "event_seqs": [*incident.get("event_seqs", ()), event["seq"]]}


def _incident_created(state: State, event: Event) -> None:
    incident = dict(event["data"])
    incident["units"] = list(incident.get("units") or [])  # never share a list with the event
    incident["created_ts"] = event["ts"]
    incident["notes"] = []
    state["incidents"][incident["incident_id"]] = _recorded(incident, event)
    if "number" in incident:  # a server-numbered incident (not an explicit id, not an old I<seq>)
        # Snapshots stored before counters existed have no "counters".
        state.setdefault("counters", {})["incidents"] = {"day": incident["day"], "number": incident["number"]}


def _unit_assigned(state: State, event: Event) -> None:
    data = event["data"]
    unit = state["units"][data["unit_id"]]
    incident = state["incidents"][data["incident_id"]]
    state["units"][data["unit_id"]] = {**unit, "status": "dispatched", "incident_id": incident["incident_id"],
                                       "status_ts": event["ts"]}
    changes = {}
    if unit["unit_id"] not in incident["units"]:
        changes["units"] = [*incident["units"], unit["unit_id"]]
    if incident["status"] == "new":
        changes.update(status="dispatched", dispatched_ts=event["ts"])
    state["incidents"][data["incident_id"]] = _recorded(incident, event, **changes)


def _unit_status_changed(state: State, event: Event) -> None:
    data = event["data"]
    incidents = state["incidents"]
    before = state["units"][data["unit_id"]]
    unit = state["units"][data["unit_id"]] = {**before, "status": data["status"], "status_ts": event["ts"],
                                              "incident_id": data.get("incident_id")}
    previous_incident = before.get("incident_id")
    if previous_incident and previous_incident != unit["incident_id"]:
        incident = incidents.get(previous_incident)
        if incident:  # the unit left it
            changes = {}
            if unit["unit_id"] in incident["units"]:
                changes["units"] = [u for u in incident["units"] if u != unit["unit_id"]]
            incidents[previous_incident] = _recorded(incident, event, **changes)
    incident = incidents.get(unit["incident_id"] or "")
    if incident:
        changes = {}
        if data["status"] == "onscene" and incident["status"] in ("new", "dispatched"):
            changes.update(status="onscene", onscene_ts=event["ts"])
        incidents[unit["incident_id"]] = _recorded(incident, event, **changes)


def _unit_moved(state: State, event: Event) -> None:
    data = event["data"]
    unit = state["units"][data["unit_id"]]
    state["units"][data["unit_id"]] = {**unit, "lon": data["lon"], "lat": data["lat"], "heading": data.get("heading"),
                                       "speed": data.get("speed"), "pos_ts": data.get("ts") or event["ts"],
                                       "pos_stale": data.get("stale")}


def _unit_registered(state: State, event: Event) -> None:
    """A unit named by an imported CAD export (no command makes it): available, where nobody recorded."""
    data = event["data"]
    state["units"][data["unit_id"]] = {
        "unit_id": data["unit_id"], "callsign": data.get("callsign") or data["unit_id"], "kind": data["kind"],
        "station": None, "status": "available", "incident_id": None, "lon": None, "lat": None, "heading": None,
        "speed": None, "pos_ts": None, "status_ts": event["ts"], "home_lon": None, "home_lat": None}


def _incident_milestone(state: State, event: Event) -> None:
    """An imported call's milestone that its CAD export records without naming a unit (dispatched, on scene):
    the incident moves on as a unit's assignment or arrival would move it."""
    incident_id, milestone = event["data"]["incident_id"], event["data"]["milestone"]
    incident = state["incidents"][incident_id]
    changes = {}
    if milestone == "dispatched" and incident["status"] == "new":
        changes.update(status="dispatched", dispatched_ts=event["ts"])
    elif milestone == "onscene" and incident["status"] in ("new", "dispatched"):
        changes.update(status="onscene", onscene_ts=event["ts"])
    state["incidents"][incident_id] = _recorded(incident, event, **changes)


def _device_record(state: State, uid: str, **changes) -> None:
    devices = state.setdefault("devices", {})  # snapshots stored before devices existed have none
    devices[uid] = {**devices.get(uid, {"device_uid": uid, "unit_id": None}), **changes}


def _device_seen(state: State, event: Event) -> None:
    data = event["data"]
    _device_record(state, data["device_uid"], callsign=data.get("callsign"), type=data.get("type"),
                   lon=data.get("lon"), lat=data.get("lat"), pos_ts=data.get("ts") or event["ts"],
                   via=data.get("via"), seen_ts=event["ts"])


def _incident_closed(state: State, event: Event) -> None:
    data = event["data"]
    incident = state["incidents"][data["incident_id"]]
    state["incidents"][data["incident_id"]] = _recorded(
        incident, event, status="closed", closed_ts=event["ts"], disposition=data["disposition"],
        disposition_note=data.get("disposition_note"))  # absent from events before the field existed


def _incident_noted(state: State, event: Event) -> None:
    incident_id = event["data"]["incident_id"]
    incident = state["incidents"][incident_id]
    note = {"ts": event["ts"], "actor": event["actor"], "text": event["data"]["text"]}
    state["incidents"][incident_id] = _recorded(incident, event, notes=[*incident.get("notes", ()), note])


def _camera_status_changed(state: State, event: Event) -> None:
    data = event["data"]
    camera = state["cameras"][data["camera_id"]]
    # Events stored before `state` existed carry only `online`: each was an observation all the same.
    observed = data.get("state") or ("online" if data["online"] else "offline")
    state["cameras"][data["camera_id"]] = {**camera, "state": observed, "online": observed == "online",
                                           "state_ts": event["ts"]}


def _alarm_raised(state: State, event: Event) -> None:
    data = event["data"]
    # Snapshots stored before alarms existed have no "alarms".
    state.setdefault("alarms", {})[data["alarm_id"]] = {
        **data, "camera_ids": list(data.get("camera_ids") or []), "status": "raised", "raised_ts": event["ts"],
        "updated_ts": event["ts"], "ack_ts": None, "ack_by": None, "ack_note": None, "incident_id": None,
        "closed_ts": None, "closed_by": None, "reason": None, "close_note": None}


def _watchlist_added(state: State, event: Event) -> None:
    data = event["data"]
    state.setdefault("watchlist", {})[data["entry_id"]] = {**data, "added_by": event["actor"],
                                                            "added_ts": event["ts"]}
    _watchlist_changed(state, event)


def _watchlist_changed(state: State, event: Event) -> None:
    """The seq of the watchlist's last change: what the server's matcher follows (dispatch/ledger.py)."""
    state.setdefault("counters", {})["watchlist"] = {"seq": event["seq"]}


def _watchlist_removed(state: State, event: Event) -> None:
    state.setdefault("watchlist", {}).pop(event["data"]["entry_id"], None)
    _watchlist_changed(state, event)


def _plate_hit(state: State, event: Event) -> None:
    data = event["data"]
    state.setdefault("hits", {})[data["hit_id"]] = {**data, "status": "open", "hit_ts": event["ts"],
                                                    "handled_by": None, "handled_ts": None, "incident_id": None,
                                                    "reject_reason": None, "note": None}


def _hit_handled(state: State, event: Event) -> None:
    data = event["data"]
    hits = state["hits"]
    accepted = event["type"] == "hit.accepted"
    hits[data["hit_id"]] = {**hits[data["hit_id"]], "status": "accepted" if accepted else "rejected",
                            "handled_by": event["actor"], "handled_ts": event["ts"],
                            "incident_id": data.get("incident_id"), "reject_reason": data.get("reason"),
                            "note": data.get("note")}


def _alarm_record(state: State, alarm_id: str, **changes) -> None:
    alarms = state["alarms"]
    alarms[alarm_id] = {**alarms[alarm_id], **changes}


def _alarm_updated(state: State, event: Event) -> None:
    data = event["data"]
    _alarm_record(state, data["alarm_id"], updated_ts=event["ts"],
                  **{k: v for k, v in data.items() if k != "alarm_id"})


def _alarm_acknowledged(state: State, event: Event) -> None:
    _alarm_record(state, event["data"]["alarm_id"], status="acknowledged", ack_ts=event["ts"],
                  ack_by=event["actor"], ack_note=event["data"].get("note"))


def _alarm_escalated(state: State, event: Event) -> None:
    _alarm_record(state, event["data"]["alarm_id"], status="incident", incident_id=event["data"]["incident_id"],
                  closed_ts=event["ts"], closed_by=event["actor"])


def _alarm_closed(state: State, event: Event) -> None:
    data = event["data"]
    _alarm_record(state, data["alarm_id"], status=data["outcome"], closed_ts=event["ts"], closed_by=event["actor"],
                  reason=data["reason"], close_note=data.get("note"))


def _bookmark_added(state: State, event: Event) -> None:
    data = event["data"]
    # Snapshots stored before bookmarks existed have no "bookmarks".
    state.setdefault("bookmarks", {})[data["bookmark_id"]] = {
        "bookmark_id": data["bookmark_id"], "at": data["at"], "note": data["note"], "actor": event["actor"],
        "ts": event["ts"]}


def _drill_record(state: State, **changes) -> None:
    """The drill record replaced with `changes` (what drill commands are judged against; drill time itself
    is computed from the events by drills.clock). Snapshots from before drills have no "drill"."""
    drill = state.setdefault("drill", {})
    drill["clock"] = {**drill.get("clock", {}), **changes}


def _drill_started(state: State, event: Event) -> None:
    _drill_record(state, speed=event["data"]["speed"], running=True, fired=[], requests={})


def _drill_inject_fired(state: State, event: Event) -> None:
    number = event["data"].get("event_number")
    if number is not None:
        _drill_record(state, fired=[*state["drill"]["clock"]["fired"], number])
    request_id = event["data"].get("request_id")
    if request_id is not None:
        _drill_record(state, requests={**state["drill"]["clock"]["requests"], request_id: True})


def _drill_inject_requested(state: State, event: Event) -> None:
    """An unplanned inject asked for: False until the runner records it fired."""
    requests = state["drill"]["clock"].get("requests", {})  # drills started before unplanned injects have none
    _drill_record(state, requests={**requests, event["data"]["request_id"]: False})


def _case_step_record(event: Event) -> dict:
    """One step of a case's history: what happened, who (actor, role), when, and what came with it."""
    data = event["data"]
    step = {"step": event["type"].removeprefix("case."), "actor": event["actor"], "ts": event["ts"],
            **{key: value for key, value in data.items() if key != "case_id"}}
    if "photos" in step:
        step["photos"] = list(step["photos"])  # never share a list with the event
    return step


def _case_reported(state: State, event: Event) -> None:
    data = event["data"]
    # Snapshots stored before cases existed have no "cases".
    state.setdefault("cases", {})[data["case_id"]] = {
        **{key: value for key, value in data.items() if key != "role"}, "photos": list(data["photos"]),
        "areas": dict(data["areas"]), "reported_ts": event["ts"], "reported_by": event["actor"], "due": None,
        "limit": None, "department": None, "closed_at": None, "on_time": None, "rating": None,
        "rating_comment": None, "reject_reason": None, "return_reason": None,
        "steps": [{"step": "reported", "actor": event["actor"], "ts": event["ts"], "status": data["status"],
                   "role": data["role"], "source": data["source"]}],
        "event_seqs": [event["seq"]]}


# What a step records on the case beyond its status and time: case field <- event field.
_CASE_FIELDS = {
    "case.registered": {"category": "category", "limit": "limit", "due": "due"},
    "case.rejected": {"reject_reason": "reason"},
    "case.dispatched": {"department": "department"},
    "case.returned": {"return_reason": "reason"},
    "case.closed": {"on_time": "on_time"},
    "case.rated": {"rating": "rating", "rating_comment": "comment"},
}


def _case_step(state: State, event: Event) -> None:
    data = event["data"]
    cases = state["cases"]
    case = cases[data["case_id"]]
    changes = {field: data.get(source) for field, source in _CASE_FIELDS.get(event["type"], {}).items()}
    # the closing time is `closed_at` (what the closure rates read); every other step's is <step>_ts
    when = "closed_at" if event["type"] == "case.closed" else f"{event['type'].removeprefix('case.')}_ts"
    cases[data["case_id"]] = {**case, **changes, "status": data["status"], when: event["ts"],
                              "steps": [*case["steps"], _case_step_record(event)],
                              "event_seqs": [*case["event_seqs"], event["seq"]]}


_HANDLERS: dict[str, Callable[[State, Event], None]] = {
    "incident.created": _incident_created,
    "unit.assigned": _unit_assigned,
    "unit.status_changed": _unit_status_changed,
    "unit.moved": _unit_moved,
    "unit.registered": _unit_registered,
    "incident.milestone": _incident_milestone,
    "incident.closed": _incident_closed,
    "incident.noted": _incident_noted,
    "camera.status_changed": _camera_status_changed,
    "bookmark.added": _bookmark_added,
    "drill.started": _drill_started,
    "drill.paused": lambda state, event: _drill_record(state, running=False),
    "drill.resumed": lambda state, event: _drill_record(state, running=True),
    "drill.speed_set": lambda state, event: _drill_record(state, speed=event["data"]["speed"]),
    "drill.inject_fired": _drill_inject_fired,
    "drill.inject_requested": _drill_inject_requested,
    "device.seen": _device_seen,
    "device.attached": lambda state, event: _device_record(state, event["data"]["device_uid"],
                                                           unit_id=event["data"]["unit_id"]),
    "device.detached": lambda state, event: _device_record(state, event["data"]["device_uid"], unit_id=None),
    "drill.fire_requested": lambda state, event: None,  # the runner's cue: it changes no record
    "alarm.raised": _alarm_raised,
    "alarm.updated": _alarm_updated,
    "alarm.acknowledged": _alarm_acknowledged,
    "alarm.escalated": _alarm_escalated,
    "alarm.closed": _alarm_closed,
    "watchlist.added": _watchlist_added,
    "watchlist.removed": _watchlist_removed,
    "plate.hit": _plate_hit,
    "hit.accepted": _hit_handled,
    "hit.rejected": _hit_handled,
    "case.reported": _case_reported,
    **{f"case.{step}": _case_step for step in ("registered", "rejected", "dispatched", "started", "handled",
                                               "returned", "verified", "closed", "rated")},
}

# The collection each id field of an event's data names a record of.
_ID_FIELDS = {"unit_id": "units", "incident_id": "incidents", "camera_id": "cameras", "bookmark_id": "bookmarks",
              "device_uid": "devices", "alarm_id": "alarms", "entry_id": "watchlist", "hit_id": "hits",
              "case_id": "cases"}


def touches(state: State, event: Event) -> list[tuple[str, str]]:
    """The records `apply(state, event)` may change, as (collection, id), called before it: what a keyframe
    writes again (dispatch/keyframes.py). Naming too many costs a little time; too few, a wrong keyframe
    (tests/dispatch/test_keyframes.py folds random commands to catch that). A new handler that changes
    other records must name them here."""
    data = event["data"]
    touched = [(collection, data[field]) for field, collection in _ID_FIELDS.items()
               if isinstance(data.get(field), str)]
    unit = state["units"].get(data.get("unit_id"))
    if unit is not None and unit.get("incident_id"):  # a status change takes the unit off its incident
        touched.append(("incidents", unit["incident_id"]))
    if event["type"] == "incident.created":
        touched.append(("counters", "incidents"))
    if event["type"].startswith("watchlist."):
        touched.append(("counters", "watchlist"))
    if event["type"].startswith("drill."):
        touched.append(("drill", "clock"))
    return touched

EVENT_TYPES = frozenset(_HANDLERS)


def apply(state: State, event: Event) -> State:
    handler = _HANDLERS.get(event["type"])
    if handler is not None:
        handler(state, event)
    return state


def fold(state: State, events) -> State:
    for event in events:
        apply(state, event)
    return state
