"""Callers' personal data (name, call-back number: of incidents and of citizens' grid cases), alarms' media
URLs (a panic app's live audio or video), watchlists, plate reads and their hits; and the copies of frames
and states without them.

The server encodes each frame once per visibility class, never once per connection: roles in
`domain.PERSONAL_DATA_ROLES` get the frame as stored; every other role (viewer, feed) gets the public
copy, which lacks the personal fields. A restricted event (`domain.RESTRICTED_EVENTS`: watchlists, reads,
hits) has for its public copy a `withheld` event: its seq and time and nothing else, so every reader's
seqs still run without a gap. Only those events have a public copy of their own: every other frame is
the same bytes for everyone.
"""
from __future__ import annotations

import orjson

from dispatch.domain import RESTRICTED_COLLECTIONS, RESTRICTED_EVENTS
from dispatch.reducer import State

PERSONAL_FIELDS = ("caller_name", "callback", "media_url")
# The only events that may carry such fields: every other frame is the same bytes for everyone.
PERSONAL_EVENTS = frozenset({"incident.created", "alarm.raised", "alarm.updated", "case.reported"})
# orjson writes a key as "name": with no space; inside a string value a quote is always escaped (\"), so
# these bytes occur in a frame only as a key.
_PERSONAL_KEYS = tuple(f'"{name}":'.encode() for name in PERSONAL_FIELDS)
# An event frame is {"op","seq","ts","actor","type","data"} in that order (dispatch/ledger.py): the first
# "type": in it is the event's own.
_RESTRICTED_TYPES = tuple(f'"type":"{name}"'.encode() for name in RESTRICTED_EVENTS)
WITHHELD = "withheld"


def carries_personal(data: dict) -> bool:
    return any(data.get(name) is not None for name in PERSONAL_FIELDS)


def _without_personal(record: dict) -> dict:
    return {key: value for key, value in record.items() if key not in PERSONAL_FIELDS}


def public_event(event: dict) -> dict:
    if event["type"] in RESTRICTED_EVENTS:
        return {"op": event["op"], "seq": event["seq"], "ts": event["ts"], "type": WITHHELD, "data": {}}
    return {**event, "data": _without_personal(event["data"])}


def is_restricted_frame(frame: bytes) -> bool:
    at = frame.find(b'"type":')
    return at >= 0 and frame.startswith(_RESTRICTED_TYPES, at)


def public_frame(frame: bytes) -> bytes:
    """A stored event frame as a reader without access to personal data may see it."""
    if is_restricted_frame(frame):
        return orjson.dumps(public_event(orjson.loads(frame)))
    if not any(key in frame for key in _PERSONAL_KEYS):
        return frame
    event = orjson.loads(frame)
    return orjson.dumps(public_event(event)) if carries_personal(event["data"]) else frame


def public_state(state: State) -> State:
    """The state (a snapshot) without callers' personal data; shares everything else with `state`."""
    public = {name: collection for name, collection in state.items() if name not in RESTRICTED_COLLECTIONS}
    if "watchlist" in public.get("counters", {}):
        public["counters"] = {key: value for key, value in public["counters"].items() if key != "watchlist"}
    for name in ("incidents", "alarms", "cases"):
        if name in state:  # states stored before alarms (or cases) existed have none
            public[name] = {key: _without_personal(record) if carries_personal(record) else record
                            for key, record in state[name].items()}
    return public
