"""Simulated units against a real server on loopback, on the demo city's real streets: assigned units report
en route and on scene on their own, drive on the streets, come home; the feed outlives refused commands.

The feed runs on a fast clock (one simulated second per TICK_S of real time); waits poll with a deadline."""
from __future__ import annotations

import asyncio
import logging
import time

import pytest
from pyproj import Transformer
from shapely import STRtree
from shapely.geometry import Point

from dispatch.client import DispatchClient
from dispatch.simulate import PATROL_SPEED_MPS, SimulationFeed, UnitSimulator
from layers.citypack import load_city

TICK_S = 0.01
FIRE, AMBULANCE, PATROL = "U001", "U005", "U009"  # F-01 and E-01 at the fire station, P-01 at the police station
WANDERERS = ("U031", "U032", "U033", "U034")
KAIVOKATU = (24.939458, 60.170309)  # a street node, about 650 m from the fire station
MANNERHEIMINTIE = (24.938681, 60.169913)
TURNOUT = {"fire": 4.0, "ems": 4.0, "patrol": 2.0, "traffic": 2.0}
ON_STREET_M = 1.0


@pytest.fixture(scope="module")
def streets():
    return load_city("demo").streets


class StreetMetres:
    """Distances in metres to the street layer, in ETRS-TM35FIN (EPSG:3067): independent of the simulator's
    own local projection."""

    def __init__(self, streets):
        self._to_m = Transformer.from_crs(4326, 3067, always_xy=True)
        self._lines = list(streets.to_crs(3067).geometry)
        self._tree = STRtree(self._lines)

    def point(self, lon: float, lat: float) -> Point:
        return Point(self._to_m.transform(lon, lat))

    def to_street(self, lon: float, lat: float) -> float:
        point = self.point(lon, lat)
        return point.distance(self._lines[self._tree.nearest(point)])

    def between(self, a: tuple[float, float], b: tuple[float, float]) -> float:
        return self.point(*a).distance(self.point(*b))


@pytest.fixture(scope="module")
def metres(streets):
    return StreetMetres(streets)


async def fast_tick() -> None:
    await asyncio.sleep(TICK_S)


