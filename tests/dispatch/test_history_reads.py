"""Reads a replay makes of a real log (SQLite and PostgreSQL): a type's events through the type index, and trails."""
from __future__ import annotations

import random

import orjson

from dispatch.history import History, rfc3339
from dispatch.event_store import StoredEvent

T0 = 1_795_000_000.0
TYPES = ("unit.moved", "unit.moved", "unit.moved", "incident.created", "unit.status_changed", "camera.status_changed")


def _log(store, count: int = 3000):
    rng = random.Random(4)
    events = []
    for seq in range(1, count + 1):
        kind = rng.choice(TYPES)
        data = ({"unit_id": f"U{rng.randrange(12)}", "lon": 24.9 + rng.random() / 10, "lat": 60.1 + rng.random() / 10,
                 "heading": None} if kind == "unit.moved" else {"n": seq})
        events.append({"op": "event", "seq": seq, "ts": rfc3339(T0 + seq * 0.5), "actor": "t", "type": kind, "data": data})
    store.append([StoredEvent("live", e["seq"], e["ts"], e["actor"], e["type"], orjson.dumps(e)) for e in events])
    return store, events


def test_reading_some_types_gives_exactly_their_events_in_order_up_to_the_limit(empty_store):
    store, events = _log(empty_store())
    for types, after, until, limit in ((["incident.created"], 0, 3000, 10_000),
                                       (["incident.created", "camera.status_changed"], 500, 2500, 10_000),
                                       (["unit.status_changed", "incident.created", "unit.moved"], 100, 2900, 250),
                                       (["bookmark.added"], 0, 3000, 10)):
        expected = [e for e in events if e["type"] in types and after < e["seq"] <= until][:limit]
        got = [orjson.loads(frame) for _, frame in store.frames_after("live", after, limit, until, types)]
        assert got == expected


def test_trails_are_each_units_positions_in_the_span_oldest_first(empty_store):
    store, events = _log(empty_store())
    expected: dict[str, list] = {}
    for e in events:
        if e["type"] == "unit.moved" and 1200 < e["seq"] <= 1800:
            expected.setdefault(e["data"]["unit_id"], []).append((e["data"]["lon"], e["data"]["lat"]))
    assert History(store).trails(1200, 1800) == expected
