"""Generated background calls against the SF dispatch data they are drawn from, counted independently here
with the csv module: calls per hour of day over many simulated days, the mix of kinds, on-scene times;
placed on the demo city's streets; the same seed gives the same calls."""
from __future__ import annotations

import csv
import math
from collections import Counter
from datetime import datetime

import numpy as np
import pytest
import shapely

from drills.load import SF_DISPATCH_CSV, generate_calls, sf_profile, street_sampler
from layers.citypack import load_city

DAYS = 200


@pytest.fixture(scope="module")
def data_calls():
    """call_number -> (local hour received, call_type) straight from the file."""
    calls = {}
    with SF_DISPATCH_CSV.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            received = datetime.fromisoformat(row["received_timestamp"].removesuffix(" UTC"))
            calls.setdefault(row["call_number"], (received, row["call_type"]))
    return calls


@pytest.fixture(scope="module")
def profile():
    return sf_profile()


def flat_point(rng):
    return 0.0, 0.0


@pytest.fixture(scope="module")
def generated(profile):
    return generate_calls(profile, start_hour=0, duration_s=DAYS * 86400, seed=7, street_point=flat_point)


def test_calls_per_hour_of_day_over_many_days_match_the_data(data_calls, generated):
    days = len({received.date() for received, _ in data_calls.values()})
    assert days == 12  # 13-24 January 2018 (PROVENANCE.md)
    data_rate = Counter(received.hour for received, _ in data_calls.values())
    simulated = Counter(int(call.drill_s // 3600) % 24 for call in generated)
    for hour in range(24):
        expected = data_rate[hour] / days * DAYS
        # Poisson: 4 standard deviations, so a correct process fails about once in 15,000 runs of 24 hours
        assert abs(simulated[hour] - expected) <= 4 * math.sqrt(expected), (hour, simulated[hour], expected)
    night, evening = data_rate[4] / days, data_rate[18] / days
    assert night < evening  # the data's daily shape, which a constant rate would not have


def test_the_mix_of_kinds_matches_the_data(data_calls, generated):
    data_kinds = Counter(kind for _, kind in data_calls.values())
    simulated = Counter(call.kind for call in generated)
    for kind in ("Medical Incident", "Alarms", "Structure Fire", "Traffic Collision"):
        share = data_kinds[kind] / len(data_calls)
        assert simulated[kind] / len(generated) == pytest.approx(share, abs=4 * math.sqrt(share / len(generated)))


def test_on_scene_durations_are_drawn_from_the_datas_for_that_kind(profile, generated):
    medical = [c.onscene_s for c in generated if c.kind == "Medical Incident"]
    assert set(medical) <= set(profile.onscene_s["Medical Incident"])
    assert np.median(medical) == pytest.approx(np.median(profile.onscene_s["Medical Incident"]), rel=0.1)
    assert all(c.priority in (2, 3) for c in generated)


def test_a_drill_starting_at_eight_in_the_morning_gets_the_mornings_rates(profile):
    calls = generate_calls(profile, start_hour=8.5, duration_s=1800, seed=1, street_point=flat_point)
    assert all(0 <= c.drill_s < 1800 for c in calls)
    many = [len(generate_calls(profile, start_hour=8.5, duration_s=1800, seed=s, street_point=flat_point))
            for s in range(300)]
    assert np.mean(many) == pytest.approx(profile.hourly_rate[8] / 2, rel=0.1)


def test_the_same_seed_gives_the_same_calls_and_another_seed_others(profile):
    city = load_city("demo")
    make = lambda seed: generate_calls(profile, start_hour=9, duration_s=4 * 3600, seed=seed,  # noqa: E731
                                       street_point=street_sampler(city.streets))
    first, again, other = make(3), make(3), make(4)
    assert first == again and first != other
    streets = shapely.union_all(city.streets.geometry.values)
    assert max(shapely.distance(streets, shapely.points([(c.lon, c.lat) for c in first]))) < 1e-7  # on a street
    assert [c.drill_s for c in first] == sorted(c.drill_s for c in first)
