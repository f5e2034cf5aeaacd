"""city.json's dispositions and run cards: the builder writes them, the loader checks them with clear errors,
and packs without them get the defaults."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from dispatch.procedures import DEFAULT_DISPOSITIONS, DEFAULT_RUN_CARDS
from layers.citypack import CITIES_DIR, CityPackError, load_city

REPORT = {"code": "REPORT", "label": "Report taken", "label_zh": "已立案"}
PATROL = {"kinds": ["patrol"], "count": 1}


def test_a_pack_without_them_loads_the_defaults(pack):
    meta = load_city(pack.root).meta
    assert meta["dispositions"] == [dict(d) for d in DEFAULT_DISPOSITIONS]
    assert meta["run_cards"] == DEFAULT_RUN_CARDS
    assert {"REPORT", "NO_TRACE", "FIRE_OUT", "TRANSPORTED", "FALSE_ALARM"} <= {d["code"] for d in meta["dispositions"]}


def test_a_pack_keeps_its_own(pack):
    cards = {"default": [PATROL], "boat fire": [{"kinds": ["fireboat", "fire"], "count": 3}]}
    pack.edit_json("city.json", lambda d: d.update(dispositions=[REPORT], run_cards=cards))
    meta = load_city(pack.root).meta
    assert (meta["dispositions"], meta["run_cards"]) == ([REPORT], cards)


def test_the_shipped_demo_pack_says_what_the_builder_writes():
    meta = json.loads((CITIES_DIR / "demo" / "city.json").read_text(encoding="utf-8"))
    assert meta["dispositions"] == [dict(d) for d in DEFAULT_DISPOSITIONS]
    assert meta["run_cards"] == DEFAULT_RUN_CARDS


def test_rebuilding_a_pack_keeps_its_procedures_and_a_new_pack_gets_the_defaults(tmp_path):
    import pyrosm
    from layers.osm_import import build_city_from_osm

    extract = Path(pyrosm.__file__).parent / "data" / "test.osm.pbf"
    out = build_city_from_osm(extract, tmp_path / "city", "city", lambda step: None)
    meta = json.loads((out / "city.json").read_text(encoding="utf-8"))
    assert meta["dispositions"] == [dict(d) for d in DEFAULT_DISPOSITIONS]
    assert meta["run_cards"] == DEFAULT_RUN_CARDS
    meta["dispositions"], meta["run_cards"] = [REPORT], {"default": [PATROL]}
    (out / "city.json").write_text(json.dumps(meta), encoding="utf-8")
    build_city_from_osm(extract, out, "city", lambda step: None)
    again = load_city(out).meta
    assert (again["dispositions"], again["run_cards"]) == ([REPORT], {"default": [PATROL]})


BAD_PROCEDURES = {
    "dispositions not a list": (
        {"dispositions": {"REPORT": "Report taken"}},
        'city.json: "dispositions" must be a non-empty list of {"code", "label", "label_zh"}'),
    "no dispositions": (
        {"dispositions": []},
        'city.json: "dispositions" must be a non-empty list of {"code", "label", "label_zh"}'),
    "missing Chinese label": (
        {"dispositions": [REPORT, {"code": "ARREST", "label": "Arrest made"}]},
        'city.json "dispositions" item 2: must be an object with exactly "code", "label" and "label_zh"'),
    "lower-case code": (
        {"dispositions": [{"code": "report", "label": "Report taken", "label_zh": "已立案"}]},
        'city.json "dispositions" item 1: code \'report\' must be 1-32 capital letters, digits or _, '
        'starting with a letter'),
    "duplicate code": (
        {"dispositions": [REPORT, {"code": "REPORT", "label": "Again", "label_zh": "再"}]},
        'city.json "dispositions" item 2: duplicate code \'REPORT\' (first in item 1)'),
    "empty label": (
        {"dispositions": [{"code": "REPORT", "label": " ", "label_zh": "已立案"}]},
        'city.json "dispositions" item 1: "label" of REPORT must be a non-empty string'),
    "run cards not an object": (
        {"run_cards": [PATROL]},
        'city.json: "run_cards" must be an object: incident kind -> list of needs'),
    "no default card": (
        {"run_cards": {"fire": [{"kinds": ["fire"], "count": 2}]}},
        'city.json: "run_cards" needs a "default" card for the incident kinds it does not name, '
        'e.g. "default": [{"kinds": ["patrol"], "count": 1}]'),
    "empty card": (
        {"run_cards": {"default": [PATROL], "fire": []}},
        'city.json "run_cards"."fire": must be a non-empty list of {"kinds": [...], "count": n}'),
    "kind as a string": (
        {"run_cards": {"default": [PATROL], "fire": [{"kinds": "fire", "count": 2}]}},
        'city.json "run_cards"."fire" need 1: "kinds" \'fire\' must be a non-empty list of distinct unit kinds '
        '(as in units.csv "kind")'),
    "zero count": (
        {"run_cards": {"default": [PATROL], "fire": [{"kinds": ["fire"], "count": 2}, {"kinds": ["ems"], "count": 0}]}},
        'city.json "run_cards"."fire" need 2: "count" 0 must be a whole number from 1 to 50'),
    "count as true": (
        {"run_cards": {"default": [{"kinds": ["patrol"], "count": True}]}},
        'city.json "run_cards"."default" need 1: "count" True must be a whole number from 1 to 50'),
    "unknown key in a need": (
        {"run_cards": {"default": [{"kinds": ["patrol"], "count": 1, "when": "injuries"}]}},
        'city.json "run_cards"."default" need 1: must be an object with exactly "kinds" and "count"'),
}


@pytest.mark.parametrize("breakage", BAD_PROCEDURES, ids=list(BAD_PROCEDURES))
def test_bad_procedures_are_named_in_the_error(pack, breakage):
    change, message = BAD_PROCEDURES[breakage]
    pack.edit_json("city.json", lambda d: d.update(change))
    with pytest.raises(CityPackError) as info:
        load_city(pack.root)
    assert str(info.value) == message
