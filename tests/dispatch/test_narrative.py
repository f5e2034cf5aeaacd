"""The incident's narrative on a real server: caller details, notes (also after closing), the incident's
history read from the store, and callers' personal data kept from viewers in every frame."""
from __future__ import annotations

import asyncio
import json
import sqlite3

import orjson
import pytest
from websockets.asyncio.client import connect

from dispatch.client import DispatchClient

CALLER = "Matti Virtanen-Callerson"
NUMBER = "+358 40 555 0199"


async def _incident_with_a_story(url: str, token: str, unit_id: str) -> tuple[str, DispatchClient]:
    """Created with caller details, a unit through en route and on scene, a note, closed, a late note."""
    client = await DispatchClient.connect(url, token, subscribe=False)
    reply = await client.command("incident.create", kind="burglary", priority=2, lon=24.94, lat=60.17,
                                 address="Mannerheimintie 5", caller_name=CALLER, callback=NUMBER, source="phone")
    assert reply["op"] == "ack", reply
    incident_id = reply["incident_id"]
    steps = [("unit.assign", {"unit_id": unit_id, "incident_id": incident_id}),
             ("unit.status", {"unit_id": unit_id, "status": "enroute"}),
             ("incident.note", {"incident_id": incident_id, "text": "caller says two men, one in a red jacket"}),
             ("unit.status", {"unit_id": unit_id, "status": "onscene"}),
             ("incident.close", {"incident_id": incident_id, "disposition": "REPORT"}),
             ("incident.note", {"incident_id": incident_id, "text": "late info: neighbour saw a grey van"})]
    for cmd, args in steps:
        reply = await client.command(cmd, **args)
        assert reply["op"] == "ack", (cmd, reply)
    return incident_id, client


def _available_unit(url: str, token: str) -> str:
    async def run():
        client = await DispatchClient.connect(url, token)
        await client.close()
        return sorted(u for u, unit in client.state["units"].items() if unit["status"] == "available")[0]
    return asyncio.run(run())


def test_caller_details_and_notes_are_recorded_and_folded_also_after_closing(server, tokens):
    alice = tokens[1]["alice"]
    unit_id = _available_unit(server.url, alice)

    async def run():
        incident_id, writer = await _incident_with_a_story(server.url, alice, unit_id)
        await writer.close()
        # A console connecting now folds the same record from the snapshot.
        reader = await DispatchClient.connect(server.url, tokens[1]["bob"])
        incident = reader.state["incidents"][incident_id]
        assert (incident["caller_name"], incident["callback"], incident["source"]) == (CALLER, NUMBER, "phone")
        assert [n["text"] for n in incident["notes"]] == ["caller says two men, one in a red jacket",
                                                          "late info: neighbour saw a grey van"]
        assert all(n["actor"] == "alice" and n["ts"] for n in incident["notes"])
        assert incident["status"] == "closed"
        # The history read returns the incident's events from the store, in seq order, and only those.
        reply = await reader.command("incident.history", incident_id=incident_id)
        assert reply["op"] == "ack" and reply["more"] is False, reply
        types = [e["type"] for e in reply["events"]]
        assert types == ["incident.created", "unit.assigned", "unit.status_changed", "incident.noted",
                         "unit.status_changed", "incident.closed", "unit.status_changed", "incident.noted"]
        seqs = [e["seq"] for e in reply["events"]]
        assert seqs == sorted(seqs) and seqs == incident["event_seqs"]
        assert reply["events"][0]["data"]["caller_name"] == CALLER
        # Paging: what follows a seq.
        later = await reader.command("incident.history", incident_id=incident_id, after=seqs[4])
        assert [e["seq"] for e in later["events"]] == seqs[5:]
        await reader.close()
    asyncio.run(run())


async def _raw_hello(url: str, token: str, **hello) -> tuple:
    ws = await connect(url, max_size=None)
    await ws.send(json.dumps({"op": "hello", "token": token, "resume_from": None, **hello}))
    return ws, await ws.recv()


