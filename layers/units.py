"""Units (patrol cars, foot patrols, ...) with live positions, status, heading and a short trail."""
from __future__ import annotations

from typing import Iterable

import numpy as np

from dispatch.domain import UNIT_STATUSES
from layers import crs as crs_lib
from layers import style
from layers.model import Change
from layers.points import PointLayer

STATUS_CODE = {status: code for code, status in enumerate(UNIT_STATUSES)}
TRAIL_LENGTH = 32
# A trail point is kept only after the unit moved this far (metres), so a parked unit has no trail.
TRAIL_MIN_STEP_M = 5.0


class UnitLayer(PointLayer):
    """Units keyed by unit_id. Built for bursts: `update_positions` moves thousands in one numpy step."""

    name = "units"
    title = "Units"
    id_field = "unit_id"
    columns = {
        "callsign": (object, ""),
        "kind": (object, ""),
        "station": (object, ""),
        "status": (np.int8, STATUS_CODE["available"]),
        "heading": (np.float64, np.nan),
        "speed": (np.float64, 0.0),
        "incident_id": (object, None),
    }

    def __init__(self):
        super().__init__()
        self.highlighted = np.empty(0, dtype=bool)
        self._reset_trails(0)

    def _convert(self, column, value):
        if column == "status":
            return STATUS_CODE[value] if isinstance(value, str) else value
        return value

    def record(self, row: int) -> dict:
        out = super().record(row)
        out["status"] = UNIT_STATUSES[out["status"]]
        return out

    def set_arrays(self, ids, lon, lat, crs: str = crs_lib.WGS84, **columns) -> None:
        if "status" in columns:
            columns["status"] = [self._convert("status", s) for s in columns["status"]]
        n = len(ids)
        self._reset_trails(n)
        self.highlighted = np.zeros(n, dtype=bool)
        super().set_arrays(ids, lon, lat, crs=crs, **columns)
        self._push_trails(np.arange(n))

    def _appended(self, n: int) -> None:
        self.highlighted = np.concatenate([self.highlighted, np.zeros(n, dtype=bool)])
        self.trail_x = np.vstack([self.trail_x, np.full((n, TRAIL_LENGTH), np.nan)])
        self.trail_y = np.vstack([self.trail_y, np.full((n, TRAIL_LENGTH), np.nan)])
        self.trail_head = np.concatenate([self.trail_head, np.zeros(n, dtype=np.int64)])
        self._push_trails(np.arange(len(self.ids) - n, len(self.ids)))

    def _take(self, keep: np.ndarray) -> None:
        super()._take(keep)
        self.highlighted = self.highlighted[keep]
        self.trail_x, self.trail_y, self.trail_head = self.trail_x[keep], self.trail_y[keep], self.trail_head[keep]

    def update_positions(self, feature_ids: Iterable[str], lon, lat, heading=None, crs: str = crs_lib.WGS84) -> None:
        """Move units (arrays in the order of `feature_ids`); heading in degrees clockwise from north."""
        rows = self.rows(feature_ids)
        lon, lat = crs_lib.to_wgs84(np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64), crs)
        self.lon[rows], self.lat[rows] = lon, lat
        self.x[rows], self.y[rows] = crs_lib.wgs84_to_mercator(lon, lat)
        if heading is not None:
            self.data["heading"][rows] = heading
        self._push_trails(rows)
        self._index = None
        self._changed(Change(True))

    def set_status(self, feature_id: str, status: str) -> None:
        row = self._rows[str(feature_id)]
        self.data["status"][row] = STATUS_CODE[status]
        self._changed(Change.at(self.x[row], self.y[row]))

    def highlight(self, feature_ids: Iterable[str]) -> None:
        """Mark these units (e.g. those recommended for an incident); an empty list clears the marks."""
        self.highlighted[:] = False
        rows = self.rows(i for i in feature_ids if str(i) in self._rows)
        self.highlighted[rows] = True
        self._changed(Change(True))

    def trails(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Trail points of these rows, oldest first: two (len(rows), TRAIL_LENGTH) arrays, NaN where empty."""
        order = (self.trail_head[rows, None] + np.arange(TRAIL_LENGTH)) % TRAIL_LENGTH
        return (np.take_along_axis(self.trail_x[rows], order, axis=1),
                np.take_along_axis(self.trail_y[rows], order, axis=1))

    def set_trails(self, positions: dict[str, list[tuple[float, float]]]) -> None:
        """Trails from each unit's earlier positions (WGS84, oldest first), as if it had been followed
        along them up to where it is now (a replay's seek); units not named keep theirs."""
        for unit_id, points in positions.items():
            row = self._rows.get(str(unit_id))
            if row is None or not points:
                continue
            lon, lat = np.array(points, dtype=np.float64).T
            x, y = crs_lib.wgs84_to_mercator(lon, lat)
            kept_x, kept_y = [x[0]], [y[0]]
            for px, py in zip(np.append(x[1:], self.x[row]), np.append(y[1:], self.y[row])):
                if (px - kept_x[-1]) ** 2 + (py - kept_y[-1]) ** 2 >= TRAIL_MIN_STEP_M ** 2:
                    kept_x.append(px)
                    kept_y.append(py)
            kept_x, kept_y = kept_x[-TRAIL_LENGTH:], kept_y[-TRAIL_LENGTH:]
            self.trail_x[row], self.trail_y[row] = np.nan, np.nan
            self.trail_x[row, :len(kept_x)], self.trail_y[row, :len(kept_y)] = kept_x, kept_y
            self.trail_head[row] = len(kept_x) % TRAIL_LENGTH
        self._changed(Change(True))

    def _reset_trails(self, n: int) -> None:
        self.trail_x = np.full((n, TRAIL_LENGTH), np.nan)
        self.trail_y = np.full((n, TRAIL_LENGTH), np.nan)
        self.trail_head = np.zeros(n, dtype=np.int64)  # the slot the next point goes into

    def _push_trails(self, rows: np.ndarray) -> None:
        last = (self.trail_head[rows] - 1) % TRAIL_LENGTH
        dx = self.x[rows] - self.trail_x[rows, last]
        dy = self.y[rows] - self.trail_y[rows, last]
        moved = ~(dx * dx + dy * dy < TRAIL_MIN_STEP_M ** 2)  # NaN (empty trail) counts as moved
        rows = rows[moved]
        head = self.trail_head[rows]
        self.trail_x[rows, head] = self.x[rows]
        self.trail_y[rows, head] = self.y[rows]
        self.trail_head[rows] = (head + 1) % TRAIL_LENGTH

    def legend(self):
        return [(status, style.UNIT_STATUS_COLORS[status]) for status in UNIT_STATUSES]
