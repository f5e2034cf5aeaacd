"""Generated background calls: a non-homogeneous Poisson process by hour of day, with the rates, the mix of
kinds and priorities, and the on-scene durations of real dispatch data (San Francisco fire/EMS, January 2018:
../shared/data/san_francisco/PROVENANCE.md), placed on the city's streets. Deterministic for a seed.

The rate is constant within each hour of the day, so within an hour the count is Poisson and the times are
uniform: exactly the non-homogeneous process with that piecewise-constant intensity.
"""
from __future__ import annotations

import csv
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Callable

import numpy as np
import shapely

SF_DISPATCH_CSV = (Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "san_francisco"
                   / "sf_fire_ems_dispatch_2018_01.csv")
# SF's priority 3 is an emergency response (lights and siren), 2 is not; OneMap's scale is 1 (most urgent) to 5.
SF_PRIORITY = {"3": 2, "2": 3}
_SF_TIME = "%Y-%m-%d %H:%M:%S.%f"  # the " UTC" suffix is dropped: the times are San Francisco wall clock


def _sf_time(text: str) -> datetime | None:
    return datetime.strptime(text.removesuffix(" UTC"), _SF_TIME) if text else None


@dataclass(frozen=True)
class CallProfile:
    hourly_rate: tuple[float, ...]  # calls per hour, for each local hour of the day 0..23
    kinds: tuple[str, ...]
    kind_share: tuple[float, ...]  # parallel to kinds, sums to 1
    priorities: dict[str, tuple[tuple[int, ...], tuple[float, ...]]]  # kind -> (priorities, shares)
    onscene_s: dict[str, tuple[float, ...]]  # kind -> every unit's on-scene to available seconds in the data
    days: int  # how many days the rates are averaged over


def sf_profile(path: str | Path = SF_DISPATCH_CSV) -> CallProfile:
    """The profile of the SF data: one call per call_number, at its received time's local hour."""
    calls: dict[str, dict] = {}
    onscene: dict[str, list[float]] = defaultdict(list)
    with Path(path).open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            calls.setdefault(row["call_number"], row)
            arrived, cleared = _sf_time(row["on_scene_timestamp"]), _sf_time(row["available_timestamp"])
            if arrived and cleared and cleared > arrived:
                onscene[row["call_type"]].append((cleared - arrived).total_seconds())
    received = {number: _sf_time(row["received_timestamp"]) for number, row in calls.items()}
    days = len({t.date() for t in received.values()})
    per_hour = Counter(t.hour for t in received.values())
    kinds = Counter(row["call_type"] for row in calls.values())
    priorities: dict[str, Counter] = defaultdict(Counter)
    for row in calls.values():
        priorities[row["call_type"]][SF_PRIORITY[row["priority"]]] += 1
    every = [s for values in onscene.values() for s in values]
    total = sum(kinds.values())
    ordered = sorted(kinds, key=lambda k: (-kinds[k], k))
    return CallProfile(
        hourly_rate=tuple(per_hour[h] / days for h in range(24)),
        kinds=tuple(ordered), kind_share=tuple(kinds[k] / total for k in ordered),
        priorities={k: (tuple(sorted(priorities[k])), tuple(priorities[k][p] / kinds[k] for p in sorted(priorities[k])))
                    for k in ordered},
        onscene_s={k: tuple(onscene[k] or every) for k in ordered},  # a kind never on scene: all kinds' times
        days=days)


@dataclass(frozen=True)
class GeneratedCall:
    drill_s: float  # when the call comes in, in drill seconds from the start
    kind: str
    priority: int
    lon: float
    lat: float
    onscene_s: float  # how long a unit stays on scene before it is available again


def generate_calls(profile: CallProfile, *, start_hour: float, duration_s: float, seed: int,
                   street_point: Callable[[np.random.Generator], tuple[float, float]],
                   rate_scale: float = 1.0) -> list[GeneratedCall]:
    """The background calls of a drill that starts at local hour-of-day `start_hour` (8.5: 08:30) and lasts
    `duration_s` drill seconds, in time order; `rate_scale` scales every rate (a city smaller than SF).
    street_point(rng) -> lon, lat: a random point on the city's streets (`street_sampler`)."""
    rng = np.random.default_rng(seed)
    calls: list[GeneratedCall] = []
    offset = start_hour * 3600.0
    begin = 0.0
    while begin < duration_s:
        hour_of_day = int(((offset + begin) // 3600) % 24)
        end = min(duration_s, begin + 3600.0 - (offset + begin) % 3600.0)  # to the next full hour
        rate = profile.hourly_rate[hour_of_day] * rate_scale * (end - begin) / 3600.0
        times = np.sort(rng.uniform(begin, end, rng.poisson(rate)))
        for t in times:
            kind = profile.kinds[rng.choice(len(profile.kinds), p=profile.kind_share)]
            levels, shares = profile.priorities[kind]
            priority = int(levels[rng.choice(len(levels), p=shares)])
            onscene = float(profile.onscene_s[kind][rng.integers(len(profile.onscene_s[kind]))])
            lon, lat = street_point(rng)
            calls.append(GeneratedCall(float(t), kind, priority, float(lon), float(lat), onscene))
        begin = end
    return calls


def street_sampler(streets) -> Callable[[np.random.Generator], tuple[float, float]]:
    """street_point(rng) for a city pack's streets layer (GeoDataFrame of lines with length_m): a street
    picked in proportion to its length, then a uniform point along it, so calls are even along the streets."""
    lines = streets.geometry.values
    lengths = np.asarray(streets["length_m"], dtype=np.float64)
    share = lengths / lengths.sum()

    def street_point(rng: np.random.Generator) -> tuple[float, float]:
        line = lines[rng.choice(len(lines), p=share)]
        point = shapely.line_interpolate_point(line, rng.uniform(), normalized=True)
        return float(point.x), float(point.y)

    return street_point
