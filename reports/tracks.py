"""Unit tracks for the report's map, sampled: reading every position of a day (millions of unit.moved
events) would cost most of the report's time for points no map can show apart.

The span is cut into at most MAX_STEPS steps of at least MIN_STEP_S; in each step only the positions of
its first WINDOW_S seconds are read (one seq range per step, positions only), and a unit's first position
there is its point for the step. A unit reporting at least once every WINDOW_S seconds so gets a point per
step; one reporting less often, a point in the steps where a report falls in the window. Short spans
(steps <= WINDOW_S) read every position.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

from dispatch.history import epoch
from dispatch.reducer import State

if TYPE_CHECKING:
    from reports.export import LogSource

MAX_STEPS = 480
MIN_STEP_S = 5.0
WINDOW_S = 12.0


@dataclass(frozen=True)
class Tracks:
    step_s: float
    steps: int  # the slider's stops are start + k * step_s for k in 0..steps (the last one clipped to the end)
    points: dict[str, list[tuple[float, float, float]]]  # unit_id -> (epoch_s, lon, lat), in time order


def step_for(start_epoch: float, end_epoch: float) -> tuple[float, int]:
    span = end_epoch - start_epoch
    step = max(MIN_STEP_S, span / MAX_STEPS)
    return step, max(1, math.ceil(span / step))


def sample_tracks(history: LogSource, start_state: State, start_epoch: float, end_epoch: float,
                  seq_before: Callable[[float], int], progress: Callable[[float], None] = lambda done: None) -> Tracks:
    """`seq_before(t)`: the last seq strictly before instant t (the span's own boundary rule)."""
    step, steps = step_for(start_epoch, end_epoch)
    points: dict[str, list[tuple[float, float, float]]] = {}
    for unit_id, unit in start_state["units"].items():
        if unit.get("lon") is not None and unit.get("lat") is not None:
            points[unit_id] = [(start_epoch, unit["lon"], unit["lat"])]
    window = min(step, WINDOW_S)
    for k in range(steps):
        begin = start_epoch + k * step
        after, until = seq_before(begin), seq_before(min(begin + window, end_epoch))
        seen: set[str] = set()
        if until > after:
            for event in history.events(after, until, types=("unit.moved",)):
                data = event["data"]
                if data["unit_id"] in seen:
                    continue
                seen.add(data["unit_id"])
                points.setdefault(data["unit_id"], []).append((epoch(event["ts"]), data["lon"], data["lat"]))
        progress((k + 1) / steps)
    return Tracks(step, steps, points)
