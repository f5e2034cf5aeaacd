"""MSELs read from CSV and XLSX, checked against the real demo city pack (its geocoder, grid cells, units and
cameras); a bad file is refused whole, each problem naming the file, the spreadsheet row and the column."""
from __future__ import annotations

import csv
import json

import openpyxl
import pytest

from drills.msel import HEADINGS, MselError, export_run, read_msel
from layers.citypack import load_city
from layers.geocode import Geocoder

T0 = 1_796_000_000.0


@pytest.fixture(scope="module")
def city():
    return load_city("demo")


@pytest.fixture(scope="module")
def checks(city):
    return {"geocode": Geocoder(city.streets, city.places, city.areas).resolve,
            "grid_ids": set(city.grids["grid_id"]), "unit_ids": set(city.units["unit_id"]),
            "camera_ids": set(city.cameras["camera_id"])}


def good_rows(camera_id: str) -> list[list]:
    call = {"kind": "fire", "priority": 1, "address": "Mannerheimintie 5"}
    return [
        [1, "+00:00:00", "Inject", "Caller", "Call taker", "Smoke from a shop", "", "Obj 1", "", "call", json.dumps(call)],
        [2, "+00:01:30", "Expected Action", "", "Dispatcher", "", "Assign a fire unit", "Obj 1", "", "expect",
         '{"assign_kind": "fire", "to_inject": 1, "within_s": 90}'],
        [3, "+00:00:45", "Inject", "Sim", "Dispatcher", "", "", "", "", "call",
         '{"kind": "traffic", "priority": 2, "intersection": ["Kaivokatu", "Mannerheimintie"]}'],
        [4, "+00:03:00", "Contingency Inject", "Caller", "Call taker", "Caller rings again: flames now", "", "", "",
         "message", '{"on_miss": 2}'],
        [5, "+00:05:00", "Inject", "", "", "", "", "", "", "camera_dark", json.dumps({"camera_id": camera_id})],
        [6, "+00:06:00", "Inject", "", "", "", "", "", "", "unit_out", '{"unit_id": "U001", "for_s": 600}'],
        [7, "+01:00:00", "Inject", "", "", "", "", "", "", "call", '{"kind": "medical", "priority": 3, "grid_id": "G002"}'],
    ]


def write_csv(path, rows, headings=HEADINGS):
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([list(headings), *rows])
    return path


def write_xlsx(path, rows, headings=HEADINGS):
    book = openpyxl.Workbook()
    for line in [list(headings), *rows]:
        book.active.append(line)
    book.save(path)
    return path


@pytest.mark.parametrize("writer", [write_csv, write_xlsx], ids=["csv", "xlsx"])
def test_a_good_msel_reads_in_scenario_time_order_with_its_calls_geocoded(tmp_path, checks, city, writer):
    camera = city.cameras["camera_id"].iloc[0]
    msel = read_msel(writer(tmp_path / f"s.{writer.__name__[-4:].strip('_')}", good_rows(camera)), **checks)
    assert [r.event_number for r in msel.rows] == [1, 3, 2, 4, 5, 6, 7]
    first = msel.row(1)
    assert first.scenario_s == 0 and first.place == pytest.approx((24.940005, 60.169517))
    assert msel.row(3).place_label == "Kaivokatu & Mannerheimintie"
    assert msel.row(7).scenario_s == 3600 and msel.row(7).place_label == "G002"
    assert msel.row(4).args == {"on_miss": 2} and msel.row(4).message.startswith("Caller rings")
    assert msel.row(2).row == 3  # the spreadsheet's own numbering: headings are row 1


def test_an_xlsx_scenario_time_typed_as_a_time_is_read_as_that_time(tmp_path, checks, city):
    import datetime as dt
    rows = good_rows(city.cameras["camera_id"].iloc[0])
    rows[6][1] = dt.time(1, 2, 3)
    assert read_msel(write_xlsx(tmp_path / "t.xlsx", rows), **checks).row(7).scenario_s == 3723


def refused(path, checks) -> list[str]:
    with pytest.raises(MselError) as caught:
        read_msel(path, **checks)
    return [str(p) for p in caught.value.problems]


