"""Commands: checking a command against the rules and the current state, and deciding its events.

`decide` is pure: it reads the state and returns the events a command produces, or raises `Rejected`
with a protocol code and words a dispatcher can read. The server applies the events with the reducer.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from typing import Any, Callable

from anpr.plates import normalise
from anpr.watchlist import CATEGORIES, Entry
from dispatch.domain import (
    ALARM_KINDS,
    ALARM_TRANSITIONS,
    ALL_COMMANDS,
    ATTACHED_STATUSES,
    FALSE_ALARM_REASONS,
    FEED_UNIT_STATUSES,
    HISTORY_READS,
    HIT_COMMANDS,
    HIT_REJECT_REASONS,
    OPEN_ALARM_STATUSES,
    READ_COMMANDS,
    ROLE_COMMANDS,
    SENSOR_KINDS,
    UNIT_STATUSES,
    UNIT_TRANSITIONS,
    WATCHLIST_COMMANDS,
    is_exercise,
    is_history,
)
from dispatch.grid_cases import CASE_HANDLERS, CaseRules
from dispatch.history import rfc3339
from dispatch.judging import Args as _Args, Rejected, is_url, next_id as _next_id
from dispatch.nearby import AvailableUnits
from dispatch.procedures import DEFAULT_DISPOSITION_CODES
from dispatch.reducer import State

DISPOSITION_NOTE_MAX = 1000
MAX_NOTE = 1000
MAX_HISTORY_EVENTS = 500  # events per incident.history reply; `after` pages on
MAX_BOOKMARK_NOTE = 500
MAX_EVENTS_READ = 5000  # events per history.events reply (its `limit`); `after_seq` pages on
MAX_DENSITY_BUCKETS = 10_000
MAX_TYPES = 50
# Drill control (docs/drills.md): exercise namespaces only, sent by trainers and supervisors.
DRILL_COMMANDS = frozenset({"drill.start", "drill.pause", "drill.resume", "drill.set_speed", "drill.fired",
                            "drill.fire_now", "drill.inject"})
# What an MSEL inject (and a trainer's unplanned one) can do; drills/msel.py checks each one's args.
INJECT_COMMANDS = ("call", "unit_out", "avl_silent", "camera_dark", "message")
MAX_INJECT_ARGS = 2000  # characters of an unplanned inject's args as JSON
DRILL_ROLES = frozenset({"trainer", "supervisor"})
DRILL_SPEED_MIN, DRILL_SPEED_MAX = 0.1, 1000.0  # drill seconds per wall second
# Where a call came from: phone (110/112), the one-key alarm app, a walk-in, radio, a field unit, a camera.
CALL_SOURCES = ("phone", "app", "walk_in", "radio", "field_unit", "camera", "alarm")
ALARM_SOURCE = "alarm"  # an incident made from an alarm (alarm.to_incident)
FIELD_SOURCE = "field_unit"  # the only source a feed (a field-device gateway) may give an incident
MAX_DEVICE_UID = 128  # CoT uids: ANDROID-351811095448994, GUIDs, "S-1-5-21-..." of WinTAK
MAX_MEDIA_URL = 500
MEDIA_SCHEMES = ("http", "https", "rtsp")
ALARM_CAMERAS = 4  # cameras named with an alarm: what a 2x2 wall shows
ALARM_CAMERA_RADIUS_M = 500.0
# How far a camera is taken to see what a perimeter sensor fired at: a PTZ camera beside a radar or a fence.
SENSOR_CAMERA_RANGE_M = 300.0
# An incident made from an alarm: its kind and priority unless the dispatcher gives others.
ALARM_INCIDENT = {"panic": ("alarm", 1), "audio": ("alarm", 2), "text": ("alarm", 2), "video": ("alarm", 2),
                  "intrusion": ("burglary", 2)}


@dataclass(frozen=True)
class Centre:
    """The command centre that names incidents: its code and the time zone its days are counted in; and the
    rules it runs grid cases by (its catalogue, departments, work calendar, the grid's areas)."""

    code: str
    zone: tzinfo
    cases: CaseRules = field(default_factory=CaseRules, compare=False)


@dataclass(frozen=True)
class Context:
    """What `decide` needs beyond the state: who asks, where, when, the city's grid lookup and its disposition
    codes."""

    role: str
    namespace: str
    grid_at: Callable[[float, float], str | None]
    ts: str  # RFC 3339 time the command's events get: the only clock a decision reads
    centre: Centre
    dispositions: frozenset[str] = DEFAULT_DISPOSITION_CODES  # the codes incident.close accepts
    seq: int = 0  # the namespace's last seq: a drill starts only in a namespace with no events yet
    # The city around a point (dispatch/nearby.py): its nearest police station, and the cameras within a
    # radius, nearest first. An alarm names them as they were when it was raised.
    nearest_station: Callable[[float, float], str | None] = lambda lon, lat: None
    cameras_near: Callable[[float, float, float], list[str]] = lambda lon, lat, radius_m: []
    # The cameras whose view covers a point within a range, nearest first (a sensor alert's).
    cameras_viewing: Callable[[float, float, float], list[str]] = lambda lon, lat, range_m: []
    # The state's watchlist, indexed for matching (anpr.watchlist.Watchlist), kept by the ledger.
    watchlist: Callable[[State], Any] = lambda state: None
    # The available units nearest a point (units, lon, lat, count), kept by the ledger as arrays.
    nearest_available: Callable[[dict, float, float, int], list[str]] = field(
        default_factory=lambda: AvailableUnits().nearest)
    actor: str = ""  # who sends the command (the event's actor)
    actor_cells: frozenset[str] = frozenset()  # a grid officer's cells (its users file entry)


Events = list[tuple[str, dict[str, Any]]]


def _unit(state: State, unit_id: str) -> dict:
    unit = state["units"].get(unit_id)
    if unit is None:
        raise Rejected("not_found", f"no unit {unit_id!r}")
    return unit


def _incident(state: State, incident_id: str) -> dict:
    incident = state["incidents"].get(incident_id)
    if incident is None:
        raise Rejected("not_found", f"no incident {incident_id!r}")
    return incident


def _name(unit: dict) -> str:
    return unit.get("callsign") or unit["unit_id"]


def _incident_create(state: State, a: _Args, ctx: Context) -> Events:
    kind = a.text("kind", max_len=64)
    priority = a.integer("priority", 1, 5)
    lon, lat = a.position()
    address = a.text("address", required=False)
    note = a.text("note", required=False, max_len=2000)
    caller_name = a.text("caller_name", required=False, max_len=100)
    callback = a.phone("callback")
    source = a.choice("source", CALL_SOURCES)
    if ctx.role == "feed" and source != FIELD_SOURCE:
        raise Rejected("forbidden", f"a feed raises incidents only as reports from the field: source {FIELD_SOURCE}")
    given_id = a.ident("incident_id", required=False)
    numbered: dict[str, Any] = {}
    if given_id is None:
        day, number, incident_id = _next_incident_number(state, ctx)
        numbered = {"day": day.isoformat(), "number": number}
    elif given_id in state["incidents"]:
        raise Rejected("conflict", f"incident {given_id} already exists")
    else:
        incident_id = given_id
    return [("incident.created", {
        "incident_id": incident_id, "kind": kind, "priority": priority, "lon": lon, "lat": lat,
        "address": address, "note": note, "status": "new", "grid_id": ctx.grid_at(lon, lat), "units": [],
        "caller_name": caller_name, "callback": callback, "source": source, **numbered,
    })]


def _next_incident_number(state: State, ctx: Context) -> tuple[date, int, str]:
    """The centre's day of `ctx.ts`, the next number of that day and the id they make (DEMO-261202-0007).

    Numbers count from 1 each day, whatever other traffic takes seqs. An id already taken (given
    explicitly, or the clock went back over midnight) is skipped rather than refused."""
    day = datetime.fromisoformat(ctx.ts.replace("Z", "+00:00")).astimezone(ctx.centre.zone).date()
    last = state.get("counters", {}).get("incidents", {})
    number = last["number"] + 1 if last.get("day") == day.isoformat() else 1
    while (incident_id := f"{ctx.centre.code}-{day:%y%m%d}-{number:04d}") in state["incidents"]:
        number += 1
    return day, number, incident_id


def _incident_note(state: State, a: _Args, ctx: Context) -> Events:
    """A note, also on a closed incident: late information (a witness calls back) belongs on its record."""
    incident = _incident(state, a.ident("incident_id"))
    text = a.text("text", max_len=MAX_NOTE).strip()
    return [("incident.noted", {"incident_id": incident["incident_id"], "text": text})]


def _unit_assign(state: State, a: _Args, ctx: Context) -> Events:
    unit = _unit(state, a.ident("unit_id"))
    incident = _incident(state, a.ident("incident_id"))
    if incident["status"] == "closed":
        raise Rejected("invalid_transition", f"incident {incident['incident_id']} is closed")
    if unit["status"] != "available":
        where = f" to {unit['incident_id']}" if unit.get("incident_id") else ""
        raise Rejected("conflict", f"unit {_name(unit)} is {unit['status']}{where}, not available")
    return [("unit.assigned", {"unit_id": unit["unit_id"], "incident_id": incident["incident_id"]})]


def _unit_status(state: State, a: _Args, ctx: Context) -> Events:
    unit = _unit(state, a.ident("unit_id"))
    status = a.text("status", max_len=16)
    if status not in UNIT_STATUSES:
        raise Rejected("bad_request", f"unit.status: status {status!r} is not one of {', '.join(UNIT_STATUSES)}")
    if ctx.role == "feed" and status not in FEED_UNIT_STATUSES:
        raise Rejected("forbidden", f"a feed may report only {' or '.join(sorted(FEED_UNIT_STATUSES))}, not {status}")
    current = unit["status"]
    if status == "dispatched" and current != "dispatched":
        raise Rejected("invalid_transition",
                       f"unit {_name(unit)} becomes dispatched only by assignment to an incident")
    if status not in UNIT_TRANSITIONS[current]:
        raise Rejected("invalid_transition", f"unit {_name(unit)} cannot go from {current} to {status}")
    incident_id = unit.get("incident_id") if status in ATTACHED_STATUSES else None
    return [("unit.status_changed", {"unit_id": unit["unit_id"], "status": status, "incident_id": incident_id})]


def _unit_position(state: State, a: _Args, ctx: Context) -> Events:
    unit = _unit(state, a.ident("unit_id"))
    lon, lat = a.position()
    heading = a.number("heading", 0.0, 360.0, required=False)
    speed = a.number("speed", 0.0, 300.0, required=False)
    ts = a.timestamp("ts")
    data = {"unit_id": unit["unit_id"], "lon": lon, "lat": lat, "heading": heading, "speed": speed, "ts": ts}
    stale = a.timestamp("stale")
    if stale is not None:  # only when given: positions without it stay the bytes they always were
        data["stale"] = stale
    return [("unit.moved", data)]


def _device_uid(a: _Args) -> str:
    uid = a.text("device_uid", max_len=MAX_DEVICE_UID)
    if not uid.isprintable() or uid != uid.strip():
        raise a._bad("device_uid", "must be printable, with no space at either end")
    return uid


def _device(state: State, a: _Args) -> dict:
    uid = _device_uid(a)
    device = state.get("devices", {}).get(uid)  # snapshots stored before devices existed have none
    if device is None:
        raise Rejected("not_found", f"no device {uid!r} has been seen")
    return device


def _device_seen(state: State, a: _Args, ctx: Context) -> Events:
    """A field device a gateway heard that maps to no unit: listed for a dispatcher to attach. No position
    (lon and lat absent) means the device reported no fix."""
    uid = _device_uid(a)
    given = {name for name in ("lon", "lat") if a.args.get(name) is not None}
    if len(given) == 1:
        raise a._bad(({"lon", "lat"} - given).pop(), "is missing: give both lon and lat, or neither (no fix)")
    lon, lat = a.position() if given else (None, None)
    return [("device.seen", {"device_uid": uid, "callsign": a.text("callsign", required=False, max_len=100),
                             "type": a.text("type", required=False, max_len=64), "lon": lon, "lat": lat,
                             "ts": a.timestamp("ts"), "via": a.text("via", required=False, max_len=64)})]


def _device_attach(state: State, a: _Args, ctx: Context) -> Events:
    device = _device(state, a)
    unit = _unit(state, a.ident("unit_id"))
    if device.get("unit_id") == unit["unit_id"]:
        raise Rejected("conflict", f"device {device['device_uid']} is already attached to {_name(unit)}")
    return [("device.attached", {"device_uid": device["device_uid"], "unit_id": unit["unit_id"]})]


def _device_detach(state: State, a: _Args, ctx: Context) -> Events:
    device = _device(state, a)
    if device.get("unit_id") is None:
        raise Rejected("conflict", f"device {device['device_uid']} is attached to no unit")
    return [("device.detached", {"device_uid": device["device_uid"], "unit_id": device["unit_id"]})]


def _incident_close(state: State, a: _Args, ctx: Context) -> Events:
    incident = _incident(state, a.ident("incident_id"))
    disposition = a.text("disposition", required=False, max_len=64)
    if disposition not in ctx.dispositions:
        problem = ("is missing" if disposition is None else "is empty" if not disposition.strip()
                   else f"{disposition!r} is not a disposition code")
        raise Rejected("bad_request", f"incident.close: disposition {problem}; "
                                      f"use one of {', '.join(sorted(ctx.dispositions))}")
    note = (a.text("disposition_note", required=False, max_len=DISPOSITION_NOTE_MAX) or "").strip() or None
    if incident["status"] == "closed":
        raise Rejected("invalid_transition", f"incident {incident['incident_id']} is already closed")
    events: Events = [("incident.closed", {"incident_id": incident["incident_id"], "disposition": disposition,
                                           "disposition_note": note})]
    for unit_id in incident["units"]:
        events.append(("unit.status_changed", {"unit_id": unit_id, "status": "available", "incident_id": None}))
    return events


def _camera_status(state: State, a: _Args, ctx: Context) -> Events:
    camera_id = a.ident("camera_id")
    online = a.flag("online")
    camera = state["cameras"].get(camera_id)
    if camera is None:
        raise Rejected("not_found", f"no camera {camera_id!r}")
    observed = "online" if online else "offline"
    # A camera from a snapshot stored before states existed has none: what it said was never observed.
    if camera.get("state", "unknown") == observed:
        return []  # a health report that changes nothing is not an event
    return [("camera.status_changed", {"camera_id": camera_id, "online": online, "state": observed})]


def _bookmark_add(state: State, a: _Args, ctx: Context) -> Events:
    """A marked instant of the log (any instant: a shift leader marks what a replay shows)."""
    at = rfc3339(a.instant("at"))
    note = a.text("note", max_len=MAX_BOOKMARK_NOTE).strip()
    # snapshots stored before bookmarks existed have none
    return [("bookmark.added", {"bookmark_id": _next_id(state.get("bookmarks", {}), "B"), "at": at, "note": note})]


def _media_url(a: _Args) -> str | None:
    url = a.text("media_url", required=False, max_len=MAX_MEDIA_URL)
    if url is None:
        return None
    if not is_url(url, MEDIA_SCHEMES):
        raise a._bad("media_url", f"{url[:80]!r} is not an http, https or rtsp URL")
    return url


def _alarm_device(a: _Args) -> str:
    device_id = a.text("device_id", max_len=MAX_DEVICE_UID)
    if not device_id.isprintable() or device_id != device_id.strip():
        raise a._bad("device_id", "must be printable, with no space at either end")
    return device_id


def _open_alarm_of(state: State, device_id: str) -> dict | None:
    return next((alarm for alarm in state.get("alarms", {}).values()  # states from before alarms have none
                 if alarm["device_id"] == device_id and alarm["status"] in OPEN_ALARM_STATUSES), None)


def _alarm_raise(state: State, a: _Args, ctx: Context) -> Events:
    """An alarm from a device; a device whose alarm is still open sends its live position and words again
    (a one-key alarm app keeps reporting): that updates the alarm, it is not a second one."""
    return _raise(state, a, ctx, ALARM_KINDS, _cameras_to_show)


def _sensor_alert(state: State, a: _Args, ctx: Context) -> Events:
    """A perimeter sensor fired (radar, infrared, fence): an alarm like a device's, whose cameras are those
    whose view covers where it fired (radar-camera linkage); a sensor that fires again while its alarm is
    open moves it."""
    return _raise(state, a, ctx, SENSOR_KINDS, _cameras_viewing)


def _raise(state: State, a: _Args, ctx: Context, kinds: tuple[str, ...],
           cameras_for: Callable[[State, Context, float, float], list[str]]) -> Events:
    device_id = _alarm_device(a)
    kind = a.choice("kind", kinds)
    if kind is None:
        raise a._bad("kind", "is missing")
    lon, lat = a.position()
    device_ts = rfc3339(a.instant("ts"))
    text = a.text("text", required=False, max_len=MAX_NOTE)
    media_url = _media_url(a)  # a sensor's command has no such field
    grid_id = ctx.grid_at(lon, lat)
    already = _open_alarm_of(state, device_id)
    if already is not None:
        data = {"alarm_id": already["alarm_id"], "lon": lon, "lat": lat, "device_ts": device_ts, "grid_id": grid_id}
        if text is not None:
            data["text"] = text
        if media_url is not None:
            data["media_url"] = media_url
        return [("alarm.updated", data)]
    alarm_id = _next_id(state.get("alarms", {}), "A")
    return [("alarm.raised", {
        "alarm_id": alarm_id, "device_id": device_id, "kind": kind, "lon": lon, "lat": lat,
        "device_ts": device_ts, "text": text, "media_url": media_url, "grid_id": grid_id,
        "station_id": ctx.nearest_station(lon, lat), "camera_ids": cameras_for(state, ctx, lon, lat)})]


def _cameras_to_show(state: State, ctx: Context, lon: float, lat: float) -> list[str]:
    """The nearest cameras within ALARM_CAMERA_RADIUS_M, a 2x2 wall's worth. Cameras observed offline show
    nothing; online and not yet observed (unknown) ones may."""
    return _showing(state, ctx.cameras_near(lon, lat, ALARM_CAMERA_RADIUS_M))


def _cameras_viewing(state: State, ctx: Context, lon: float, lat: float) -> list[str]:
    """The cameras whose view covers the point within SENSOR_CAMERA_RANGE_M, nearest first, a 2x2 wall's worth."""
    return _showing(state, ctx.cameras_viewing(lon, lat, SENSOR_CAMERA_RANGE_M))


def _showing(state: State, camera_ids: list[str]) -> list[str]:
    cameras = state["cameras"]
    return [c for c in camera_ids if c in cameras and cameras[c].get("state", "unknown") != "offline"][:ALARM_CAMERAS]


def _alarm(state: State, a: _Args) -> dict:
    """The alarm the command names, in a status the command may start from (else a `conflict` naming it)."""
    alarm_id = a.ident("alarm_id")
    alarm = state.get("alarms", {}).get(alarm_id)
    if alarm is None:
        raise Rejected("not_found", f"no alarm {alarm_id!r}")
    status = alarm["status"]
    if status not in ALARM_TRANSITIONS[a.cmd]:
        said = {"acknowledged": f"already acknowledged by {alarm.get('ack_by')}",
                "incident": f"already incident {alarm.get('incident_id')}",
                "false": f"already closed as a false alarm ({alarm.get('reason')})"}.get(status, status)
        raise Rejected("conflict", f"{a.cmd}: alarm {alarm_id} is {said}")
    return alarm


def _alarm_acknowledge(state: State, a: _Args, ctx: Context) -> Events:
    note = a.text("note", required=False, max_len=MAX_NOTE)
    alarm = _alarm(state, a)
    return [("alarm.acknowledged", {"alarm_id": alarm["alarm_id"], "note": note.strip() if note else None})]


def _alarm_to_incident(state: State, a: _Args, ctx: Context) -> Events:
    """One step: the incident (kind, priority, position and words from the alarm unless given) and the
    alarm ended as that incident."""
    alarm = _alarm(state, a)
    default_kind, default_priority = ALARM_INCIDENT[alarm["kind"]]
    kind = a.text("kind", required=False, max_len=64) or default_kind
    priority = a.integer("priority", 1, 5) if a.args.get("priority") is not None else default_priority
    day, number, incident_id = _next_incident_number(state, ctx)
    words = f"Alarm {alarm['alarm_id']} ({alarm['kind']}) from device {alarm['device_id']}"
    return [("incident.created", {
        "incident_id": incident_id, "kind": kind, "priority": priority, "lon": alarm["lon"], "lat": alarm["lat"],
        "address": None, "note": f"{words}: {alarm['text']}" if alarm.get("text") else words, "status": "new",
        "grid_id": ctx.grid_at(alarm["lon"], alarm["lat"]), "units": [], "caller_name": None, "callback": None,
        "source": ALARM_SOURCE, "alarm_id": alarm["alarm_id"], "day": day.isoformat(), "number": number}),
        ("alarm.escalated", {"alarm_id": alarm["alarm_id"], "incident_id": incident_id})]


def _alarm_close_false(state: State, a: _Args, ctx: Context) -> Events:
    reason = a.choice("reason", FALSE_ALARM_REASONS, required=True)
    note = a.text("note", required=False, max_len=MAX_NOTE)
    alarm = _alarm(state, a)
    return [("alarm.closed", {"alarm_id": alarm["alarm_id"], "outcome": "false", "reason": reason,
                              "note": note.strip() if note else None})]


# ---- ANPR: watchlists, plate reads, hits (docs/anpr.md) ---------------------------------------------------

ANPR_COMMANDS = WATCHLIST_COMMANDS | HIT_COMMANDS | {"plate.read"}
MAX_PLATE = 16
MAX_IMAGE_URL = 500
HIT_UNITS = 3  # the nearest available units a hit names


def _optional_instant(a: _Args, name: str) -> float | None:
    return a.instant(name) if a.args.get(name) is not None else None


def _watchlist_add(state: State, a: _Args, ctx: Context) -> Events:
    category = a.choice("category", CATEGORIES, required=True)
    pattern = a.text("pattern", max_len=MAX_PLATE)
    reason = a.text("reason", max_len=MAX_NOTE)
    valid_from, valid_until = _optional_instant(a, "valid_from"), _optional_instant(a, "valid_until")
    try:  # checked as the matcher will hold it; who added it is the event's actor
        entry = Entry(_next_id(state.get("watchlist", {}), "W"), pattern, category, reason.strip(), ctx.role, valid_from, valid_until)
    except ValueError as exc:
        raise Rejected("bad_request", f"watchlist.add: {exc}") from None
    return [("watchlist.added", {
        "entry_id": entry.entry_id, "pattern": entry.pattern, "category": category, "reason": entry.reason,
        "valid_from": rfc3339(valid_from) if valid_from is not None else None,
        "valid_until": rfc3339(valid_until) if valid_until is not None else None})]


def _watchlist_remove(state: State, a: _Args, ctx: Context) -> Events:
    entry_id = a.ident("entry_id")
    if entry_id not in state.get("watchlist", {}):
        raise Rejected("not_found", f"no watchlist entry {entry_id!r}")
    return [("watchlist.removed", {"entry_id": entry_id, "reason": a.text("reason", max_len=MAX_NOTE).strip()})]


def _image_url(a: _Args) -> str | None:
    url = a.text("image_url", required=False, max_len=MAX_IMAGE_URL)
    if url is not None and not is_url(url, ("http", "https")):
        raise a._bad("image_url", f"{url[:80]!r} is not an http or https URL")
    return url


def _plate_read(state: State, a: _Args, ctx: Context) -> Events:
    """A checkpoint's read: stored (visible to dispatchers and supervisors only), matched against the
    watchlist at the read's time; a match is also a hit naming the entry, how it matched, the checkpoint's
    cameras and the nearest available units."""
    checkpoint_id = a.ident("checkpoint_id")
    checkpoint = state["checkpoints"].get(checkpoint_id)
    if checkpoint is None:
        raise Rejected("not_found", f"no checkpoint {checkpoint_id!r}")
    try:
        plate = normalise(a.text("plate", max_len=MAX_PLATE))
    except ValueError as exc:
        raise a._bad("plate", str(exc)) from None
    read_at = a.instant("ts")
    confidence = a.number("confidence", 0.0, 100.0)
    direction = a.text("direction", required=False, max_len=32)
    read = {"checkpoint_id": checkpoint_id, "plate": plate.key, "display": plate.display, "plate_kind": plate.kind,
            "read_ts": rfc3339(read_at), "confidence": confidence, "direction": direction,
            "image_url": _image_url(a)}
    events = [("plate.read", read)]
    watchlist = ctx.watchlist(state)
    matches = watchlist.match(plate, read_at) if watchlist is not None else []
    if matches:
        best = matches[0]
        lon, lat = checkpoint["lon"], checkpoint["lat"]
        events.append(("plate.hit", {
            **read, "hit_id": _next_id(state.get("hits", {}), "H"), "entry_id": best.entry.entry_id, "pattern": best.entry.pattern,
            "category": best.entry.category, "reason": best.entry.reason, "match": best.kind,
            "positions": list(best.positions), "also": [m.entry.entry_id for m in matches[1:]],
            "lon": lon, "lat": lat, "camera_ids": _cameras_to_show(state, ctx, lon, lat),
            "unit_ids": ctx.nearest_available(state["units"], lon, lat, HIT_UNITS)}))
    return events


def _open_hit(state: State, a: _Args) -> dict:
    hit_id = a.ident("hit_id")
    hit = state.get("hits", {}).get(hit_id)
    if hit is None:
        raise Rejected("not_found", f"no hit {hit_id!r}")
    if hit["status"] != "open":
        raise Rejected("conflict", f"{a.cmd}: hit {hit_id} is already {hit['status']} by {hit.get('handled_by')}")
    return hit


def _hit_accept(state: State, a: _Args, ctx: Context) -> Events:
    """Accepted; with `intercept: true`, an intercept incident at the checkpoint in the same step."""
    hit = _open_hit(state, a)
    intercept = a.flag("intercept") if a.args.get("intercept") is not None else False
    events: Events = []
    incident_id = None
    if intercept:
        day, number, incident_id = _next_incident_number(state, ctx)
        events.append(("incident.created", {
            "incident_id": incident_id, "kind": "intercept", "priority": 1, "lon": hit["lon"], "lat": hit["lat"],
            # Everyone sees incidents: the plate and the entry stay in the hit, which only some do.
            "address": None, "note": f"Intercept at checkpoint {hit['checkpoint_id']}",
            "status": "new", "grid_id": ctx.grid_at(hit["lon"], hit["lat"]), "units": [], "caller_name": None,
            "callback": None, "source": "anpr", "day": day.isoformat(), "number": number}))
    events.append(("hit.accepted", {"hit_id": hit["hit_id"], "incident_id": incident_id}))
    return events


def _hit_reject(state: State, a: _Args, ctx: Context) -> Events:
    reason = a.choice("reason", HIT_REJECT_REASONS, required=True)
    note = a.text("note", required=False, max_len=MAX_NOTE)
    hit = _open_hit(state, a)
    return [("hit.rejected", {"hit_id": hit["hit_id"], "reason": reason, "note": note.strip() if note else None})]


def _drill(state: State, cmd: str) -> dict:
    drill = state.get("drill", {}).get("clock")
    if drill is None:
        raise Rejected("conflict", f"{cmd}: the drill has not started (send drill.start first)")
    return drill


def _drill_start(state: State, a: _Args, ctx: Context) -> Events:
    speed = a.number("speed", DRILL_SPEED_MIN, DRILL_SPEED_MAX)
    if ctx.seq > 0:  # a rerun takes a new name: old runs stay as they were, for review and replay
        raise Rejected("conflict", f"{ctx.namespace} is already used ({ctx.seq} events): "
                                   "start the drill under a new name")
    return [("drill.started", {"speed": speed})]


def _drill_pause(state: State, a: _Args, ctx: Context) -> Events:
    if not _drill(state, a.cmd)["running"]:
        raise Rejected("conflict", "drill.pause: the drill is already paused")
    return [("drill.paused", {})]


def _drill_resume(state: State, a: _Args, ctx: Context) -> Events:
    if _drill(state, a.cmd)["running"]:
        raise Rejected("conflict", "drill.resume: the drill is running, not paused")
    return [("drill.resumed", {})]


def _drill_set_speed(state: State, a: _Args, ctx: Context) -> Events:
    speed = a.number("speed", DRILL_SPEED_MIN, DRILL_SPEED_MAX)
    _drill(state, a.cmd)
    return [("drill.speed_set", {"speed": speed})]


def _drill_fired(state: State, a: _Args, ctx: Context) -> Events:
    """The runner's record of an inject it fired (what the inject did is the ordinary commands it sent)."""
    event_number = None if a.args.get("event_number") is None else a.integer("event_number", 1, 10**9)
    drill_s = a.number("drill_s", 0.0, 10**9)
    incident_id = a.ident("incident_id", required=False)
    fire_now = a.flag("fire_now") if a.args.get("fire_now") is not None else False
    request_id = a.ident("request_id", required=False)
    drill = _drill(state, a.cmd)
    if event_number is not None and event_number in drill["fired"]:
        raise Rejected("conflict", f"drill.fired: event {event_number} has already fired")
    if request_id is not None:
        if event_number is not None:
            raise Rejected("bad_request", "drill.fired: an unplanned inject (request_id) has no event_number")
        if request_id not in drill.get("requests", {}):
            raise Rejected("not_found", f"drill.fired: no unplanned inject {request_id} was asked for")
        if drill["requests"][request_id]:
            raise Rejected("conflict", f"drill.fired: unplanned inject {request_id} has already fired")
    if incident_id is not None:
        _incident(state, incident_id)
    data: dict[str, Any] = {"event_number": event_number, "drill_s": drill_s}
    if incident_id is not None:
        data["incident_id"] = incident_id
    if fire_now:
        data["fire_now"] = True
    if request_id is not None:
        data["request_id"] = request_id
    return [("drill.inject_fired", data)]


def _drill_fire_now(state: State, a: _Args, ctx: Context) -> Events:
    """A trainer asks for an MSEL row at once (also while paused); the runner fires it and records drill.fired.
    Which Event Numbers the MSEL has only the runner knows: it says when one is not in its MSEL."""
    event_number = a.integer("event_number", 1, 10**9)
    if event_number in _drill(state, a.cmd)["fired"]:
        raise Rejected("conflict", f"drill.fire_now: event {event_number} has already fired")
    return [("drill.fire_requested", {"event_number": event_number})]


def _drill_inject(state: State, a: _Args, ctx: Context) -> Events:
    """A trainer's unplanned inject, fired at once by the runner (which checks its args against the city, as
    it checks an MSEL's rows), recorded by drill.fired with its request_id."""
    command = a.choice("command", INJECT_COMMANDS)
    if command is None:
        raise a._bad("command", "is missing")
    args = a.args.get("args") or {}
    if not isinstance(args, dict):
        raise a._bad("args", "must be an object")
    if len(json.dumps(args)) > MAX_INJECT_ARGS:
        raise a._bad("args", f"is longer than {MAX_INJECT_ARGS} characters as JSON")
    message = a.text("message", required=False, max_len=MAX_NOTE)
    if command == "message" and not (message or "").strip():
        raise a._bad("message", "is missing: a message inject is its message")
    requests = _drill(state, a.cmd).get("requests", {})
    data: dict[str, Any] = {"request_id": f"U{len(requests) + 1}", "command": command, "args": args}
    if message:
        data["message"] = message
    return [("drill.inject_requested", data)]


_COMMANDS: dict[str, tuple[Callable[[State, _Args, Context], Events], set[str]]] = {
    "incident.create": (_incident_create, {"kind", "priority", "lon", "lat", "address", "note", "incident_id",
                                           "caller_name", "callback", "source"}),
    "incident.note": (_incident_note, {"incident_id", "text"}),
    "unit.assign": (_unit_assign, {"unit_id", "incident_id"}),
    "unit.status": (_unit_status, {"unit_id", "status"}),
    "unit.position": (_unit_position, {"unit_id", "lon", "lat", "heading", "speed", "ts", "stale"}),
    "device.seen": (_device_seen, {"device_uid", "callsign", "type", "lon", "lat", "ts", "via"}),
    "device.attach": (_device_attach, {"device_uid", "unit_id"}),
    "device.detach": (_device_detach, {"device_uid"}),
    "incident.close": (_incident_close, {"incident_id", "disposition", "disposition_note"}),
    "camera.status": (_camera_status, {"camera_id", "online"}),
    "bookmark.add": (_bookmark_add, {"at", "note"}),
    "alarm.raise": (_alarm_raise, {"device_id", "kind", "lon", "lat", "ts", "text", "media_url"}),
    "sensor.alert": (_sensor_alert, {"device_id", "kind", "lon", "lat", "ts", "text"}),
    "alarm.acknowledge": (_alarm_acknowledge, {"alarm_id", "note"}),
    "alarm.to_incident": (_alarm_to_incident, {"alarm_id", "kind", "priority"}),
    "alarm.close_false": (_alarm_close_false, {"alarm_id", "reason", "note"}),
    "watchlist.add": (_watchlist_add, {"pattern", "category", "reason", "valid_from", "valid_until"}),
    "watchlist.remove": (_watchlist_remove, {"entry_id", "reason"}),
    "plate.read": (_plate_read, {"checkpoint_id", "plate", "ts", "confidence", "direction", "image_url"}),
    "hit.accept": (_hit_accept, {"hit_id", "intercept"}),
    "hit.reject": (_hit_reject, {"hit_id", "reason", "note"}),
    "drill.start": (_drill_start, {"speed"}),
    "drill.pause": (_drill_pause, set()),
    "drill.resume": (_drill_resume, set()),
    "drill.set_speed": (_drill_set_speed, {"speed"}),
    "drill.fired": (_drill_fired, {"event_number", "drill_s", "incident_id", "fire_now", "request_id"}),
    "drill.fire_now": (_drill_fire_now, {"event_number"}),
    "drill.inject": (_drill_inject, {"command", "args", "message"}),
    **CASE_HANDLERS,
}
assert set(_COMMANDS) == ALL_COMMANDS | DRILL_COMMANDS


def _authorized_args(cmd: str, args: object, ctx: Context) -> dict:
    if is_history(ctx.namespace) and cmd not in READ_COMMANDS:
        raise Rejected("forbidden", f"{cmd}: {ctx.namespace} holds imported past calls and is read-only")
    if ctx.role == "trainer" and not is_exercise(ctx.namespace):
        raise Rejected("forbidden", "a trainer may send commands only in exercise namespaces")
    if cmd in DRILL_COMMANDS:
        if not is_exercise(ctx.namespace):
            raise Rejected("forbidden", f"{cmd}: drills run only in exercise namespaces, never in {ctx.namespace}")
        if ctx.role not in DRILL_ROLES:
            raise Rejected("forbidden", f"role {ctx.role} may not send {cmd}: drills are run by trainers and supervisors")
    elif cmd not in ROLE_COMMANDS.get(ctx.role, ()):
        raise Rejected("forbidden", f"role {ctx.role} may not send {cmd}")
    if cmd in ANPR_COMMANDS and is_exercise(ctx.namespace):
        raise Rejected("forbidden", f"{cmd}: watchlists and plate reads are real people's: never in an exercise")
    if args is None:
        args = {}
    if not isinstance(args, dict):
        raise Rejected("bad_request", f"{cmd}: args must be an object")
    return args


def decide(state: State, cmd: object, args: object, ctx: Context) -> Events:
    """The events `cmd` produces in `state`, or `Rejected`."""
    if cmd in READ_COMMANDS:
        raise Rejected("bad_request", f"{cmd} is a read: send it alone in a cmd frame")
    if not isinstance(cmd, str) or cmd not in _COMMANDS:
        raise Rejected("bad_request", f"unknown command {cmd!r}")
    args = _authorized_args(cmd, args, ctx)
    handler, allowed = _COMMANDS[cmd]
    return handler(state, _Args(cmd, args, allowed), ctx)


def history_seqs(state: State, args: object, ctx: Context) -> tuple[list[int], bool]:
    """`incident.history`: the seqs of the incident's events after `after` (at most MAX_HISTORY_EVENTS),
    and whether more follow."""
    a = _Args("incident.history", _authorized_args("incident.history", args, ctx), {"incident_id", "after"})
    incident = _incident(state, a.ident("incident_id"))
    after = a.integer("after", 0, 2**62) if a.args.get("after") is not None else 0
    seqs = [seq for seq in incident.get("event_seqs", ()) if seq > after]
    return seqs[:MAX_HISTORY_EVENTS], len(seqs) > MAX_HISTORY_EVENTS


def history_read(cmd: str, args: object, ctx: Context) -> dict[str, Any]:
    """A `history.*` read's args, checked and made plain (times as epoch seconds), or `Rejected`."""
    allowed = {"history.bounds": set(), "history.seq": {"at"}, "history.state": {"seq", "at"},
               "history.events": {"after_seq", "until_seq", "until", "types", "limit"},
               "history.density": {"from", "to", "bucket_s"}}
    assert set(allowed) == HISTORY_READS
    a = _Args(cmd, _authorized_args(cmd, args, ctx), allowed[cmd])
    given = {name for name, value in a.args.items() if value is not None}
    if cmd == "history.bounds":
        return {}
    if cmd == "history.seq":
        return {"at": a.instant("at")}
    if cmd == "history.state":
        if len(given & {"seq", "at"}) != 1:
            raise Rejected("bad_request", "history.state: give exactly one of seq and at")
        return {"seq": a.integer("seq", 0, 2**62)} if "seq" in given else {"at": a.instant("at")}
    if cmd == "history.events":
        return {"after_seq": a.integer("after_seq", 0, 2**62),
                "until_seq": a.integer("until_seq", 0, 2**62) if "until_seq" in given else None,
                "until": a.instant("until") if "until" in given else None,
                "types": a.strings("types", MAX_TYPES) if "types" in given else None,
                "limit": a.integer("limit", 1, MAX_EVENTS_READ) if "limit" in given else MAX_EVENTS_READ}
    start, end, bucket_s = a.instant("from"), a.instant("to"), a.integer("bucket_s", 1, 2**31)
    if end <= start:
        raise Rejected("bad_request", "history.density: to must be after from")
    buckets = math.ceil((end - start) / bucket_s)
    if buckets > MAX_DENSITY_BUCKETS:
        raise Rejected("bad_request", f"history.density: bucket_s {bucket_s} makes {buckets:,} buckets of that span; "
                                      f"at most {MAX_DENSITY_BUCKETS:,}")
    return {"from": start, "to": end, "bucket_s": bucket_s}
