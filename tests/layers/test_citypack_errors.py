"""Broken city packs: each fails with a CityPackError naming the file, the row or feature, and the problem."""
from __future__ import annotations

import json

import pytest

from layers.citypack import CityPackError, load_city


def test_the_small_pack_loads(pack):
    city = load_city(pack.root)
    assert (len(city.units), len(city.cameras), len(city.grids), len(city.streets)) == (3, 3, 2, 2)
    assert city.cameras["online"].tolist() == [True, True, False]
    assert city.cameras["name"].tolist() == ["Gate", "Square", "Pier"]
    assert city.streets["u"].tolist() == ["1", "2"]  # ids are strings, whatever the file held
    assert city.streets["oneway"].tolist() == [False, True]
    # The second street has no length_m: it is measured on the ellipsoid (0.002 deg of latitude ~ 222.6 m).
    assert city.streets["length_m"].iloc[1] == pytest.approx(222.6, abs=0.5)
    assert city.areas.empty
    assert city.meta["center"] == pytest.approx([24.944, 60.17], abs=0.002)


BROKEN_PACKS = {
    "missing column": (
        lambda p: p.write("units.csv", "unit_id,callsign,station,lon,lat\nU1,P-01,S1,24.941,60.169\n"),
        "units.csv: missing column 'kind' (columns: unit_id, callsign, station, lon, lat)",
    ),
    "duplicate id": (
        lambda p: p.replace("cameras.csv", "C3,Pier", "C1,Pier"),
        "cameras.csv row 3: duplicate camera_id 'C1' (first at row 1)",
    ),
    "lat 91 in row 3": (
        lambda p: p.replace("cameras.csv", "24.9440,60.1698", "24.9440,91.0"),
        "cameras.csv row 3: lat 91.0 is outside [-90, 90]",
    ),
    "NaN coordinate": (
        lambda p: p.replace("units.csv", "24.9460,60.1690", "24.9460,NaN"),
        "units.csv row 2: lat 'NaN' is not a finite number",
    ),
    "empty coordinate": (
        lambda p: p.replace("units.csv", "S1,24.9410", "S1,"),
        "units.csv row 1: lon is empty",
    ),
    "empty id": (
        lambda p: p.replace("units.csv", "U2,", ","),
        "units.csv row 2: unit_id is empty",
    ),
    "wrong geometry type": (
        lambda p: p.edit_json(
            "grids.geojson",
            lambda d: d["features"][1].update(geometry={"type": "Point", "coordinates": [24.95, 60.17]}),
        ),
        "grids.geojson feature 2: geometry is Point, expected Polygon or MultiPolygon",
    ),
    "null geometry": (
        lambda p: p.edit_json("grids.geojson", lambda d: d["features"][0].update(geometry=None)),
        "grids.geojson feature 1: has no geometry",
    ),
    "polygon corner off the globe": (
        lambda p: p.edit_json(
            "grids.geojson", lambda d: d["features"][1]["geometry"]["coordinates"][0].__setitem__(2, [24.948, 95.0])
        ),
        "grids.geojson feature 2: lat 95.0 is outside [-90, 90]",
    ),
    "duplicate id in GeoJSON": (
        lambda p: p.edit_json("grids.geojson", lambda d: d["features"][1]["properties"].update(grid_id="G1")),
        "grids.geojson feature 2: duplicate grid_id 'G1' (first at feature 1)",
    ),
    "unknown checkpoint kind": (
        lambda p: p.edit_json("checkpoints.geojson", lambda d: d["features"][1]["properties"].update(kind="gate")),
        "checkpoints.geojson feature 2: kind 'gate' is not one of bayonet, checkpoint",
    ),
    "unknown coordinate system in a row": (
        lambda p: p.replace("cameras.csv", "fixed,,,", "fixed,,GCJ-03,"),
        "cameras.csv row 2: unknown coordinate system 'GCJ-03' "
        "(use EPSG:4326, EPSG:4490, GCJ-02, BD-09 or any CRS PROJ knows)",
    ),
    "not a boolean": (
        lambda p: p.replace("cameras.csv", "60,true", "60,maybe"),
        "cameras.csv row 1: online 'maybe' is not true/false",
    ),
    "direction out of range": (
        lambda p: p.replace("cameras.csv", "EPSG:4326,90,60", "EPSG:4326,400,60"),
        "cameras.csv row 1: direction_deg 400.0 is outside [0, 360]",
    ),
}


@pytest.mark.parametrize("breakage", BROKEN_PACKS, ids=list(BROKEN_PACKS))
def test_broken_pack_names_file_row_and_problem(pack, breakage):
    break_it, message = BROKEN_PACKS[breakage]
    break_it(pack)
    with pytest.raises(CityPackError) as info:
        load_city(pack.root)
    assert str(info.value) == message


def test_unreadable_geojson_keeps_the_file_name(pack):
    pack.write("streets.geojson", pack.read("streets.geojson")[:120])
    with pytest.raises(CityPackError, match=r"^streets\.geojson: cannot be read: ") as info:
        load_city(pack.root)
    assert info.value.file == "streets.geojson" and info.value.where is None


def test_missing_required_file_says_how_to_declare_it_empty(pack):
    (pack.root / "stations.geojson").unlink()
    with pytest.raises(CityPackError, match=r'^stations\.geojson: missing: .*"layers": \{"stations": null\}'):
        load_city(pack.root)
    pack.edit_json("city.json", lambda d: d.update(layers={"stations": None}))
    assert load_city(pack.root).stations.empty


def test_two_files_for_one_layer_are_ambiguous(pack):
    pack.write_features("cameras.geojson", [])
    with pytest.raises(CityPackError, match=r"^cameras\.geojson: cameras\.geojson and cameras\.csv both exist"):
        load_city(pack.root)


@pytest.mark.parametrize(
    "meta_text, message",
    [
        ('{"name": "tiny",', r"^city\.json: cannot be read: "),
        ('{"layers": {"camera": null}}', r'^city\.json: "layers" names unknown layer \'camera\''),
        ('{"zoom_extent": [25, 60, 24, 61]}', r'^city\.json: "zoom_extent" must be .* with min < max$'),
        ('{"center": [24.9, 91]}', r'^city\.json: "center" \[24\.9, 91\] is outside'),
        ('{"crs": "EPSG:999999"}', r"^city\.json: unknown coordinate system 'EPSG:999999'"),
    ],
)
def test_bad_city_json(pack, meta_text, message):
    pack.write("city.json", meta_text)
    with pytest.raises(CityPackError, match=message):
        load_city(pack.root)


def test_unknown_pack_name_lists_the_shipped_cities():
    with pytest.raises(CityPackError, match=r"no such city pack: .*\(shipped: .*demo.*\)$"):
        load_city("atlantis")


def test_city_pack_error_is_a_value_error_with_parts():
    error = CityPackError("units.csv", "lat 91.0 is outside [-90, 90]", "row 12")
    assert isinstance(error, ValueError)
    assert (error.file, error.where, error.problem) == ("units.csv", "row 12", "lat 91.0 is outside [-90, 90]")
    assert json.dumps(str(error)) == '"units.csv row 12: lat 91.0 is outside [-90, 90]"'
