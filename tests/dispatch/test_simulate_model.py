"""The simulator as a plain object on the demo city's real streets, its reports judged by the real rules (as a
feed) and folded by the real reducer, with no network: one-way streets, turnout, statuses set by hand,
determinism. Its clock is the test's: steps of any length, no waiting."""
from __future__ import annotations

from datetime import timezone

import numpy as np
import pytest
from pyproj import Transformer
from shapely import STRtree
from shapely.geometry import Point

from dispatch.city_state import initial_state
from dispatch.commands import Centre, Context, Rejected, decide
from dispatch.reducer import apply
from dispatch.simulate import TURNOUT_S, UnitSimulator
from layers.citypack import load_city

FIRE, AMBULANCE, PATROL, TRAFFIC = "U001", "U005", "U009", "U035"
# Street points around the centre, each some hundreds of metres from the stations.
PLACES = [(24.939458, 60.170309), (24.948649, 60.167805), (24.950142, 60.175808), (24.936184, 60.171257)]


@pytest.fixture(scope="module")
def city():
    return load_city("demo")


class Desk:
    """The server's judging and reducer without the server: each command decided by dispatch.commands for
    the role that sends it, its events applied with the reducer."""

    def __init__(self, city, on_duty: set[str]):
        self.state = initial_state(city)
        self.seq = 0
        self.refused: list[tuple[str, dict, str]] = []
        for unit_id in self.state["units"]:
            if unit_id not in on_duty:
                self.do("dispatcher", "unit.status", unit_id=unit_id, status="offduty")

    def do(self, role: str, cmd: str, **args) -> None:
        ts = f"t{self.seq + 1}"  # explicit incident ids only: no day is read from it
        for event_type, data in decide(self.state, cmd, args, Context(role, "live", lambda lon, lat: None,
                                                                       ts, Centre("T", timezone.utc))):
            self.seq += 1
            apply(self.state, {"seq": self.seq, "ts": ts, "actor": role, "type": event_type,
                               "data": data})

    def feed(self, simulator: UnitSimulator, commands: list[tuple[str, dict]]) -> None:
        for cmd, args in commands:
            try:
                self.do("feed", cmd, **args)
            except Rejected as rejected:
                self.refused.append((cmd, args, rejected.code))
                if cmd == "unit.status":
                    simulator.rejected(args["unit_id"], args["status"])

    def unit(self, unit_id: str) -> dict:
        return self.state["units"][unit_id]


def run(desk: Desk, simulator: UnitSimulator, start: float, seconds: float, dt: float, trace: list,
        until=None) -> float:
    """Step the simulator every dt seconds from `start` (optionally until `until()`); each step's commands
    go to the desk and into `trace` as (time, cmd, args). Returns the time reached."""
    now = start
    while now < start + seconds and not (until and until()):
        commands = simulator.step(desk.state, now)
        trace += [(now, cmd, args) for cmd, args in commands]
        desk.feed(simulator, commands)
        now += dt
    return now


def positions(trace: list, unit_id: str) -> list[tuple[float, float, float]]:
    return [(t, a["lon"], a["lat"]) for t, cmd, a in trace if cmd == "unit.position" and a["unit_id"] == unit_id]


def statuses(trace: list, unit_id: str) -> list[tuple[float, str]]:
    return [(t, a["status"]) for t, cmd, a in trace if cmd == "unit.status" and a["unit_id"] == unit_id]


def test_units_never_drive_against_a_one_way_street(city):
    """Positions 0.2 s apart: where two consecutive ones lie on the same street and every street through
    both is one-way, the second is further along the street's direction than the first."""
    units = (FIRE, AMBULANCE, PATROL, TRAFFIC)
    desk = Desk(city, set(units))
    simulator = UnitSimulator(city.streets, turnout_s=dict.fromkeys(TURNOUT_S, 1.0))
    trace: list = []
    now = 0.0
    for n, (lon, lat) in enumerate(PLACES):
        desk.do("dispatcher", "incident.create", kind="fire", priority=1, lon=lon, lat=lat, incident_id=f"I{n}")
        for unit_id in units:
            desk.do("dispatcher", "unit.assign", unit_id=unit_id, incident_id=f"I{n}")
        now = run(desk, simulator, now, 900, 0.2, trace,
                  until=lambda: all(desk.unit(u)["status"] == "onscene" for u in units))
        assert all(desk.unit(u)["status"] == "onscene" for u in units), f"not all on scene at place {n}"
        desk.do("dispatcher", "incident.close", incident_id=f"I{n}", disposition="RESOLVED")
        now = run(desk, simulator, now, 30, 0.2, trace)  # the patrols wander, fire and ems head home

    to_m = Transformer.from_crs(4326, 3067, always_xy=True)
    streets = city.streets.to_crs(3067)
    lines = list(streets.geometry)
    one_way = streets["oneway"].astype(bool).to_numpy()
    tree = STRtree(lines)
    checked, against = 0, []
    for unit_id in units:
        track = positions(trace, unit_id)
        points = [Point(to_m.transform(lon, lat)) for _, lon, lat in track]
        for (t, _, _), p, q in zip(track, points, points[1:]):
            if p.distance(q) < 0.05:
                continue
            both = [i for i in tree.query(p, predicate="dwithin", distance=0.3)
                    if lines[i].distance(q) <= 0.3]
            if not both or not all(one_way[i] for i in both):
                continue
            checked += 1
            if all(lines[i].project(q) < lines[i].project(p) - 0.05 for i in both):
                against.append((unit_id, t))
    assert against == []
    assert checked > 1000, checked  # the check saw plenty of one-way driving (about 5,000 pairs)


