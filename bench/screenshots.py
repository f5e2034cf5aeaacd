"""Screenshots of the map under a virtual X display, saved to out/screenshots/ for a human to look at.

    .venv/bin/python bench/screenshots.py            # starts its own Xvfb
    DISPLAY=:0 .venv/bin/python bench/screenshots.py --here   # on the current display

Shots: the demo city with every layer on; zoomed into a few streets (names, callsigns, camera cones);
the two heatmaps; the synthetic prefecture (150,000 cameras) at city and district zoom.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "out" / "screenshots"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

NOW = 1_750_000_000.0


def demo_live_state(canvas, pack, rng) -> None:
    """Units from the pack with statuses and a few moves (for trails), incidents near streets."""
    import numpy as np

    from city_on_map import incidents_per_grid
    from dispatch.domain import UNIT_STATUSES

    units = pack.units
    n = len(units)
    lon, lat = units.geometry.x.to_numpy(), units.geometry.y.to_numpy()
    status = rng.choice(np.array(UNIT_STATUSES, dtype=object), n, p=[0.4, 0.15, 0.15, 0.15, 0.1, 0.05])
    canvas.units_layer.set_arrays(units["unit_id"].to_numpy(), lon, lat, status=status,
                                  callsign=units["callsign"].to_numpy(), heading=rng.uniform(0, 360, n))
    heading = rng.uniform(0, 360, n)
    for _ in range(12):  # drive a little so the trails have something to show
        heading = (heading + rng.normal(0, 25, n)) % 360
        lon = lon + 0.00025 * np.sin(np.radians(heading))
        lat = lat + 0.00012 * np.cos(np.radians(heading))
        canvas.units_layer.update_positions(units["unit_id"].to_numpy(), lon, lat, heading)
    streets = pack.streets.geometry
    picks = rng.integers(0, len(streets), 60)
    points = [streets.iloc[int(k)].interpolate(0.5, normalized=True) for k in picks]
    kinds = np.array(["theft", "traffic", "assault", "fire", "noise", "medical"], dtype=object)
    canvas.incidents_layer.set_arrays(
        [f"INC-{k:03d}" for k in range(len(points))], [p.x for p in points], [p.y for p in points],
        kind=rng.choice(kinds, len(points)), priority=rng.choice(np.arange(1, 6), len(points)),
        status=rng.choice(np.array(["new", "dispatched", "onscene"], dtype=object), len(points)),
        created_ts=NOW - rng.uniform(0, 7200, len(points)))
    canvas.grids_layer.set_values(incidents_per_grid(pack, [p.x for p in points], [p.y for p in points]),
                                  "open incidents")


def shoot(canvas, app, name: str) -> Path:
    """Frames until the picture stops changing (new callsign images come a few each frame), then save."""
    canvas.update_heatmaps(force=True)
    picture = None
    for _ in range(50):
        app.processEvents()
        canvas.render_now()
        previous, picture = picture, canvas.grab().toImage()
        if picture == previous:
            break
    path = OUT / f"{name}.png"
    picture.save(str(path))
    print(path)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--here", action="store_true", help="use the current DISPLAY instead of a new Xvfb")
    args = parser.parse_args()
    if args.here:
        os.environ["QT_QPA_PLATFORM"] = "xcb"
        run()
    else:
        from support.xvfb import on_xvfb
        with on_xvfb():
            run()


def run() -> None:
    import numpy as np
    from PySide6 import QtWidgets

    from layers.citypack import load_city
    from layers.synthetic import make_city
    from map.canvas import MapCanvas
    from city_on_map import densest_town, incidents_per_grid, put_city_on

    OUT.mkdir(parents=True, exist_ok=True)
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
    rng = np.random.default_rng(20240601)

    canvas = MapCanvas()
    canvas.clock = lambda: NOW
    canvas.setGeometry(0, 0, 1920, 1080)
    canvas.show()
    app.processEvents()
    pack = load_city("demo")
    canvas.set_city(pack)
    demo_live_state(canvas, pack, rng)
    canvas.set_incident_window(NOW - 24 * 3600, NOW)
    for name in canvas.layer_order:
        canvas.set_layer_visible(name, True)
    canvas.fit_city()
    shoot(canvas, app, "demo_all_layers")

    canvas.set_layer_visible("incident_heat", False)
    canvas.set_layer_visible("patrol_heat", False)
    lon, lat = pack.meta["center"]
    canvas.center_on(lon, lat, 450)
    shoot(canvas, app, "demo_streets_zoomed")

    for name in ("cameras", "checkpoints", "stations", "incidents", "trails"):
        canvas.set_layer_visible(name, False)
    canvas.set_layer_visible("patrol_heat", True)
    canvas.fit_city()
    shoot(canvas, app, "demo_patrol_heatmap")
    canvas.set_layer_visible("patrol_heat", False)
    canvas.set_layer_visible("incident_heat", True)
    canvas.set_layer_visible("incidents", True)
    shoot(canvas, app, "demo_incident_heatmap")

    city = make_city(now=NOW)
    big = MapCanvas()
    big.clock = lambda: NOW
    big.setGeometry(0, 0, 1920, 1080)
    big.show()
    app.processEvents()
    put_city_on(big, city, incidents_per_grid(city.pack, city.incidents["lon"], city.incidents["lat"]))
    big.fit_city()
    shoot(big, app, "synthetic_city_150k_cameras")
    cx, cy = densest_town(big)
    x0, _, x1, _ = big.view_box()
    for name, fraction in (("synthetic_district_quarter", 0.25), ("synthetic_streets_1_64", 1 / 64)):
        half = (x1 - x0) * fraction / 2
        big.set_view(cx - half, cy - half, cx + half, cy + half)
        shoot(big, app, name)


if __name__ == "__main__":
    main()
