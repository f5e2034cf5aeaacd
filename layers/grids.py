"""Grid cells (网格): polygons with a per-cell figure drawn as a choropleth (e.g. open incidents)."""
from __future__ import annotations

from typing import Mapping

import numpy as np

from layers import crs as crs_lib
from layers import style
from layers.model import Change, LayerModel
from layers.polygons import PolygonSet, project_geometries

N_CLASSES = len(style.CHOROPLETH_RAMP)


class GridLayer(LayerModel):
    """Grid polygons keyed by grid_id, each with a value; cells with no value or zero are left unfilled."""

    name = "grids"
    title = "Grid cells"

    def __init__(self):
        super().__init__()
        self.ids = np.empty(0, dtype=object)
        self.names = np.empty(0, dtype=object)
        self.polygons = PolygonSet(np.empty(0, dtype=object))
        self.values = np.empty(0)
        self.classes = np.empty(0, dtype=np.int8)
        self.breaks = np.empty(0)
        self.value_title = ""
        self.lower_is_worse = False
        self._rows: dict[str, int] = {}

    def __len__(self) -> int:
        return len(self.ids)

    def set_polygons(self, ids, geometries, names=None, crs: str = crs_lib.WGS84) -> None:
        self.ids = np.asarray([str(i) for i in ids], dtype=object)
        self.names = np.asarray(names if names is not None else self.ids, dtype=object)
        self.polygons = PolygonSet(project_geometries(geometries, crs))
        self._rows = {grid_id: row for row, grid_id in enumerate(self.ids)}
        self.values = np.full(len(self.ids), np.nan)
        self._classify()
        self._changed(Change(True))

    def set_values(self, values: Mapping[str, float], title: str = "", lower_is_worse: bool = False) -> None:
        """Set the figure per grid_id (cells not in `values` get none) and re-class the choropleth.
        `lower_is_worse`: a rate such as a closure rate, where the lowest cells are the darkest and a cell at
        0 is filled too (0 % closed is the worst figure, not "none")."""
        self.lower_is_worse = lower_is_worse
        self.values = np.full(len(self.ids), np.nan)
        for grid_id, value in values.items():
            row = self._rows.get(str(grid_id))
            if row is not None:
                self.values[row] = value
        self.value_title = title
        self._classify()
        self._changed(Change(True))

    def row(self, grid_id: str) -> int | None:
        return self._rows.get(str(grid_id))

    def at(self, x: float, y: float) -> int | None:
        return self.polygons.at(x, y)

    def record(self, row: int) -> dict:
        value = self.values[row]
        return {"grid_id": self.ids[row], "name": self.names[row], "value": None if np.isnan(value) else float(value)}

    def bounds(self):
        return self.polygons.bounds()

    def _classify(self) -> None:
        """Quantile classes over the positive values, so a few hot cells do not wash out the rest."""
        hot = self.values >= 0 if self.lower_is_worse else self.values > 0
        positive = self.values[hot]
        self.classes = np.full(len(self.values), -1, dtype=np.int8)
        if not len(positive):
            self.breaks = np.empty(0)
            return
        self.breaks = np.unique(np.quantile(positive, np.linspace(0, 1, N_CLASSES + 1)[1:-1]))
        steps = np.searchsorted(self.breaks, self.values[hot], side="left")
        self.classes[hot] = self._ramp_index(steps)

    def _ramp_index(self, steps):
        """Spread the classes actually present over the whole colour ramp (from its dark end when lower is
        worse)."""
        index = np.round(np.asarray(steps) * (N_CLASSES - 1) / max(len(self.breaks), 1)).astype(np.int8)
        return N_CLASSES - 1 - index if self.lower_is_worse else index

    def legend(self):
        if not len(self.breaks):
            return [("no figures", style.CHOROPLETH_RAMP[0])]
        edges = [0.0, *self.breaks.tolist(), float(np.nanmax(self.values))]
        return [(f"{_fmt(lo)}–{_fmt(hi)}", style.CHOROPLETH_RAMP[int(self._ramp_index(k))])
                for k, (lo, hi) in enumerate(zip(edges[:-1], edges[1:]))]


def _fmt(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() or abs(value) >= 10 else f"{value:.1f}"
