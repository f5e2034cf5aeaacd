"""Spatial helpers on plain numpy arrays: a bucket index for box queries and cell clustering.

All coordinates here are Web Mercator metres; nothing here knows about screens or Qt.
"""
from __future__ import annotations

import numpy as np

_TARGET_PER_BUCKET = 16
_MAX_BUCKETS_PER_SIDE = 1024


class PointIndex:
    """Points bucketed into a uniform grid (CSR layout), so a box query only touches the buckets it overlaps.

    Built once for data that moves rarely (cameras, checkpoints, street segments); `query` costs about
    the number of points in the overlapped buckets, not the number of points in the layer.
    """

    def __init__(self, x: np.ndarray, y: np.ndarray):
        self.x = np.asarray(x, dtype=np.float64)
        self.y = np.asarray(y, dtype=np.float64)
        n = len(self.x)
        if n == 0:
            self._x0 = self._y0 = 0.0
            self._cell = 1.0
            self._nx = self._ny = 1
            self._order = np.empty(0, dtype=np.int64)
            self._starts = np.zeros(2, dtype=np.int64)
            return
        self._x0, self._y0 = float(self.x.min()), float(self.y.min())
        width = max(float(self.x.max()) - self._x0, 1.0)
        height = max(float(self.y.max()) - self._y0, 1.0)
        buckets = max(n / _TARGET_PER_BUCKET, 1.0)
        self._cell = max(np.sqrt(width * height / buckets), max(width, height) / _MAX_BUCKETS_PER_SIDE)
        self._nx = int(width // self._cell) + 1
        self._ny = int(height // self._cell) + 1
        bx = np.clip(((self.x - self._x0) // self._cell).astype(np.int64), 0, self._nx - 1)
        by = np.clip(((self.y - self._y0) // self._cell).astype(np.int64), 0, self._ny - 1)
        key = by * self._nx + bx
        self._order = np.argsort(key, kind="stable")
        self._starts = np.searchsorted(key[self._order], np.arange(self._nx * self._ny + 1))

    def _bucket(self, value: float, origin: float, count: int) -> int:
        return min(max(int((value - origin) // self._cell), 0), count - 1)

    def query(self, x0: float, y0: float, x1: float, y1: float) -> np.ndarray:
        """Indices of the points inside the box [x0, x1] x [y0, y1].

        Any two points come out in the same relative order from every query that finds both (bucket
        order, then index), so tiles drawn from different queries stack overlapping symbols alike.
        """
        if len(self._order) == 0:
            return np.empty(0, dtype=np.int64)
        bx0, bx1 = self._bucket(x0, self._x0, self._nx), self._bucket(x1, self._x0, self._nx)
        by0, by1 = self._bucket(y0, self._y0, self._ny), self._bucket(y1, self._y0, self._ny)
        row_starts = np.arange(by0, by1 + 1) * self._nx
        lo = self._starts[row_starts + bx0]
        hi = self._starts[row_starts + bx1 + 1]
        candidates = self._order[concat_ranges(lo, hi)]
        cx, cy = self.x[candidates], self.y[candidates]
        inside = (cx >= x0) & (cx <= x1) & (cy >= y0) & (cy <= y1)
        return candidates[inside]


def concat_ranges(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """np.concatenate([np.arange(a, b) for a, b in zip(lo, hi)]) without the Python loop."""
    lengths = hi - lo
    total = int(lengths.sum())
    if total == 0:
        return np.empty(0, dtype=np.int64)
    keep = lengths > 0
    lo, lengths = lo[keep], lengths[keep]
    steps = np.ones(total, dtype=np.int64)
    ends = np.cumsum(lengths)
    steps[0] = lo[0]
    steps[ends[:-1]] = lo[1:] - (lo[:-1] + lengths[:-1]) + 1
    return np.cumsum(steps)


def box_mask(x: np.ndarray, y: np.ndarray, x0: float, y0: float, x1: float, y1: float) -> np.ndarray:
    return (x >= x0) & (x <= x1) & (y >= y0) & (y <= y1)


def cell_clusters(x: np.ndarray, y: np.ndarray, cell: float, origin_x: float, origin_y: float):
    """Group points into square cells of side `cell` anchored at a global origin.

    Returns (inverse, counts, mean_x, mean_y): `inverse[i]` is the cluster of point i. Anchoring at a
    global origin makes two overlapping queries agree on every cell they share, which lets map tiles
    be clustered one at a time without seams.
    """
    if len(x) == 0:
        empty = np.empty(0)
        return np.empty(0, dtype=np.int64), empty.astype(np.int64), empty, empty
    ix = np.floor((x - origin_x) / cell).astype(np.int64)
    iy = np.floor((y - origin_y) / cell).astype(np.int64)
    ix -= ix.min()
    iy -= iy.min()
    key = iy * (int(ix.max()) + 1) + ix
    if key.max() > 4 * len(key) + 1024:  # sparse cells over a wide box: sort instead of counting
        _, inverse, counts = np.unique(key, return_inverse=True, return_counts=True)
    else:
        dense = np.bincount(key)
        occupied = np.flatnonzero(dense)
        slot = np.zeros(len(dense), dtype=np.int64)
        slot[occupied] = np.arange(len(occupied))
        inverse, counts = slot[key], dense[occupied]
    mean_x = np.bincount(inverse, weights=x, minlength=len(counts)) / counts
    mean_y = np.bincount(inverse, weights=y, minlength=len(counts)) / counts
    return inverse, counts, mean_x, mean_y
