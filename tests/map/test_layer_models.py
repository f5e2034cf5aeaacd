"""The Qt-free layer models: columns, updates, trails, the spatial index and tile-consistent clusters."""
from __future__ import annotations

import numpy as np
import pytest
import shapely

from layers.basemap import Basemap
from layers.grids import GridLayer
from layers.incidents import IncidentLayer
from layers.points import CameraLayer
from layers.spatial import PointIndex, cell_clusters
from layers.units import TRAIL_LENGTH, UnitLayer


def test_point_index_finds_exactly_the_points_in_a_box():
    rng = np.random.default_rng(0)
    x, y = rng.uniform(0, 1000, 20_000), rng.uniform(0, 500, 20_000)
    index = PointIndex(x, y)
    for box in ((100, 100, 300, 200), (-50, -50, 10, 10), (990, 490, 2000, 900), (0, 0, 1000, 500)):
        found = np.sort(index.query(*box))
        truth = np.flatnonzero((x >= box[0]) & (x <= box[2]) & (y >= box[1]) & (y <= box[3]))
        assert np.array_equal(found, truth)


def test_clusters_agree_between_overlapping_tiles():
    """Cells anchored at the origin: two windows sharing a cell count it the same."""
    rng = np.random.default_rng(1)
    x, y = rng.uniform(0, 1000, 5000), rng.uniform(0, 1000, 5000)
    cell = 64.0
    def cell_counts(x0, x1):
        keep = (x >= x0) & (x < x1)
        inverse, counts, mx, my = cell_clusters(x[keep], y[keep], cell, 0.0, 0.0)
        keys = np.floor(mx / cell) * 1000 + np.floor(my / cell)
        return dict(zip(keys.tolist(), counts.tolist()))
    left, right = cell_counts(0, 640), cell_counts(320, 960)
    shared = set(left) & set(right)
    assert shared and all(left[k] == right[k] for k in shared)
    assert sum(cell_counts(0, 1000).values()) == 5000


def test_upsert_adds_and_updates_and_remove_drops():
    layer = CameraLayer()
    changes = []
    layer.subscribe(changes.append)
    layer.set_records([{"camera_id": "a", "lon": 24.9, "lat": 60.1, "name": "A"}])
    layer.upsert([{"camera_id": "a", "lon": 24.91, "lat": 60.1, "state": "offline"},
                  {"camera_id": "b", "lon": 24.92, "lat": 60.1}])
    assert list(layer.ids) == ["a", "b"]
    assert layer.record(layer.row("a"))["name"] == "A" and layer.record(layer.row("a"))["state"] == "offline"
    assert layer.record(layer.row("b"))["state"] == "unknown"
    assert not changes[-1].everything and len(changes[-1].x) == 3  # old and new place of a, and b
    layer.remove(["a"])
    assert list(layer.ids) == ["b"] and layer.row("b") == 0
    with pytest.raises(KeyError):
        layer.rows(["zzz"])


def test_units_move_in_bulk_and_keep_trails():
    units = UnitLayer()
    units.set_records([{"unit_id": f"u{k}", "lon": 24.9, "lat": 60.1 + k * 0.01, "status": "available"} for k in range(3)])
    for step in range(1, TRAIL_LENGTH + 5):
        units.update_positions(["u0", "u2"], [24.9 + step * 0.001] * 2, [60.1, 60.12], heading=[90, 90])
    tx, ty = units.trails(np.array([0, 1]))
    assert np.isfinite(tx[0]).all() and np.all(np.diff(tx[0]) > 0)  # full, oldest first
    assert np.isfinite(tx[1]).sum() == 1  # u1 never moved: just where it started
    units.set_status("u1", "busy")
    assert units.record(1)["status"] == "busy"


def test_trails_set_from_earlier_positions_equal_trails_of_following_the_unit_along_them():
    rng = np.random.default_rng(5)
    records = [{"unit_id": f"U{i}", "lon": 24.9 + 0.01 * i, "lat": 60.17, "status": "available"} for i in range(40)]
    paths = {}
    for i in range(40):  # still, creeping (steps under the trail's minimum) and driving units; up to 45 points
        steps = rng.choice([0.0, 0.00001, 0.0004], size=(int(rng.integers(0, 46)), 2))
        paths[f"U{i}"] = [(records[i]["lon"] + x, records[i]["lat"] + y) for x, y in np.cumsum(steps, axis=0)]
    followed, seeked = UnitLayer(), UnitLayer()
    followed.set_records([dict(r) for r in records])
    seeked.set_records([dict(r) for r in records])
    now = {u: (path[-1] if path else (records[int(u[1:])]["lon"], records[int(u[1:])]["lat"])) for u, path in paths.items()}
    for u, path in paths.items():  # followed: the trail starts at the first point, then each move is pushed
        if not path:
            continue
        row = followed.row(u)
        followed.trail_x[row], followed.trail_y[row], followed.trail_head[row] = np.nan, np.nan, 0
        for lon, lat in path + [now[u]]:
            followed.update_positions([u], [lon], [lat])
    ids = list(now)
    seeked.update_positions(ids, [now[u][0] for u in ids], [now[u][1] for u in ids])
    seeked.set_trails(paths)
    rows = np.arange(40)
    for a, b in zip(followed.trails(rows), seeked.trails(rows)):
        np.testing.assert_allclose(a, b, equal_nan=True)
    assert (np.isfinite(seeked.trails(rows)[0]).sum(axis=1) <= TRAIL_LENGTH).all()


def test_incidents_parse_times_and_hide_closed():
    incidents = IncidentLayer()
    incidents.set_records([
        {"incident_id": "i1", "lon": 24.9, "lat": 60.1, "priority": 1, "created_ts": "2025-06-15T12:00:00Z"},
        {"incident_id": "i2", "lon": 24.9, "lat": 60.1, "priority": 3, "status": "closed", "created_ts": 0},
    ])
    assert incidents.data["created_ts"][0] == pytest.approx(1749988800.0)
    assert incidents.drawn().tolist() == [True, False]
    assert incidents.created_between(1749988000, 1749990000).tolist() == [True, False]


def test_grid_choropleth_classes_and_picking():
    grids = GridLayer()
    boxes = [shapely.box(24.90 + k * 0.01, 60.10, 24.91 + k * 0.01, 60.11) for k in range(6)]
    grids.set_polygons([f"g{k}" for k in range(6)], boxes)
    grids.set_values({"g0": 0, "g1": 1, "g2": 2, "g3": 5, "g4": 20})
    assert grids.classes[0] == -1 and grids.classes[5] == -1  # zero and missing: unfilled
    assert list(grids.classes[1:5]) == sorted(grids.classes[1:5]) and grids.classes[4] == 4
    from layers.crs import wgs84_to_mercator
    assert grids.ids[grids.at(*wgs84_to_mercator(24.925, 60.105))] == "g2"


def test_basemap_cuts_long_streets_so_box_queries_find_them():
    basemap = Basemap()
    basemap.set_streets([shapely.LineString([(24.90, 60.10), (24.99, 60.10)])], ["Long road"], ["primary"])
    assert len(basemap.sx0) > 20  # ~5 km in 200 m pieces
    from layers.crs import wgs84_to_mercator
    x, y = wgs84_to_mercator(24.95, 60.10)
    assert len(basemap.segments_in(x - 5, y - 5, x + 5, y + 5)) >= 1
    assert basemap.label_text.tolist() == ["Long road"]
