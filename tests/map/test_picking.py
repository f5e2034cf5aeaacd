"""The feature under the cursor is the one picked; clicks select; tooltips describe."""
from __future__ import annotations

import numpy as np
from PySide6 import QtCore
from PySide6.QtCore import Qt

from .conftest import CENTER


def put_features(canvas):
    lon, lat = CENTER
    canvas.cameras_layer.set_records([
        {"camera_id": "cam-a", "name": "Kamppi west", "lon": lon - 0.0010, "lat": lat, "state": "online"},
        {"camera_id": "cam-b", "name": "Kamppi east", "lon": lon + 0.0010, "lat": lat},
    ])
    canvas.units_layer.set_records([
        {"unit_id": "u-1", "callsign": "P-01", "lon": lon, "lat": lat + 0.0008, "status": "enroute", "heading": 90},
    ])
    canvas.incidents_layer.set_records([
        {"incident_id": "i-1", "kind": "theft", "priority": 2, "status": "new", "lon": lon, "lat": lat - 0.0008,
         "created_ts": "2025-06-15T14:00:00Z"},
    ])
    canvas.render_now()


def test_feature_under_cursor_is_picked(canvas, qtbot):
    put_features(canvas)
    lon, lat = CENTER
    for layer, feature_id, where in (("cameras", "cam-a", (lon - 0.0010, lat)), ("cameras", "cam-b", (lon + 0.0010, lat)),
                                     ("units", "u-1", (lon, lat + 0.0008)), ("incidents", "i-1", (lon, lat - 0.0008))):
        pos = canvas.lonlat_to_screen(*where)
        hit = canvas.feature_at(pos + QtCore.QPointF(3, -2))  # a few pixels off the centre still hits
        assert hit is not None and (hit.layer, hit.feature_id) == (layer, feature_id)
    empty = canvas.lonlat_to_screen(lon + 0.0030, lat + 0.0030)
    assert canvas.feature_at(empty) is None


def test_hover_marks_and_describes_the_feature(canvas, qtbot):
    put_features(canvas)
    pos = canvas.lonlat_to_screen(CENTER[0] - 0.0010, CENTER[1]).toPoint()
    with qtbot.waitSignal(canvas.cursorMoved, timeout=2000) as moved:
        qtbot.mouseMove(canvas.view.viewport(), pos)
    assert abs(moved.args[0] - (CENTER[0] - 0.0010)) < 1e-4
    qtbot.waitUntil(lambda: canvas.marks.hovered is not None, timeout=2000)
    hit = canvas.feature_at(QtCore.QPointF(pos))
    assert canvas.describe(hit) == "Kamppi west · online"
    east = canvas.feature_at(canvas.lonlat_to_screen(CENTER[0] + 0.0010, CENTER[1]))
    assert canvas.describe(east) == "Kamppi east · state unknown"


def test_click_selects_and_click_on_nothing_clears(canvas, qtbot):
    put_features(canvas)
    viewport = canvas.view.viewport()
    pos = canvas.lonlat_to_screen(CENTER[0], CENTER[1] - 0.0008).toPoint()
    with qtbot.waitSignal(canvas.selectionChanged, timeout=2000) as selected:
        qtbot.mouseClick(viewport, Qt.MouseButton.LeftButton, pos=pos)
    assert selected.args == ["incidents", "i-1"]
    empty = canvas.lonlat_to_screen(CENTER[0] + 0.003, CENTER[1] + 0.003).toPoint()
    with qtbot.waitSignal(canvas.selectionChanged, timeout=2000) as cleared:
        qtbot.mouseClick(viewport, Qt.MouseButton.LeftButton, pos=empty)
    assert cleared.args == ["", ""]


def test_grid_cell_is_picked_under_points(canvas):
    import shapely
    lon, lat = CENTER
    canvas.grids_layer.set_polygons(["g-1"], [shapely.box(lon - 0.002, lat - 0.002, lon + 0.002, lat + 0.002)], ["Cell 1"])
    put_features(canvas)
    hit = canvas.feature_at(canvas.lonlat_to_screen(lon + 0.0015, lat + 0.0015))
    assert (hit.layer, hit.feature_id) == ("grids", "g-1")


def test_at_city_zoom_a_crowded_cell_is_one_cluster(canvas):
    rng = np.random.default_rng(3)
    lon, lat = CENTER
    n = 5000
    canvas.cameras_layer.set_arrays([f"c{k}" for k in range(n)], lon + rng.normal(0, 0.01, n),
                                    lat + rng.normal(0, 0.005, n))
    canvas.center_on(lon, lat, 60_000)
    canvas.render_now()
    hit = canvas.feature_at(canvas.lonlat_to_screen(lon, lat))
    assert hit is not None and hit.layer == "cameras" and hit.feature_id is None and hit.count > 1
    x0, y0, x1, y1 = hit.box
    members = ((canvas.cameras_layer.x >= x0) & (canvas.cameras_layer.x <= x1)
               & (canvas.cameras_layer.y >= y0) & (canvas.cameras_layer.y <= y1))
    assert members.sum() >= hit.count