def test_a_unit_turns_out_for_its_kinds_time_then_reports_enroute_and_moves(city):
    desk = Desk(city, {FIRE, PATROL})
    simulator = UnitSimulator(city.streets)  # the real turnout times
    desk.do("dispatcher", "incident.create", kind="fire", priority=1, lon=PLACES[0][0], lat=PLACES[0][1],
            incident_id="I1")
    run(desk, simulator, 0.0, 5, 1.0, [])  # the units are seen at rest first
    for unit_id in (FIRE, PATROL):
        desk.do("dispatcher", "unit.assign", unit_id=unit_id, incident_id="I1")
    trace: list = []
    run(desk, simulator, 5.0, 120, 1.0, trace)
    for unit_id, kind in ((FIRE, "fire"), (PATROL, "patrol")):
        rolling = 5.0 + TURNOUT_S[kind]
        assert statuses(trace, unit_id)[0] == (rolling, "enroute")
        assert positions(trace, unit_id)[0][0] == rolling  # still until then


def test_a_status_set_by_hand_is_respected(city):
    """On scene typed during turnout: the simulator reports no status for that unit, but still drives it
    to the scene and parks it there. Busy typed on the way: the unit stops where it is."""
    desk = Desk(city, {FIRE, PATROL})
    simulator = UnitSimulator(city.streets, turnout_s=dict.fromkeys(TURNOUT_S, 10.0))
    desk.do("dispatcher", "incident.create", kind="fire", priority=1, lon=PLACES[1][0], lat=PLACES[1][1],
            incident_id="I1")
    for unit_id in (FIRE, PATROL):
        desk.do("dispatcher", "unit.assign", unit_id=unit_id, incident_id="I1")
    trace: list = []
    now = run(desk, simulator, 0.0, 3, 1.0, trace)
    desk.do("dispatcher", "unit.status", unit_id=FIRE, status="onscene")
    now = run(desk, simulator, now, 20, 1.0, trace)
    assert desk.unit(PATROL)["status"] == "enroute"
    desk.do("dispatcher", "unit.status", unit_id=PATROL, status="busy")
    stopped_at = now
    now = run(desk, simulator, now, 300, 1.0, trace)

    assert statuses(trace, FIRE) == [] and desk.refused == []
    fire_track = positions(trace, FIRE)
    assert len(fire_track) > 10 and fire_track[0][0] < now - 60  # drove there
    scene = simulator.lonlat(simulator.snap(*PLACES[1]))
    assert np.allclose(fire_track[-1][1:], scene, atol=1e-6)
    assert [t for t, *_ in positions(trace, PATROL) if t >= stopped_at] == []
    assert desk.unit(PATROL)["status"] == "busy" and desk.unit(FIRE)["status"] == "onscene"


def scenario(city, seed: int) -> list:
    desk = Desk(city, {FIRE, PATROL, TRAFFIC, "U031", "U032"})
    simulator = UnitSimulator(city.streets, seed=seed, turnout_s=dict.fromkeys(TURNOUT_S, 5.0))
    trace: list = []
    now = run(desk, simulator, 0.0, 20, 1.0, trace)
    desk.do("dispatcher", "incident.create", kind="fire", priority=1, lon=PLACES[2][0], lat=PLACES[2][1],
            incident_id="I1")
    for unit_id in (FIRE, PATROL):
        desk.do("dispatcher", "unit.assign", unit_id=unit_id, incident_id="I1")
    now = run(desk, simulator, now, 200, 1.0, trace)
    desk.do("dispatcher", "incident.close", incident_id="I1", disposition="RESOLVED")
    run(desk, simulator, now, 100, 1.0, trace)
    return trace


def test_the_simulation_is_deterministic_for_a_seed(city):
    first, again, other = scenario(city, 5), scenario(city, 5), scenario(city, 6)
    assert first == again
    assert statuses(first, FIRE) == statuses(other, FIRE) != []  # the seed draws only the patrols' walks
    assert positions(first, "U031") != positions(other, "U031")  # another seed, another patrol walk
