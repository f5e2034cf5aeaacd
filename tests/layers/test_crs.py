"""layers.crs against published coordinate pairs, measured as ground distance with pyproj.Geod."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Geod

from layers.crs import from_wgs84, mercator_to_wgs84, to_wgs84, wgs84_to_mercator

GEOD = Geod(ellps="WGS84")
ONE_METRE = 1.0


def metres_between(lon1, lat1, lon2, lat2) -> np.ndarray:
    return np.asarray(GEOD.inv(lon1, lat1, lon2, lat2)[2])


# WGS84 -> GCJ-02 pairs from the eviltransform project's tests
# (github.com/googollee/eviltransform, python/test.py: TESTS = wgsLat, wgsLng, gcjLat, gcjLng).
EVILTRANSFORM_WGS_GCJ = [
    ("shanghai", 31.1774276, 121.5272106, 31.17530398364597, 121.531541859215),
    ("shenzhen", 22.543847, 113.912316, 22.540796131694766, 113.9171764808363),
    ("beijing", 39.911954, 116.377817, 39.91334545536069, 116.38404722455657),
]

# From the coordtransform project's test (github.com/wandergis/coordtransform, test/app.js), input (116.404, 39.915):
#   wgs84togcj02 -> [116.41024449916938, 39.91640428150164]
#   gcj02tobd09  -> [116.41036949371029, 39.92133699351021]
#   bd09togcj02  -> [116.39762729119315, 39.90865673957631]  (their closed-form inverse, good to centimetres)
# eviltransform's own BD-09 pairs are not used: its bd2gcj uses pi where Baidu's formula uses pi*3000/180.
TIANANMEN = (116.404, 39.915)
COORDTRANSFORM_WGS_TO_GCJ = (116.41024449916938, 39.91640428150164)
COORDTRANSFORM_GCJ_TO_BD = (116.41036949371029, 39.92133699351021)
COORDTRANSFORM_BD_TO_GCJ = (116.39762729119315, 39.90865673957631)


@pytest.mark.parametrize("city, wgs_lat, wgs_lon, gcj_lat, gcj_lon", EVILTRANSFORM_WGS_GCJ)
def test_gcj02_matches_published_pairs_both_ways(city, wgs_lat, wgs_lon, gcj_lat, gcj_lon):
    lon, lat = from_wgs84(wgs_lon, wgs_lat, "GCJ-02")
    assert metres_between(lon, lat, gcj_lon, gcj_lat) < ONE_METRE
    lon, lat = to_wgs84(gcj_lon, gcj_lat, "GCJ-02")
    assert metres_between(lon, lat, wgs_lon, wgs_lat) < ONE_METRE


def test_gcj02_offset_is_hundreds_of_metres_in_china():
    # Guards against an identity implementation passing the round trips.
    lon, lat = from_wgs84(*TIANANMEN, "gcj02")
    assert metres_between(lon, lat, *TIANANMEN) > 100
    assert metres_between(lon, lat, *COORDTRANSFORM_WGS_TO_GCJ) < ONE_METRE


def test_bd09_matches_published_pairs():
    # BD-09 is GCJ-02 plus Baidu's offset: a BD point maps to WGS84 where its GCJ partner does.
    bd_to_wgs = to_wgs84(*COORDTRANSFORM_GCJ_TO_BD, "BD-09")
    gcj_to_wgs = to_wgs84(*TIANANMEN, "GCJ-02")
    assert metres_between(*bd_to_wgs, *gcj_to_wgs) < ONE_METRE

    from_bd = to_wgs84(*TIANANMEN, "bd09")
    from_gcj = to_wgs84(*COORDTRANSFORM_BD_TO_GCJ, "GCJ-02")
    assert metres_between(*from_bd, *from_gcj) < ONE_METRE

    wgs = to_wgs84(*TIANANMEN, "GCJ-02")
    assert metres_between(*from_wgs84(*wgs, "BD-09"), *COORDTRANSFORM_GCJ_TO_BD) < ONE_METRE


china_lon = st.floats(min_value=73.7, max_value=135.0)
china_lat = st.floats(min_value=18.0, max_value=53.5)


@settings(max_examples=200, deadline=None)
@given(china_lon, china_lat, st.sampled_from(["GCJ-02", "BD-09"]))
def test_offset_systems_round_trip_within_a_metre(lon, lat, crs):
    back = to_wgs84(*from_wgs84(lon, lat, crs), crs)
    assert metres_between(*back, lon, lat) < ONE_METRE


def test_arrays_keep_their_shape_and_outside_china_gcj02_is_wgs84():
    lon = np.array([[24.9384, 116.404], [-122.4194, 121.47]])
    lat = np.array([[60.1699, 39.915], [37.7749, 31.23]])
    x, y = from_wgs84(lon, lat, "GCJ-02")
    assert x.shape == y.shape == (2, 2)
    # Helsinki and San Francisco lie outside the algorithm's China rectangle: unchanged.
    assert (x[0, 0], y[0, 0], x[1, 0], y[1, 0]) == (24.9384, 60.1699, -122.4194, 37.7749)
    assert metres_between(x[0, 1], y[0, 1], lon[0, 1], lat[0, 1]) > 100
    back_lon, back_lat = to_wgs84(x, y, "GCJ-02")
    assert np.all(metres_between(back_lon.ravel(), back_lat.ravel(), lon.ravel(), lat.ravel()) < ONE_METRE)


def test_cgcs2000_round_trip_and_aliases():
    lon, lat = np.array([116.391, 121.4737, 113.2644]), np.array([39.907, 31.2304, 23.1291])
    x, y = from_wgs84(lon, lat, "EPSG:4490")
    back = to_wgs84(x, y, "cgcs2000")
    assert np.all(metres_between(*back, lon, lat) < 0.01)
    assert to_wgs84(24.94, 60.17, "wgs84") == (24.94, 60.17)


def test_projected_crs_through_pyproj():
    # ETRS-TM35FIN, the Finnish national grid: Helsinki's Senate Square is near (385 800, 6 672 000).
    x, y = from_wgs84(24.9525, 60.1694, "EPSG:3067")
    assert abs(x - 385_800) < 1_000 and abs(y - 6_672_000) < 1_000
    assert metres_between(*to_wgs84(x, y, "EPSG:3067"), 24.9525, 60.1694) < 0.01


def test_mercator_round_trip_and_clamp():
    lon = np.linspace(-180, 180, 37)
    lat = np.linspace(-85, 85, 37)
    x, y = wgs84_to_mercator(lon, lat)
    assert x[-1] == pytest.approx(20037508.342789244)
    back_lon, back_lat = mercator_to_wgs84(x, y)
    np.testing.assert_allclose(back_lon, lon, atol=1e-9)
    np.testing.assert_allclose(back_lat, lat, atol=1e-9)
    _, pole = wgs84_to_mercator(0.0, 90.0)
    assert pole == pytest.approx(20037508.342789244, rel=1e-9)


def test_mercator_matches_pyproj():
    x, y = wgs84_to_mercator(24.9384, 60.1699)
    assert (x, y) == pytest.approx(from_wgs84(24.9384, 60.1699, "EPSG:3857"), abs=1e-3)


@pytest.mark.parametrize("bad", ["EPSG:999999", "GCJ-03", "", "not a crs"])
def test_unknown_crs_is_a_value_error_naming_it(bad):
    with pytest.raises(ValueError, match="unknown coordinate system") as info:
        to_wgs84(1.0, 2.0, bad)
    assert repr(bad) in str(info.value)
