"""A small valid city pack written into tmp_path, for tests that break it one file at a time."""
from __future__ import annotations

import json
from pathlib import Path

import pytest


def square(lon: float, lat: float, side: float) -> list:
    return [[[lon, lat], [lon + side, lat], [lon + side, lat + side], [lon, lat + side], [lon, lat]]]


def point(lon: float, lat: float) -> dict:
    return {"type": "Point", "coordinates": [lon, lat]}


def feature_collection(features: list[tuple[dict, dict | None]]) -> str:
    return json.dumps({
        "type": "FeatureCollection",
        "features": [{"type": "Feature", "properties": p, "geometry": g} for p, g in features],
    })


class PackWriter:
    """Writes the files of a two-cell pack in central Helsinki; tests overwrite single files."""

    def __init__(self, root: Path):
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.write("city.json", json.dumps({"name": "tiny", "title": "Tiny", "title_zh": "小城"}))
        self.write(
            "units.csv",
            "unit_id,callsign,kind,station,lon,lat\n"
            "U1,P-01,patrol,S1,24.9410,60.1690\n"
            "U2,P-02,patrol,S1,24.9460,60.1690\n"
            "U3,F-01,fire,S1,24.9430,60.1695\n",
        )
        self.write(
            "cameras.csv",
            "camera_id,name,kind,stream_url,crs,direction_deg,fov_deg,online,lon,lat\n"
            "C1,Gate,dome,http://127.0.0.1:8090/cam/C1,EPSG:4326,90,60,true,24.9412,60.1691\n"
            "C2,Square,fixed,,,,,,24.9455,60.1692\n"
            "C3,Pier,fixed,,EPSG:4326,,,false,24.9440,60.1698\n",
        )
        self.write("checkpoints.geojson", feature_collection([
            ({"checkpoint_id": "B1", "name": "North", "kind": "bayonet"}, point(24.942, 60.170)),
            ({"checkpoint_id": "K1", "name": "Square", "kind": "checkpoint"}, point(24.946, 60.169)),
        ]))
        self.write("grids.geojson", feature_collection([
            ({"grid_id": "G1", "name": "West"}, {"type": "Polygon", "coordinates": square(24.940, 60.168, 0.004)}),
            ({"grid_id": "G2", "name": "East"}, {"type": "Polygon", "coordinates": square(24.944, 60.168, 0.004)}),
        ]))
        self.write("streets.geojson", feature_collection([
            ({"u": 1, "v": 2, "name": "Main", "highway": "primary", "length_m": 222.4, "oneway": False},
             {"type": "LineString", "coordinates": [[24.941, 60.169], [24.945, 60.169]]}),
            ({"u": 2, "v": 3, "name": "Side", "highway": "residential", "oneway": True},
             {"type": "LineString", "coordinates": [[24.945, 60.169], [24.945, 60.171]]}),
        ]))
        self.write("stations.geojson", feature_collection([
            ({"station_id": "S1", "name": "Central", "kind": "police"}, point(24.943, 60.1695)),
        ]))

    def write(self, name: str, text: str) -> None:
        (self.root / name).write_text(text, encoding="utf-8")

    def write_features(self, name: str, features: list[tuple[dict, dict | None]]) -> None:
        self.write(name, feature_collection(features))

    def read(self, name: str) -> str:
        return (self.root / name).read_text(encoding="utf-8")

    def replace(self, name: str, old: str, new: str) -> None:
        text = self.read(name)
        assert old in text, f"{old!r} not in {name}"
        self.write(name, text.replace(old, new, 1))

    def edit_json(self, name: str, change) -> None:
        data = json.loads(self.read(name))
        change(data)
        self.write(name, json.dumps(data))


@pytest.fixture
def pack(tmp_path) -> PackWriter:
    return PackWriter(tmp_path / "tiny")
