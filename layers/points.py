"""Point layers as columns: ids, WGS84 and Web Mercator positions, and one numpy array per attribute.

A layer declares the coordinate system its positions arrive in (WGS84, CGCS2000, GCJ-02, BD-09 or any
PROJ CRS); everything is converted to WGS84 and Web Mercator once, on the way in.
"""
from __future__ import annotations

from typing import Any, Iterable, Mapping

import numpy as np

from dispatch.domain import CAMERA_STATES
from layers import crs as crs_lib
from layers import style
from layers.model import Change, LayerModel
from layers.spatial import PointIndex

CAMERA_STATE_CODE = {state: code for code, state in enumerate(CAMERA_STATES)}

Records = Mapping[str, Mapping[str, Any]] | Iterable[Mapping[str, Any]]


class PointLayer(LayerModel):
    """Point features keyed by a string id.

    Subclasses name their id field and declare attribute columns as {column: (numpy dtype, default)}.
    `set_records` replaces everything, `upsert` adds or replaces some features, `remove` drops some;
    each tells listeners what it touched.
    """

    id_field = "id"
    columns: dict[str, tuple[Any, Any]] = {}

    def __init__(self):
        super().__init__()
        self.ids = np.empty(0, dtype=object)
        self.lon = np.empty(0)
        self.lat = np.empty(0)
        self.x = np.empty(0)
        self.y = np.empty(0)
        self.data: dict[str, np.ndarray] = {c: np.empty(0, dtype=d) for c, (d, _) in self.columns.items()}
        self._rows: dict[str, int] = {}
        self._index: PointIndex | None = None
        self._all = np.empty(0, dtype=bool)

    def __len__(self) -> int:
        return len(self.ids)

    # --- reading ---------------------------------------------------------------------------

    def row(self, feature_id: str) -> int | None:
        return self._rows.get(str(feature_id))

    def rows(self, feature_ids: Iterable[str]) -> np.ndarray:
        """Row numbers of these ids (KeyError naming the first unknown id)."""
        if isinstance(feature_ids, np.ndarray) and len(feature_ids) == len(self.ids) and len(feature_ids) \
                and np.array_equal(feature_ids, self.ids):
            return np.arange(len(self.ids))  # every feature, in row order: the usual shape of a bulk update
        rows = self._rows
        try:
            return np.fromiter((rows[str(i)] for i in feature_ids), dtype=np.int64)
        except KeyError as exc:
            raise KeyError(f"{self.name}: no feature {exc.args[0]!r}") from None

    def record(self, row: int) -> dict[str, Any]:
        """One feature as a plain dict (for tooltips, drags and the console)."""
        out = {self.id_field: self.ids[row], "lon": float(self.lon[row]), "lat": float(self.lat[row])}
        for column, values in self.data.items():
            value = values[row]
            out[column] = value.item() if isinstance(value, np.generic) else value
        return out

    def drawn(self) -> np.ndarray:
        """Mask of the features the map draws (all, unless a subclass hides some, e.g. closed incidents)."""
        if len(self._all) != len(self.ids):
            self._all = np.ones(len(self.ids), dtype=bool)
        return self._all

    @property
    def index(self) -> PointIndex:
        """A bucket index over the Web Mercator positions, built on first use after each change."""
        if self._index is None:
            self._index = PointIndex(self.x, self.y)
        return self._index

    def bounds(self) -> tuple[float, float, float, float] | None:
        """(xmin, ymin, xmax, ymax) in Web Mercator, or None when empty."""
        if not len(self.x):
            return None
        return float(self.x.min()), float(self.y.min()), float(self.x.max()), float(self.y.max())

    def nearest(self, x: float, y: float, radius: float, mask: np.ndarray | None = None) -> int | None:
        """The row nearest to (x, y) within `radius` metres among drawn features, or None."""
        candidates = self.index.query(x - radius, y - radius, x + radius, y + radius)
        drawn = self.drawn() if mask is None else mask
        candidates = candidates[drawn[candidates]]
        if not len(candidates):
            return None
        d2 = (self.x[candidates] - x) ** 2 + (self.y[candidates] - y) ** 2
        best = int(np.argmin(d2))
        return int(candidates[best]) if d2[best] <= radius * radius else None

    # --- writing ---------------------------------------------------------------------------

    def set_records(self, records: Records, crs: str = crs_lib.WGS84) -> None:
        """Replace every feature. Records are dicts with the id field, "lon", "lat" and any columns."""
        records = _as_list(records)
        ids = np.array([str(r[self.id_field]) for r in records], dtype=object)
        lon = np.array([float(r["lon"]) for r in records], dtype=np.float64)
        lat = np.array([float(r["lat"]) for r in records], dtype=np.float64)
        columns = {c: [self._convert(c, r.get(c, default)) for r in records] for c, (_, default) in self.columns.items()}
        self.set_arrays(ids, lon, lat, crs=crs, **columns)

    def set_arrays(self, ids, lon, lat, crs: str = crs_lib.WGS84, **columns) -> None:
        """Replace every feature from arrays: the fast way in for large layers."""
        ids = np.asarray([str(i) for i in ids], dtype=object)
        lon, lat = crs_lib.to_wgs84(np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64), crs)
        self.ids, self.lon, self.lat = ids, np.atleast_1d(lon), np.atleast_1d(lat)
        self.x, self.y = (np.atleast_1d(v) for v in crs_lib.wgs84_to_mercator(self.lon, self.lat))
        n = len(ids)
        for column, (dtype, default) in self.columns.items():
            values = columns.get(column)
            if values is None:
                values = [default] * n
            self.data[column] = _column(values, dtype, n)
        unknown = set(columns) - set(self.columns)
        if unknown:
            raise ValueError(f"{self.name}: unknown columns {sorted(unknown)}")
        self._rows = dict(zip(ids.tolist(), range(n)))
        if len(self._rows) != n:
            raise ValueError(f"{self.name}: duplicate ids")
        self._index = None
        self._changed(Change(True))

    def upsert(self, records: Records, crs: str = crs_lib.WGS84) -> None:
        """Add features, or replace those whose id exists (fields a record lacks keep their value)."""
        records = _as_list(records)
        if not records:
            return
        lon, lat = crs_lib.to_wgs84(
            np.array([float(r["lon"]) for r in records]), np.array([float(r["lat"]) for r in records]), crs
        )
        x, y = crs_lib.wgs84_to_mercator(lon, lat)
        touched_x, touched_y = [x], [y]
        new = [i for i, r in enumerate(records) if str(r[self.id_field]) not in self._rows]
        if new:
            self._append(records, new, lon, lat, x, y)
        is_new = set(new)
        old = [i for i in range(len(records)) if i not in is_new]
        if old:
            rows = self.rows(str(records[i][self.id_field]) for i in old)
            touched_x.append(self.x[rows])
            touched_y.append(self.y[rows])
            self.lon[rows], self.lat[rows], self.x[rows], self.y[rows] = lon[old], lat[old], x[old], y[old]
            for i, row in zip(old, rows):
                for column in self.columns:
                    if column in records[i]:
                        self.data[column][row] = self._convert(column, records[i][column])
        self._index = None
        self._changed(Change.at(np.concatenate(touched_x), np.concatenate(touched_y)))

    def remove(self, feature_ids: Iterable[str]) -> None:
        rows = self.rows(feature_ids)
        if not len(rows):
            return
        touched = Change.at(self.x[rows], self.y[rows])
        keep = np.ones(len(self.ids), dtype=bool)
        keep[rows] = False
        self._take(keep)
        self._changed(touched)

    def _append(self, records, new: list[int], lon, lat, x, y) -> None:
        n = len(new)
        self.ids = np.concatenate([self.ids, np.array([str(records[i][self.id_field]) for i in new], dtype=object)])
        self.lon, self.lat = np.concatenate([self.lon, lon[new]]), np.concatenate([self.lat, lat[new]])
        self.x, self.y = np.concatenate([self.x, x[new]]), np.concatenate([self.y, y[new]])
        for column, (dtype, default) in self.columns.items():
            values = [self._convert(column, records[i].get(column, default)) for i in new]
            self.data[column] = np.concatenate([self.data[column], _column(values, dtype, n)])
        start = len(self._rows)
        self._rows.update({self.ids[start + k]: start + k for k in range(n)})
        self._appended(n)

    def _appended(self, n: int) -> None:
        """Hook for subclasses with per-feature state beyond the columns (e.g. unit trails)."""

    def _take(self, keep: np.ndarray) -> None:
        self.ids, self.lon, self.lat, self.x, self.y = (a[keep] for a in (self.ids, self.lon, self.lat, self.x, self.y))
        self.data = {c: v[keep] for c, v in self.data.items()}
        self._rows = {feature_id: row for row, feature_id in enumerate(self.ids)}
        self._index = None

    def _convert(self, column: str, value):
        """Turn a record's value into the column's stored form (subclasses map e.g. status names to codes)."""
        return value


