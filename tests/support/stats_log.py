"""A generated log of the demo city over weeks: incidents dispatched and closed, camera observations, grid
cases through their whole workflow (some late, some never closed, some rejected, some rated). Every command
is judged by dispatch.commands.decide as the server judges it (a supervisor sending it at its time), stored
through EventStore and folded by the server's keyframe writer. Same arguments, same log.

For tests/reports/test_stats.py and test_rollups.py (a small log across a month and a year boundary) and
bench/stats.py (a month of 2,927 cells, 100,000 incidents and 390,000 cases).
"""
from __future__ import annotations

import heapq
import random
from pathlib import Path

import orjson

from dispatch.city_state import centre_of, initial_state
from dispatch.commands import Context, Rejected, decide
from dispatch.history import epoch, rfc3339
from dispatch.keyframes import KEYFRAME_EVERY, KeyframeWriter
from dispatch.reducer import apply, copy_state
from dispatch.store import EventStore, StoredEvent

KINDS = ("theft", "traffic", "assault", "fire", "noise")
DISPOSITIONS = ("REPORT", "RESOLVED", "NO_TRACE")
GROUP_EVENTS = 1_000


def city_with_cells(cells: int, seed: int = 5):
    """The demo city with its grid replaced by `cells` cells tiling its extent, each in a community of 4 x 4
    cells in a town of 4 x 4 communities (layers.synthetic's lattice, cut to exactly `cells`)."""
    import dataclasses

    import numpy as np

    from layers.citypack import load_city
    from layers.synthetic import _grids

    demo = load_city("demo")
    frame, areas = _grids(np.random.default_rng(seed), demo.meta["zoom_extent"], cells + 60)
    frame = frame.iloc[:cells].reset_index(drop=True)
    if len(frame) != cells:
        raise ValueError(f"the lattice has {len(frame)} cells, not {cells}")
    frame["name_zh"] = [f"网格 {grid_id}" for grid_id in frame["grid_id"]]
    return dataclasses.replace(demo, name="demo", grids=frame, grid_areas=areas)


