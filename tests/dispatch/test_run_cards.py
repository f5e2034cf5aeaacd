"""Recommendations follow the run card: on the demo city with its real street router, a fire is offered fire
engines and an ambulance before any patrol; units already assigned count towards the card."""
from __future__ import annotations

import pytest

from dispatch.city_state import initial_state
from dispatch.procedures import needs_of
from dispatch.recommend import StreetRouter, recommend
from layers.citypack import load_city

# Mannerheimintie by the central railway station: patrols and traffic units are nearer than any fire station.
INCIDENT_LON, INCIDENT_LAT = 24.9413, 60.1699


@pytest.fixture(scope="module")
def demo():
    city = load_city("demo")
    return city, StreetRouter(city.streets)


def _state_with(city, kind: str) -> dict:
    state = initial_state(city)
    state["incidents"]["I1"] = {"incident_id": "I1", "kind": kind, "priority": 1, "lon": INCIDENT_LON,
                                "lat": INCIDENT_LAT, "status": "new", "units": []}
    return state


def test_a_fire_is_recommended_two_fire_engines_and_an_ambulance_before_patrols(demo):
    city, router = demo
    state = _state_with(city, "fire")
    by_eta = recommend(state, "I1", router, limit=5, run_cards={"default": [{"kinds": ["zzz"], "count": 1}]})
    assert by_eta[0].kind in ("patrol", "traffic")  # without the card the nearest units are police
    recs = recommend(state, "I1", router, limit=5, run_cards=city.meta["run_cards"])
    assert [(r.kind, r.need) for r in recs[:3]] == [("fire", "fire 1/2"), ("fire", "fire 2/2"), ("ems", "ems 1/1")]
    assert all(r.need is None and r.kind not in ("fire", "ems") for r in recs[3:]) and len(recs) == 5
    assert recs[3].eta_s <= recs[4].eta_s  # the others by ETA
    fire_etas = sorted(r.eta_s for r in recommend(state, "I1", router, 40, city.meta["run_cards"]) if r.kind == "fire")
    assert [r.eta_s for r in recs[:2]] == fire_etas[:2]  # the two nearest engines, not any two


def test_assigned_units_count_towards_the_card(demo):
    city, router = demo
    state = _state_with(city, "fire")
    first = recommend(state, "I1", router, 5, city.meta["run_cards"])[0]
    state["units"][first.unit_id].update(status="dispatched", incident_id="I1")
    state["incidents"]["I1"]["units"].append(first.unit_id)
    needs = needs_of(state, "I1", city.meta["run_cards"])
    assert [(n.kinds, n.count, n.met) for n in needs] == [(("fire",), 2, 1), (("ems",), 1, 0)]
    recs = recommend(state, "I1", router, 5, city.meta["run_cards"])
    assert [(r.kind, r.need) for r in recs[:2]] == [("fire", "fire 2/2"), ("ems", "ems 1/1")]
    assert first.unit_id not in {r.unit_id for r in recs}


def test_a_need_of_either_kind_takes_the_nearest_of_both_and_unknown_kinds_get_the_default_card(demo):
    city, router = demo
    accident = recommend(_state_with(city, "traffic accident"), "I1", router, 5, city.meta["run_cards"])
    assert accident[0].need == "traffic or patrol 1/1" and accident[0].kind in ("traffic", "patrol")
    assert accident[1].need == "ems 1/1"
    everyone = recommend(_state_with(city, "traffic accident"), "I1", router, 40, city.meta["run_cards"])
    police = [r for r in everyone if r.kind in ("traffic", "patrol")]
    assert accident[0].unit_id == min(police, key=lambda r: r.eta_s).unit_id
    odd = recommend(_state_with(city, "escaped zoo animal"), "I1", router, 3, city.meta["run_cards"])
    assert (odd[0].kind, odd[0].need) == ("patrol", "patrol 1/1") and [r.need for r in odd[1:]] == [None, None]