def _as_list(records: Records) -> list[Mapping[str, Any]]:
    return list(records.values()) if isinstance(records, Mapping) else list(records)


def _column(values, dtype, n: int) -> np.ndarray:
    if dtype is object:
        array = np.empty(n, dtype=object)
        array[:] = list(values) if not isinstance(values, np.ndarray) else values
        return array
    return np.array(values, dtype=dtype).reshape(n)  # a copy the layer owns: pandas hands out read-only views


class CameraLayer(PointLayer):
    """Cameras: their last observed state (online, offline, unknown), and a view direction and field of
    view where known. A camera nobody has reported on is unknown: a city pack's `online` column is not
    read, since it is not an observation."""

    name = "cameras"
    title = "Cameras"
    id_field = "camera_id"
    columns = {
        "name": (object, ""),
        "kind": (object, "camera"),
        "stream_url": (object, ""),
        "state": (np.int8, CAMERA_STATE_CODE["unknown"]),
        "direction_deg": (np.float64, np.nan),
        "fov_deg": (np.float64, np.nan),
    }

    def _convert(self, column, value):
        if column == "state":
            return CAMERA_STATE_CODE[value] if isinstance(value, str) else value
        return value

    def record(self, row: int) -> dict[str, Any]:
        out = super().record(row)
        out["state"] = CAMERA_STATES[out["state"]]
        return out

    def set_arrays(self, ids, lon, lat, crs: str = crs_lib.WGS84, **columns) -> None:
        if "state" in columns:
            columns["state"] = [self._convert("state", s) for s in columns["state"]]
        super().set_arrays(ids, lon, lat, crs=crs, **columns)

    def set_states(self, feature_ids: Iterable[str], states) -> None:
        """Set cameras' observed states (`states`: one state name for all, or one per id)."""
        rows = self.rows(feature_ids)
        codes = CAMERA_STATE_CODE[states] if isinstance(states, str) else [CAMERA_STATE_CODE[s] for s in states]
        self.data["state"][rows] = codes
        self._changed(Change.at(self.x[rows], self.y[rows]))

    def legend(self):
        return [("online", style.CAMERA_ONLINE), ("offline", style.CAMERA_OFFLINE),
                ("unknown", style.CAMERA_UNKNOWN)]


class CheckpointLayer(PointLayer):
    """卡口 (bayonet: fixed ANPR vehicle checkpoint) and 卡点 (staffed checkpoint)."""

    name = "checkpoints"
    title = "Checkpoints"
    id_field = "checkpoint_id"
    columns = {"name": (object, ""), "kind": (object, "checkpoint")}

    def legend(self):
        return [("卡口 bayonet", style.CHECKPOINT_COLORS["bayonet"]),
                ("卡点 checkpoint", style.CHECKPOINT_COLORS["checkpoint"])]


class StationLayer(PointLayer):
    name = "stations"
    title = "Stations"
    id_field = "station_id"
    columns = {"name": (object, ""), "kind": (object, "")}

    def legend(self):
        return [("station", style.STATION_COLOR)]


def set_from_frame(layer: PointLayer, frame) -> None:
    """Fill a point layer from a city pack GeoDataFrame (EPSG:4326 Points, the layer's id and columns)."""
    columns = {c: frame[c].to_numpy() for c in layer.columns if c in frame.columns}
    layer.set_arrays(frame[layer.id_field].to_numpy(), frame.geometry.x.to_numpy(), frame.geometry.y.to_numpy(),
                     **columns)
