"""Cities on a map canvas, shared by bench/map_render.py and bench/screenshots.py, so the benchmark and
the screenshots show the same thing."""
from __future__ import annotations

import numpy as np

from layers.synthetic import SyntheticCity
from map.canvas import MapCanvas


def incidents_per_grid(pack, lon, lat) -> dict:
    """Incidents at (lon, lat) per grid cell id of the city pack (the choropleth figure)."""
    grid_of = pack.grid_ids_at(lon, lat)
    ids, counts = np.unique(grid_of[grid_of != None], return_counts=True)  # noqa: E711
    return dict(zip(ids, counts))


def put_city_on(canvas: MapCanvas, city: SyntheticCity, per_grid: dict) -> None:
    """The city pack, its incidents and units, and the per-cell figure, on the canvas."""
    canvas.set_city(city.pack)
    canvas.grids_layer.set_values(per_grid, "incidents")
    inc = city.incidents
    canvas.incidents_layer.set_arrays(inc["ids"], inc["lon"], inc["lat"], kind=inc["kind"], priority=inc["priority"],
                                      status=inc["status"], created_ts=inc["created_ts"])
    units = city.units
    canvas.units_layer.set_arrays(units["ids"], units["lon"], units["lat"], status=units["status"],
                                  heading=units["heading"], callsign=units["callsign"])


def densest_town(canvas: MapCanvas) -> tuple[float, float]:
    """The Web Mercator centre of the 1/40 x 1/40 cell of the cameras' extent that holds the most cameras."""
    cams = canvas.cameras_layer
    hist, xedges, yedges = np.histogram2d(cams.x, cams.y, bins=40)
    bx, by = np.unravel_index(np.argmax(hist), hist.shape)
    return (xedges[bx] + xedges[bx + 1]) / 2, (yedges[by] + yedges[by + 1]) / 2
