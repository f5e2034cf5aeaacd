"""The grid's hierarchy (levels and parents of grid polygons, grid_areas.csv) and the grid cases' tables
(departments, catalogue, work calendar) in city packs: the demo's, the synthetic city's, broken ones."""
from __future__ import annotations

from datetime import date

import pytest

from layers.citypack import CityPackError, load_city
from layers.synthetic import make_city

def square(lon: float, lat: float, side: float) -> list:
    return [[[lon, lat], [lon + side, lat], [lon + side, lat + side], [lon, lat + side], [lon, lat]]]


GRIDS = [({"grid_id": "G1", "parent": "C1"}, {"type": "Polygon", "coordinates": square(24.940, 60.168, 0.004)}),
         ({"grid_id": "G2", "level": "village", "parent": "T1"},
          {"type": "Polygon", "coordinates": square(24.944, 60.168, 0.004)})]
AREAS = "area_id,level,parent,name,name_zh\nC1,community,T1,One,一社区\nT1,town,X,Town,镇\nX,city,,City,市\n"
CALENDAR = '{"hours": [["09:00", "12:00"], ["13:00", "17:00"]], "weekdays": [1, 2, 3, 4, 5]}'


def test_every_demo_cell_reaches_the_city_through_a_community_and_a_town():
    demo = load_city("demo")
    for grid_id in demo.grids["grid_id"]:
        chain = demo.areas_of(grid_id)
        assert list(chain) == ["cell", "community", "town", "city"] and chain["city"] == "HEL", grid_id
    assert demo.case_categories["MANHOLE"]["department"] in demo.case_departments
    assert not demo.work_calendar.is_working_day(date(2026, 12, 24))


def test_the_synthetic_city_has_communities_and_towns():
    pack = make_city(cameras=10, grids=300, units=5, incidents=5).pack
    chains = [pack.areas_of(grid_id) for grid_id in pack.grids["grid_id"]]
    assert all(set(chain) == {"cell", "community", "town", "city"} for chain in chains)
    assert len({chain["community"] for chain in chains}) > len({chain["town"] for chain in chains}) > 1


def test_a_pack_with_a_hierarchy_and_a_catalogue(pack):
    pack.write_features("grids.geojson", GRIDS)
    pack.write("grid_areas.csv", AREAS)
    pack.write("case_departments.csv", "code,name\nROADS,Roads\n")
    pack.write("case_categories.csv", "code,name,department,limit,limit_unit\n0101,Pothole,ROADS,3,working_days\n")
    pack.write("work_calendar.json", CALENDAR)
    city = load_city(pack.root)
    assert city.areas_of("G1") == {"cell": "G1", "community": "C1", "town": "T1", "city": "X"}
    assert city.areas_of("G2") == {"village": "G2", "town": "T1", "city": "X"}
    assert city.grid_areas["C1"]["name_zh"] == "一社区"
    category = city.case_categories["0101"]
    assert (category["department"], category["limit"].amount, category["limit"].unit) == ("ROADS", 3.0, "working_days")


def test_a_pack_without_them_loads_with_none(pack):
    city = load_city(pack.root)
    assert city.areas_of("G1") == {"cell": "G1"}
    assert (city.grid_areas, city.case_categories, city.work_calendar) == ({}, {}, None)


@pytest.mark.parametrize("files,words", [
    ({"grid_areas.csv": AREAS.replace("T1,town", "T1,county")}, "grid_areas.csv row 2: level 'county' is not one of"),
    ({"grid_areas.csv": AREAS.replace("C1,community,T1", "C1,community,T9")}, "parent 'T9' is not an area"),
    ({"grid_areas.csv": AREAS.replace("T1,town,X", "T1,town,C1")}, "parent 'C1' is a community, not coarser than a town"),
    ({"grid_areas.csv": AREAS + "C1,community,T1,Again,\n"}, "row 4: area_id 'C1' is listed twice"),
    ({"grid_areas.csv": "area_id,level\n"}, None),
    ({"case_categories.csv": "code,name,department,limit,limit_unit\nP,Pothole,ROADS,3,working_days\n"},
     "case_categories.csv: time limits run on working time: the pack needs work_calendar.json"),
    ({"work_calendar.json": CALENDAR,
      "case_categories.csv": "code,name,department,limit,limit_unit\nP,Pothole,ROADS,3,working_days\n"},
     "row 1: department 'ROADS' is not in case_departments.csv (none"),
    ({"work_calendar.json": CALENDAR, "case_departments.csv": "code,name\nROADS,Roads\n",
      "case_categories.csv": "code,name,department,limit,limit_unit\nP,Pothole,ROADS,soon,working_days\n"},
     "row 1: limit 'soon' is not a number"),
    ({"work_calendar.json": CALENDAR, "case_departments.csv": "code,name\nROADS,Roads\n",
      "case_categories.csv": "code,name,department,limit,limit_unit\nP,Pothole,ROADS,3,days\n"},
     "limit unit 'days' is not one of working_hours, working_days"),
    ({"case_departments.csv": "code,name\nroads,Roads\n"}, "code 'roads' must be 1-32 capital letters"),
    ({"holidays.csv": "date,kind\n2026-10-01,holiday\n"}, "holidays.csv: needs work_calendar.json beside it"),
    ({"work_calendar.json": CALENDAR, "holidays.csv": "date,kind\n2026-10-01,off\n"},
     "holidays.csv: line 2: kind 'off' is not holiday"),
    ({"work_calendar.json": '{"hours": [["09:00", "08:00"]], "weekdays": [1]}'}, "work_calendar.json: working hours"),
])
def test_broken_tables_are_refused_naming_the_file_and_row(pack, files, words):
    pack.write_features("grids.geojson", GRIDS)
    pack.write("grid_areas.csv", AREAS)
    for name, text in files.items():
        pack.write(name, text)
    if words is None:  # an empty table: the grids' parents are then unknown
        words = "grids feature 1 (G1): parent 'C1' is not an area of grid_areas.csv"
    with pytest.raises(CityPackError) as caught:
        load_city(pack.root)
    assert words in str(caught.value)


def test_a_grid_level_must_be_known(pack):
    pack.write_features("grids.geojson", [({"grid_id": "G1", "level": "block"}, GRIDS[0][1])])
    with pytest.raises(CityPackError, match="level 'block' is not one of cell, community"):
        load_city(pack.root)