def test_a_missing_heading_is_refused_naming_it(tmp_path, checks, city):
    headings = [h for h in HEADINGS if h != "Scenario Time"]
    rows = [r[:1] + r[2:] for r in good_rows(city.cameras["camera_id"].iloc[0])]
    path = write_csv(tmp_path / "h.csv", rows, headings)
    assert refused(path, checks) == [f"{path}: row 1, column Scenario Time: missing heading"]


@pytest.mark.parametrize("row_index, column, value, expected", [
    (1, 1, "00:01:30", "row 3, column B (Scenario Time): '00:01:30' is not +HH:MM:SS"),
    (1, 1, "+00:61:00", "row 3, column B (Scenario Time): '+00:61:00' is not +HH:MM:SS"),
    (0, 9, "explode", "row 2, column J (Command): unknown command 'explode'"),
    (5, 10, '{"unit_id": "U001",}', "row 7, column K (Args): not JSON"),
    (0, 10, '{"kind": "fire", "priority": 1, "address": "Qwxyzstrasse 9"}',
     "row 2, column K (Args): unknown address: no place called Qwxyzstrasse 9"),
    (6, 10, '{"kind": "medical", "priority": 3, "grid_id": "G999"}', "row 8, column K (Args): the city has no grid cell 'G999'"),
    (5, 10, '{"unit_id": "U999"}', "row 7, column K (Args): the city has no unit 'U999'"),
    (5, 10, '{"unit_id": "U001", "hours": 2}', "row 7, column K (Args): unit_out takes no 'hours'"),
    (0, 2, "Injection", "row 2, column C (Event Type): 'Injection' is not one of"),
    (1, 9, "call", "row 3, column J (Command): an Expected Action row's command is one of expect"),
    (2, 0, "1", "row 4, column A (Event Number): 1 is also row 2's"),
    (3, 10, '{"on_miss": 5}', "row 5, column K (Args): on_miss 5 is not the Event Number of an Expected Action"),
    (1, 10, '{"assign_kind": "fire", "to_inject": 6, "within_s": 90}',
     "row 3, column K (Args): to_inject 6 is not the Event Number of a call inject"),
])
def test_a_bad_cell_is_refused_naming_the_file_row_and_column(tmp_path, checks, city, row_index, column, value, expected):
    rows = good_rows(city.cameras["camera_id"].iloc[0])
    rows[row_index][column] = value
    path = write_csv(tmp_path / "bad.csv", rows)
    problems = refused(path, checks)
    assert len(problems) == 1 and problems[0].startswith(f"{path}: {expected}"), problems


def test_every_problem_of_a_file_is_named_at_once(tmp_path, checks, city):
    rows = good_rows(city.cameras["camera_id"].iloc[0])
    rows[0][1] = "soon"
    rows[6][10] = "{"
    problems = refused(write_xlsx(tmp_path / "two.xlsx", rows), checks)
    assert [p.split(": ")[1] for p in problems] == ["row 2, column B (Scenario Time)", "row 8, column K (Args)"]


def test_a_run_exports_with_each_rows_fire_time(tmp_path, checks, city):
    msel = read_msel(write_csv(tmp_path / "s.csv", good_rows(city.cameras["camera_id"].iloc[0])), **checks)
    events = [{"type": "drill.inject_fired", "ts": "2026-12-02T10:00:45.250Z",
               "data": {"event_number": 3, "drill_s": 45.25, "incident_id": "X3"}}]
    for name in ("run.csv", "run.xlsx"):
        out = export_run(msel, events, tmp_path / name)
        if name.endswith(".csv"):
            table = list(csv.reader(out.open(encoding="utf-8")))
        else:
            table = [[("" if c is None else str(c)) for c in r]
                     for r in openpyxl.load_workbook(out).active.iter_rows(values_only=True)]
        assert table[0][-2:] == ["Fired At", "Fired Drill Time"]
        by_number = {r[0]: r for r in table[1:]}
        assert by_number["3"][-2:] == ["2026-12-02T10:00:45.250Z", "+00:00:45.250"]
        assert by_number["1"][-2:] == ["", ""]


def test_a_file_that_is_not_a_spreadsheet_or_not_there_is_refused_in_one_line(tmp_path, checks):
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"this is no zip")
    for path in (broken, tmp_path / "absent.csv"):
        problems = refused(path, checks)
        assert len(problems) == 1 and problems[0].startswith(f"{path}: row 1: cannot read the file"), problems
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    assert refused(empty, checks) == [f"{empty}: row 1: the file is empty: row 1 must hold the headings"]