async def until(predicate, what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting until {what}"
        await asyncio.sleep(0.02)


async def keep_on_duty(dispatcher: DispatchClient, units: dict, keep: set[str]) -> None:
    """Every other unit goes off duty, so that only the units under test move."""
    replies = await asyncio.gather(*dispatcher.send_commands(
        [("unit.status", {"unit_id": u, "status": "offduty"}) for u in units if u not in keep]))
    assert all(reply["op"] == "ack" for reply in replies), replies


def statuses_of(events: list[dict], unit_id: str) -> list[tuple[str, str]]:
    return [("dispatched" if e["type"] == "unit.assigned" else e["data"]["status"], e["actor"]) for e in events
            if e["type"] in ("unit.assigned", "unit.status_changed") and e["data"]["unit_id"] == unit_id]


def moves_of(events: list[dict], unit_id: str, after_seq: int = 0) -> list[dict]:
    return [{**e["data"], "seq": e["seq"]} for e in events
            if e["type"] == "unit.moved" and e["data"]["unit_id"] == unit_id and e["seq"] > after_seq]


def moves_between(events: list[dict], unit_id: str, after_seq: int, before_seq: int) -> list[dict]:
    return [m for m in moves_of(events, unit_id, after_seq) if m["seq"] < before_seq]


def seq_of_status(events: list[dict], unit_id: str, status: str) -> int:
    return next(e["seq"] for e in events if e["type"] == "unit.status_changed"
                and e["data"]["unit_id"] == unit_id and e["data"]["status"] == status)


class Scene:
    """A server with a watcher (every event), a dispatcher, and the simulated feed on a fast clock."""

    def __init__(self, url: str, users: dict, streets):
        self.url, self.users, self.streets = url, users, streets
        self.events: list[dict] = []

    async def start(self, on_duty: set[str], tick=fast_tick, feeds: int = 1) -> None:
        self.watcher = await DispatchClient.connect(self.url, self.users["vic"], on_event=self.events.append)
        self.alice = await DispatchClient.connect(self.url, self.users["alice"], subscribe=False)
        await keep_on_duty(self.alice, self.watcher.state["units"], on_duty)
        self.stop = asyncio.Event()
        self.feeds = [SimulationFeed(self.url, self.users["fred"], UnitSimulator(self.streets, turnout_s=TURNOUT),
                                     tick=tick if callable(tick) else tick[n]) for n in range(feeds)]
        self.tasks = [asyncio.create_task(feed.run(self.stop)) for feed in self.feeds]

    def status(self, unit_id: str) -> str:
        return self.watcher.state["units"][unit_id]["status"]

    def running(self) -> bool:
        return not any(task.done() for task in self.tasks)

    async def finish(self) -> None:
        assert self.running(), [task.exception() for task in self.tasks if task.done()]
        self.stop.set()
        await asyncio.gather(*self.tasks)  # a clean stop, no exception
        await self.watcher.close()
        await self.alice.close()


def test_a_dispatched_unit_reports_enroute_then_onscene_by_itself_driving_on_the_streets(fresh_server, tokens,
                                                                                          streets, metres):
    url = fresh_server.start()

    async def run():
        scene = Scene(url, tokens[1], streets)
        await scene.start({FIRE, PATROL, *WANDERERS})
        await scene.alice.command("incident.create", kind="fire", priority=1, lon=KAIVOKATU[0], lat=KAIVOKATU[1],
                                  incident_id="SIM-1")
        for unit_id in (FIRE, PATROL):
            reply = await scene.alice.command("unit.assign", unit_id=unit_id, incident_id="SIM-1")
            assert reply["op"] == "ack", reply
        await until(lambda: scene.status(FIRE) == scene.status(PATROL) == "onscene" or not scene.running(),
                    "both units are on scene")
        arrived = scene.watcher.seq
        # the wanderers go on (40 more reports) while the units on scene stay put
        await until(lambda: sum(len(moves_of(scene.events, u, arrived)) for u in WANDERERS) >= 40,
                    "the patrols went on wandering")
        await scene.finish()
        return scene.events

    events = asyncio.run(run())
    for unit_id in (FIRE, PATROL):
        assert statuses_of(events, unit_id) == [("dispatched", "alice"), ("enroute", "fred"), ("onscene", "fred")]
        assigned = next(e["seq"] for e in events if e["type"] == "unit.assigned" and e["data"]["unit_id"] == unit_id)
        enroute, onscene = seq_of_status(events, unit_id, "enroute"), seq_of_status(events, unit_id, "onscene")
        if unit_id == FIRE:  # (the patrol's last wandering reports may be judged after its assignment)
            assert moves_between(events, unit_id, assigned, enroute) == [], "moved during turnout"
        assert moves_of(events, unit_id, onscene) == [], "moved after arriving"
        drive = moves_of(events, unit_id, enroute)
        last = drive[-1]
        assert metres.between((last["lon"], last["lat"]), KAIVOKATU) <= metres.to_street(*KAIVOKATU) + 3.0
        assert last["speed"] == 0.0
        assert all(m["speed"] > PATROL_SPEED_MPS for m in drive[:-1]), "emergency driving is faster than patrol"
    every_move = [e["data"] for e in events if e["type"] == "unit.moved"]
    assert {m["unit_id"] for m in every_move} == {FIRE, PATROL, *WANDERERS}  # off-duty units stay
    off_street = [(m["unit_id"], m["lon"], m["lat"]) for m in every_move
                  if metres.to_street(m["lon"], m["lat"]) > ON_STREET_M]
    assert off_street == [] and len(every_move) > 100
    assert {m["speed"] for u in WANDERERS for m in moves_of(events, u)} == {PATROL_SPEED_MPS}


def test_on_close_the_units_are_available_the_patrol_wanders_on_and_the_fire_engine_drives_home(
        fresh_server, tokens, streets, metres):
    url = fresh_server.start()

    async def run():
        scene = Scene(url, tokens[1], streets)
        await scene.start({FIRE, PATROL})
        home = (scene.watcher.state["units"][FIRE]["home_lon"], scene.watcher.state["units"][FIRE]["home_lat"])
        await scene.alice.command("incident.create", kind="fire", priority=1, lon=MANNERHEIMINTIE[0],
                                  lat=MANNERHEIMINTIE[1], incident_id="SIM-2")
        for unit_id in (FIRE, PATROL):
            await scene.alice.command("unit.assign", unit_id=unit_id, incident_id="SIM-2")
        await until(lambda: scene.status(FIRE) == scene.status(PATROL) == "onscene" or not scene.running(),
                    "both units are on scene")
        reply = await scene.alice.command("incident.close", incident_id="SIM-2", disposition="FIRE_OUT")
        closed = reply["seq"]

        def home_and_parked() -> bool:
            moves = moves_of(scene.events, FIRE, closed)
            return bool(moves) and moves[-1]["speed"] == 0.0
        await until(lambda: home_and_parked() or not scene.running(), "the fire engine is back and parked")
        await until(lambda: len(moves_of(scene.events, PATROL, closed)) >= 10, "the patrol wanders again")
        await scene.finish()
        return scene.events, home, closed

    events, home, closed = asyncio.run(run())
    for unit_id in (FIRE, PATROL):
        assert [s for s, _ in statuses_of(events, unit_id)] == ["dispatched", "enroute", "onscene", "available"]
    back = moves_of(events, FIRE, closed)
    scene_to_home = metres.between(MANNERHEIMINTIE, home)
    assert scene_to_home > 400
    assert metres.between((back[-1]["lon"], back[-1]["lat"]), home) <= metres.to_street(*home) + 3.0
    assert all(metres.to_street(m["lon"], m["lat"]) <= ON_STREET_M for m in back)
    assert {m["speed"] for m in moves_of(events, PATROL, closed)} == {PATROL_SPEED_MPS}


class Gate:
    """A feed's clock that the test opens one tick at a time, until it lets the feed run fast."""

    def __init__(self):
        self.waiting = asyncio.Event()
        self._go = asyncio.Event()
        self.open = False

    async def tick(self) -> None:
        if self.open:
            return await fast_tick()
        self.waiting.set()
        await self._go.wait()
        self._go.clear()

    async def step(self) -> None:
        """Let the feed take one step, and wait until it waits again."""
        self.waiting.clear()
        self._go.set()
        await asyncio.wait_for(self.waiting.wait(), 30)

    def run_fast(self) -> None:
        """Let the feed take its next step at once and then run on the fast clock."""
        self.open = True
        self._go.set()


def test_two_feeds_race_one_status_is_refused_and_both_go_on_from_the_servers_state(fresh_server, tokens,
                                                                                    streets, caplog):
    """Both feeds see the unit's turnout end at the same step and report en route; the server takes the
    first and refuses the second (invalid_transition). The loser logs it and follows the server: one en
    route, one on scene, and both feeds still running."""
    caplog.set_level(logging.WARNING, logger="onemap.simulate")
    url = fresh_server.start()

    async def run():
        gates = [Gate(), Gate()]
        scene = Scene(url, tokens[1], streets)
        await scene.start({PATROL}, tick=[gate.tick for gate in gates], feeds=2)
        await until(lambda: all(gate.waiting.is_set() for gate in gates), "both feeds took their first step")
        await scene.alice.command("incident.create", kind="theft", priority=3, lon=KAIVOKATU[0],
                                  lat=KAIVOKATU[1], incident_id="SIM-3")
        assigned = (await scene.alice.command("unit.assign", unit_id=PATROL, incident_id="SIM-3"))["seq"]
        for feed in scene.feeds:
            await feed.client.wait_for_seq(assigned)
        for _ in range(int(TURNOUT["patrol"])):  # the step that sees the assignment, then the turnout
            await asyncio.gather(*(gate.step() for gate in gates))
        for gate in gates:  # both step before either can hear of the other's report: both report en route
            gate.run_fast()
        await until(lambda: scene.status(PATROL) == "onscene" or not scene.running(), "the patrol is on scene")
        await scene.finish()
        return scene.events

    events = asyncio.run(run())
    assert statuses_of(events, PATROL) == [("dispatched", "alice"), ("enroute", "fred"), ("onscene", "fred")]
    refusals = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
    assert any("unit.status" in m and "invalid_transition" in m for m in refusals), refusals


def test_the_feed_connects_again_after_the_server_restarts_and_goes_on_from_its_state(fresh_server, tokens,
                                                                                       streets):
    url = fresh_server.start()

    async def run():
        scene = Scene(url, tokens[1], streets)
        await scene.start({PATROL, FIRE})
        await until(lambda: len(moves_of(scene.events, PATROL)) >= 5, "the patrol wanders")
        await scene.watcher.close()
        fresh_server.kill()  # kill -9: the feed's connection drops without a close frame
        fresh_server.start()  # the same port, the same event log
        watcher = await DispatchClient.connect(url, tokens[1]["vic"])
        alice = await DispatchClient.connect(url, tokens[1]["alice"], subscribe=False)
        await alice.command("incident.create", kind="fire", priority=1, lon=KAIVOKATU[0], lat=KAIVOKATU[1],
                            incident_id="SIM-4")
        await alice.command("unit.assign", unit_id=FIRE, incident_id="SIM-4")
        await until(lambda: watcher.state["units"][FIRE]["status"] == "onscene" or not scene.running(),
                    "the fire engine is on scene after the restart")
        scene.watcher = watcher  # finish() closes this one
        await scene.finish()
        await alice.close()

    asyncio.run(run())
