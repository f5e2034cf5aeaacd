"""Heatmaps keep their mass: the smoothed grid sums to the number of points inside its box."""
from __future__ import annotations

import time

import numpy as np
import pytest

from layers.heatmap import DensityGrid, HeatmapLayer

RELATIVE_TOLERANCE = 1e-3  # float32 sums of a few hundred thousand cells


@pytest.mark.parametrize("radius_m", [50.0, 300.0, 2000.0])
def test_mass_equals_number_of_points(radius_m):
    rng = np.random.default_rng(1)
    bounds = (1.27e7, 2.60e6, 1.27e7 + 50_000, 2.60e6 + 40_000)
    x = rng.uniform(bounds[0], bounds[2], 10_000)
    y = rng.uniform(bounds[1], bounds[3], 10_000)
    grid = DensityGrid(bounds, radius_m)
    density = grid.density(x, y)
    assert density.sum() == pytest.approx(10_000, rel=RELATIVE_TOLERANCE)
    assert max(grid.nx, grid.ny) <= 512


def test_points_outside_the_box_do_not_count_and_weights_do():
    grid = DensityGrid((0.0, 0.0, 10_000.0, 10_000.0), 200.0)
    x = np.array([5_000.0, 5_000.0, 50_000.0])
    y = np.array([5_000.0, 5_000.0, 5_000.0])
    assert grid.density(x, y).sum() == pytest.approx(2.0, rel=RELATIVE_TOLERANCE)
    assert grid.density(x, y, weights=[1.0, 0.5, 1.0]).sum() == pytest.approx(1.5, rel=RELATIVE_TOLERANCE)


def test_density_peaks_where_points_are():
    grid = DensityGrid((0.0, 0.0, 10_000.0, 10_000.0), 300.0)
    density = grid.density(np.full(100, 2_500.0), np.full(100, 7_500.0))
    iy, ix = np.unravel_index(np.argmax(density), density.shape)
    assert abs(grid.x0 + (ix + 0.5) * grid.cell - 2_500.0) <= grid.cell
    assert abs(grid.y0 + (iy + 0.5) * grid.cell - 7_500.0) <= grid.cell


def test_patrol_heatmap_counts_units_on_duty(canvas):
    rng = np.random.default_rng(2)
    lon = 24.941 + rng.normal(0, 0.002, 200)
    lat = 60.169 + rng.normal(0, 0.001, 200)
    status = ["offduty" if k < 50 else "available" for k in range(200)]
    canvas.units_layer.set_arrays([f"u{k}" for k in range(200)], lon, lat, status=status)
    canvas.update_heatmaps(force=True)
    assert canvas.patrol_heat.values.sum() == pytest.approx(150, rel=RELATIVE_TOLERANCE)


def test_heatmap_layer_notifies_after_compute():
    heat = HeatmapLayer("h", "H", radius_m=100.0)
    seen = []
    heat.subscribe(seen.append)
    heat.set_bounds((0.0, 0.0, 1000.0, 1000.0))
    heat.compute(np.array([500.0]), np.array([500.0]))
    assert len(seen) == 1 and seen[0].everything


def _peak(canvas):
    heat = canvas.patrol_heat
    iy, ix = np.unravel_index(np.argmax(heat.values), heat.values.shape)
    return heat.grid.x0 + (ix + 0.5) * heat.grid.cell, heat.grid.y0 + (iy + 0.5) * heat.grid.cell


def test_patrol_heatmap_follows_units_on_its_own_tick(canvas, qtbot):
    """A units frame does not recompute the patrol heatmap (it has a tick and frame of its own), but the
    heatmap follows the units within HEAT_INTERVAL_S of a move."""
    from layers import crs as crs_lib
    from map import canvas as canvas_module
    ids = [f"u{k}" for k in range(100)]
    lon0, lat0 = 24.930, 60.169
    canvas.units_layer.set_arrays(ids, np.full(100, lon0), np.full(100, lat0))
    qtbot.waitUntil(lambda: canvas.patrol_heat.values is not None and canvas.patrol_heat.values.sum() > 0, timeout=2000)
    x0, _ = crs_lib.wgs84_to_mercator(lon0, lat0)
    assert abs(_peak(canvas)[0] - x0) <= canvas.patrol_heat.grid.cell

    lon1 = 24.952
    computed = []
    original = canvas.patrol_heat.compute
    canvas.patrol_heat.compute = lambda *args, **kw: (computed.append(1), original(*args, **kw))
    canvas._heat_time["patrol_heat"] -= 2 * canvas_module.HEAT_INTERVAL_S  # due now: still not in the units' frame
    start = time.perf_counter()
    canvas.units_layer.update_positions(ids, np.full(100, lon1), np.full(100, lat0))
    canvas.render_now()  # the units' frame
    assert not computed
    x1, _ = crs_lib.wgs84_to_mercator(lon1, lat0)
    qtbot.waitUntil(lambda: abs(_peak(canvas)[0] - x1) <= canvas.patrol_heat.grid.cell, timeout=3000)
    assert time.perf_counter() - start <= canvas_module.HEAT_INTERVAL_S + 0.5
    assert len(computed) == 1


@pytest.mark.parametrize("extent_m", [250.0, 1500.0])
def test_zoomed_in_heat_smoothed_in_blocks_looks_as_smoothed_per_pixel(canvas, extent_m):
    from map.renderers import HeatImage

    from .conftest import CENTER

    lon, lat = CENTER
    rng = np.random.default_rng(3)
    n = 400
    canvas.incidents_layer.set_arrays([f"i{k}" for k in range(n)], lon + rng.normal(0, 0.004, n),
                                      lat + rng.normal(0, 0.002, n), created_ts=np.full(n, 1_750_000_000.0 - 60))
    for name in ("incidents", "basemap", "grids", "cameras", "patrol_heat"):
        canvas.set_layer_visible(name, False)
    canvas.set_layer_visible("incident_heat", True)
    canvas.update_heatmaps(force=True)
    canvas.center_on(lon, lat, extent_m)

    def frame():
        for composite in canvas._composites:
            composite.changed()
        canvas.render_now()
        image = canvas.view.viewport().grab().toImage()
        return np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), -1).astype(int)

    cell_px = canvas.incident_heat.grid.cell * canvas.scale()
    assert cell_px >= HeatImage.BLOCK_MIN_PX_PER_CELL  # the blocks are what is tested
    blocks = frame()
    threshold = HeatImage.BLOCK_MIN_PX_PER_CELL
    HeatImage.BLOCK_MIN_PX_PER_CELL = float("inf")
    try:
        smooth = frame()
    finally:
        HeatImage.BLOCK_MIN_PX_PER_CELL = threshold
    assert smooth.max() > 60  # there is heat on screen
    assert np.abs(blocks - smooth).max() <= 6
