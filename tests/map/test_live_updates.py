"""Live updates: bursts coalesce into at most one frame per display refresh; tiles follow changes."""
from __future__ import annotations

import time

import numpy as np

from layers import style

from .conftest import CENTER, near, pixel


def test_a_burst_of_position_updates_paints_few_frames(canvas, qtbot):
    rng = np.random.default_rng(5)
    n = 2000
    ids = [f"u{k}" for k in range(n)]
    lon = CENTER[0] + rng.normal(0, 0.003, n)
    lat = CENTER[1] + rng.normal(0, 0.0015, n)
    canvas.units_layer.set_arrays(ids, lon, lat)
    canvas.render_now()
    paints = []
    item = canvas.layers["units"].item
    original = item.paint
    item.paint = lambda *args: (paints.append(time.perf_counter()), original(*args))
    start = time.perf_counter()
    for k in range(300):  # 300 updates of 50 units each, as fast as they come
        rows = rng.integers(0, n, 50)
        canvas.units_layer.update_positions([ids[r] for r in rows], lon[rows] + 1e-5 * k, lat[rows], heading=None)
    burst = time.perf_counter() - start
    qtbot.waitUntil(lambda: len(paints) >= 1, timeout=2000)
    qtbot.wait(100)
    assert len(paints) <= 2 + (burst + 0.1) * 1000 / 16 and len(paints) < 300


def test_unit_status_colour_follows_updates(canvas):
    lon, lat = CENTER
    canvas.units_layer.set_records([{"unit_id": "u", "lon": lon, "lat": lat, "status": "available"}])
    where = canvas.lonlat_to_screen(lon, lat)
    assert near(pixel(canvas, where), style.UNIT_STATUS_COLORS["available"])
    canvas.units_layer.set_status("u", "busy")
    assert near(pixel(canvas, where), style.UNIT_STATUS_COLORS["busy"])
    canvas.units_layer.update_positions(["u"], [lon + 0.001], [lat])
    moved = canvas.lonlat_to_screen(lon + 0.001, lat)
    assert near(pixel(canvas, moved), style.UNIT_STATUS_COLORS["busy"])
    assert not near(pixel(canvas, where), style.UNIT_STATUS_COLORS["busy"])


def test_camera_state_changes_redraw_its_tile_in_three_distinct_colours(canvas):
    lon, lat = CENTER
    canvas.cameras_layer.set_records([{"camera_id": "c", "lon": lon, "lat": lat},
                                      {"camera_id": "far", "lon": lon + 0.003, "lat": lat}])
    where = canvas.lonlat_to_screen(lon, lat)
    assert near(pixel(canvas, where), style.CAMERA_UNKNOWN), "a camera nobody has observed is unknown"
    canvas.cameras_layer.set_states(["c"], "online")
    assert near(pixel(canvas, where), style.CAMERA_ONLINE)
    canvas.cameras_layer.set_states(["c"], "offline")
    assert near(pixel(canvas, where), style.CAMERA_OFFLINE)
    colours = (style.CAMERA_ONLINE, style.CAMERA_OFFLINE, style.CAMERA_UNKNOWN)
    assert all(max(abs(x - y) for x, y in zip(a, b)) > 40 for a in colours for b in colours if a != b)


def test_closed_incident_disappears(canvas):
    lon, lat = CENTER
    canvas.incidents_layer.set_records([{"incident_id": "i", "priority": 1, "lon": lon, "lat": lat}])
    where = canvas.lonlat_to_screen(lon, lat)
    assert near(pixel(canvas, where), style.INCIDENT_PRIORITY_COLORS[1])
    canvas.incidents_layer.upsert([{"incident_id": "i", "lon": lon, "lat": lat, "status": "closed"}])
    assert near(pixel(canvas, where), style.BACKGROUND, tolerance=12)
