"""Units (patrol cars, foot patrols, ...) with live positions, status, heading and a short trail."""
from __future__ import annotations

from datetime import datetime
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
        # When the unit's last position goes stale (epoch s; NaN: it never does), from CoT's `stale`
        "pos_stale": (np.float64, np.nan),
    }

    def __init__(self):
        super().__init__()
        self.highlighted = np.empty(0, dtype=bool)
        self._reset_trails(0)

    def _convert(self, column, value):
        if column == "status":
            return STATUS_CODE[value] if isinstance(value, str) else value
        if column == "pos_stale" and not isinstance(value, float):
            return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp() if value else np.nan
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

    def update_positions(self, feature_ids: Iterable[str], lon, lat, heading=None, crs: str = crs_lib.WGS84,
                         stale=None) -> None:
        """Move units (arrays in the order of `feature_ids`); heading in degrees clockwise from north;
        `stale` the RFC 3339 times the positions go stale (None: never)."""
        rows = self.rows(feature_ids)
        if stale is not None:
            self.data["pos_stale"][rows] = [self._convert("pos_stale", value) for value in stale]
        lon, lat = crs_lib.to_wgs84(np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64), crs)
        self.lon[rows], self.lat[rows] = lon, lat
        self.x[rows], self.y[rows] = crs_lib.wgs84_to_mercator(lon, lat)
        if heading is not None:
            self.data["heading"][rows] = heading
        self._push_trails(rows)
        self._index = None
        self._changed(Change(True))

    def stale(self, rows: np.ndarray, now: float) -> np.ndarray:
        """Which of these rows' positions were stale at `now` (the console's one clock)."""
        return self.data["pos_stale"][rows] <= now

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
        along them up to where it is now (a replay's seek); units not named keep theirs.

        Worked on all units at once, point by point (a replay's seek brings 500 units' last minutes:
        a loop over units and points held the GUI for 40 ms)."""
        named = [(self._rows[str(u)], points) for u, points in positions.items() if points and str(u) in self._rows]
        if not named:
            return
        rows = np.array([row for row, _ in named], dtype=np.int64)
        width = max(len(points) for _, points in named) + 1  # and where the unit is now
        lon = np.full((len(named), width), np.nan)
        lat = np.full((len(named), width), np.nan)
        for i, (_, points) in enumerate(named):
            lon[i, :len(points)], lat[i, :len(points)] = np.array(points, dtype=np.float64).T
        x, y = crs_lib.wgs84_to_mercator(lon.ravel(), lat.ravel())
        x, y = np.asarray(x).reshape(lon.shape), np.asarray(y).reshape(lat.shape)
        counts = np.array([len(points) for _, points in named])
        ends = np.arange(len(named))
        x[ends, counts], y[ends, counts] = self.x[rows], self.y[rows]
        # A point is kept when it is TRAIL_MIN_STEP_M from the last one kept (as `_push_trails` keeps them).
        keep = np.zeros(x.shape, dtype=bool)
        keep[:, 0] = True
        last_x, last_y = x[:, 0].copy(), y[:, 0].copy()
        for k in range(1, width):
            step = (x[:, k] - last_x) ** 2 + (y[:, k] - last_y) ** 2 >= TRAIL_MIN_STEP_M ** 2  # NaN: False
            keep[:, k] = step
            last_x, last_y = np.where(step, x[:, k], last_x), np.where(step, y[:, k], last_y)
        # The kept points to the front, in order; the newest TRAIL_LENGTH of them.
        order = np.argsort(~keep, axis=1, kind="stable")
        kept_x, kept_y = np.take_along_axis(x, order, axis=1), np.take_along_axis(y, order, axis=1)
        n = keep.sum(axis=1)
        first = np.maximum(n - TRAIL_LENGTH, 0)
        take = first[:, None] + np.arange(TRAIL_LENGTH)
        valid = take < n[:, None]
        take = np.minimum(take, width - 1)
        self.trail_x[rows] = np.where(valid, np.take_along_axis(kept_x, take, axis=1), np.nan)
        self.trail_y[rows] = np.where(valid, np.take_along_axis(kept_y, take, axis=1), np.nan)
        self.trail_head[rows] = np.minimum(n, TRAIL_LENGTH) % TRAIL_LENGTH
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
