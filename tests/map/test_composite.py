"""The cached composite: a zoom shows the last level scaled at once, then refines; a pan draws only the
uncovered strips and matches a fresh frame; unit moves render no tile, incident ages only incident tiles."""
from __future__ import annotations

import math
import time

import numpy as np
from PySide6 import QtCore

from layers import style
from map.tiles import RENDER_BUDGET_S, TileGroup

from .conftest import CENTER, near, pixel


def grab(canvas):
    canvas.render_now()
    return canvas.view.viewport().grab().toImage()


def count_tile_renders(monkeypatch) -> list:
    """(group, frame) for every tile rendered from now on."""
    rendered = []
    original = TileGroup._composite
    monkeypatch.setattr(TileGroup, "_composite", lambda self, frame: (rendered.append((self, frame)), original(self, frame))[1])
    return rendered


def test_zoom_shows_the_last_level_scaled_then_refines(canvas, qtbot):
    lon, lat = CENTER
    canvas.cameras_layer.set_records([{"camera_id": "c", "lon": lon, "lat": lat, "state": "online"}])
    canvas.render_now()
    canvas.pan(0.3, -0.2)  # the composite's ring turns: the scaled picture must be unrolled
    canvas.render_now()
    composite = canvas._composite_of["cameras"]
    # The frames at the new level render no tile at all (grab() paints a frame of its own) until allowed.
    composite.first_budget_s = composite.budget_s = 0.0
    x, y = canvas.cameras_layer.x[0], canvas.cameras_layer.y[0]
    canvas.zoom(math.sqrt(2), (x, y))
    canvas.view.viewport().repaint()
    assert composite.pending  # the new level is not finished...
    where = canvas.to_screen(x, y)
    first = canvas.view.viewport().grab().toImage().pixelColor(where.toPoint())
    assert composite.pending
    assert near(first, style.CAMERA_ONLINE)  # ...but the camera shows, from the last level scaled
    composite.budget_s = RENDER_BUDGET_S
    qtbot.waitUntil(lambda: not composite.pending, timeout=5000)  # refined by the next frames
    assert near(grab(canvas).pixelColor(where.toPoint()), style.CAMERA_ONLINE)


def test_a_pan_draws_strips_that_match_a_fresh_frame(canvas):
    rng = np.random.default_rng(3)
    lon, lat = CENTER
    n = 400
    canvas.cameras_layer.set_arrays([f"c{k}" for k in range(n)], lon + rng.normal(0, 0.004, n),
                                    lat + rng.normal(0, 0.002, n))
    canvas.incidents_layer.set_arrays([f"i{k}" for k in range(60)], lon + rng.normal(0, 0.004, 60),
                                      lat + rng.normal(0, 0.002, 60), created_ts=np.full(60, 1_750_000_000.0 - 60))
    canvas.set_layer_visible("incident_heat", True)
    canvas.update_heatmaps(force=True)
    grab(canvas)
    for fx, fy in ((0.13, 0.05), (-0.07, 0.11), (0.02, -0.17)):
        canvas.pan(fx, fy)
        grab(canvas)
    shifted = grab(canvas)
    for composite in canvas._composites:
        composite.changed()  # draw every pixel again from the tiles
    fresh = grab(canvas)
    a = np.frombuffer(shifted.constBits(), np.uint8).reshape(shifted.height(), -1).astype(int)
    b = np.frombuffer(fresh.constBits(), np.uint8).reshape(fresh.height(), -1).astype(int)
    assert np.abs(a - b).max() <= 2


def test_unit_moves_render_no_tile_and_incident_ages_only_incident_tiles(canvas, monkeypatch):
    lon, lat = CENTER
    canvas.cameras_layer.set_records([{"camera_id": "c", "lon": lon + 0.001, "lat": lat}])
    canvas.incidents_layer.set_records([{"incident_id": "i", "lon": lon, "lat": lat + 0.001,
                                         "created_ts": 1_750_000_000.0 - 300}])
    canvas.units_layer.set_records([{"unit_id": "u", "lon": lon, "lat": lat}])
    canvas.render_now()
    rendered = count_tile_renders(monkeypatch)
    canvas.units_layer.update_positions(["u"], [lon + 0.0005], [lat])
    canvas.render_now()
    assert rendered == []
    where = canvas.lonlat_to_screen(lon + 0.0005, lat)
    assert near(grab(canvas).pixelColor(where.toPoint()), style.UNIT_STATUS_COLORS["available"])
    canvas._incident_ages()
    canvas.render_now()
    assert rendered and {group for group, _ in rendered} == {canvas._group_of["incidents"]}


def test_layer_titles_and_tooltips_are_translated(canvas, qtbot):
    C = QtCore

    class Chinese(C.QTranslator):
        def translate(self, context, source, disambiguation=None, n=-1):
            return {"Cameras": "摄像头", "online": "在线", "{n} m": "{n} 米"}.get(source, "") if context == "map" else ""

    translator = Chinese()
    C.QCoreApplication.installTranslator(translator)
    try:
        assert canvas.layer_title("cameras") == "摄像头"
        lon, lat = CENTER
        canvas.cameras_layer.set_records([{"camera_id": "c", "name": "Kamppi", "lon": lon, "lat": lat,
                                           "state": "online"}])
        hit = canvas.feature_at(canvas.lonlat_to_screen(lon, lat))
        assert canvas.describe(hit) == "Kamppi · 在线"
        from map.overlays import format_distance
        assert format_distance(50) == "50 米"
    finally:
        C.QCoreApplication.removeTranslator(translator)
    assert canvas.layer_title("cameras") == "Cameras"


