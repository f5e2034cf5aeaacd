"""The drill runner: fires an MSEL's injects in an exercise namespace at their drill times, answers the
trainer's asks (fire now, unplanned injects), puts back what an inject took out for `for_s`, and fires
generated background calls (drills.load) mixed with the scripted injects.

Drill time is read from the log's drill.* events as this client receives them (drills.clock), never from
the runner's own clock: the runner's clock only says when "now" is, to turn the log's time line into a
wait. What every inject does is an ordinary command in the exercise namespace, then `drill.fired` records
it; what has fired, what was asked for and what was put back are read back from the log, so a restarted
runner (`resume=True`) carries on.

    runner = await DrillRunner.connect(url, token, "night-shift-1")
    await runner.run(load_scenario(msel_path, city), speed=60)
"""
from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Callable, Sequence

from dispatch.client import DispatchClient
from dispatch.domain import EXERCISE_PREFIX
from drills.clock import CLOCK_EVENT_TYPES, FIRED_EVENT_TYPE, DrillClock, due_injects, fired_rows
from drills.load import GeneratedCall
from drills.msel import Msel, MselRow, check_args, read_msel
from drills.score import expectations, overdue

Say = Callable[[str], None]
FIRE_REQUESTED, INJECT_REQUESTED = "drill.fire_requested", "drill.inject_requested"
# The events the runner keeps of the log: the drill's time line, records and asks, what expected actions
# and a message's incident are read from, and the status changes that say whether an outage still holds.
# Position reports (most of a busy log) are not kept.
KEPT_EVENT_TYPES = frozenset({*CLOCK_EVENT_TYPES, FIRED_EVENT_TYPE, FIRE_REQUESTED, INJECT_REQUESTED,
                              "unit.assigned", "incident.created", "unit.status_changed", "camera.status_changed"})
# What may change what is due: the time line, the trainer's asks, an assignment meeting an expected action.
WAKING_EVENT_TYPES = frozenset({*CLOCK_EVENT_TYPES, FIRE_REQUESTED, INJECT_REQUESTED, "unit.assigned"})
# A generated call's incident says what it is (its drill.inject_fired has no event_number and no request_id).
GENERATED_NOTE = "generated background call (drills.load)"
OUTAGE_COMMANDS = ("unit_out", "avl_silent", "camera_dark")


class DrillError(RuntimeError):
    """The server refused what the runner needs (a used name, a forbidden namespace): its words."""


def _refusal(reply: dict, what: str) -> DrillError:
    return DrillError(f"{what} refused ({reply.get('code')}): {reply.get('message')}")


@dataclass(frozen=True)
class Inject:
    """What an inject does: an MSEL row's (MselRow has these fields too), a trainer's unplanned one, a
    generated call."""
    command: str
    args: dict
    message: str = ""
    place: tuple[float, float] | None = None
    place_label: str = ""


@dataclass(frozen=True)
class Scenario:
    """An MSEL checked against the city the server runs (an empty one for a drill of generated load only),
    with what firing and scoring it need of the city, and the city's ids to check unplanned injects."""

    msel: Msel
    unit_kinds: dict[str, str]  # unit id -> kind: expected actions name a kind of unit
    grid_centres: dict[str, tuple[float, float]]  # where a call placed in a grid cell goes (lon, lat)
    city: object  # layers.citypack.CityPack: its streets carry generated calls and simulated units
    geocode: Callable[[str], object]
    camera_ids: frozenset[str]

    def check(self, command: str, args: dict, message: str) -> tuple[Inject | None, list[str]]:
        """An unplanned inject checked as an MSEL row's Args are (drills.msel.check_args: the same words)."""
        problems: list[str] = []
        place, label = check_args(command, args, message, lambda heading, text: problems.append(f"{heading}: {text}"),
                                  geocode=self.geocode, grid_ids=set(self.grid_centres),
                                  unit_ids=set(self.unit_kinds), camera_ids=self.camera_ids)
        return (None if problems else Inject(command, args, message, place, label)), problems


