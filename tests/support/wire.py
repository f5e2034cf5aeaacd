"""Talking to the server at the frame level, and what hypothesis feeds it: shared by the hostile-input tests."""
from __future__ import annotations

import json
import math

import orjson
from hypothesis import strategies as st
from websockets.asyncio.client import connect

# The demo pack's disposition codes, written out here so the oracle does not read the server's own list.
DEMO_DISPOSITIONS = {"REPORT", "ARREST", "CITATION", "ADVISED", "RESOLVED", "NO_TRACE", "FALSE_ALARM", "DUPLICATE",
                     "REFERRED", "FIRE_OUT", "TRANSPORTED", "TREATED", "CANCELLED"}


async def hello(url: str, token: str, **extra):
    ws = await connect(url, max_size=None)
    await ws.send(json.dumps({"op": "hello", "token": token, "resume_from": None, "subscribe": False, **extra}))
    welcome = orjson.loads(await ws.recv())
    assert welcome["op"] == "welcome", welcome
    return ws, welcome


json_scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**20, 10**20),
                         st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=20))
json_values = st.recursive(json_scalars, lambda children: st.one_of(
    st.lists(children, max_size=4), st.dictionaries(st.text(max_size=8), children, max_size=4)), max_leaves=10)
commands = st.sampled_from(["incident.create", "unit.assign", "unit.status", "unit.position", "incident.close",
                            "camera.status", "unit.teleport", ""])
arg_names = st.sampled_from(["kind", "priority", "lon", "lat", "unit_id", "incident_id", "status", "disposition",
                             "disposition_note", "heading", "speed", "camera_id", "online", "address", "note", "junk"])
arg_values = st.one_of(json_scalars, st.sampled_from(["P-01", "I1", "available", "busy", "onscene", "fire", "REPORT"]),
                       st.floats(-200, 200), st.integers(-2, 8))


def _valid_number(value, low, high) -> bool:
    return (not isinstance(value, bool) and isinstance(value, (int, float)) and math.isfinite(value)
            and low <= value <= high)


def shape_valid(cmd: str, args: dict) -> bool:
    """An oracle written from the protocol table, independent of the server's code."""
    def text(name, required=True):
        value = args.get(name)
        return (value is None and not required) or (isinstance(value, str) and (not required or value.strip() != ""))
    coords = _valid_number(args.get("lon"), -180, 180) and _valid_number(args.get("lat"), -90, 90)
    if cmd == "incident.create":
        allowed = {"kind", "priority", "lon", "lat", "address", "note", "incident_id"}
        priority = args.get("priority")
        return (set(args) <= allowed and text("kind") and coords and isinstance(priority, int)
                and not isinstance(priority, bool) and 1 <= priority <= 5
                and text("address", False) and text("note", False) and text("incident_id", False))
    if cmd == "unit.position":
        allowed = {"unit_id", "lon", "lat", "heading", "speed", "ts"}
        return set(args) <= allowed and text("unit_id") and coords and (
            args.get("heading") is None or _valid_number(args["heading"], 0, 360)) and (
            args.get("speed") is None or _valid_number(args["speed"], 0, 300))
    if cmd == "unit.status":
        return set(args) <= {"unit_id", "status"} and args.get("status") in (
            "available", "dispatched", "enroute", "onscene", "busy", "offduty")
    if cmd == "unit.assign":
        return set(args) <= {"unit_id", "incident_id"} and text("unit_id") and text("incident_id")
    if cmd == "incident.close":
        note = args.get("disposition_note")
        return (set(args) <= {"incident_id", "disposition", "disposition_note"} and text("incident_id")
                and args.get("disposition") in DEMO_DISPOSITIONS
                and (note is None or (isinstance(note, str) and len(note) <= 1000)))
    if cmd == "camera.status":
        return set(args) <= {"camera_id", "online"} and isinstance(args.get("online"), bool)
    return False
