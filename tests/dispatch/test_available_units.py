"""The nearest available units a hit names (dispatch.nearby.AvailableUnits) against the straight reading of
the rule, over a state that changes between queries as a ledger's does (records replaced, never edited)."""
from __future__ import annotations

import heapq
import math
import random

from dispatch.nearby import AvailableUnits


def reference(units: dict, lon: float, lat: float, count: int) -> list[str]:
    scale = math.cos(math.radians(lat))
    return [unit_id for _, unit_id in heapq.nsmallest(count, (
        (((u["lon"] - lon) * scale) ** 2 + (u["lat"] - lat) ** 2, unit_id) for unit_id, u in units.items()
        if u.get("status") == "available" and u.get("lon") is not None and u.get("lat") is not None))]


def test_the_nearest_available_units_follow_every_change_of_the_state():
    rng = random.Random(3)
    # a coarse grid of positions, so that ties in distance happen and go by id
    spot = lambda: (24.90 + rng.randrange(20) * 0.002, 60.16 + rng.randrange(20) * 0.001)  # noqa: E731
    units = {f"U{n:03d}": {"unit_id": f"U{n:03d}", "status": "available", "lon": spot()[0], "lat": spot()[1]}
             for n in range(300)}
    index = AvailableUnits()
    for step in range(400):
        unit_id = rng.choice(sorted(units))
        change = rng.random()
        if change < 0.5:
            lon, lat = spot()
            units[unit_id] = {**units[unit_id], "lon": lon, "lat": lat}
        elif change < 0.8:
            units[unit_id] = {**units[unit_id], "status": rng.choice(["available", "dispatched", "busy"])}
        elif change < 0.9:
            units[unit_id] = {**units[unit_id], "lon": None, "lat": None}
        else:
            units[f"N{step}"] = {"unit_id": f"N{step}", "status": "available", "lon": spot()[0], "lat": spot()[1]}
        lon, lat = spot()
        count = rng.choice([0, 1, 3, 10])
        assert index.nearest(units, lon, lat, count) == reference(units, lon, lat, count), step
    assert index.nearest({}, 24.9, 60.1, 3) == []