def load_scenario(path: str | None, city_name: str) -> Scenario:
    """The MSEL at `path` (None: none, a drill of generated load only) read with the city's geocoder and ids;
    drills.msel.MselError if it is bad."""
    from layers.citypack import load_city
    from layers.geocode import Geocoder

    city = load_city(city_name)
    unit_kinds = dict(zip(city.units["unit_id"], city.units["kind"]))
    geocode = Geocoder(city.streets, city.places, city.areas).resolve
    camera_ids = frozenset(city.cameras["camera_id"])
    centres = {grid_id: (point.x, point.y) for grid_id, point in
               zip(city.grids["grid_id"], city.grids.geometry.representative_point())}
    msel = Msel("") if path is None else read_msel(path, geocode, grid_ids=set(centres), unit_ids=set(unit_kinds),
                                                  camera_ids=camera_ids)
    return Scenario(msel, unit_kinds, centres, city, geocode, camera_ids)


@dataclass(frozen=True)
class Outage:
    """What an unit_out, avl_silent or camera_dark inject took out, from drill time `start_s` until `end_s`
    (its `for_s` later; None: until someone puts it back)."""
    command: str
    target: str  # the unit or camera id
    start_s: float
    end_s: float | None
    fired_seq: int  # the seq of its drill.inject_fired


def outages(events: Sequence[dict], rows: Sequence[MselRow]) -> list[Outage]:
    """Every outage the log's drill.inject_fired events record, MSEL rows' and unplanned injects'."""
    by_number = {row.event_number: row for row in rows}
    asked = {e["data"]["request_id"]: e["data"] for e in events if e["type"] == INJECT_REQUESTED}
    found = []
    for event in events:
        if event["type"] != FIRED_EVENT_TYPE:
            continue
        data = event["data"]
        if data.get("event_number") is not None and data["event_number"] in by_number:
            row = by_number[data["event_number"]]
            command, args = row.command, row.args
        elif data.get("request_id") in asked:
            command, args = asked[data["request_id"]]["command"], asked[data["request_id"]]["args"]
        else:
            continue  # a generated call
        if command in OUTAGE_COMMANDS:
            for_s = args.get("for_s")
            found.append(Outage(command, args.get("unit_id") or args.get("camera_id"), data["drill_s"],
                                None if for_s is None else data["drill_s"] + for_s, event["seq"]))
    return found


def _still_out(outage: Outage, events: Sequence[dict]) -> bool:
    """Whether a unit_out's unit or a camera_dark's camera is as the inject left it: out, and nothing has
    changed it since (a trainee who put it back first is not overruled; a refused inject took nothing out)."""
    kind, key = (("unit.status_changed", "unit_id") if outage.command == "unit_out"
                 else ("camera.status_changed", "camera_id"))
    last = next((e for e in reversed(events) if e["type"] == kind and e["data"][key] == outage.target), None)
    if last is None or last["seq"] > outage.fired_seq:
        return False
    return last["data"]["status"] == "offduty" if outage.command == "unit_out" else not last["data"]["online"]