async def _frames_until(ws, done, timeout: float = 10.0) -> list[str]:
    """Every raw frame received until `done(parsed frame)` is true."""
    frames = []
    while True:
        raw = await asyncio.wait_for(ws.recv(), timeout)
        frames.append(raw)
        if done(orjson.loads(raw)):
            return frames


def _leaks(frames: list[str]) -> list[str]:
    return [f for f in frames if CALLER in f or "555 0199" in f or "Callerson" in f]


def _has_event(seq: int):
    def done(msg):
        events = msg.get("events", [msg] if msg.get("op") == "event" else [])
        return any(e["seq"] >= seq for e in events)
    return done


def test_a_viewer_never_receives_the_callers_name_or_number_in_any_frame(server, tokens):
    alice, vic = tokens[1]["alice"], tokens[1]["vic"]
    unit_id = _available_unit(server.url, alice)

    async def run():
        # Live: a v1 and a batch viewer, and a batch dispatcher to show the data is on the wire at all.
        v1, _ = await _raw_hello(server.url, vic)
        batch, _ = await _raw_hello(server.url, vic, batch=True)
        dispatcher, _ = await _raw_hello(server.url, tokens[1]["bob"], batch=True)
        incident_id, writer = await _incident_with_a_story(server.url, alice, unit_id)
        last = (await writer.command("incident.note", incident_id=incident_id, text="written last"))["seq"]
        await writer.close()
        live_v1 = await _frames_until(v1, _has_event(last))
        live_batch = await _frames_until(batch, _has_event(last))
        live_dispatcher = await _frames_until(dispatcher, _has_event(last))
        assert _leaks(live_dispatcher), "the dispatcher should have received the caller's details"
        assert not _leaks(live_v1) and not _leaks(live_batch)
        assert any('"source":"phone"' in f for f in live_v1)  # the rest of the record is there

        # The welcome's snapshot; a resume from 0 (stored frames, v1 and batch); the history read.
        fresh, welcome = await _raw_hello(server.url, vic)
        assert incident_id in welcome and not _leaks([welcome])
        resumed_v1, _ = await _raw_hello(server.url, vic, resume_from=0)
        resumed_batch, _ = await _raw_hello(server.url, vic, resume_from=0, batch=True)
        history_v1 = await _frames_until(resumed_v1, _has_event(last))
        history_batch = await _frames_until(resumed_batch, _has_event(last))
        assert not _leaks(history_v1) and not _leaks(history_batch)
        await fresh.send(json.dumps({"op": "cmd", "id": "h", "cmd": "incident.history",
                                     "args": {"incident_id": incident_id}}))
        read = await _frames_until(fresh, lambda m: m.get("id") == "h")
        assert orjson.loads(read[-1])["op"] == "ack" and len(orjson.loads(read[-1])["events"]) == 9
        assert not _leaks(read)
        dispatcher_welcome = (await _raw_hello(server.url, alice))[1]
        assert _leaks([dispatcher_welcome])
        for ws in (v1, batch, dispatcher, fresh, resumed_v1, resumed_batch):
            await ws.close()
    asyncio.run(run())


BAD = [
    ("note too long", "incident.note", {"incident_id": "{incident}", "text": "x" * 1001},
     "bad_request", "text is longer than 1000 characters"),
    ("empty note", "incident.note", {"incident_id": "{incident}", "text": "   "}, "bad_request", "text is empty"),
    ("note on no incident", "incident.note", {"incident_id": "I999999", "text": "x"}, "not_found", "no incident"),
    ("unknown source", "incident.create", {"kind": "fire", "priority": 1, "lon": 24.9, "lat": 60.1, "source": "pigeon"},
     "bad_request", "source 'pigeon' is not one of phone, app, walk_in, radio, field_unit, camera"),
    ("call-back not a number", "incident.create",
     {"kind": "fire", "priority": 1, "lon": 24.9, "lat": 60.1, "callback": "call me maybe"},
     "bad_request", "callback 'call me maybe' is not a phone number"),
    ("call-back too long", "incident.create",
     {"kind": "fire", "priority": 1, "lon": 24.9, "lat": 60.1, "callback": "1" * 33},
     "bad_request", "callback is longer than 32 characters"),
    ("caller name too long", "incident.create",
     {"kind": "fire", "priority": 1, "lon": 24.9, "lat": 60.1, "caller_name": "n" * 101},
     "bad_request", "caller_name is longer than 100 characters"),
    ("history of no incident", "incident.history", {"incident_id": "I999999"}, "not_found", "no incident"),
    ("history with a bad after", "incident.history", {"incident_id": "{incident}", "after": "x"},
     "bad_request", "after must be an integer"),
]


