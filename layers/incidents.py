"""Incidents: priority 1 (most urgent) to 5, status, and when they were created."""
from __future__ import annotations

from datetime import datetime

import numpy as np

from dispatch.domain import INCIDENT_STATUSES
from layers import crs as crs_lib
from layers import style
from layers.points import PointLayer

STATUS_CODE = {status: code for code, status in enumerate(INCIDENT_STATUSES)}
CLOSED = STATUS_CODE["closed"]


def parse_timestamp(value) -> float:
    """RFC 3339 text (or epoch seconds) to epoch seconds; NaN when missing."""
    if value is None or value == "":
        return np.nan
    if isinstance(value, (int, float, np.number)):
        return float(value)
    return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()


class IncidentLayer(PointLayer):
    """Incidents keyed by incident_id. Closed incidents stay in the model (heatmaps count them) but are not drawn."""

    name = "incidents"
    title = "Incidents"
    id_field = "incident_id"
    columns = {
        "kind": (object, ""),
        "priority": (np.int8, 3),
        "status": (np.int8, STATUS_CODE["new"]),
        "created_ts": (np.float64, np.nan),
        "grid_id": (object, None),
        "address": (object, ""),
        "units": (object, ()),
    }

    def _convert(self, column, value):
        if column == "status":
            return STATUS_CODE[value] if isinstance(value, str) else value
        if column == "created_ts":
            return parse_timestamp(value)
        if column == "units":
            return tuple(value or ())
        return value

    def set_arrays(self, ids, lon, lat, crs: str = crs_lib.WGS84, **columns) -> None:
        if "status" in columns:
            columns["status"] = [self._convert("status", v) for v in columns["status"]]
        created = columns.get("created_ts")
        if created is not None and not np.issubdtype(np.asarray(created).dtype, np.number):
            columns["created_ts"] = [parse_timestamp(v) for v in created]
        super().set_arrays(ids, lon, lat, crs=crs, **columns)

    def record(self, row: int) -> dict:
        out = super().record(row)
        out["status"] = INCIDENT_STATUSES[out["status"]]
        out["units"] = list(out["units"])
        return out

    def drawn(self) -> np.ndarray:
        return self.data["status"] != CLOSED

    def created_between(self, start_ts: float, end_ts: float) -> np.ndarray:
        """Mask of incidents created in [start_ts, end_ts] (epoch seconds), closed ones included."""
        created = self.data["created_ts"]
        return (created >= start_ts) & (created <= end_ts)

    def legend(self):
        return [(f"P{p}", color) for p, color in style.INCIDENT_PRIORITY_COLORS.items()]
