"""Drill time from the log's drill.* events: pauses excluded, speeds honoured, and a runner that fires what
`due_injects` says fires each inject once, in Scenario Time order, never during a pause, on time."""
from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from hypothesis import given, settings, strategies as st

from dispatch.history import epoch, rfc3339
from drills.clock import DrillClock, due_injects

T0 = 1_796_000_000.0  # a wall time in 2026


def event(kind: str, wall: float, **data) -> dict:
    return {"type": kind, "ts": rfc3339(wall), "data": data}  # the log keeps milliseconds, as here


@dataclass(frozen=True)
class Row:
    event_number: int
    scenario_s: int
    event_type: str = "Inject"
    args: dict = field(default_factory=dict)


def test_drill_time_runs_at_its_speed_and_stands_still_while_paused():
    events = [event("drill.started", T0, speed=2), event("drill.paused", T0 + 10),
              event("drill.resumed", T0 + 610), event("drill.speed_set", T0 + 620, speed=60)]
    clock = DrillClock(events)
    assert clock.drill_at(T0 - 5) == 0
    assert clock.drill_at(T0 + 5) == pytest.approx(10)
    assert clock.drill_at(T0 + 300) == pytest.approx(20)  # paused at drill 20 s for 10 minutes
    assert clock.drill_at(T0 + 615) == pytest.approx(30)
    assert clock.drill_at(T0 + 630) == pytest.approx(40 + 600)
    assert clock.wall_for(20) == pytest.approx(T0 + 10)  # reached just as the pause began
    assert clock.wall_for(25) == pytest.approx(T0 + 612.5)
    assert clock.wall_for(640) == pytest.approx(T0 + 630)


def test_a_repeated_pause_or_resume_changes_nothing():
    once = [event("drill.started", T0, speed=1), event("drill.paused", T0 + 10), event("drill.resumed", T0 + 20)]
    twice = [once[0], once[1], event("drill.paused", T0 + 15), once[2], event("drill.resumed", T0 + 25)]
    for wall in (T0 + 12, T0 + 22, T0 + 40):
        assert DrillClock(twice).drill_at(wall) == DrillClock(once).drill_at(wall)


def test_a_paused_drill_never_reaches_a_later_time_until_it_resumes():
    events = [event("drill.started", T0, speed=1), event("drill.paused", T0 + 10)]
    assert DrillClock(events).wall_for(11) is None
    assert DrillClock([]).wall_for(0) is None


def test_nothing_is_due_while_paused_and_all_that_fell_due_comes_after_resume_in_order():
    rows = [Row(2, 30), Row(1, 5), Row(3, 30), Row(4, 100)]
    events = [event("drill.started", T0, speed=1), event("drill.paused", T0 + 40)]
    assert due_injects(rows, events, T0 + 400) == []
    events.append(event("drill.resumed", T0 + 640))
    assert [r.event_number for r in due_injects(rows, events, T0 + 641)] == [1, 2, 3]
    events.append(event("drill.inject_fired", T0 + 641, event_number=1, drill_s=41.0))
    assert [r.event_number for r in due_injects(rows, events, T0 + 641)] == [2, 3]


def test_a_contingency_inject_is_due_only_once_its_expected_action_is_missed():
    rows = [Row(5, 60, "Contingency Inject", {"on_miss": 4}), Row(4, 0, "Expected Action")]
    events = [event("drill.started", T0, speed=1)]
    assert due_injects(rows, events, T0 + 100) == []
    assert [r.event_number for r in due_injects(rows, events, T0 + 100, missed={4})] == [5]


def simulate_runner(rows: list[Row], controls: list[tuple[float, str, float]], wake_jitter_s: float) -> list[dict]:
    """A runner that knows only the log: it sleeps until the wall time the next pending inject falls due or the
    next control event (whichever first), wakes `wake_jitter_s` late, and fires what due_injects says."""
    events = [event("drill.started", T0, speed=controls[0][2])]
    pending_controls = [(T0 + at, kind, speed) for at, kind, speed in controls[1:]]
    wall = T0
    while True:
        clock = DrillClock(events)
        waiting = [r for r in rows if r.event_number not in {e["data"].get("event_number") for e in events}]
        if not waiting:
            return events
        next_due = clock.wall_for(min(r.scenario_s for r in waiting))
        next_control = pending_controls[0][0] if pending_controls else None
        if next_due is None and next_control is None:
            raise AssertionError("the drill stays paused with injects pending")
        if next_control is not None and (next_due is None or next_control <= next_due + wake_jitter_s):
            wall, kind, speed = pending_controls.pop(0)
            events.append(event(kind, wall, **({"speed": speed} if kind == "drill.speed_set" else {})))
            continue
        wall = max(wall, next_due + wake_jitter_s)
        for row in due_injects(rows, events, wall):
            events.append(event("drill.inject_fired", wall, event_number=row.event_number,
                                drill_s=DrillClock(events).drill_at(wall)))


control = st.tuples(st.floats(0.5, 3000), st.sampled_from(["drill.paused", "drill.resumed", "drill.speed_set"]),
                    st.sampled_from([0.5, 1.0, 4.0, 60.0]))


@settings(max_examples=150, deadline=None)
@given(times=st.lists(st.integers(0, 8 * 3600), min_size=1, max_size=25),
       start_speed=st.sampled_from([1.0, 60.0]), controls=st.lists(control, max_size=12),
       jitter_ms=st.integers(0, 15))
def test_every_inject_fires_once_in_order_never_paused_within_a_second_of_drill_time(times, start_speed, controls,
                                                                                      jitter_ms):
    rows = [Row(n, t) for n, t in enumerate(times, 1)]
    steps, at = [], 0.0
    for gap, kind, speed in controls:
        at += gap
        steps.append((at, kind, speed))
    steps.append((at + 1, "drill.resumed", 0))  # it ends running, so everything can fire
    events = simulate_runner(rows, [(0, "drill.started", start_speed)] + steps, jitter_ms / 1000)
    fired = [e for e in events if e["type"] == "drill.inject_fired"]
    numbers = [e["data"]["event_number"] for e in fired]
    assert sorted(numbers) == sorted(r.event_number for r in rows)  # each once
    scheduled = {r.event_number: r.scenario_s for r in rows}
    assert [scheduled[n] for n in numbers] == sorted(scheduled[n] for n in numbers)  # in Scenario Time order
    clock = DrillClock(events)
    for shot in fired:
        wall = epoch(shot["ts"])
        assert clock.running_at(wall), f"inject {shot['data']['event_number']} fired during a pause"
        error = clock.drill_at(wall) - scheduled[shot["data"]["event_number"]]
        assert -0.07 <= error <= 1.0, f"inject {shot['data']['event_number']} fired {error:.3f} s of drill time off"


def test_a_row_fired_by_hand_during_a_pause_is_not_fired_again_after_resume():
    rows = [Row(1, 10), Row(2, 20)]
    events = [event("drill.started", T0, speed=1), event("drill.paused", T0 + 5),
              event("drill.inject_fired", T0 + 6, event_number=2, drill_s=5.0, fire_now=True),
              event("drill.resumed", T0 + 100)]
    assert due_injects(rows, events, T0 + 130) == [rows[0]]
