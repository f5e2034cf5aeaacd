"""Map rendering benchmark: offscreen, 1920x1080, a deterministic synthetic city (150,000 cameras,
3,000 grid polygons, 5,000 units, 10,000 incidents, both heatmaps and the basemap on).

Prints `name value unit` lines. Every frame time is from the view or data change to a finished frame
(a synchronous repaint of the whole window, every tile in view rendered).

- first_frame_ms: city, incidents and units handed to the map, until the first finished frame.
- pan_{full,quarter,street}_{p50,p95}_ms: a mouse drag at the city extent, at 1/4 of its width and at
  1/64 of it (over the densest town): 20 view changes, one per 1/60 s, each moving the view 1/16 of
  its width (120 px) in a straight line onto new ground. Between frames the event loop runs, as it
  would, and the map renders the tiles around the view ahead of need.
- pan_{...}_key_p95_ms: an arrow key held down: the view glides a key step (20 % of it) per GLIDE_S
  (map/glide.py), 43 px a 1/60 s frame; 20 frames along a closed loop (right, up, left, down).
- zoom_step_p95_ms: 10 key zoom steps in (each a new tile level) and 10 back out, each until a finished
  frame at the new level.
- zoom_step_first_paint_p95_ms: the same steps, until the first frame at the new level is on screen (the
  previous level scaled where the new level's tiles are not rendered yet).
- units_update_p95_ms: all 5,000 units move (update_positions), 20 times, 50 ms apart (the rows a
  heatmap tick in between left to draw are drawn first, untimed: they are that tick's frames).
- heatmap_update_ms: the incident heatmap recomputed from 10,000 points and recoloured (median of 20).
- heatmap_first_frame_p95_ms: the same plus the first frame that shows it (the rest of the view follows a
  row of tiles a frame), 95th percentile of 20: the hitch a heatmap tick makes while units move.
- heatmap_frame_ms: the same plus every frame until the whole view shows it (median of 20).
- rss_mb: peak resident memory of the process.

Run: .venv/bin/python bench/map_render.py
"""
from __future__ import annotations

import math
import os
import resource
import sys
import time
from pathlib import Path

os.environ["QT_QPA_PLATFORM"] = "offscreen"
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
from PySide6 import QtWidgets  # noqa: E402

from layers import crs as crs_lib  # noqa: E402
from layers.synthetic import make_city  # noqa: E402
from map.canvas import KEY_PAN_FRACTION, MapCanvas  # noqa: E402
from map.glide import GLIDE_S  # noqa: E402
from city_on_map import densest_town, incidents_per_grid, put_city_on  # noqa: E402

SEED = 20240601
NOW = 1_750_000_000.0
PANS = 20
FRAME_S = 1 / 60
DRAG_STEP = 1 / 16
DRAG_ANGLE = math.radians(20)
# An arrow key held down moves the view this much a frame (map.glide).
KEY_FRAME_STEP = KEY_PAN_FRACTION * FRAME_S / GLIDE_S
KEY_LOOP = ((1, 0), (0, 1), (-1, 0), (0, -1))


def ms(seconds: float) -> float:
    return seconds * 1000.0


def report(name: str, value: float, unit: str = "ms") -> None:
    print(f"{name} {value:.1f} {unit}", flush=True)


def timed(action, canvas: MapCanvas) -> float:
    start = time.perf_counter()
    action()
    canvas.render_now()
    return time.perf_counter() - start


def idle(app: QtWidgets.QApplication, seconds: float = 0.0) -> None:
    """Let queued events run between measured frames, as the event loop would."""
    deadline = time.perf_counter() + seconds
    app.processEvents()
    while time.perf_counter() < deadline:
        app.processEvents()
        time.sleep(0.002)


