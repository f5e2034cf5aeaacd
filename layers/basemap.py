"""The vector basemap: streets as line segments by class, and land-use areas, in Web Mercator.

Streets are cut into segments no longer than MAX_SEGMENT_M, so a box query on segment midpoints widened
by half that length finds every segment crossing the box.
"""
from __future__ import annotations

import numpy as np
import shapely

from layers import crs as crs_lib
from layers import style
from layers.model import Change, LayerModel
from layers.polygons import PolygonSet, project_geometries
from layers.spatial import PointIndex

MAX_SEGMENT_M = 200.0
SERVICE_CLASS = len(style.STREET_CLASSES) - 1


def highway_value(highway) -> str:
    """One OSM highway value: the first of a list (OSM extracts sometimes give lists), "" for none."""
    if isinstance(highway, (list, tuple, np.ndarray)):
        return str(highway[0]) if len(highway) else ""
    return "" if highway is None or highway != highway else str(highway)


def street_class(highway: str) -> int:
    """The drawing class of an OSM highway value."""
    return style.HIGHWAY_CLASS.get(highway, SERVICE_CLASS)


class Basemap(LayerModel):
    """Streets and areas of a city, drawn under everything else."""

    name = "basemap"
    title = "Streets"

    def __init__(self):
        super().__init__()
        self.set_streets(np.empty(0, dtype=object), [], [])
        self.areas = PolygonSet(np.empty(0, dtype=object))
        self.area_kinds = np.empty(0, dtype=object)

    def set_streets(self, lines, names, highways, crs: str = crs_lib.WGS84) -> None:
        """Streets from shapely LineStrings in `crs` with their names and OSM highway values."""
        lines = project_geometries(lines, crs) if len(lines) else np.empty(0, dtype=object)
        self.street_names = np.asarray([n if isinstance(n, str) else "" for n in names], dtype=object)
        # Few distinct highway values: classify each once.
        distinct, which = np.unique(np.array([highway_value(h) for h in highways] + [""]), return_inverse=True)
        self.street_classes = np.array([street_class(h) for h in distinct], dtype=np.int8)[which[:-1]]
        coords, line_of_coord = shapely.get_coordinates(lines, return_index=True) if len(lines) else (
            np.empty((0, 2)), np.empty(0, dtype=np.int64))
        same_line = line_of_coord[1:] == line_of_coord[:-1]
        x0, y0 = coords[:-1][same_line, 0], coords[:-1][same_line, 1]
        x1, y1 = coords[1:][same_line, 0], coords[1:][same_line, 1]
        street = line_of_coord[:-1][same_line]
        self._label_candidates(x0, y0, x1, y1, street)
        # Cut long segments into equal pieces no longer than MAX_SEGMENT_M.
        pieces = np.maximum(np.ceil(np.hypot(x1 - x0, y1 - y0) / MAX_SEGMENT_M), 1).astype(np.int64)
        seg = np.repeat(np.arange(len(x0)), pieces)
        first = np.repeat(np.cumsum(pieces) - pieces, pieces)
        k = np.arange(len(seg)) - first
        t0, t1 = k / pieces[seg], (k + 1) / pieces[seg]
        dx, dy = x1 - x0, y1 - y0
        self.sx0, self.sy0 = x0[seg] + dx[seg] * t0, y0[seg] + dy[seg] * t0
        self.sx1, self.sy1 = x0[seg] + dx[seg] * t1, y0[seg] + dy[seg] * t1
        self.segment_class = self.street_classes[street[seg]] if len(seg) else np.empty(0, dtype=np.int8)
        self._segment_index = PointIndex((self.sx0 + self.sx1) / 2, (self.sy0 + self.sy1) / 2)
        self._changed(Change(True))

    def set_areas(self, polygons, kinds, crs: str = crs_lib.WGS84) -> None:
        self.areas = PolygonSet(project_geometries(polygons, crs) if len(polygons) else np.empty(0, dtype=object))
        self.area_kinds = np.asarray(kinds, dtype=object)
        self._changed(Change(True))

    def segments_in(self, x0: float, y0: float, x1: float, y1: float) -> np.ndarray:
        """Indices of the street segments that may cross the box."""
        half = MAX_SEGMENT_M / 2
        return self._segment_index.query(x0 - half, y0 - half, x1 + half, y1 + half)

    def bounds(self):
        boxes = []
        if len(self.sx0):
            boxes.append((min(self.sx0.min(), self.sx1.min()), min(self.sy0.min(), self.sy1.min()),
                          max(self.sx0.max(), self.sx1.max()), max(self.sy0.max(), self.sy1.max())))
        if len(self.areas):
            boxes.append(self.areas.bounds())
        if not boxes:
            return None
        b = np.array(boxes, dtype=np.float64)
        return float(b[:, 0].min()), float(b[:, 1].min()), float(b[:, 2].max()), float(b[:, 3].max())

    def _label_candidates(self, x0, y0, x1, y1, street) -> None:
        """Where each named street could carry its name: the middle of its longest segment."""
        length = np.hypot(x1 - x0, y1 - y0)
        named = np.flatnonzero(self.street_names[street] != "") if len(street) else np.empty(0, dtype=np.int64)
        # Longest segment per street: sort by (street, length) and take the last of each street.
        order = named[np.lexsort((length[named], street[named]))]
        last = np.r_[street[order][1:] != street[order][:-1], True] if len(order) else np.empty(0, dtype=bool)
        best = order[last]
        self.label_x = (x0[best] + x1[best]) / 2
        self.label_y = (y0[best] + y1[best]) / 2
        self.label_length = length[best]
        self.label_angle = np.arctan2(y1[best] - y0[best], x1[best] - x0[best])
        self.label_text = self.street_names[street[best]]
        self.label_class = self.street_classes[street[best]]
