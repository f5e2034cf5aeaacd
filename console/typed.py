"""The dispatcher's command line: typed actions for people faster on the keyboard than the mouse.

    assign P-03 I12          派 P-03 I12
    status P-03 enroute      状态 P-03 enroute
    close I12 REPORT [note...]   结案 I12 REPORT     (asks to confirm; `close I12` opens the close dialog)
    new fire 1 @Mannerheimintie [note...]     新建 fire 1 24.9435,60.1699
    find P-03 | I12 | Mannerheimintie | camera name      查找 ...

Units are named by callsign or id, case-insensitively. No Qt here; the main window runs the result.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from dispatch.domain import UNIT_STATUSES
from dispatch.procedures import DEFAULT_DISPOSITIONS

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


class StreetIndex:
    """Street names of a city pack, each placed at the middle of its segments."""

    def __init__(self, streets):
        self.places: dict[str, tuple[str, float, float]] = {}
        named = streets[streets["name"].notna() & (streets["name"] != "")]
        for name, group in named.groupby("name"):
            points = np.array([line.interpolate(0.5, normalized=True).coords[0] for line in group.geometry])
            centre = points.mean(axis=0)
            nearest = points[np.argmin(((points - centre) ** 2).sum(axis=1))]  # on the street, not beside it
            self.places[str(name).casefold()] = (str(name), float(nearest[0]), float(nearest[1]))

    def names(self) -> list[str]:
        return sorted(name for name, _, _ in self.places.values())

    def find(self, text: str) -> tuple[str, float, float] | None:
        key = text.strip().casefold()
        if not key:
            return None
        if key in self.places:
            return self.places[key]
        for candidates in ([v for k, v in self.places.items() if k.startswith(key)],
                           [v for k, v in self.places.items() if key in k]):
            if candidates:
                return min(candidates, key=lambda place: len(place[0]))
        return None


def _unit_id(state: dict, word: str) -> str:
    key = word.casefold()
    for unit in state["units"].values():
        if unit["unit_id"].casefold() == key or (unit.get("callsign") or "").casefold() == key:
            return unit["unit_id"]
    raise TypedError(f"no unit {word}")


def _incident_id(state: dict, word: str) -> str:
    for incident_id in state["incidents"]:
        if incident_id.casefold() == word.casefold():
            return incident_id
    raise TypedError(f"no incident {word}")


def parse(line: str, state: dict, streets: StreetIndex | None, dispositions=DEFAULT_DISPOSITIONS) -> Typed:
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
        return _parse_new(rest, streets)
    return _parse_find(" ".join(rest), state, streets)


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


def _parse_new(rest: list[str], streets: StreetIndex | None) -> Typed:
    if len(rest) < 3 or not rest[1].isdigit() or not 1 <= int(rest[1]) <= 5:
        raise TypedError("new KIND PRIORITY(1-5) LON,LAT|@STREET [note]")
    kind, priority, where = rest[0], int(rest[1]), rest[2:]
    match = _COORDS.match(where[0])
    if match:
        lon, lat = float(match.group(1)), float(match.group(2))
        address, note = None, " ".join(where[1:]) or None
    elif where[0].startswith("@"):
        words = [where[0][1:], *where[1:]]
        for end in range(len(words), 0, -1):  # the longest run of words naming a street; the rest is the note
            place = streets.find(" ".join(words[:end])) if streets else None
            if place is not None:
                break
        else:
            raise TypedError(f"no street called {' '.join(words)}")
        address, lon, lat = place
        note = " ".join(words[end:]) or None
    else:
        raise TypedError("give the place as LON,LAT or @STREET")
    args = {"kind": kind, "priority": priority, "lon": lon, "lat": lat}
    if address:
        args["address"] = address
    if note:
        args["note"] = note
    return Typed("cmd", "incident.create", args)


def _parse_find(text: str, state: dict, streets: StreetIndex | None) -> Typed:
    if not text:
        raise TypedError("find UNIT|INCIDENT|STREET|CAMERA")
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
    place = streets.find(text) if streets else None
    if place is not None:
        return Typed("find", target=("point", f"{place[1]},{place[2]}"))
    raise TypedError(f"nothing called {text}")
