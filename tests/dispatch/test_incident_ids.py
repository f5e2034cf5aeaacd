"""Readable incident ids: DEMO-261202-0007, numbered per centre and day, named in the ack.

The rules are driven with the context's clock (a new day without waiting for midnight); the server tests
use a real server process on the demo city (centre DEMO, Europe/Helsinki) and its SQLite event log.
"""
from __future__ import annotations

import asyncio
import sqlite3
from datetime import datetime
from zoneinfo import ZoneInfo

import orjson
from dispatch.city_state import initial_state
from dispatch.client import DispatchClient
from dispatch.commands import Centre, Context, decide
from dispatch.reducer import apply, copy_state, empty_state, fold
from layers.citypack import load_city

HELSINKI = ZoneInfo("Europe/Helsinki")
CALL = {"kind": "fire", "priority": 2, "lon": 24.944, "lat": 60.170}


class Centre24:
    """Commands decided and applied as the server does, at times the test chooses."""

    def __init__(self, state=None):
        self.state = empty_state() if state is None else state
        self.seq = 0
        self.centre = Centre("DEMO", HELSINKI)

    def create(self, ts: str, **extra) -> str:
        decided = decide(self.state, "incident.create", {**CALL, **extra},
                         Context("dispatcher", "live", lambda lon, lat: None, ts, self.centre))
        for event_type, data in decided:
            self.seq += 1
            apply(self.state, {"seq": self.seq, "ts": ts, "actor": "a", "type": event_type, "data": data})
        return decided[0][1]["incident_id"]


def test_numbers_count_per_day_of_the_centres_time_zone_and_restart_at_its_midnight():
    desk = Centre24()
    # 23:00 and 23:59 in Helsinki on 1 December are still the 1st there, though 21:00 and 21:59 UTC.
    assert desk.create("2026-12-01T21:00:00.000Z") == "DEMO-261201-0001"
    assert desk.create("2026-12-01T21:59:59.999Z") == "DEMO-261201-0002"
    # 00:00 in Helsinki (22:00 UTC): a new day, numbered from 1 again.
    assert desk.create("2026-12-01T22:00:00.000Z") == "DEMO-261202-0001"
    assert desk.create("2026-12-02T06:30:00.000Z") == "DEMO-261202-0002"
    assert desk.state["counters"]["incidents"] == {"day": "2026-12-02", "number": 2}
    incident = desk.state["incidents"]["DEMO-261202-0002"]
    assert (incident["day"], incident["number"]) == ("2026-12-02", 2)


def test_an_explicit_id_does_not_use_a_number_and_a_taken_number_is_skipped():
    desk = Centre24()
    ts = "2026-12-02T06:00:00.000Z"
    assert desk.create(ts) == "DEMO-261202-0001"
    assert desk.create(ts, incident_id="CAD-1") == "CAD-1"
    assert "number" not in desk.state["incidents"]["CAD-1"]
    assert desk.create(ts) == "DEMO-261202-0002"
    # An agency system that gave an id of our form: the counter goes past it rather than refusing the call.
    assert desk.create(ts, incident_id="DEMO-261202-0003") == "DEMO-261202-0003"
    assert desk.create(ts) == "DEMO-261202-0004"


def test_an_old_log_of_seq_ids_folds_and_numbering_starts_at_one():
    # A snapshot stored before counters existed (no "counters" key), then an event of those days.
    old = {key: value for key, value in empty_state().items() if key != "counters"}
    fold(old, [{"seq": 3, "ts": "2026-11-30T10:00:00.000Z", "actor": "a", "type": "incident.created",
                "data": {"incident_id": "I3", **CALL, "address": None, "note": None, "status": "new",
                         "grid_id": None, "units": []}}])
    assert old["incidents"]["I3"]["created_ts"] == "2026-11-30T10:00:00.000Z"
    desk = Centre24(old)
    assert desk.create("2026-12-02T06:00:00.000Z") == "DEMO-261202-0001"
    assert set(desk.state["incidents"]) == {"I3", "DEMO-261202-0001"}


