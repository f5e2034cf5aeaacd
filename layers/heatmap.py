"""Heatmaps as density grids: points binned with np.bincount, then smoothed by a Gaussian kernel.

The grid's cell size follows the kernel radius (a few cells per sigma, at most MAX_CELLS a side), so a
smoothing pass costs the same few milliseconds for a district or a whole city. The grid is padded by
the kernel's reach so no mass is lost off its edges: the grid sums to the weight of the points inside
its box.
"""
from __future__ import annotations

import numpy as np
from scipy import ndimage

from layers.model import Change, LayerModel

MAX_CELLS = 512
CELLS_PER_SIGMA = 2.5
TRUNCATE_SIGMAS = 3.0


class DensityGrid:
    """A regular grid over a Web Mercator box; `density` turns points into smoothed counts per cell."""

    def __init__(self, bounds: tuple[float, float, float, float], radius_m: float):
        xmin, ymin, xmax, ymax = bounds
        width, height = max(xmax - xmin, 1.0), max(ymax - ymin, 1.0)
        self.radius_m = radius_m
        # Cell size: a few cells per sigma, but never more than MAX_CELLS cells a side (padding included).
        cell = radius_m / CELLS_PER_SIGMA
        pad_cells = int(np.ceil(TRUNCATE_SIGMAS * CELLS_PER_SIGMA))
        cell = max(cell, max(width, height) / (MAX_CELLS - 2 * pad_cells))
        self.sigma_cells = radius_m / cell
        self.pad_cells = int(np.ceil(TRUNCATE_SIGMAS * self.sigma_cells))
        self.cell = cell
        self.nx = int(np.ceil(width / cell)) + 2 * self.pad_cells
        self.ny = int(np.ceil(height / cell)) + 2 * self.pad_cells
        self.x0 = xmin - self.pad_cells * cell
        self.y0 = ymin - self.pad_cells * cell

    @property
    def extent(self) -> tuple[float, float, float, float]:
        """(xmin, ymin, xmax, ymax) of the whole grid, padding included."""
        return self.x0, self.y0, self.x0 + self.nx * self.cell, self.y0 + self.ny * self.cell

    def density(self, x: np.ndarray, y: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        """Smoothed counts per cell, float32 of shape (ny, nx), row 0 at the bottom (smallest y)."""
        ix = np.floor((np.asarray(x) - self.x0) / self.cell).astype(np.int64)
        iy = np.floor((np.asarray(y) - self.y0) / self.cell).astype(np.int64)
        inside = (ix >= self.pad_cells) & (ix < self.nx - self.pad_cells) & (iy >= self.pad_cells) & (iy < self.ny - self.pad_cells)
        w = None if weights is None else np.asarray(weights, dtype=np.float64)[inside]
        counts = np.bincount(iy[inside] * self.nx + ix[inside], weights=w, minlength=self.nx * self.ny)
        grid = counts.astype(np.float32).reshape(self.ny, self.nx)
        return ndimage.gaussian_filter(grid, self.sigma_cells, mode="constant", truncate=TRUNCATE_SIGMAS)


class HeatmapLayer(LayerModel):
    """A heatmap's latest density grid. The map decides when to recompute (it throttles live updates)."""

    def __init__(self, name: str, title: str, radius_m: float):
        super().__init__()
        self.name, self.title = name, title
        self.radius_m = radius_m
        self.grid: DensityGrid | None = None
        self.values: np.ndarray | None = None

    def set_bounds(self, bounds: tuple[float, float, float, float]) -> None:
        self.grid = DensityGrid(bounds, self.radius_m)
        self.values = None

    def compute(self, x: np.ndarray, y: np.ndarray, weights: np.ndarray | None = None) -> None:
        if self.grid is None:
            return
        self.values = self.grid.density(x, y, weights)
        self._changed(Change(True))