def main() -> None:
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
    rng = np.random.default_rng(SEED)
    city = make_city(seed=SEED % 1000, now=NOW)
    per_grid = incidents_per_grid(city.pack, city.incidents["lon"], city.incidents["lat"])

    canvas = MapCanvas()
    canvas.clock = lambda: NOW
    canvas.resize(1920, 1080)
    canvas.show()
    idle(app)

    start = time.perf_counter()
    put_city_on(canvas, city, per_grid)
    canvas.set_layer_visible("incident_heat", True)
    canvas.update_heatmaps(force=True)
    canvas.render_now()
    report("first_frame_ms", ms(time.perf_counter() - start))
    idle(app)

    town = densest_town(canvas)
    x0, y0, x1, y1 = canvas.view_box()
    full_width = x1 - x0
    for name, fraction, center in (("full", 1.0, None), ("quarter", 0.25, town), ("street", 1 / 64, town)):
        if center is None:
            canvas.fit_city()
        else:
            half = full_width * fraction / 2
            canvas.set_view(center[0] - half, center[1] - half, center[0] + half, center[1] + half)
        canvas.render_now()
        idle(app, 0.5)
        drag = []
        for _ in range(PANS):
            drag.append(timed(lambda: canvas.pan(DRAG_STEP * math.cos(DRAG_ANGLE), DRAG_STEP * math.sin(DRAG_ANGLE)), canvas))
            idle(app, FRAME_S - drag[-1])
        report(f"pan_{name}_p50_ms", ms(np.percentile(drag, 50)))
        report(f"pan_{name}_p95_ms", ms(np.percentile(drag, 95)))
        keys = []
        for k in range(PANS):
            fx, fy = KEY_LOOP[k * len(KEY_LOOP) // PANS]
            keys.append(timed(lambda: canvas.pan(fx * KEY_FRAME_STEP, fy * KEY_FRAME_STEP), canvas))
            idle(app, FRAME_S - keys[-1])
        report(f"pan_{name}_key_p95_ms", ms(np.percentile(keys, 95)))

    canvas.fit_city()
    canvas.render_now()
    idle(app)
    zooms, first_paints = [], []
    for factor in [math.sqrt(2)] * 10 + [1 / math.sqrt(2)] * 10:
        start = time.perf_counter()
        canvas.zoom(factor, town)
        canvas.view.viewport().repaint()  # the first frame at the new level (the last level scaled where unready)
        first_paints.append(time.perf_counter() - start)
        canvas.render_now()  # then every tile of the new level
        zooms.append(time.perf_counter() - start)
        idle(app)
    report("zoom_step_p95_ms", ms(np.percentile(zooms, 95)))
    report("zoom_step_first_paint_p95_ms", ms(np.percentile(first_paints, 95)))

    canvas.fit_city()
    canvas.render_now()
    idle(app)
    units, inc = city.units, city.incidents
    lon, lat = units["lon"].copy(), units["lat"].copy()
    heading = units["heading"].copy()
    updates = []
    for _ in range(20):
        step = rng.uniform(5, 40, len(lon)) / 111_000  # metres to degrees, roughly
        lon += step * np.sin(np.radians(heading))
        lat += step * np.cos(np.radians(heading))
        heading = (heading + rng.normal(0, 20, len(heading))) % 360
        canvas.render_now()  # what an idle-time heatmap tick left to draw is not this update's frame
        updates.append(timed(lambda: canvas.units_layer.update_positions(units["ids"], lon, lat, heading), canvas))
        idle(app, 0.05)
    report("units_update_p95_ms", ms(np.percentile(updates, 95)))

    ix, iy = crs_lib.wgs84_to_mercator(inc["lon"], inc["lat"])
    heat, heat_first_frames, heat_frames = [], [], []
    for k in range(20):
        jitter = rng.normal(0, 30, (2, len(ix)))
        start = time.perf_counter()
        canvas.incident_heat.compute(ix + jitter[0], iy + jitter[1])
        heat.append(time.perf_counter() - start)
        canvas.view.viewport().repaint()
        heat_first_frames.append(time.perf_counter() - start)
        canvas.render_now()
        heat_frames.append(time.perf_counter() - start)
        idle(app)
    report("heatmap_update_ms", ms(np.median(heat)))
    report("heatmap_first_frame_p95_ms", ms(np.percentile(heat_first_frames, 95)))
    report("heatmap_frame_ms", ms(np.median(heat_frames)))
    report("rss_mb", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "MB")


if __name__ == "__main__":
    main()
