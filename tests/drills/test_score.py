"""A drill scored from its events alone: intervals on the drill clock equal a hand computation of the same
events (a 10-minute pause excluded, a speed change honoured); targets name their standard and edition; an
expected action done in time is met, done late is late, never done is missed, and the contingency injects of
the late and the missed ones fire (through due_injects, as the runner will fire them).

The events are made here in the log's shapes (the server does not take drill.* commands yet)."""
from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from dispatch.history import rfc3339
from drills.clock import DrillClock, due_injects
from drills.msel import HEADINGS, read_msel
from drills.score import DEFAULT_TARGETS, ScoreError, expectations, load_targets, overdue, score, write_scorecard

ROOT = Path(__file__).resolve().parents[2]
T0 = 1_796_000_000.0
UNIT_KINDS = {"U001": "fire", "U002": "fire", "U005": "ambulance"}


def drill_seconds(wall_offset: float) -> float:
    """This test's drill, by hand: speed 1, paused from +80 s to +680 s wall, speed 2 from +900 s wall."""
    if wall_offset <= 80:
        return wall_offset
    if wall_offset <= 680:
        return 80.0
    if wall_offset <= 900:
        return 80 + (wall_offset - 680)
    return 300 + 2 * (wall_offset - 900)


def msel_file(tmp_path: Path) -> Path:
    def call(kind):
        return json.dumps({"kind": kind, "priority": 2, "lon": 24.94, "lat": 60.17})
    rows = [
        [1, "+00:00:00", "Inject", "", "", "Fire in a shop", "", "", "", "call", call("fire")],
        [2, "+00:00:00", "Expected Action", "", "", "", "Send a fire unit", "", "", "expect",
         '{"assign_kind": "fire", "to_inject": 1, "within_s": 90}'],
        [3, "+00:01:00", "Inject", "", "", "Fall", "", "", "", "call", call("medical")],
        [4, "+00:00:00", "Expected Action", "", "", "", "Send an ambulance", "", "", "expect",
         '{"assign_kind": "ambulance", "to_inject": 3, "within_s": 60}'],
        [5, "+00:00:00", "Contingency Inject", "", "", "The family calls again", "", "", "", "message",
         '{"on_miss": 4}'],
        [6, "+00:03:20", "Inject", "", "", "Fight", "", "", "", "call", call("assault")],
        [7, "+00:00:00", "Expected Action", "", "", "", "Send police", "", "", "expect",
         '{"assign_kind": "police", "to_inject": 6, "within_s": 30}'],
        [8, "+00:00:00", "Contingency Inject", "", "", "Bystander: it is getting worse", "", "", "", "message",
         '{"on_miss": 7}'],
    ]
    path = tmp_path / "msel.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([list(HEADINGS), *rows])
    return path


def ev(event_type: str, wall_offset: float, **data) -> dict:
    return {"type": event_type, "ts": rfc3339(T0 + wall_offset), "data": data, "actor": "trainer"}


def call_events(number: int, wall_offset: float, kind: str) -> list[dict]:
    incident = f"X{number}"
    return [ev("drill.inject_fired", wall_offset, event_number=number, drill_s=drill_seconds(wall_offset),
               incident_id=incident),
            ev("incident.created", wall_offset + 0.2, incident_id=incident, kind=kind, priority=2, lon=24.94,
               lat=60.17, grid_id=None)]


@pytest.fixture
def drill(tmp_path):
    """The drill's log, made as a runner would make it: contingencies fire when due_injects says so."""
    msel = read_msel(msel_file(tmp_path))
    events = [ev("drill.started", 0, speed=1), *call_events(1, 0, "fire"),
              ev("unit.assigned", 40, unit_id="U001", incident_id="X1"),
              *call_events(3, 60, "medical"), ev("drill.paused", 80), ev("drill.resumed", 680)]

    def fire_contingencies(wall_offset):
        missed = overdue(expectations(msel, events, UNIT_KINDS, T0 + wall_offset))
        for row in due_injects(msel.rows, events, T0 + wall_offset, missed):
            events.append(ev("drill.inject_fired", wall_offset, event_number=row.event_number,
                             drill_s=drill_seconds(wall_offset)))

    fire_contingencies(719)  # inject 3's deadline is drill 120 s: wall +720 s
    assert not any(e["data"].get("event_number") == 5 for e in events)
    fire_contingencies(721)
    events += [ev("unit.assigned", 730, unit_id="U005", incident_id="X3"),
               ev("unit.status_changed", 750, unit_id="U001", status="onscene", incident_id="X1"),
               *call_events(6, 800, "assault"), ev("unit.assigned", 810, unit_id="U002", incident_id="X6")]
    fire_contingencies(851)  # inject 6 fired at drill 200 s, within 30 s: due at drill 230 s (wall +850 s)
    events += [ev("drill.speed_set", 900, speed=2),
               ev("unit.status_changed", 950, unit_id="U002", status="onscene", incident_id="X6"),
               ev("position.updated", 1000, unit_id="U002", lon=24.94, lat=60.17)]
    return msel, events


