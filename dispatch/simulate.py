"""Simulated units that behave like real AVL and MDT devices: patrols wander the streets; a unit assigned to an
incident turns out, reports en route, drives there along the street graph, reports on scene and stays;
once free again it resumes patrol (patrol, traffic) or drives back to its station (fire, ems).

`UnitSimulator` is a plain object stepped by a clock it is given (`step(state, now)`): it reads no clock,
does no I/O and is deterministic for a seed, so drills can reuse it. It follows the server's state (as a
client folds it): a status the dispatcher sets by hand wins over its plans. `SimulationFeed` drives it over
one websocket connection (the demo and drills).
"""
from __future__ import annotations

import asyncio
import bisect
import logging
import math
import random
from dataclasses import dataclass, field
from typing import Awaitable, Callable

import networkx as nx
import numpy as np
import shapely
from shapely.geometry import LineString

from dispatch.client import DispatchClient, Disconnected
from dispatch.domain import ATTACHED_STATUSES, LIVE
from dispatch.recommend import EARTH_RADIUS_M, StreetRouter
from dispatch.reducer import copy_state

log = logging.getLogger("onemap.simulate")

REPORT_EVERY_S = 1.0  # AVL devices report about once a second
RECONNECT_S = 1.0
PATROL_SPEED_MPS = 8.0  # wandering on patrol, whatever the road
WANDERING_KINDS = frozenset({"patrol", "traffic"})
WANDER_EDGES = 30
# Ordinary driving speed by OpenStreetMap road class (urban limits); unknown classes drive at the default.
ROAD_SPEED_KMH = {"primary": 50.0, "primary_link": 40.0, "secondary": 40.0, "secondary_link": 30.0,
                  "tertiary": 40.0, "tertiary_link": 30.0, "residential": 30.0, "unclassified": 30.0}
DEFAULT_ROAD_SPEED_KMH = 30.0
# With lights and sirens a unit drives faster than the limit; a fire engine less so than a car.
EMERGENCY_FACTOR = {"patrol": 1.4, "traffic": 1.4, "ems": 1.4, "fire": 1.2}
DEFAULT_EMERGENCY_FACTOR = 1.2
# Seconds from assignment to rolling; real crews take 20-60 s.
TURNOUT_S = {"patrol": 20.0, "traffic": 20.0, "ems": 45.0, "fire": 60.0}
DEFAULT_TURNOUT_S = 30.0
DEMO_TURNOUT_S = dict.fromkeys(TURNOUT_S, 3.0)  # the demo should not keep a dispatcher waiting a minute
# Status order of a response: the simulator reports a status only if the server's is behind it.
_RESPONSE_RANK = {"dispatched": 0, "enroute": 1, "onscene": 2}

Place = tuple[tuple, float]  # (directed edge (u, v), metres from u along it)
Leg = tuple[tuple, float, float]  # drive along a directed edge from one offset to another


class _Edge:
    """One directed street edge in local metres."""

    def __init__(self, xy: np.ndarray, highway: str):
        self.xy = xy
        steps = np.hypot(*np.diff(xy, axis=0).T)
        self.cumulative = np.concatenate([[0.0], np.cumsum(steps)]).tolist()
        self.length = self.cumulative[-1]
        self.road_mps = ROAD_SPEED_KMH.get(highway, DEFAULT_ROAD_SPEED_KMH) / 3.6

    def at(self, offset: float) -> tuple[float, float, float]:
        """x, y and heading (degrees clockwise from north, along the edge) at `offset` metres from its start."""
        segment = min(max(bisect.bisect_right(self.cumulative, offset) - 1, 0), len(self.xy) - 2)
        (x0, y0), (x1, y1) = self.xy[segment], self.xy[segment + 1]
        span = self.cumulative[segment + 1] - self.cumulative[segment]
        t = (offset - self.cumulative[segment]) / span if span > 0 else 0.0
        return x0 + (x1 - x0) * t, y0 + (y1 - y0) * t, float(math.degrees(math.atan2(x1 - x0, y1 - y0)) % 360)


@dataclass
class _Unit:
    """The simulator's own idea of a unit: where it is on the streets and what it is doing."""

    place: Place
    heading: float = 0.0
    activity: tuple | None = None  # ("incident", id), ("wander",), ("home",) or ("stay",)
    phase: str = ""  # of an incident: "turnout", "respond", "onscene"
    ready_at: float = 0.0
    legs: list[Leg] = field(default_factory=list)
    reported: str | None = None  # the status sent for this activity and not yet seen refused


