"""Possible duplicates: a second call about the same event should join the first incident, not start another.

A new incident of the same kind within DUPLICATE_RADIUS_M and DUPLICATE_WINDOW_S of an open incident is
flagged before it is created; the dispatcher decides (creating it anyway stays possible). No Qt here.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

DUPLICATE_RADIUS_M = 150.0
DUPLICATE_WINDOW_S = 15 * 60.0
_EARTH_RADIUS_M = 6_371_008.8


@dataclass(frozen=True)
class PossibleDuplicate:
    incident_id: str
    distance_m: float
    age_s: float  # how long ago it was created


def distance_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    return 2 * _EARTH_RADIUS_M * math.asin(math.sqrt(a))


def possible_duplicates(incidents: dict, kind: str, lon: float, lat: float, now: float) -> list[PossibleDuplicate]:
    """Open incidents of `kind` near (lon, lat) created within the window before `now` (epoch seconds),
    nearest first."""
    found = []
    for incident in incidents.values():
        if incident.get("status") == "closed" or incident.get("kind", "").casefold() != kind.casefold():
            continue
        created = incident.get("created_ts")
        if not created:
            continue
        age = now - datetime.fromisoformat(created.replace("Z", "+00:00")).timestamp()
        if not -60.0 <= age <= DUPLICATE_WINDOW_S:  # a minute of clock skew between server and console
            continue
        apart = distance_m(lon, lat, incident["lon"], incident["lat"])
        if apart <= DUPLICATE_RADIUS_M:
            found.append(PossibleDuplicate(incident["incident_id"], apart, max(age, 0.0)))
    return sorted(found, key=lambda d: (d.distance_m, d.incident_id))
