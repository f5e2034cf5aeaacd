"""Possible duplicates: same kind, within 150 m and 15 minutes of an open incident."""
from __future__ import annotations

from datetime import datetime, timezone

from dispatch.duplicates import possible_duplicates

NOW = 1_800_000_000.0
LON, LAT = 24.9400, 60.1695  # Mannerheimintie 5
METRE_LON = 1 / (111_320 * 0.4965)  # degrees of longitude per metre at 60.17 N


def _iso(t: float) -> str:
    return datetime.fromtimestamp(t, timezone.utc).isoformat().replace("+00:00", "Z")


def _incident(incident_id, kind="fire", east_m=0.0, minutes_ago=4.0, status="new"):
    return {"incident_id": incident_id, "kind": kind, "status": status, "lon": LON + east_m * METRE_LON,
            "lat": LAT, "created_ts": _iso(NOW - minutes_ago * 60)}


def test_an_open_incident_of_the_same_kind_close_by_and_recent_is_flagged():
    incidents = {i["incident_id"]: i for i in (_incident("I12", east_m=80), _incident("I13", east_m=20))}
    found = possible_duplicates(incidents, "fire", LON, LAT, NOW)
    assert [d.incident_id for d in found] == ["I13", "I12"]
    assert abs(found[1].distance_m - 80) < 1 and abs(found[1].age_s - 240) < 1


def test_other_kinds_far_old_or_closed_incidents_are_not_duplicates():
    incidents = {i["incident_id"]: i for i in (
        _incident("I1", kind="theft"), _incident("I2", east_m=160), _incident("I3", minutes_ago=16),
        _incident("I4", status="closed"), _incident("I5", east_m=140, minutes_ago=14))}
    assert [d.incident_id for d in possible_duplicates(incidents, "fire", LON, LAT, NOW)] == ["I5"]
