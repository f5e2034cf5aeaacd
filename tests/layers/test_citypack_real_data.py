"""Packs assembled from real public city data in ../shared/data beside the checkout (see each PROVENANCE.md).

Such files keep their own column names; city.json maps them ("columns") and fills what they lack ("defaults").
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely

from layers.citypack import CityPackError, load_city

DATA = (Path(__file__).resolve().parents[3] / "shared" / "data").resolve()
SF = DATA / "san_francisco"
SEATTLE = DATA / "seattle"


def test_the_shared_real_data_is_beside_the_checkout():
    assert (SF / "PROVENANCE.md").is_file() and (SEATTLE / "PROVENANCE.md").is_file(), DATA

BEATS = {"file": str(SEATTLE / "seattle_police_beats_2018_present.geojson"), "columns": {"grid_id": "beat"}}
ONLY = {"units": None, "cameras": None, "checkpoints": None, "streets": None, "stations": None}


def write_pack(root: Path, layers: dict) -> Path:
    root.mkdir()
    (root / "city.json").write_text(json.dumps({"name": root.name, "layers": {**ONLY, **layers}}), encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def san_francisco(tmp_path_factory):
    root = write_pack(
        tmp_path_factory.mktemp("packs") / "sf",
        {
            "grids": {
                "file": str(SF / "sf_fire_station_areas.geojson"),
                "columns": {"grid_id": "fire_station_number", "name": "common_name"},
            },
            "stations": {
                "file": str(SF / "sf_fire_stations.geojson"),
                "columns": {"station_id": "facility_id", "name": "common_name"},
                "defaults": {"kind": "fire"},
            },
        },
    )
    return load_city(root)


def test_san_francisco_station_areas_and_stations_load(san_francisco):
    assert len(san_francisco.grids) == 43 and len(san_francisco.stations) == 42
    assert san_francisco.grids["grid_id"].iloc[0] == "1"  # the file's integer 1, as a string id
    minlon, minlat, maxlon, maxlat = san_francisco.bounds()
    assert -122.52 < minlon < maxlon < -122.35 and 37.70 < minlat < maxlat < 37.84
    areas = san_francisco.grid_ids_at(san_francisco.stations.geometry.x, san_francisco.stations.geometry.y)
    outside = san_francisco.stations["name"][areas == None].tolist()  # noqa: E711 - elementwise
    # Station 48 on Treasure Island sits ~15 m off the shore of its own area polygon in the city's data.
    assert outside == ["Fire Station #48"]


def test_san_francisco_calls_fall_in_their_station_area(san_francisco):
    calls = pd.read_csv(SF / "sf_fire_ems_dispatch_2018_01.csv", dtype=str)
    lon, lat = calls["longitude"].astype(float).to_numpy(), calls["latitude"].astype(float).to_numpy()
    found = san_francisco.grid_ids_at(lon, lat)
    # PROVENANCE.md: 9,956 of the 10,000 calls fall inside some station-area polygon ...
    assert sum(grid_id is not None for grid_id in found) == 9956
    # ... and 9,753 inside the polygon of their own station_area.
    cells = dict(zip(san_francisco.grids["grid_id"], san_francisco.grids.geometry))
    own = [cells.get(area) for area in calls["station_area"]]
    inside_own = [cell is not None and cell.intersects(shapely.Point(x, y)) for cell, x, y in zip(own, lon, lat)]
    assert sum(inside_own) == 9753
    # These areas overlap (first-response areas, not a tiling): grid_at answers with the first listed
    # area that holds the point, which always does hold it.
    first = [found[i] for i in range(0, len(found), 97) if found[i] is not None]
    for i, grid_id in zip(range(0, len(found), 97), first):
        assert cells[grid_id].intersects(shapely.Point(lon[i], lat[i]))


def test_seattle_police_beats_as_grid_cells(tmp_path):
    root = write_pack(
        tmp_path / "seattle",
        {"grids": BEATS},
    )
    city = load_city(root)
    assert len(city.grids) == 55
    calls = pd.read_csv(SEATTLE / "seattle_spd_calls_sector_c_2010_2023.csv", dtype=str)
    beats = city.grid_ids_at(calls["Blurred_Longitude"].astype(float), calls["Blurred_Latitude"].astype(float))
    # PROVENANCE.md: all 497 calls fall inside a beat, 495 inside the beat their own Beat column names.
    assert np.count_nonzero(beats != None) == 497  # noqa: E711 - elementwise on an object array
    assert np.count_nonzero(beats == calls["Beat"].to_numpy()) == 495


def test_seattle_cameras_have_no_unique_label_and_the_pack_says_where(tmp_path):
    root = write_pack(
        tmp_path / "seattle",
        {
            "grids": BEATS,
            "cameras": {
                "file": str(SEATTLE / "seattle_traffic_cameras_2015.csv"),
                "columns": {"camera_id": "CAMERALABEL", "name": "CAMERALABEL", "stream_url": "VIDEOURL",
                            "lon": "XPOS", "lat": "YPOS"},
            },
        },
    )
    with pytest.raises(CityPackError) as info:
        load_city(root)
    assert str(info.value) == (
        f"{SEATTLE / 'seattle_traffic_cameras_2015.csv'} row 104: "
        "duplicate camera_id '5th Ave NE & NE Northgate Way' (first at row 103)"
    )