def generate_stats_log(path: Path | str, start: str, days: float, incidents: int, cases: int,
                       camera_reports: int, seed: int = 3, grid_cells: int | None = None,
                       keyframe_every: int = KEYFRAME_EVERY) -> Path | str:
    """A log of namespace live from `start` (RFC 3339) for `days`: at `path`, a new SQLite file, or a store
    URL (dispatch.stores: postgresql://... of an empty database). `grid_cells`: that many grid cells over the
    demo city instead of its own 23 (city_with_cells). `keyframe_every`: events between keyframes (a city's
    month folds far fewer keyframes of its 390,000 cases if they are further apart; a seek folds more)."""
    from dispatch.stores import store_factory
    from layers.citypack import load_city

    city = load_city("demo") if grid_cells is None else city_with_cells(grid_cells)
    centre = centre_of(city)
    rng = random.Random(seed)
    state = initial_state(city)
    store = EventStore(path) if isinstance(path, Path) else store_factory(path)()
    store.set_meta("city", city.name)
    writer = KeyframeWriter(store, "live", copy_state(state), 0, None, None, every=keyframe_every)
    writer.write()
    begin, span = epoch(start), days * 86_400
    lon0, lat0, lon1, lat1 = city.meta["zoom_extent"]
    unit_ids, camera_ids = sorted(state["units"]), sorted(state["cameras"])
    categories = sorted(city.case_categories)
    # (time, order, command, args): args may be a function of the state when the command runs
    schedule: list = []
    order = 0
    seq = 0
    group: list[dict] = []

    def at(when: float, cmd: str, args) -> None:
        nonlocal order
        if when < begin + span:
            order += 1
            heapq.heappush(schedule, (when, order, cmd, args))

    def point() -> tuple[float, float]:
        return rng.uniform(lon0, lon1), rng.uniform(lat0, lat1)

    for _ in range(incidents):
        lon, lat = point()
        at(begin + rng.uniform(0, span), "incident.create",
           {"kind": rng.choice(KINDS), "priority": rng.choice((1, 2, 2, 3, 3, 3, 4, 5)), "lon": lon, "lat": lat})
    for _ in range(cases):
        lon, lat = point()
        while city.grid_at(lon, lat) is None:
            lon, lat = point()
        at(begin + rng.uniform(0, span), "case.report",
           {"category": rng.choice(categories), "lon": lon, "lat": lat, "text": "reported on patrol",
            "photos": [], "source": rng.choice(("grid_officer", "hotline", "app"))})
    for _ in range(camera_reports):
        at(begin + rng.uniform(0, span), "camera.status",
           {"camera_id": rng.choice(camera_ids), "online": rng.random() < 0.85})

    def available(s: dict) -> str:
        free = [u for u in unit_ids if s["units"][u]["status"] == "available"]
        return rng.choice(free or unit_ids)  # none free: the assignment is refused, as a server would

    def store_group() -> None:
        store.append([StoredEvent("live", e["seq"], e["ts"], e["actor"], e["type"], orjson.dumps(e)) for e in group])
        writer.add(group)
        group.clear()

    def run(now: float, cmd: str, args: dict) -> list[dict]:
        nonlocal seq
        ts = rfc3339(now)
        try:
            decided = decide(state, cmd, args, Context("supervisor", "live", city.grid_at, ts, centre,
                                                       actor="sam"))
        except Rejected:
            return []  # e.g. a unit no longer available: the generated world goes on without it
        out = []
        for event_type, data in decided:
            seq += 1
            event = {"op": "event", "seq": seq, "ts": ts, "actor": "sam", "type": event_type, "data": data}
            apply(state, event)
            out.append(event)
        group.extend(out)
        return out

    last = begin
    while schedule:
        when, _, cmd, args = heapq.heappop(schedule)
        when = max(when, last + 0.001)  # one event time per millisecond at most, never going back
        last = when
        events = run(when, cmd, args(state) if callable(args) else args)
        if len(group) >= GROUP_EVENTS:
            store_group()
        if not events:
            continue
        data = events[0]["data"]
        if cmd == "incident.create":
            incident_id = data["incident_id"]
            if rng.random() < 0.95:  # some are never dispatched
                at(when + rng.uniform(10, 240), "unit.assign",
                   lambda s, incident_id=incident_id: {"unit_id": available(s), "incident_id": incident_id})
            at(when + rng.uniform(1_200, 3_000), "incident.close",
               {"incident_id": incident_id, "disposition": rng.choice(DISPOSITIONS)})
        elif cmd == "unit.assign":
            unit = data["unit_id"]
            at(when + 30, "unit.status", {"unit_id": unit, "status": "enroute"})
            if rng.random() < 0.9:
                at(when + rng.uniform(120, 900), "unit.status", {"unit_id": unit, "status": "onscene"})
        elif cmd == "case.report":
            case_id = data["case_id"]
            fate = rng.random()
            if fate < 0.08:
                at(when + rng.uniform(60, 3_600), "case.reject", {"case_id": case_id, "reason": "duplicate"})
                continue
            registered = when + rng.uniform(60, 3_600)
            at(registered, "case.register", {"case_id": case_id})
            at(registered + 300, "case.dispatch", {"case_id": case_id})
            if fate < 0.15:
                continue  # registered and dispatched, never handled
            handled = registered + rng.expovariate(1 / (2 * 86_400))  # some beyond their limit
            at(registered + 600, "case.start", {"case_id": case_id})
            at(handled + 900, "case.handle", {"case_id": case_id, "note": "done"})
            at(handled + 1_800, "case.verify", {"case_id": case_id, "passed": True})
            at(handled + 2_400, "case.close", {"case_id": case_id})
            if rng.random() < 0.6:
                at(handled + 2_400 + rng.uniform(600, 86_400), "case.rate",
                   {"case_id": case_id, "rating": rng.choice((2, 3, 4, 4, 5, 5))})
    if group:
        store_group()
    writer.write()
    store.close()
    return path
