"""City packs for benchmarks: the demo pack with more units than its 40."""
from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import numpy as np


def city_with_units(folder: Path, units: int, name: str, checkpoints: int = 0) -> Path:
    """A copy of the demo pack, named `name`, with patrols U041... added at random points of its streets up
    to `units` in all, and bayonets K0001... up to `checkpoints` more (the same points every time)."""
    from drills.load import street_sampler
    from layers.citypack import CITIES_DIR, load_city

    pack = folder / name
    shutil.copytree(CITIES_DIR / "demo", pack)
    meta = json.loads((pack / "city.json").read_text(encoding="utf-8"))
    meta["name"] = name
    (pack / "city.json").write_text(json.dumps(meta, ensure_ascii=False, indent=2), encoding="utf-8")
    demo = load_city("demo")
    station = demo.units["station"][demo.units["kind"] == "patrol"].iloc[0]
    point = street_sampler(demo.streets)
    rng = np.random.default_rng(1)
    with (pack / "units.csv").open("a", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        for number in range(len(demo.units) + 1, units + 1):
            lon, lat = point(rng)
            writer.writerow([f"U{number:03d}", f"P-{number:03d}", "patrol", station, f"{lon:.6f}", f"{lat:.6f}"])
    if checkpoints:
        layer = json.loads((pack / "checkpoints.geojson").read_text(encoding="utf-8"))
        for number in range(1, checkpoints + 1):
            lon, lat = point(rng)
            layer["features"].append({"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]},
                                      "properties": {"checkpoint_id": f"K{number:04d}", "name": f"Bayonet {number}",
                                                     "kind": "bayonet"}})
        (pack / "checkpoints.geojson").write_text(json.dumps(layer, ensure_ascii=False), encoding="utf-8")
    return pack