class DrillRunner:
    def __init__(self, client: DispatchClient, events: list[dict], wake: asyncio.Event, say: Say):
        self.client = client
        self.events = events  # the namespace's events of KEPT_EVENT_TYPES, in seq order, as received
        self._wake = wake
        self.say = say
        self.scenario: Scenario | None = None
        self.background: tuple[GeneratedCall, ...] = ()  # generated calls, in drill time order
        self.end_s: float | None = None
        self._answered: set[int] = set()  # seqs of asks this runner answered (or refused) already
        self._restored: set[int] = set()  # fired seqs of outages this runner put back (or tried to)

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

    async def run(self, scenario: Scenario, speed: float, resume: bool = False,
                  background: Sequence[GeneratedCall] = (), end_s: float | None = None) -> None:
        """Start the drill (or, with `resume`, carry on with the one the log holds) and fire every row and
        generated call that comes due, answering the trainer's asks meanwhile, until nothing can fire any
        more, nothing is left to put back and (with `end_s`) drill time has reached `end_s`."""
        self.scenario, self.background, self.end_s = scenario, tuple(background), end_s
        msel = scenario.msel
        if resume and DrillClock(self.events).started:
            generated = f" and {len(self._generated_fired())} generated calls" if self.background else ""
            self.say(f"{self.namespace}: resuming; {len(fired_rows(self.events))} rows{generated} fired before")
        else:
            reply = await self.command("drill.start", speed=speed)
            if reply.get("op") != "ack":
                raise _refusal(reply, f"drill.start in {self.namespace}")
            self.say(f"{self.namespace}: started at speed {speed:g}")
        while True:
            self._wake.clear()
            # One thing at a time, judged again after each: a pause that came meanwhile holds back the rest.
            ask = self._next_ask()
            if ask is not None:
                await self._answer(ask)
                continue
            now = time.time()
            clock = DrillClock(self.events)
            drill_now = clock.drill_at(now)
            if clock.running_at(now):
                back = next((o for o in self._to_put_back() if o.end_s <= drill_now), None)
                if back is not None:
                    await self._put_back(back)
                    continue
                call = self._next_generated()
                if call is not None and call.drill_s <= drill_now:
                    await self._fire_generated(call)
                    continue
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
        """The wall time of the next row's Scenario Time, expected action's deadline, generated call, put-back
        or the drill's end; None: only a drill.* event can change things (paused); False: nothing is left."""
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
        call = self._next_generated()
        if call is not None:
            times.append(call.drill_s)
        times += [outage.end_s for outage in self._to_put_back()]
        if self.end_s is not None and clock.drill_at(now) < self.end_s:
            times.append(self.end_s)
        if not times:
            return False
        if not running:
            return None  # paused (or not started yet): only a drill.* event changes what is due
        walls = [clock.wall_for(t) for t in times if t is not None]
        walls = [w for w in walls if w is not None]
        # A deadline is passed only once drill time is beyond it (late or missed): a millisecond after.
        return min(walls) + 0.001 if walls else None

    # ---- the trainer's asks ----------------------------------------------------------------------

    def _next_ask(self) -> dict | None:
        """The first drill.fire_requested or drill.inject_requested in the log not answered yet: by this
        runner, or (read from the log) by the firing it asked for, so an ask made while no runner ran is
        answered when one comes back, once."""
        fired = fired_rows(self.events)
        answered_requests = {e["data"]["request_id"] for e in self.events
                             if e["type"] == FIRED_EVENT_TYPE and e["data"].get("request_id")}
        for event in self.events:
            if event["seq"] in self._answered:
                continue
            if event["type"] == FIRE_REQUESTED and event["data"]["event_number"] not in fired:
                return event
            if event["type"] == INJECT_REQUESTED and event["data"]["request_id"] not in answered_requests:
                return event
        return None

    async def _answer(self, ask: dict) -> None:
        self._answered.add(ask["seq"])
        data = ask["data"]
        if ask["type"] == FIRE_REQUESTED:
            number = data["event_number"]
            row = next((r for r in self.scenario.msel.rows if r.event_number == number), None)
            if row is None:
                self.say(f"fire now: event {number} is not in the MSEL ({self.scenario.msel.path or 'none given'}): "
                         "nothing fired")
            elif row.event_type == "Expected Action":
                self.say(f"fire now: event {number} is an Expected Action, not an inject: nothing fired")
            else:
                await self.fire(row, fire_now=True)
            return
        request_id, command = data["request_id"], data["command"]
        inject, problems = self.scenario.check(command, data["args"], data.get("message") or "")
        if inject is None:
            self.say(f"unplanned inject {request_id} ({command}) refused, nothing fired: " + "; ".join(problems))
            return
        drill_s = DrillClock(self.events).drill_at(time.time())
        incident_id = await self._do(inject, f"unplanned inject {request_id}")
        await self._record(f"unplanned inject {request_id} ({command})", drill_s, incident_id,
                           event_number=None, fire_now=True, request_id=request_id)

    # ---- putting back what an inject took out for for_s ------------------------------------------

    def _to_put_back(self) -> list[Outage]:
        """Outages with a for_s (unit_out, camera_dark) whose unit or camera is still out as the inject left
        it, and that this runner has not tried to put back yet; in the order they are due."""
        found = [o for o in outages(self.events, self.scenario.msel.rows)
                 if o.command != "avl_silent" and o.end_s is not None and o.fired_seq not in self._restored
                 and _still_out(o, self.events)]
        return sorted(found, key=lambda o: o.end_s)

    async def _put_back(self, outage: Outage) -> None:
        self._restored.add(outage.fired_seq)
        if outage.command == "unit_out":
            reply = await self.command("unit.status", unit_id=outage.target, status="available")
        else:
            reply = await self.command("camera.status", camera_id=outage.target, online=True)
        drill_s = DrillClock(self.events).drill_at(time.time())
        if reply.get("op") != "ack":
            self.say(f"putting {outage.target} back ({outage.command} ended): {reply.get('code')}: {reply.get('message')}")
        else:
            self.say(f"{outage.target} back at drill time +{drill_s:.3f} s ({outage.command} for "
                     f"{outage.end_s - outage.start_s:g} s ended)")

    # ---- generated background calls --------------------------------------------------------------

    def _generated_fired(self) -> list[dict]:
        """The drill.inject_fired events of generated calls (no event_number, no request_id), in order:
        the first k of `background` have fired."""
        return [e for e in self.events if e["type"] == FIRED_EVENT_TYPE
                and e["data"].get("event_number") is None and not e["data"].get("request_id")]

    def _next_generated(self) -> GeneratedCall | None:
        done = len(self._generated_fired())
        return self.background[done] if done < len(self.background) else None

    def generated_service_s(self) -> dict[str, float]:
        """Incident id -> the on-scene time the data gave its generated call (for simulated units)."""
        return {e["data"]["incident_id"]: call.onscene_s
                for e, call in zip(self._generated_fired(), self.background) if e["data"].get("incident_id")}

    async def _fire_generated(self, call: GeneratedCall) -> None:
        drill_s = DrillClock(self.events).drill_at(time.time())
        inject = Inject("call", {"kind": call.kind, "priority": call.priority, "note": GENERATED_NOTE},
                        place=(call.lon, call.lat))
        incident_id = await self._do(inject, "generated call")
        await self._record(f"generated call {len(self._generated_fired()) + 1} ({call.kind})", drill_s,
                           incident_id, event_number=None)

    # ---- firing ----------------------------------------------------------------------------------

    async def fire(self, row: MselRow, fire_now: bool = False) -> None:
        """Do what the row says in the exercise namespace, then record it with drill.fired."""
        drill_s = DrillClock(self.events).drill_at(time.time())
        incident_id = await self._do(row, f"event {row.event_number}")
        await self._record(f"event {row.event_number} ({row.command})", drill_s, incident_id,
                           event_number=row.event_number, fire_now=fire_now)

    async def _record(self, what: str, drill_s: float, incident_id: str | None, **fired) -> None:
        args = {**fired, "drill_s": round(drill_s, 3)}
        if incident_id is not None:
            args["incident_id"] = incident_id
        if not args.get("fire_now"):
            args.pop("fire_now", None)
        reply = await self.command("drill.fired", **args)
        if reply.get("op") != "ack":
            raise _refusal(reply, f"drill.fired of {what}")
        self.say(f"fired {what} at drill time +{drill_s:.3f} s" + (" (fire now)" if fired.get("fire_now") else "")
                 + (f": {incident_id}" if incident_id else ""))

    async def _do(self, inject: Inject | MselRow, what: str) -> str | None:
        """The inject's command; the incident a call created. A refused command (a unit already out) is said
        and the inject still counts as fired: it was delivered, the rules answered it."""
        args = inject.args
        if inject.command == "call":
            lon, lat = inject.place or self.scenario.grid_centres[args["grid_id"]]
            call = {"kind": args["kind"], "priority": args["priority"], "lon": lon, "lat": lat,
                    "address": inject.place_label or None, "note": args.get("note") or inject.message or None,
                    "caller_name": args.get("caller_name"), "callback": args.get("callback"), "source": "phone"}
            reply = await self.command("incident.create", **{k: v for k, v in call.items() if v is not None})
            if reply.get("op") == "ack":
                return reply["incident_id"]
        elif inject.command == "unit_out":
            reply = await self.command("unit.status", unit_id=args["unit_id"], status="offduty")
        elif inject.command == "camera_dark":
            reply = await self.command("camera.status", camera_id=args["camera_id"], online=False)
        elif inject.command == "message":
            latest = self._latest_incident()
            if latest is None:
                return None  # recorded only: there is no incident to carry it
            reply = await self.command("incident.note", incident_id=latest, text=inject.message)
        else:  # avl_silent: the record says when the unit fell silent; simulated units (drills.fleet) obey it
            return None
        if reply.get("op") != "ack":
            self.say(f"{what} ({inject.command}): {reply.get('code')}: {reply.get('message')}")
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