def test_prefetch_looks_ahead_of_a_moving_view_and_all_around_a_resting_one(canvas):
    canvas.render_now()
    composite = canvas._composites[0]
    far = 100_000  # tiles nobody has rendered

    def planned(motion, moving: bool) -> set[tuple[int, int]]:
        composite._motion = motion
        composite._moved_at = time.perf_counter() if moving else 0.0
        composite._plan_prefetch(10, far, far + 3, far, far + 2)
        composite._prefetch_timer.stop()
        return {(tx - far, ty - far) for _, _, tx, ty in composite._ahead}

    # fast to the east: two columns ahead, nothing behind or beside
    assert planned((120, 0), True) == {(tx, ty) for tx in (4, 5) for ty in range(3)}
    # slowly to the north-west: one row and one column ahead
    ahead = planned((-20, 10), True)
    assert ahead == {(-1, ty) for ty in range(4)} | {(tx, 3) for tx in range(-1, 4)}
    # at rest: the whole ring, two deep on every side
    around = planned((120, 0), False)
    assert len(around) == 8 * 7 - 4 * 3 and {(-2, -2), (5, 4), (-2, 4), (5, -2)} <= around
    # nearest first: the ring one deep before the ring two deep
    depths = [max(abs(tx - far - 1.5) - 1.5, abs(ty - far - 1) - 1) for _, _, tx, ty in composite._ahead]
    assert depths == sorted(depths)
    # a frame that changed neither the view nor a layer keeps the queue; a layer change plans again
    queue = composite._ahead
    composite._plan_prefetch(10, far, far + 3, far, far + 2)
    assert composite._ahead is queue
    composite.changed()
    composite._plan_prefetch(10, far, far + 3, far, far + 2)
    assert composite._ahead is not queue and set(composite._ahead) == set(queue)


def test_the_background_is_painted_once_whatever_layer_is_at_the_bottom(canvas):
    """The bottom composite paints every pixel, so the view paints no background under it; with a live
    layer at the bottom, the view paints the background itself."""
    corner = QtCore.QPointF(5, 5)  # no feature there
    assert canvas.view.backgroundBrush().style() == QtCore.Qt.BrushStyle.NoBrush
    assert near(pixel(canvas, corner), style.BACKGROUND, tolerance=2)
    canvas.set_layer_order(["units"] + [name for name in canvas.layer_order if name != "units"])
    assert near(pixel(canvas, corner), style.BACKGROUND, tolerance=2)


def test_a_layer_change_redraws_the_view_a_row_of_tiles_a_frame_nearest_the_centre_first(canvas, qtbot):
    canvas.resize(1000, 1200)  # five rows of tiles or more: grab()'s own frame draws one more row
    qtbot.waitUntil(lambda: canvas.view.viewport().height() >= 1150)
    rng = np.random.default_rng(5)
    lon, lat = CENTER
    n = 600
    canvas.incidents_layer.set_arrays([f"i{k}" for k in range(n)], lon + rng.uniform(-0.01, 0.01, n),
                                      lat + rng.uniform(-0.005, 0.005, n), created_ts=np.full(n, 1_750_000_000.0 - 60))
    canvas.set_layer_visible("incidents", False)
    canvas.set_layer_visible("incident_heat", True)
    canvas.update_heatmaps(force=True)
    middle, top = QtCore.QPoint(500, 600), QtCore.QPoint(500, 3)
    before = grab(canvas)
    composite = canvas._composite_of["incident_heat"]
    composite.refresh_budget_s = 0.0  # one row a frame
    canvas.set_layer_visible("incident_heat", False)  # no tile to render again: only the picture changes
    canvas.view.viewport().repaint()
    first = canvas.view.viewport().grab().toImage()
    assert composite.pending
    assert first.pixelColor(middle) != before.pixelColor(middle)  # the centre row is drawn again...
    assert first.pixelColor(top) == before.pixelColor(top)  # ...the top row not yet
    frames = 0
    while composite.pending:
        canvas.view.viewport().repaint()
        frames += 1
    assert frames <= math.ceil(canvas.view.viewport().height() / 256)
    after = grab(canvas)
    assert after.pixelColor(top) != before.pixelColor(top)
    composite.changed()
    assert grab(canvas) == after  # as a picture drawn whole


def test_a_change_to_a_few_features_draws_only_the_squares_around_them(canvas, monkeypatch):
    lon, lat = CENTER
    canvas.cameras_layer.set_records([{"camera_id": "a", "lon": lon, "lat": lat}])
    canvas.render_now()
    composite = canvas._composite_of["cameras"]
    composite.refresh_budget_s = 0.0  # a refresh of the whole view would take a frame per row
    composite.budget_s = 10.0  # what is tested is which squares are drawn, not how fast
    rendered = count_tile_renders(monkeypatch)
    canvas.cameras_layer.upsert([{"camera_id": "b", "lon": lon + 0.001, "lat": lat + 0.0005, "state": "online"}])
    canvas.view.viewport().repaint()
    assert not composite.pending  # one frame: the squares around the new camera, no rows
    assert 1 <= len(rendered) <= 4 and {group for group, _ in rendered} == {canvas._group_of["cameras"]}
    where = canvas.lonlat_to_screen(lon + 0.001, lat + 0.0005)
    assert near(canvas.view.viewport().grab().toImage().pixelColor(where.toPoint()), style.CAMERA_ONLINE)
    shown = grab(canvas)
    composite.changed()
    assert grab(canvas) == shown  # as a picture drawn whole
