"""Zoom, pan, fit, bookmarks, keys, scale bar, and loading a city pack with progress."""
from __future__ import annotations

import math

import pytest
from PySide6 import QtCore, QtGui
from PySide6.QtCore import Qt

from map.canvas import FRAME_MS
from map.tiles import level_for_scale, level_scale

from .conftest import CENTER


def approx(value):
    return pytest.approx(value, rel=1e-6)


def on_a_level(canvas) -> bool:
    scale = canvas.scale()
    return abs(scale / level_scale(level_for_scale(scale)) - 1) < 1e-6


def test_keys_pan_and_zoom_by_whole_levels(canvas, qtbot):
    x0, y0, x1, y1 = canvas.view_box()
    lefts: list[float] = []
    canvas.viewbox.sigRangeChanged.connect(lambda *_: lefts.append(canvas.view_box()[0]))
    canvas.view.setFocus()
    qtbot.keyClick(canvas.view, Qt.Key.Key_Right)
    assert canvas.gliding and canvas.view_box()[0] == x0  # glides in the next frames, does not jump
    qtbot.waitUntil(lambda: not canvas.gliding, timeout=2000)
    nx0, ny0, nx1, _ = canvas.view_box()
    assert nx0 - x0 == approx(0.2 * (x1 - x0)) and ny0 == approx(y0)
    assert len(lefts) >= 2 and lefts == sorted(lefts), lefts  # in steps, all east
    scale = canvas.scale()
    qtbot.keyClick(canvas.view, Qt.Key.Key_Plus)
    assert canvas.scale() == approx(scale * math.sqrt(2)) and on_a_level(canvas)
    qtbot.keyClick(canvas.view, Qt.Key.Key_Minus)
    assert canvas.scale() == approx(scale)


def test_a_zoom_ends_a_key_glide(canvas, qtbot):
    canvas.view.setFocus()
    qtbot.keyClick(canvas.view, Qt.Key.Key_Right)
    assert canvas.gliding
    qtbot.keyClick(canvas.view, Qt.Key.Key_Plus)
    assert not canvas.gliding
    zoomed = canvas.view_box()
    qtbot.wait(2 * FRAME_MS)  # the glide's next frame would have come by now
    assert canvas.view_box() == zoomed


def test_wheel_zooms_about_the_cursor_and_stays_on_a_level(canvas, qtbot):
    viewport = canvas.view.viewport()
    pos = QtCore.QPointF(200, 150)
    before = canvas.to_map(pos)
    scale = canvas.scale()
    event = QtGui.QWheelEvent(
        pos, viewport.mapToGlobal(pos), QtCore.QPoint(), QtCore.QPoint(0, 120), Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QtCore.QCoreApplication.sendEvent(viewport, event)
    assert canvas.scale() > scale and on_a_level(canvas)
    after = canvas.to_map(pos)
    assert math.hypot(after[0] - before[0], after[1] - before[1]) * canvas.scale() < 2  # pixels


def test_fit_layer_shows_every_feature(canvas):
    lon, lat = CENTER
    canvas.cameras_layer.set_records([{"camera_id": "a", "lon": lon - 0.05, "lat": lat - 0.02},
                                      {"camera_id": "b", "lon": lon + 0.05, "lat": lat + 0.02}])
    canvas.fit_layer("cameras")
    x0, y0, x1, y1 = canvas.view_box()
    for x, y in zip(canvas.cameras_layer.x, canvas.cameras_layer.y):
        assert x0 <= x <= x1 and y0 <= y <= y1
    assert on_a_level(canvas)


def test_bookmarks_return_to_a_view(canvas):
    canvas.center_on(24.95, 60.17, 300)
    canvas.add_bookmark("harbour")
    box = canvas.view_box()
    canvas.center_on(24.90, 60.20, 5000)
    canvas.go_to_bookmark("harbour")
    again = canvas.view_box()
    assert all(abs(a - b) < 1.0 for a, b in zip(box, again))
    lon, lat, extent = canvas.bookmarks["harbour"]
    assert abs(lon - 24.95) < 1e-3 and abs(lat - 60.17) < 1e-3


def test_scale_bar_reads_ground_metres(canvas):
    canvas.center_on(*CENTER, 600)
    bar = canvas.scale_bar
    ground_per_px = math.cos(math.radians(CENTER[1])) / canvas.scale()
    assert bar.length_m in (10, 20, 50, 100, 200, 500) and abs(bar.bar_px * ground_per_px - bar.length_m) < 0.5


def test_open_city_reads_in_the_background_with_progress(canvas, qtbot):
    steps = []
    canvas.loading.set_progress = lambda fraction, text: steps.append((fraction, text))
    with qtbot.waitSignal(canvas.cityLoaded, timeout=60_000) as loaded:
        canvas.open_city("demo")
    assert loaded.args[0].name == "demo"
    assert steps[0][0] is None  # busy while the files are read
    fractions = [f for f, _ in steps[1:]]
    assert fractions == sorted(fractions) and len(fractions) >= 5
    assert len(canvas.cameras_layer) == len(loaded.args[0].cameras) and len(canvas.basemap.sx0) > 1000
