"""The drill runner: fires an MSEL's injects in an exercise namespace at their drill times.

Drill time is read from the log's drill.* events as this client receives them (drills.clock), never from
the runner's own clock: the runner's clock only says when "now" is, to turn the log's time line into a
wait. What every inject does is an ordinary command in the exercise namespace, then `drill.fired` records
it; which rows have fired is read back from the log, so a restarted runner (`resume=True`) carries on.

    runner = await DrillRunner.connect(url, token, "night-shift-1", msel_path)
    await runner.run(speed=60)
"""
from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Callable

from dispatch.client import DispatchClient
from dispatch.domain import EXERCISE_PREFIX
from drills.clock import CLOCK_EVENT_TYPES, FIRED_EVENT_TYPE, DrillClock, due_injects, fired_rows
from drills.msel import Msel, MselRow, read_msel
from drills.score import expectations, overdue

Say = Callable[[str], None]
# The events the runner keeps of the log: the drill's time line and records, and what expected actions and a
# message's incident are read from. Position reports (most of a busy log) are not kept.
KEPT_EVENT_TYPES = frozenset({*CLOCK_EVENT_TYPES, FIRED_EVENT_TYPE, "unit.assigned", "incident.created"})
# What may change what is due: the time line, and an assignment meeting an expected action.
WAKING_EVENT_TYPES = frozenset({*CLOCK_EVENT_TYPES, "unit.assigned"})


class DrillError(RuntimeError):
    """The server refused what the runner needs (a used name, a forbidden namespace): its words."""


def _refusal(reply: dict, what: str) -> DrillError:
    return DrillError(f"{what} refused ({reply.get('code')}): {reply.get('message')}")


@dataclass(frozen=True)
class Scenario:
    """An MSEL checked against the city the server runs, with what firing and scoring it need of the city."""

    msel: Msel
    unit_kinds: dict[str, str]  # unit id -> kind: expected actions name a kind of unit
    grid_centres: dict[str, tuple[float, float]]  # where a call placed in a grid cell goes (lon, lat)


def load_scenario(path: str, city_name: str) -> Scenario:
    """The MSEL at `path` read with the city's geocoder and ids; drills.msel.MselError if it is bad."""
    from layers.citypack import load_city
    from layers.geocode import Geocoder

    city = load_city(city_name)
    unit_kinds = dict(zip(city.units["unit_id"], city.units["kind"]))
    msel = read_msel(path, Geocoder(city.streets, city.places, city.areas).resolve,
                     grid_ids=set(city.grids["grid_id"]), unit_ids=set(unit_kinds),
                     camera_ids=set(city.cameras["camera_id"]))
    centres = {grid_id: (point.x, point.y) for grid_id, point in
               zip(city.grids["grid_id"], city.grids.geometry.representative_point())}
    return Scenario(msel, unit_kinds, centres)


