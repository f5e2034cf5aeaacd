"""The dispatcher's command line: typed actions for people faster on the keyboard than the mouse.

    assign P-03 I12          派 P-03 I12
    status P-03 enroute      状态 P-03 enroute
    close I12 REPORT [note...]   结案 I12 REPORT     (asks to confirm; `close I12` opens the close dialog)
    new fire 1 @Mannerheimintie 5 [note...]   新建 fire 1 24.9435,60.1699
    find P-03 | I12 | Mannerheimintie 5 | Ateneum | Mannerheimintie & Kaivokatu | camera name      查找 ...

Units are named by callsign or id, case-insensitively. No Qt here; the main window runs the result.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from dispatch.domain import UNIT_STATUSES
from dispatch.procedures import DEFAULT_DISPOSITIONS
from layers.geocode import Geocoder, NoSuchPlace, Place

VERBS = {
    "assign": "assign", "a": "assign", "派": "assign", "派遣": "assign",
    "status": "status", "s": "status", "状态": "status",
    "close": "close", "c": "close", "结案": "close",
    "new": "new", "n": "new", "新建": "new",
    "find": "find", "f": "find", "查找": "find",
}
_COORDS = re.compile(r"^(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)$")


class TypedError(ValueError):
    pass


@dataclass(frozen=True)
class Typed:
    action: str  # "cmd" (send to the server), "find" (show on the map) or "close_dialog" (ask for the disposition)
    cmd: str = ""
    args: dict[str, Any] | None = None
    target: tuple[str, str] | None = None  # (layer, id), or ("point", "lon,lat") for find
    confirm: bool = False  # send only once the dispatcher confirms (closing an incident)
    place: Place | None = None  # new: where the typed place resolved, to show before it is sent


def _unit_id(state: dict, word: str) -> str:
    key = word.casefold()
    for unit in state["units"].values():
        if unit["unit_id"].casefold() == key or (unit.get("callsign") or "").casefold() == key:
            return unit["unit_id"]
    raise TypedError(f"no unit {word}")


def _incident_id(state: dict, word: str) -> str:
    """An incident by its full id, by today's number (7 or 0007 for DEMO-261202-0007) or by any unique
    end of its id (02-0007, I1124). Today is the day of the last numbered incident (the state's counter)."""
    key = word.casefold()
    incidents = state["incidents"]
    for incident_id in incidents:
        if incident_id.casefold() == key:
            return incident_id
    if word.isascii() and word.isdigit():
        today = state.get("counters", {}).get("incidents", {}).get("day")
        for incident_id, incident in incidents.items():
            if incident.get("number") == int(word) and incident.get("day") == today:
                return incident_id
    matches = sorted(incident_id for incident_id in incidents if incident_id.casefold().endswith(key))
    if len(matches) == 1:
        return matches[0]
    if matches:
        shown = ", ".join(matches[:5]) + (f" and {len(matches) - 5} more" if len(matches) > 5 else "")
        raise TypedError(f"{word} could be {shown}: type more of the id")
    raise TypedError(f"no incident {word}")


def parse(line: str, state: dict, geocoder: Geocoder | None, dispositions=DEFAULT_DISPOSITIONS) -> Typed:
    words = line.split()
    if not words:
        raise TypedError("type a command: assign, status, close, new, find")
    verb = VERBS.get(words[0].casefold())
    if verb is None:
        raise TypedError(f"unknown command {words[0]}: use assign, status, close, new, find")
    rest = words[1:]
    if verb == "assign":
        if len(rest) != 2:
            raise TypedError("assign UNIT INCIDENT")
        return Typed("cmd", "unit.assign", {"unit_id": _unit_id(state, rest[0]),
                                            "incident_id": _incident_id(state, rest[1])})
    if verb == "status":
        if len(rest) != 2 or rest[1].casefold() not in UNIT_STATUSES:
            raise TypedError(f"status UNIT ({'|'.join(UNIT_STATUSES)})")
        return Typed("cmd", "unit.status", {"unit_id": _unit_id(state, rest[0]), "status": rest[1].casefold()})
    if verb == "close":
        return _parse_close(rest, state, dispositions)
    if verb == "new":
        return _parse_new(rest, geocoder)
    return _parse_find(" ".join(rest), state, geocoder)


def _parse_close(rest: list[str], state: dict, dispositions) -> Typed:
    if not rest:
        raise TypedError("close INCIDENT [DISPOSITION [note]]")
    incident_id = _incident_id(state, rest[0])
    if len(rest) == 1:
        return Typed("close_dialog", target=("incidents", incident_id))
    codes = {d["code"].casefold(): d["code"] for d in dispositions}
    code = codes.get(rest[1].casefold())
    if code is None:
        raise TypedError(f"unknown disposition {rest[1]}: use one of {', '.join(d['code'] for d in dispositions)}")
    args = {"incident_id": incident_id, "disposition": code}
    if rest[2:]:
        args["disposition_note"] = " ".join(rest[2:])
    return Typed("cmd", "incident.close", args, target=("incidents", incident_id), confirm=True)


def _parse_new(rest: list[str], geocoder: Geocoder | None) -> Typed:
    # A kind may be several words ("traffic accident"): it runs up to the priority, a number 1-5.
    at = next((i for i, w in enumerate(rest) if i > 0 and w.isdigit() and 1 <= int(w) <= 5), None)
    if at is None or at + 1 >= len(rest):
        raise TypedError("new KIND PRIORITY(1-5) LON,LAT|@PLACE [note]")
    kind, priority, where = " ".join(rest[:at]), int(rest[at]), rest[at + 1:]
    match = _COORDS.match(where[0])
    place = None
    if match:
        lon, lat = float(match.group(1)), float(match.group(2))
        address, note = None, " ".join(where[1:]) or None
    elif where[0].startswith("@"):
        words = [where[0][1:], *where[1:]]
        place, end = _longest_place(words, geocoder)
        address, lon, lat = place.label, place.lon, place.lat
        note = " ".join(words[end:]) or None
    else:
        raise TypedError("give the place as LON,LAT or @PLACE")
    args = {"kind": kind, "priority": priority, "lon": lon, "lat": lat}
    if address:
        args["address"] = address
    if note:
        args["note"] = note
    return Typed("cmd", "incident.create", args, place=place)


def _longest_place(words: list[str], geocoder: Geocoder | None):
    """The place named by the longest run of leading words (the rest is the note), and where that run ends.

    Text that names no place is refused with the closest names: it is never moved into the note."""
    if geocoder is None:
        raise TypedError("no city loaded: give the place as LON,LAT")
    for end in range(len(words), 0, -1):
        try:
            return geocoder.resolve(" ".join(words[:end])), end
        except NoSuchPlace:
            continue
    raise TypedError(str(NoSuchPlace(" ".join(words), geocoder.suggestions(" ".join(words)))))


def _parse_find(text: str, state: dict, geocoder: Geocoder | None) -> Typed:
    if not text:
        raise TypedError("find UNIT|INCIDENT|PLACE|CAMERA")
    try:
        return Typed("find", target=("units", _unit_id(state, text)))
    except TypedError:
        pass
    try:
        return Typed("find", target=("incidents", _incident_id(state, text)))
    except TypedError:
        pass
    key = text.casefold()
    for camera in state["cameras"].values():
        if camera["camera_id"].casefold() == key or (camera.get("name") or "").casefold() == key:
            return Typed("find", target=("cameras", camera["camera_id"]))
    if geocoder is None:
        raise TypedError(f"nothing called {text}")
    try:
        place = geocoder.resolve(text)
    except NoSuchPlace as missing:
        hint = f": closest {', '.join(missing.suggestions)}" if missing.suggestions else ""
        raise TypedError(f"nothing called {text}{hint}") from None
    return Typed("find", target=("point", f"{place.lon},{place.lat}"))