def _day(ts: str) -> str:
    return datetime.fromisoformat(ts.replace("Z", "+00:00")).astimezone(HELSINKI).strftime("%y%m%d")


def _stored_events(db) -> list[dict]:
    with sqlite3.connect(db) as connection:
        rows = connection.execute("SELECT frame FROM events WHERE ns = 'live' ORDER BY seq").fetchall()
    return [orjson.loads(frame) for frame, in rows]


def test_ids_are_consecutive_whatever_the_position_traffic_and_the_log_replays_to_them(fresh_server, tokens):
    _, token = tokens
    fresh_server.start()

    async def work():
        alice = await DispatchClient.connect(fresh_server.url, token["alice"])
        feed = await DispatchClient.connect(fresh_server.url, token["fred"], subscribe=False)
        units = sorted(alice.state["units"])
        created = []
        for round_no in range(4):
            reply = await alice.command("incident.create", **CALL)
            assert reply["op"] == "ack", reply
            created.append(reply)
            # Position reports between the calls take seqs, and must not take numbers.
            positions = [("unit.position", {"unit_id": unit, "lon": 24.94 + 0.0001 * k, "lat": 60.17})
                         for k, unit in enumerate(units * 5)]
            replies = await asyncio.gather(*feed.send_commands(positions))
            assert {r["op"] for r in replies} == {"ack"} and not any("incident_id" in r for r in replies)
        # Inside a cmds frame too, the reply of a create names its incident.
        batch = await asyncio.gather(*alice.send_commands([("unit.position", {"unit_id": units[0], "lon": 24.94, "lat": 60.17}),
                                                           ("incident.create", CALL)]))
        await alice.wait_for_seq(batch[-1]["seq"])
        state = copy_state(alice.state)
        await alice.close()
        await feed.close()
        return created, batch, state

    created, batch, live_state = asyncio.run(work())
    assert "incident_id" not in batch[0]
    replies = [*created, batch[1]]
    ids = [reply["incident_id"] for reply in replies]
    assert all(incident_id in live_state["incidents"] for incident_id in ids)
    day = _day(live_state["incidents"][ids[0]]["created_ts"])
    assert all(_day(live_state["incidents"][i]["created_ts"]) == day for i in ids), "the test crossed midnight"
    assert ids == [f"DEMO-{day}-{n:04d}" for n in range(1, 6)]
    assert replies[1]["seq"] - replies[0]["seq"] > 100  # the positions did take seqs

    # Replay: the stored log folded from the city's initial state is the live state, ids and counter included.
    replayed = fold(initial_state(load_city("demo")), _stored_events(fresh_server.db))
    assert replayed == live_state
    assert replayed["counters"]["incidents"]["number"] == 5

    # A clean stop saves a snapshot; after the restart the numbering goes on from it.
    assert fresh_server.terminate() == 0
    fresh_server.start()

    async def after_restart():
        client = await DispatchClient.connect(fresh_server.url, token["alice"])
        reply = await client.command("incident.create", **CALL)
        await client.close()
        return reply

    reply = asyncio.run(after_restart())
    assert reply["op"] == "ack" and reply["incident_id"] == f"DEMO-{day}-0006", reply


def test_an_explicit_incident_id_is_named_in_the_ack_and_uses_no_number(fresh_server, tokens):
    _, token = tokens
    fresh_server.start()

    async def work():
        client = await DispatchClient.connect(fresh_server.url, token["alice"])
        replies = [await client.command("incident.create", **CALL),
                   await client.command("incident.create", **CALL, incident_id="CAD-77"),
                   await client.command("incident.create", **CALL, incident_id="CAD-77"),
                   await client.command("incident.create", **CALL)]
        await client.close()
        return replies

    first, explicit, again, second = asyncio.run(work())
    assert explicit == {**explicit, "op": "ack", "incident_id": "CAD-77"}
    assert again["op"] == "nack" and again["code"] == "conflict" and "incident_id" not in again
    assert first["incident_id"].endswith("-0001") and second["incident_id"].endswith("-0002")
    assert first["incident_id"][:-4] == second["incident_id"][:-4]