def test_intervals_are_on_the_drill_clock_and_equal_a_hand_computation(drill):
    msel, events = drill
    card = score(events, msel, UNIT_KINDS)
    got = {c.incident_id: (c.interval_ms("call_to_dispatch_s"), c.interval_ms("dispatch_to_onscene_s"))
           for c in card.calls}
    hand = lambda a, b: round((drill_seconds(b) - drill_seconds(a)) * 1000)  # noqa: E731
    assert got == {"X1": (hand(0.2, 40), hand(40, 750)), "X3": (hand(60.2, 730), None),
                   "X6": (hand(800.2, 810), hand(810, 950))}
    assert got["X3"][0] == 69_800  # 669.8 s on the wall, 600 of them paused
    assert card.drill_s == pytest.approx(drill_seconds(1000))


def test_expected_actions_are_met_late_or_missed_and_the_late_and_missed_ones_fired_their_contingencies(drill):
    msel, events = drill
    card = score(events, msel, UNIT_KINDS)
    assert {e.event_number: e.status for e in card.expectations} == {2: "met", 4: "late", 7: "missed"}
    late = next(e for e in card.expectations if e.event_number == 4)
    assert (late.deadline_drill_s, late.done_drill_s, late.unit_id) == (120, 130, "U005")
    fired = [e["data"]["event_number"] for e in events if e["type"] == "drill.inject_fired"]
    assert fired == [1, 3, 5, 6, 8]
    # scored mid-run, before inject 6's deadline, expectation 7 is still pending
    mid = score(events, msel, UNIT_KINDS, at_wall=T0 + 820)
    assert {e.event_number: e.status for e in mid.expectations}[7] == "pending"


def test_targets_name_their_standard_and_local_ones_come_from_a_settings_file(drill, tmp_path):
    msel, events = drill
    settings = tmp_path / "targets.toml"
    settings.write_text('[[target]]\nname = "Turnout and travel"\ninterval = "dispatch_to_onscene_s"\n'
                        'within_s = 300\nshare = 0.9\nstandard = "Helsinki rescue department"\nedition = "2025"\n')
    targets = load_targets(settings)
    assert targets[0] == DEFAULT_TARGETS[0] and (targets[0].standard, targets[0].edition) == ("NFPA 1225", "2022")
    card = score(events, msel, UNIT_KINDS, targets)
    nfpa, local = card.targets
    assert (nfpa.calls, nfpa.within, nfpa.achieved) == (3, 2, False)  # X3 took 69.8 s of drill time
    assert (local.calls, local.within, local.achieved) == (2, 2, True)
    settings.write_text('[[target]]\nname = "x"\ninterval = "call_to_lunch_s"\nwithin_s = 1\nshare = 0.5\n'
                        'standard = "s"\nedition = "1"\n')
    with pytest.raises(ScoreError, match="number 1: interval 'call_to_lunch_s' is not one of"):
        load_targets(settings)


def test_events_that_never_started_a_drill_are_refused(drill):
    msel, events = drill
    with pytest.raises(ScoreError, match="no drill.started"):
        score([e for e in events if e["type"] != "drill.started"], msel, UNIT_KINDS)


def test_re_scoring_the_same_events_gives_the_same_card(drill):
    msel, events = drill
    assert score(list(events), msel, UNIT_KINDS) == score(list(events), msel, UNIT_KINDS)


def test_the_scorecard_is_csv_and_an_offline_page_marked_exercise(drill, tmp_path):
    from support.chromium import ChromiumPage

    msel, events = drill
    card = score(events, msel, UNIT_KINDS)
    files = write_scorecard(card, tmp_path / "card", "exercise:flood-1", DrillClock(events).start_wall)
    calls = {r["incident_id"]: r for r in csv.DictReader(files[0].open(encoding="utf-8"))}
    assert calls["X3"]["call_to_dispatch_s"] == "69.800" and calls["X3"]["created_drill"] == "+00:01:00.200"
    targets = list(csv.DictReader(files[1].open(encoding="utf-8")))
    assert (targets[0]["standard"], targets[0]["edition"], targets[0]["achieved"]) == ("NFPA 1225", "2022", "no")
    assert [r["status"] for r in csv.DictReader(files[2].open(encoding="utf-8"))] == ["met", "late", "missed"]
    with ChromiumPage(width=1200, height=900) as page:
        page.open(files[3])
        assert [url for url in page.requests if not url.startswith(("file:", "data:"))] == []
        assert page.console_errors == []
        assert page.evaluate("document.getElementById('exercise-banner').textContent") == "EXERCISE · exercise:flood-1"
        assert page.evaluate("[...document.querySelectorAll('#expected tr')].slice(1).map(r => r.className)") == [
            "met", "late", "missed"]
        assert page.evaluate("document.querySelectorAll('#calls tr').length") == 4
        assert page.evaluate("document.querySelectorAll('#response-times circle').length") == 3 + 2 + 2 + 0
        page.screenshot(ROOT / "out" / "screenshots" / "drill_scorecard.png")


def test_the_drills_room_never_imports_qt():
    done = subprocess.run([sys.executable, "-c", "import sys, drills.msel, drills.clock, drills.load, drills.score; "
                           "print(sorted(m for m in sys.modules if m.split('.')[0] in ('PySide6', 'pyqtgraph')))"],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