class UnitSimulator:
    def __init__(self, streets, seed: int = 1, turnout_s: dict[str, float] = TURNOUT_S):
        """`streets`: a city pack's street GeoDataFrame. Units drive only on its largest strongly connected
        part (streets cut off by the extract's edge, where a car could enter but never leave, are left out),
        so every street point they use can reach every other."""
        router = StreetRouter(streets)
        if not router.nodes:
            raise ValueError("the city has no streets for simulated units to drive on")
        main = max(nx.strongly_connected_components(router.graph), key=len)
        self.graph = router.graph.subgraph(main)
        self._lat0 = router.lat0
        self._kx = math.pi / 180 * EARTH_RADIUS_M * math.cos(math.radians(self._lat0))
        self._ky = math.pi / 180 * EARTH_RADIUS_M
        # The router keeps the shortest street of each directed pair: take the geometry of that one.
        chosen: dict[tuple, tuple[float, np.ndarray, str]] = {}
        for row in streets.itertuples(index=False):
            xy = self._to_xy(np.asarray(row.geometry.coords))
            directions = [((row.u, row.v), xy)] + ([] if bool(row.oneway) else [((row.v, row.u), xy[::-1])])
            for key, line in directions:
                if key in chosen and chosen[key][0] <= float(row.length_m):
                    continue
                chosen[key] = (float(row.length_m), line, row.highway or "")
        self.edges = {key: _Edge(line, highway) for key, (_, line, highway) in chosen.items()
                      if self.graph.has_edge(*key)}
        self._edge_keys = list(self.edges)
        self._tree = shapely.STRtree([LineString(self.edges[key].xy) for key in self._edge_keys])
        self.rng = random.Random(seed)
        self.turnout_s = turnout_s
        self.units: dict[str, _Unit] = {}
        self._now: float | None = None
        self._snapped: dict[tuple[float, float], Place] = {}

    # ---- geometry ---------------------------------------------------------------------------------

    def _to_xy(self, lonlat: np.ndarray) -> np.ndarray:
        return np.column_stack([lonlat[:, 0] * self._kx, lonlat[:, 1] * self._ky])

    def lonlat(self, place: Place) -> tuple[float, float]:
        x, y, _ = self.edges[place[0]].at(place[1])
        return float(x / self._kx), float(y / self._ky)

    def snap(self, lon: float, lat: float) -> Place:
        """The street point nearest (lon, lat), as a place on a directed edge."""
        key = (lon, lat)
        if key not in self._snapped:
            point = shapely.Point(lon * self._kx, lat * self._ky)
            nearest = min(int(i) for i in self._tree.query_nearest(point))  # lowest index on ties
            edge_key = self._edge_keys[nearest]
            self._snapped[key] = (edge_key, float(self._tree.geometries[nearest].project(point)))
        return self._snapped[key]

    # ---- routes -----------------------------------------------------------------------------------

    def _edge_time(self, u, v, _data) -> float:
        edge = self.edges[(u, v)]
        return edge.length / edge.road_mps

    def _reverse(self, place: Place) -> Place | None:
        (u, v), offset = place
        reverse = self.edges.get((v, u))
        return None if reverse is None else ((v, u), max(reverse.length - offset, 0.0))

    def route(self, start: Place, goal: Place) -> list[Leg]:
        """The quickest legs from `start` to `goal` over directed streets (one-way streets one way only);
        a unit may turn around on a two-way street."""
        starts = [p for p in (start, self._reverse(start)) if p is not None]
        goals = [p for p in (goal, self._reverse(goal)) if p is not None]
        best: tuple[float, list[Leg]] | None = None
        for (edge_key, offset) in starts:
            edge = self.edges[edge_key]
            for goal_key, goal_offset in goals:
                if goal_key == edge_key and goal_offset >= offset:  # straight ahead on this street
                    cost = (goal_offset - offset) / edge.road_mps
                    if best is None or cost < best[0]:
                        best = (cost, [(edge_key, offset, goal_offset)])
            times, paths = nx.single_source_dijkstra(self.graph, edge_key[1], weight=self._edge_time)
            head = (edge.length - offset) / edge.road_mps
            for goal_key, goal_offset in goals:
                if goal_key[0] not in times:
                    continue
                cost = head + times[goal_key[0]] + goal_offset / self.edges[goal_key].road_mps
                if best is None or cost < best[0]:
                    path = paths[goal_key[0]]
                    legs = [(edge_key, offset, edge.length)]
                    legs += [((a, b), 0.0, self.edges[(a, b)].length) for a, b in zip(path, path[1:])]
                    best = (cost, legs + [(goal_key, 0.0, goal_offset)])
        return [leg for leg in best[1] if leg[2] > leg[1]] if best else []

    def _wander(self, start: Place) -> list[Leg]:
        """On to the end of this street, then a random walk that turns straight back only at a dead end."""
        edge_key, offset = start
        legs = [(edge_key, offset, self.edges[edge_key].length)]
        previous, node = edge_key
        for _ in range(WANDER_EDGES):
            successors = list(self.graph.successors(node))
            choices = [n for n in successors if n != previous] or successors
            previous, node = node, self.rng.choice(choices)
            legs.append(((previous, node), 0.0, self.edges[(previous, node)].length))
        return [leg for leg in legs if leg[2] > leg[1]]

    # ---- stepping ---------------------------------------------------------------------------------

    def step(self, state: dict, now: float) -> list[tuple[str, dict]]:
        """Advance every unit to time `now` (seconds on the driver's clock) following the server's `state`;
        returns what the units report, as commands in the order to send them: the position of every unit
        that moved, each between the status it had reached before moving (en route) and after (on scene)."""
        dt = 0.0 if self._now is None else max(now - self._now, 0.0)
        self._now = now
        commands: list[tuple[str, dict]] = []
        for unit_id, record in state["units"].items():
            unit = self.units.get(unit_id)
            if unit is None:
                unit = self.units[unit_id] = _Unit(self.snap(record["lon"], record["lat"]))
            self._report_status(commands, unit_id, self._follow(unit, record, state, now))
            if unit.legs:
                speed = self._advance(unit, record, dt)
                lon, lat = self.lonlat(unit.place)
                commands.append(("unit.position", {"unit_id": unit_id, "lon": round(lon, 7), "lat": round(lat, 7),
                                                   "heading": round(unit.heading, 1), "speed": round(speed, 2)}))
                if unit.phase == "respond" and not unit.legs:  # arrived
                    unit.phase = "onscene"
                    self._report_status(commands, unit_id, self._status_due(unit, record))
        return commands

    @staticmethod
    def _report_status(commands: list, unit_id: str, status: str | None) -> None:
        if status is not None:
            commands.append(("unit.status", {"unit_id": unit_id, "status": status}))

    def rejected(self, unit_id: str, status: str) -> None:
        """The server refused a status this simulator sent: judge again from its state at the next step."""
        unit = self.units.get(unit_id)
        if unit is not None and unit.reported == status:
            unit.reported = None

    def _follow(self, unit: _Unit, record: dict, state: dict, now: float) -> str | None:
        """Bring the unit's activity in line with its status on the server; returns a status to report."""
        status, kind = record["status"], record.get("kind")
        if status in ATTACHED_STATUSES and record.get("incident_id") in state["incidents"]:
            activity = ("incident", record["incident_id"])
        elif status == "available":
            activity = ("wander",) if kind in WANDERING_KINDS else ("home",)
        else:  # busy, off duty: wherever it is
            activity = ("stay",)
        if activity != unit.activity:
            unit.activity, unit.legs, unit.reported = activity, [], None
            if activity[0] == "incident":
                unit.phase, unit.ready_at = "turnout", now + self.turnout_s.get(kind, DEFAULT_TURNOUT_S)
            elif activity[0] == "home" and record.get("home_lon") is not None:
                unit.legs = self.route(unit.place, self.snap(record["home_lon"], record["home_lat"]))
        if activity[0] == "wander" and not unit.legs:
            unit.legs = self._wander(unit.place)
        if activity[0] != "incident":
            return None
        # Turnout ends when its time is up, or when the crew (by hand) already said en route or on scene.
        if unit.phase == "turnout" and (now >= unit.ready_at or status != "dispatched"):
            unit.phase = "respond"
            incident = state["incidents"][activity[1]]
            unit.legs = self.route(unit.place, self.snap(incident["lon"], incident["lat"]))
            if not unit.legs:
                unit.phase = "onscene"
        return self._status_due(unit, record)

    def _status_due(self, unit: _Unit, record: dict) -> str | None:
        wanted = {"respond": "enroute", "onscene": "onscene"}.get(unit.phase)
        if wanted is None or unit.reported == wanted or _RESPONSE_RANK[record["status"]] >= _RESPONSE_RANK[wanted]:
            return None
        unit.reported = wanted
        return wanted

    def _speed(self, unit: _Unit, record: dict, edge: _Edge) -> float:
        if unit.activity[0] == "wander":
            return PATROL_SPEED_MPS
        if unit.activity[0] == "incident":
            return edge.road_mps * EMERGENCY_FACTOR.get(record.get("kind"), DEFAULT_EMERGENCY_FACTOR)
        return edge.road_mps

    def _advance(self, unit: _Unit, record: dict, dt: float) -> float:
        """Drive dt seconds along the unit's legs; returns the speed it is driving at (0 once arrived)."""
        budget = dt
        if unit.place[0] != unit.legs[0][0]:  # turning around: the same point on the opposite edge
            unit.place = (unit.legs[0][0], unit.legs[0][1])
        while unit.legs:
            edge_key, _, end = unit.legs[0]
            edge = self.edges[edge_key]
            speed = self._speed(unit, record, edge)
            offset = unit.place[1]
            unit.heading = edge.at(offset)[2]
            if end - offset > speed * budget:
                unit.place = (edge_key, offset + speed * budget)
                return speed
            budget -= (end - offset) / speed
            unit.legs.pop(0)
            if not unit.legs and unit.activity == ("wander",):  # a patrol never stops: on to a new walk
                unit.legs = self._wander((edge_key, end))
            unit.place = (unit.legs[0][0], unit.legs[0][1]) if unit.legs else (edge_key, end)
        return 0.0


