"""Polygon features flattened into ring arrays in Web Mercator, for drawing and picking."""
from __future__ import annotations

import numpy as np
import shapely

from layers import crs as crs_lib


def project_geometries(geometries, crs: str = crs_lib.WGS84) -> np.ndarray:
    """Shapely geometries in `crs` to the same geometries in Web Mercator metres."""
    def to_mercator(coords: np.ndarray) -> np.ndarray:
        lon, lat = crs_lib.to_wgs84(coords[:, 0], coords[:, 1], crs)
        return np.column_stack(crs_lib.wgs84_to_mercator(lon, lat))
    return shapely.transform(np.asarray(geometries, dtype=object), to_mercator)


class PolygonSet:
    """Polygons and multipolygons as flat arrays of rings.

    Ring r has coordinates coords[offsets[r]:offsets[r + 1]], belongs to feature ring_feature[r] and is
    an exterior ring when ring_exterior[r]. A feature's box is (xmin, ymin, xmax, ymax)[row].
    """

    def __init__(self, mercator_geometries: np.ndarray):
        self.geometries = np.asarray(mercator_geometries, dtype=object)
        n = len(self.geometries)
        parts, part_feature = shapely.get_parts(self.geometries, return_index=True)
        rings, ring_part = shapely.get_rings(parts, return_index=True)
        coords, coord_ring = shapely.get_coordinates(rings, return_index=True)
        self.coords = coords
        self.offsets = np.searchsorted(coord_ring, np.arange(len(rings) + 1))
        self.ring_feature = part_feature[ring_part] if len(rings) else np.empty(0, dtype=np.int64)
        first_ring_of_part = np.searchsorted(ring_part, np.arange(len(parts)))
        self.ring_exterior = np.zeros(len(rings), dtype=bool)
        self.ring_exterior[first_ring_of_part[first_ring_of_part < len(rings)]] = True
        boxes = shapely.bounds(self.geometries) if n else np.empty((0, 4))
        self.xmin, self.ymin, self.xmax, self.ymax = (boxes[:, i] for i in range(4))
        self.feature_rings = np.searchsorted(self.ring_feature, np.arange(n + 1))  # rings of a feature, contiguous
        label_points = shapely.point_on_surface(self.geometries) if n else np.empty(0, dtype=object)
        self.label_x, self.label_y = (shapely.get_x(label_points), shapely.get_y(label_points)) if n else (np.empty(0),) * 2
        self._tree = shapely.STRtree(self.geometries)

    def __len__(self) -> int:
        return len(self.geometries)

    def in_box(self, x0: float, y0: float, x1: float, y1: float) -> np.ndarray:
        """Rows whose bounding box meets the box."""
        return np.flatnonzero((self.xmax >= x0) & (self.xmin <= x1) & (self.ymax >= y0) & (self.ymin <= y1))

    def at(self, x: float, y: float) -> int | None:
        """The first feature (lowest row) that contains or touches (x, y), or None."""
        hits = self._tree.query(shapely.Point(x, y), predicate="intersects")
        return int(hits.min()) if len(hits) else None

    def bounds(self) -> tuple[float, float, float, float] | None:
        if not len(self):
            return None
        return float(self.xmin.min()), float(self.ymin.min()), float(self.xmax.max()), float(self.ymax.max())
