"""The live state a namespace starts from: a city pack's units, cameras, checkpoints and grid cells."""
from __future__ import annotations

import math
import zoneinfo

from dispatch.commands import Centre
from dispatch.grid_cases import CaseRules
from dispatch.reducer import State, empty_state


def _num(value) -> float | None:
    return float(value) if value is not None and math.isfinite(value) else None


def centre_of(city) -> Centre:
    """The centre that numbers a city pack's incidents (city.json `centre_code`, `timezone`) and runs its grid
    cases (the pack's catalogue, departments, work calendar and grid areas)."""
    return Centre(city.meta["centre_code"], zoneinfo.ZoneInfo(city.meta["timezone"]), CaseRules.of_city(city))


def initial_state(city) -> State:
    """`city` is a layers.citypack.CityPack. Every unit starts available at its home position.

    Every camera starts unknown: the pack's `online` column says what someone once wrote down, not what
    anyone has observed (a camera's state is only ever an observation, see docs/protocol.md)."""
    state = empty_state()
    for row in city.units.itertuples(index=False):
        state["units"][row.unit_id] = {
            "unit_id": row.unit_id, "callsign": row.callsign, "kind": row.kind, "station": row.station,
            "status": "available", "incident_id": None, "lon": row.geometry.x, "lat": row.geometry.y,
            "heading": None, "speed": None, "pos_ts": None, "status_ts": None,
            "home_lon": row.geometry.x, "home_lat": row.geometry.y,
        }
    for row in city.cameras.itertuples(index=False):
        state["cameras"][row.camera_id] = {
            "camera_id": row.camera_id, "name": row.name, "kind": row.kind, "stream_url": row.stream_url,
            "online": False, "state": "unknown", "state_ts": None, "lon": row.geometry.x, "lat": row.geometry.y,
            "direction_deg": _num(row.direction_deg), "grid_id": city.grid_at(row.geometry.x, row.geometry.y),
        }
    for row in city.checkpoints.itertuples(index=False):
        state["checkpoints"][row.checkpoint_id] = {
            "checkpoint_id": row.checkpoint_id, "name": row.name, "kind": row.kind,
            "lon": row.geometry.x, "lat": row.geometry.y,
        }
    for row in city.grids.itertuples(index=False):
        state["grids"][row.grid_id] = {"grid_id": row.grid_id, "name": row.name}
    return state
