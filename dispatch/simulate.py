"""A patrol simulator: units drive along the city's streets and report their positions like an AVL feed.

Used by `onemap demo` so the map is alive, and by drills. Deterministic for a given seed.
"""
from __future__ import annotations

import asyncio
import math
import random

from dispatch.client import DispatchClient
from dispatch.recommend import StreetRouter

PATROL_SPEED_MPS = 8.0
REPORT_EVERY_S = 1.0


class PatrolSimulator:
    def __init__(self, streets, seed: int = 1):
        self.router = StreetRouter(streets)
        self.node_coords = {}
        for row in streets.itertuples(index=False):
            self.node_coords.setdefault(row.u, row.geometry.coords[0])
            self.node_coords.setdefault(row.v, row.geometry.coords[-1])
        self.rng = random.Random(seed)
        self.routes: dict[str, list] = {}  # unit -> street nodes still ahead
        self.positions: dict[str, tuple[float, float]] = {}

    def step(self, units: dict[str, dict], dt: float) -> dict[str, tuple[float, float, float]]:
        """Advance every available patrol or traffic unit by dt seconds; returns unit -> (lon, lat, heading)."""
        node_coords = self.node_coords
        moves = {}
        for unit_id, unit in units.items():
            if unit["status"] not in ("available", "enroute") or unit.get("kind") not in ("patrol", "traffic"):
                continue
            lon, lat = self.positions.get(unit_id, (unit["lon"], unit["lat"]))
            route = self.routes.get(unit_id)
            if not route:
                (start,), _ = self.router.snap(lon, lat)
                route = self._wander(start)
                self.routes[unit_id] = route
            budget = PATROL_SPEED_MPS * dt
            heading = unit.get("heading") or 0.0
            while budget > 0 and route:
                target = node_coords[route[0]]
                dx = (target[0] - lon) * 111_320 * math.cos(math.radians(lat))
                dy = (target[1] - lat) * 110_540
                distance = math.hypot(dx, dy)
                if distance > 1e-6:
                    heading = math.degrees(math.atan2(dx, dy)) % 360
                if distance <= budget:
                    lon, lat = target
                    budget -= distance
                    route.pop(0)
                else:
                    lon += (target[0] - lon) * budget / distance
                    lat += (target[1] - lat) * budget / distance
                    budget = 0
            self.positions[unit_id] = (lon, lat)
            moves[unit_id] = (lon, lat, heading)
        return moves

    def _wander(self, start) -> list:
        """A random walk of up to 30 street nodes from `start`, never turning straight back."""
        route, previous, node = [], None, start
        for _ in range(30):
            choices = [n for n in self.router.graph.successors(node) if n != previous]
            if not choices:
                break
            previous, node = node, self.rng.choice(choices)
            route.append(node)
        return route


async def run_patrols(url: str, token: str, streets, seed: int = 1, stop: asyncio.Event | None = None) -> None:
    """Feed positions of the city's patrol units to the server until `stop` is set."""
    simulator = PatrolSimulator(streets, seed)
    feed = await DispatchClient.connect(url, token)  # a feed that also watches, to know who is available
    stop = stop or asyncio.Event()
    while not stop.is_set():
        moves = simulator.step(feed.state["units"], REPORT_EVERY_S)
        feed.send_commands([("unit.position", {"unit_id": unit_id, "lon": round(lon, 7), "lat": round(lat, 7),
                                               "heading": round(heading, 1), "speed": PATROL_SPEED_MPS})
                            for unit_id, (lon, lat, heading) in moves.items()])
        try:
            await asyncio.wait_for(stop.wait(), REPORT_EVERY_S)
        except asyncio.TimeoutError:
            pass
    await feed.close()