class SimulationFeed:
    """One feed connection that follows the live state (subscribed, as a console) and sends the simulator's
    reports every tick, in one `cmds` frame. A refused command is logged and the simulator goes on from the
    server's state."""

    def __init__(self, url: str, token: str, simulator: UnitSimulator, *, namespace: str = LIVE,
                 tick: Callable[[], Awaitable[None]] | None = None):
        """`tick` waits until the next report is due; each tick is REPORT_EVERY_S on the simulator's clock.
        By default it waits REPORT_EVERY_S of real time (tests pass a faster one)."""
        self.url, self.token, self.namespace = url, token, namespace
        self.simulator = simulator
        self.tick = tick
        self.client: DispatchClient | None = None
        self._rejected: list[tuple[str, str]] = []  # refused statuses, told to the simulator between steps

    async def run(self, stop: asyncio.Event) -> None:
        """Report until `stop` is set. A lost connection is opened again (a fresh snapshot each time, so the
        simulator follows whatever the server holds); only a refused hello (a wrong token) ends the run."""
        tick = self.tick or (lambda: _wait_or_stop(stop, REPORT_EVERY_S))
        now = 0.0
        while not stop.is_set():
            try:
                self.client = await DispatchClient.connect(self.url, self.token, namespace=self.namespace)
            except (OSError, Disconnected, asyncio.TimeoutError) as exc:
                log.warning("simulated units cannot reach %s (%s); trying again", self.url, exc)
                await _wait_or_stop(stop, RECONNECT_S)
                continue
            try:
                while not stop.is_set() and not self.client.closed.is_set():
                    for unit_id, status in self._rejected:
                        self.simulator.rejected(unit_id, status)
                    self._rejected.clear()
                    # A step of hundreds of units (routes, drives) takes tens of ms: on a thread of its own,
                    # over a copy of the state, so the loop it shares (a drill runner's injects) never waits.
                    commands = await asyncio.to_thread(self.simulator.step, copy_state(self.client.state), now)
                    for (cmd, args), reply in zip(commands, self.client.send_commands(commands)):
                        reply.add_done_callback(lambda future, cmd=cmd, args=args: self._replied(cmd, args, future))
                    await tick()
                    now += REPORT_EVERY_S
            except Disconnected:
                pass  # closed between the check and the send
            finally:
                await self.client.close()
            if not stop.is_set():
                log.warning("simulated units lost %s (close code %s); connecting again", self.url,
                            self.client.close_code)

    def _replied(self, cmd: str, args: dict, future: asyncio.Future) -> None:
        if future.cancelled():
            return
        if future.exception() is not None:  # the connection closed: the feed connects again
            log.debug("simulated %s for %s not answered: %s", cmd, args["unit_id"], future.exception())
            return
        reply = future.result()
        if reply["op"] == "nack":
            log.warning("simulated %s for %s refused: %s %s", cmd, args["unit_id"], reply["code"], reply["message"])
            if cmd == "unit.status":
                self._rejected.append((args["unit_id"], args["status"]))


async def _wait_or_stop(stop: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stop.wait(), seconds)
    except asyncio.TimeoutError:
        pass