@pytest.mark.parametrize("name,cmd,args,code,words", BAD, ids=[b[0] for b in BAD])
def test_bad_narrative_input_gets_a_clear_nack(server, tokens, name, cmd, args, code, words):
    async def run():
        client = await DispatchClient.connect(server.url, tokens[1]["alice"], subscribe=False)
        created = await client.command("incident.create", kind="check", priority=5, lon=24.94, lat=60.17)
        args_now = {k: (created["incident_id"] if v == "{incident}" else v) for k, v in args.items()}
        reply = await client.command(cmd, **args_now)
        assert reply["op"] == "nack" and reply["code"] == code, reply
        assert words in reply["message"], reply
        # Nothing was recorded: the incident has no note, and the connection still works.
        history = await client.command("incident.history", incident_id=created["incident_id"])
        assert [e["type"] for e in history["events"]] == ["incident.created"]
        await client.close()
    asyncio.run(run())


def test_who_may_note_and_read(server, tokens):
    async def run():
        alice = await DispatchClient.connect(server.url, tokens[1]["alice"], subscribe=False)
        created = await alice.command("incident.create", kind="check", priority=5, lon=24.94, lat=60.17)
        incident_id = created["incident_id"]
        viewer = await DispatchClient.connect(server.url, tokens[1]["vic"], subscribe=False)
        refused = await viewer.command("incident.note", incident_id=incident_id, text="x")
        assert refused["code"] == "forbidden", refused
        assert (await viewer.command("incident.history", incident_id=incident_id))["op"] == "ack"
        feed = await DispatchClient.connect(server.url, tokens[1]["fred"], subscribe=False)
        assert (await feed.command("incident.history", incident_id=incident_id))["code"] == "forbidden"
        supervisor = await DispatchClient.connect(server.url, tokens[1]["sam"], subscribe=False)
        assert (await supervisor.command("incident.note", incident_id=incident_id, text="ok"))["op"] == "ack"
        # A read cannot ride in a cmds frame (its answer is no plain ack): refused by name, nothing else lost.
        replies = await asyncio.gather(*alice.send_commands([
            ("incident.history", {"incident_id": incident_id}),
            ("incident.note", {"incident_id": incident_id, "text": "in a batch"})]))
        assert replies[0]["code"] == "bad_request" and "is a read" in replies[0]["message"], replies
        assert replies[1]["op"] == "ack"
        for client in (alice, viewer, feed, supervisor):
            await client.close()
    asyncio.run(run())


def test_a_history_that_cannot_be_read_gets_a_nack_and_the_server_serves_on(fresh_server, tokens):
    fresh_server.start()
    alice = tokens[1]["alice"]

    async def run():
        client = await DispatchClient.connect(fresh_server.url, alice, subscribe=False)
        created = await client.command("incident.create", kind="check", priority=5, lon=24.94, lat=60.17)
        noted = await client.command("incident.note", incident_id=created["incident_id"], text="will go missing")
        # The event log loses the note's row behind the server's back (real SQLite, another connection).
        with sqlite3.connect(fresh_server.db) as db:
            db.execute("DELETE FROM events WHERE ns = 'live' AND seq = ?", (noted["seq"],))
        reply = await client.command("incident.history", incident_id=created["incident_id"])
        assert reply["op"] == "nack" and reply["code"] == "not_found", reply
        assert f"event {noted['seq']} is missing from the event log" in reply["message"], reply
        assert (await client.command("incident.note", incident_id=created["incident_id"], text="still here"))["op"] == "ack"
        await client.close()
    asyncio.run(run())
