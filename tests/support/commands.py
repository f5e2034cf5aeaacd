"""Random command sequences judged as the server judges them (dispatch.commands.decide, then the reducer),
for the property tests of the reducer, the ledger and keyframes."""
from __future__ import annotations

import zoneinfo
from typing import Iterator

from hypothesis import strategies as st

from dispatch.commands import Centre, Context, Rejected, decide
from dispatch.history import rfc3339
from dispatch.ledger import WatchlistIndex
from dispatch.reducer import State, apply, empty_state

START = 1_796_256_000.0  # 2026-12-02T00:00:00Z
CENTRE = Centre("TEST", zoneinfo.ZoneInfo("Asia/Shanghai"))
UNITS = [f"U{i}" for i in range(3)]  # few, so commands often meet the same unit
CAMERAS = [f"C{i}" for i in range(4)]
PLATES = ["粤S12345", "粤S1Z345", "粤B12340", "京A00001"]  # on the list, a look-alike of it, a pattern's, neither
PATTERNS = ["粤S12345", "粤B1234*"]
# Who sends each command of the sequences: most a dispatcher; the watchlist a supervisor, reads a feed.
SENDERS = {"watchlist.add": "supervisor", "watchlist.remove": "supervisor", "plate.read": "feed"}


def initial() -> State:
    state = empty_state()
    for unit_id in UNITS:
        state["units"][unit_id] = {"unit_id": unit_id, "callsign": unit_id, "kind": "patrol_car", "station": "",
                                   "status": "available", "incident_id": None, "lon": 113.7, "lat": 23.0,
                                   "heading": None, "speed": None, "pos_ts": None, "status_ts": None}
    for camera_id in CAMERAS:
        state["cameras"][camera_id] = {"camera_id": camera_id, "online": False, "state": "unknown",
                                       "state_ts": None}
    state["checkpoints"]["K1"] = {"checkpoint_id": "K1", "name": "K1", "kind": "bayonet", "lon": 113.7, "lat": 23.0}
    return state


def command(kind: str, pick: int, value: int, state) -> tuple[str, dict]:
    """A command of `kind` about the `pick`-th unit/incident/camera of the moment, so most are accepted."""
    incidents = sorted(state["incidents"]) or ["NONE"]
    unit = UNITS[pick % len(UNITS)]
    incident = incidents[pick % len(incidents)]
    if kind == "create":
        return "incident.create", {"kind": "theft", "priority": 1 + value % 5, "lon": 113.7 + value * 1e-3,
                                   "lat": 23.0, "caller_name": "Li" if value % 2 else None}
    if kind == "assign":
        return "unit.assign", {"unit_id": unit, "incident_id": incidents[value % len(incidents)]}
    if kind == "status":
        return "unit.status", {"unit_id": unit,
                               "status": ["enroute", "onscene", "available", "busy", "offduty"][value % 5]}
    if kind == "move":
        return "unit.position", {"unit_id": unit, "lon": 113.7 + value * 1e-4, "lat": 23.0, "speed": 5.0}
    if kind == "close":
        return "incident.close", {"incident_id": incident, "disposition": "REPORT"}
    if kind == "note":
        return "incident.note", {"incident_id": incident, "text": f"note {value}"}
    if kind == "camera":
        return "camera.status", {"camera_id": CAMERAS[pick % len(CAMERAS)], "online": bool(value % 2)}
    alarms = sorted(state.get("alarms", {})) or ["NONE"]
    alarm = alarms[pick % len(alarms)]
    if kind == "alarm":
        return "alarm.raise", {"device_id": f"D{value % 4}", "kind": "panic", "lon": 113.7 + value * 1e-4,
                               "lat": 23.0, "ts": rfc3339(START + value), "media_url": "rtsp://x.org/a" if value % 2 else None}
    if kind == "alarm_ack":
        return "alarm.acknowledge", {"alarm_id": alarm}
    if kind == "alarm_incident":
        return "alarm.to_incident", {"alarm_id": alarm}
    if kind == "alarm_false":
        return "alarm.close_false", {"alarm_id": alarm, "reason": "test"}
    entries, hits = sorted(state.get("watchlist", {})) or ["NONE"], sorted(state.get("hits", {})) or ["NONE"]
    if kind == "watch":
        return "watchlist.add", {"pattern": PATTERNS[value % len(PATTERNS)], "category": "stolen", "reason": "r"}
    if kind == "unwatch":
        return "watchlist.remove", {"entry_id": entries[pick % len(entries)], "reason": "found"}
    if kind == "read":
        return "plate.read", {"checkpoint_id": "K1", "plate": PLATES[value % len(PLATES)], "ts": rfc3339(START + value),
                              "confidence": 90.0}
    if kind == "hit_accept":
        return "hit.accept", {"hit_id": hits[pick % len(hits)], "intercept": bool(value % 2)}
    if kind == "hit_reject":
        return "hit.reject", {"hit_id": hits[pick % len(hits)], "reason": "misread"}
    return "bookmark.add", {"at": rfc3339(START + value), "note": f"mark {value}"}


steps = st.lists(st.tuples(
    st.sampled_from(["create", "assign", "assign", "status", "status", "move", "move", "close", "note", "camera",
                     "bookmark", "alarm", "alarm_ack", "alarm_incident", "alarm_false", "watch", "unwatch", "read",
                     "read", "hit_accept", "hit_reject"]),
    st.integers(0, 5), st.integers(0, 1000),
    st.sampled_from([0.0, 0.0004, 0.001, 0.5, 61.0, 86_400.0])), min_size=30, max_size=120)


def judged(steps_, state: State) -> Iterator[tuple[float, list[dict]]]:
    """Each accepted step's time and events, numbered from seq 1, as `decide` judges them against `state`
    (folded here as it goes: the decision state)."""
    seq, now = 0, START
    watchlist = WatchlistIndex()
    for kind, pick, value, step in steps_:
        now += step
        ts = rfc3339(now)
        cmd, args = command(kind, pick, value, state)
        try:
            decided = decide(state, cmd, args, Context(SENDERS.get(cmd, "dispatcher"), "live", lambda lon, lat: None,
                                                       ts, CENTRE, watchlist=watchlist))
        except Rejected:
            continue
        events = []
        for event_type, data in decided:
            seq += 1
            event = {"op": "event", "seq": seq, "ts": ts, "actor": "alice", "type": event_type, "data": data}
            apply(state, event)
            events.append(event)
        yield now, events
