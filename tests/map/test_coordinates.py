"""Layers declared in another coordinate system are drawn at the right Web Mercator place."""
from __future__ import annotations

import numpy as np
import pytest

from layers import crs as crs_lib
from layers import style
from layers.points import CameraLayer

from .conftest import CENTER, near, pixel

# Points spread over China (GCJ-02 and BD-09 offsets apply there) and one at the demo city.
TRUE_WGS84 = [(116.391350, 39.907723), (121.473701, 31.230416), (113.751800, 23.020600), CENTER]


@pytest.mark.parametrize("crs", ["EPSG:4326", "EPSG:4490", "GCJ-02", "BD-09"])
def test_layer_positions_land_within_a_metre(crs):
    lon, lat = np.array(TRUE_WGS84).T
    given_x, given_y = crs_lib.from_wgs84(lon, lat, crs)
    layer = CameraLayer()
    layer.set_arrays([f"c{i}" for i in range(len(lon))], given_x, given_y, crs=crs)
    want_x, want_y = crs_lib.wgs84_to_mercator(lon, lat)
    # Web Mercator metres are 1/cos(lat) ground metres: compare on the ground.
    error_m = np.hypot(layer.x - want_x, layer.y - want_y) * np.cos(np.radians(lat))
    assert error_m.max() < 1.0, error_m


def test_gcj02_offset_is_not_ignored():
    """A GCJ-02 point read as WGS84 would sit hundreds of metres away: the layer must not do that."""
    lon, lat = 116.391350, 39.907723
    gx, gy = crs_lib.from_wgs84(lon, lat, "GCJ-02")
    wrong = np.hypot(*(np.subtract(crs_lib.wgs84_to_mercator(gx, gy), crs_lib.wgs84_to_mercator(lon, lat))))
    assert wrong > 100


@pytest.mark.parametrize("crs", ["GCJ-02", "BD-09", "EPSG:4490"])
def test_symbol_is_drawn_where_the_true_position_is(canvas, crs):
    # The demo city is outside China, where GCJ-02 is WGS84 unchanged; draw near Dongguan instead.
    lon, lat = 113.7518, 23.0206
    canvas.set_extent((lon - 0.02, lat - 0.01, lon + 0.02, lat + 0.01))
    canvas.center_on(lon, lat, 400)
    given = crs_lib.from_wgs84(lon, lat, crs)
    canvas.cameras_layer.set_arrays(["cam"], [float(given[0])], [float(given[1])], crs=crs, state=["online"])
    where = canvas.lonlat_to_screen(lon, lat)
    assert near(pixel(canvas, where), style.CAMERA_ONLINE)
    # ... and not where the untransformed coordinates would put it (GCJ/BD are hundreds of metres off).
    if crs != "EPSG:4490":
        naive = canvas.lonlat_to_screen(float(given[0]), float(given[1]))
        assert (naive - where).manhattanLength() > 50
        assert not near(pixel(canvas, naive), style.CAMERA_ONLINE)