class DrillRunner:
    def __init__(self, client: DispatchClient, events: list[dict], wake: asyncio.Event, say: Say):
        self.client = client
        self.events = events  # the namespace's events of KEPT_EVENT_TYPES, in seq order, as received
        self._wake = wake
        self.say = say
        self.scenario: Scenario | None = None

    @classmethod
    async def connect(cls, url: str, token: str, name: str, say: Say = print, **connect_args) -> "DrillRunner":
        """Join `exercise:NAME` and read its log from the first event (for what has fired already)."""
        events: list[dict] = []
        wake = asyncio.Event()

        def heard(event: dict) -> None:
            if event["type"] in KEPT_EVENT_TYPES:
                events.append(event)
            if event["type"] in WAKING_EVENT_TYPES:
                wake.set()

        client = await DispatchClient.connect(url, token, namespace=EXERCISE_PREFIX + name, resume_from=0,
                                              keep_state=False, on_event=heard, **connect_args)
        await client.wait_for_seq(client.welcome["seq"], timeout=60.0)
        return cls(client, events, wake, say)

    @property
    def namespace(self) -> str:
        return self.client.namespace

    async def close(self) -> None:
        await self.client.close()

    async def command(self, cmd: str, **args) -> dict:
        """Send and wait for the reply; an ack also waits until its events are in `events`."""
        reply = await self.client.command(cmd, **args)
        if reply.get("op") == "ack":
            await self.client.wait_for_seq(reply["seq"])
        return reply

    async def run(self, scenario: Scenario, speed: float, resume: bool = False) -> None:
        """Start the drill (or, with `resume`, carry on with the one the log holds) and fire every row
        that comes due, until none can any more."""
        self.scenario = scenario
        msel = scenario.msel
        if resume and DrillClock(self.events).started:
            self.say(f"{self.namespace}: resuming; {len(fired_rows(self.events))} rows fired before")
        else:
            reply = await self.command("drill.start", speed=speed)
            if reply.get("op") != "ack":
                raise _refusal(reply, f"drill.start in {self.namespace}")
            self.say(f"{self.namespace}: started at speed {speed:g}")
        while True:
            self._wake.clear()
            now = time.time()
            # One row at a time, judged again after each: a pause that came meanwhile holds back the rest.
            due = due_injects(msel.rows, self.events, now, overdue(self._expectations(now)))
            if due:
                await self.fire(due[0])
                continue
            wake_at = self._next_wake(time.time())
            if wake_at is False:
                break
            await self._wait(None if wake_at is None else wake_at - time.time())
        self.say(f"{self.namespace}: every inject has fired")

    async def _wait(self, timeout: float | None) -> None:
        """Until `timeout` passes, a waking event comes, or the connection closes (DrillError)."""
        waits = [asyncio.ensure_future(self._wake.wait()), asyncio.ensure_future(self.client.closed.wait())]
        await asyncio.wait(waits, timeout=None if timeout is None else max(0.0, timeout),
                           return_when=asyncio.FIRST_COMPLETED)
        for waiting in waits:
            waiting.cancel()
        if self.client.closed.is_set():
            raise DrillError(f"the connection to the server closed ({self.client.close_code})")

    def _expectations(self, now: float):
        return expectations(self.scenario.msel, self.events, self.scenario.unit_kinds, now)

    def _next_wake(self, now: float) -> float | None | bool:
        """The wall time of the next row's Scenario Time or expected action's deadline; None: only a
        drill.* event can change things (paused); False: nothing is left to fire."""
        fired = fired_rows(self.events)
        results = {r.event_number: r for r in self._expectations(now)}
        clock = DrillClock(self.events)
        running = clock.running_at(now)
        times = []
        for row in self.scenario.msel.rows:
            if row.event_number in fired:
                continue
            if row.event_type == "Inject":
                times.append(row.scenario_s)
            elif row.event_type == "Contingency Inject":
                result = results.get(row.args.get("on_miss"))
                if result is None or result.status == "met":
                    continue  # never fires
                if result.deadline_drill_s is not None:
                    times.append(max(row.scenario_s, result.deadline_drill_s))
                elif self.scenario.msel.row(result.event_number).args["to_inject"] not in fired:
                    times.append(None)  # its call has not fired yet: wait for what comes
                # else its call fired without an incident (refused): the action can never be judged
        if not times:
            return False
        if not running:
            return None  # paused (or not started yet): only a drill.* event changes what is due
        walls = [clock.wall_for(t) for t in times if t is not None]
        walls = [w for w in walls if w is not None]
        # A deadline is passed only once drill time is beyond it (late or missed): a millisecond after.
        return min(walls) + 0.001 if walls else None

    async def fire(self, row: MselRow) -> None:
        """Do what the row says in the exercise namespace, then record it with drill.fired."""
        drill_s = DrillClock(self.events).drill_at(time.time())
        incident_id = await self._do(row)
        args = {"event_number": row.event_number, "drill_s": round(drill_s, 3)}
        if incident_id is not None:
            args["incident_id"] = incident_id
        reply = await self.command("drill.fired", **args)
        if reply.get("op") != "ack":
            raise _refusal(reply, f"drill.fired of event {row.event_number}")
        self.say(f"fired event {row.event_number} ({row.command}) at drill time +{drill_s:.3f} s"
                 + (f": {incident_id}" if incident_id else ""))

    async def _do(self, row: MselRow) -> str | None:
        """The row's command; the incident a call created. A refused command (a unit already out) is said and
        the row still counts as fired: the inject was delivered, the rules answered it."""
        args = row.args
        if row.command == "call":
            lon, lat = row.place or self.scenario.grid_centres[args["grid_id"]]
            call = {"kind": args["kind"], "priority": args["priority"], "lon": lon, "lat": lat,
                    "address": row.place_label or None, "note": args.get("note") or row.message or None,
                    "caller_name": args.get("caller_name"), "callback": args.get("callback"), "source": "phone"}
            reply = await self.command("incident.create", **{k: v for k, v in call.items() if v is not None})
            if reply.get("op") == "ack":
                return reply["incident_id"]
        elif row.command == "unit_out":
            reply = await self.command("unit.status", unit_id=args["unit_id"], status="offduty")
        elif row.command == "camera_dark":
            reply = await self.command("camera.status", camera_id=args["camera_id"], online=False)
        elif row.command == "message":
            latest = self._latest_incident()
            if latest is None:
                return None  # recorded only: there is no incident to carry it
            reply = await self.command("incident.note", incident_id=latest, text=row.message)
        else:  # avl_silent: a unit's AVL going quiet sends nothing; the record says when it fell silent
            return None
        if reply.get("op") != "ack":
            self.say(f"event {row.event_number} ({row.command}): {reply.get('code')}: {reply.get('message')}")
        return None

    def _latest_incident(self) -> str | None:
        return next((e["data"]["incident_id"] for e in reversed(self.events) if e["type"] == "incident.created"),
                    None)


async def control(url: str, token: str, name: str, cmd: str, **args) -> dict:
    """One drill control command (drill.pause, drill.resume, drill.set_speed) to `exercise:NAME`; its ack,
    else DrillError with the server's words."""
    client = await DispatchClient.connect(url, token, namespace=EXERCISE_PREFIX + name, subscribe=False,
                                          keep_state=False)
    try:
        reply = await client.command(cmd, **args)
    finally:
        await client.close()
    if reply.get("op") != "ack":
        raise _refusal(reply, f"{cmd} in {EXERCISE_PREFIX + name}")
    return reply
