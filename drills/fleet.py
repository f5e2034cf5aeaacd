"""Simulated units in an exercise: dispatch.simulate's UnitSimulator stepped on DRILL time, driven over one
connection by dispatch.simulate.SimulationFeed (one `cmds` frame a tick), as the demo feed is.

On top of the demo's units, a unit on scene reports `available` again after a service time drawn from the
data's on-scene durations (drills.load.CallProfile: a generated call's own, else one of its kind's, else any
kind's), and a unit an `avl_silent` inject silenced sends no position until its `for_s` is over. Drill time,
on-scene times and silences are read from the runner's copy of the log (`events`: drills.runner keeps the
drill.*, status and incident events), so a paused drill holds the units still and a restarted runner agrees.

    fleet = DrillFleet(UnitSimulator(city.streets), runner, sf_profile())
    await SimulationFeed(url, token, fleet, namespace=runner.namespace).run(stop)
"""
from __future__ import annotations

import asyncio
import random
import time
from typing import Callable

from dispatch.history import epoch
from dispatch.simulate import UnitSimulator
from drills.clock import DrillClock
from drills.load import CallProfile
from drills.runner import DrillRunner, outages


class DrillFleet:
    """Has UnitSimulator's step(state, now) and rejected(unit_id, status), for SimulationFeed. The feed's
    `now` counts its ticks (each a wall second): the fleet steps the simulator on drill time instead."""

    def __init__(self, simulator: UnitSimulator, runner: DrillRunner, profile: CallProfile, seed: int = 1,
                 wall: Callable[[], float] = time.time):
        self.simulator = simulator
        self.runner = runner
        self.profile = profile
        self.seed = seed
        self.wall = wall
        self._cleared: set[tuple[str, int]] = set()  # (unit, seq of its on-scene event) reported available
        self.primed = asyncio.Event()  # set once the simulator has stepped before the drill's start
        # SimulationFeed steps the fleet on a worker thread: the event is set on the loop's own thread.
        self._loop = asyncio.get_running_loop()

    def step(self, state: dict, _ticks: float) -> list[tuple[str, dict]]:
        events = self.runner.events
        clock = DrillClock(events)
        now = self.wall()
        if not clock.started:
            # Before the start: the simulator snaps every unit and plans its first drive now, not in the
            # drill's first second (the runner shares this loop); no time passes, nothing is said.
            self.simulator.step(state, 0.0)
            self._loop.call_soon_threadsafe(self.primed.set)
            return []
        if not clock.running_at(now):
            return []  # paused: the units stand still and say nothing
        drill_now = clock.drill_at(now)
        silent = self._silent(drill_now)
        commands = [(cmd, args) for cmd, args in self.simulator.step(state, drill_now)
                    if not (cmd == "unit.position" and args["unit_id"] in silent)]
        return commands + self._cleared_units(state, clock, drill_now)

    def rejected(self, unit_id: str, status: str) -> None:
        if status == "available":
            self._cleared = {c for c in self._cleared if c[0] != unit_id}
        else:
            self.simulator.rejected(unit_id, status)

    def _silent(self, drill_now: float) -> set[str]:
        """Units whose AVL an avl_silent inject has silenced at `drill_now` (for its for_s, else for good)."""
        return {o.target for o in outages(self.runner.events, self.runner.scenario.msel.rows)
                if o.command == "avl_silent" and o.start_s <= drill_now and (o.end_s is None or drill_now < o.end_s)}

    def _cleared_units(self, state: dict, clock: DrillClock, drill_now: float) -> list[tuple[str, dict]]:
        """`available` for every unit whose service time on scene is over, once per arrival."""
        arrived: dict[str, dict] = {}
        for event in self.runner.events:
            if event["type"] == "unit.status_changed":
                arrived[event["data"]["unit_id"]] = event
        generated = self.runner.generated_service_s()
        commands = []
        for unit_id, record in state["units"].items():
            event = arrived.get(unit_id)
            if record["status"] != "onscene" or event is None or event["data"]["status"] != "onscene":
                continue  # not on scene, or the runner has not heard of its arrival yet
            incident_id = record.get("incident_id")
            kind = state["incidents"].get(incident_id, {}).get("kind")
            service = generated.get(incident_id) or service_time(self.profile, self.seed, incident_id, kind)
            if drill_now - clock.drill_at(epoch(event["ts"])) >= service and (unit_id, event["seq"]) not in self._cleared:
                self._cleared.add((unit_id, event["seq"]))
                commands.append(("unit.status", {"unit_id": unit_id, "status": "available"}))
        return commands


def service_time(profile: CallProfile, seed: int, incident_id: str | None, kind: str | None) -> float:
    """A service time from the data's on-scene durations of the incident's kind (any kind's if the data has
    not that kind), the same for an incident every time (a restarted runner agrees)."""
    durations = profile.onscene_s.get(kind) or tuple(s for k in profile.kinds for s in profile.onscene_s[k])
    return random.Random(f"{seed}/{incident_id}").choice(durations)
