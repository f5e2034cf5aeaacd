"""The event-store seam: the SQLite store implements the interface the server is written against, and a
server takes whatever store its factory opens (here the SQLite one with a gate on its appends, in this
process, so a test can hold a commit for as long as it needs)."""
from __future__ import annotations

import asyncio
import functools
import inspect
import sqlite3
import threading
from datetime import timezone

import orjson
import pytest

from dispatch.client import Disconnected, DispatchClient
from dispatch.commands import Centre
from dispatch.event_store import EventStoreProtocol, StoreError
from dispatch.history import History
from dispatch.reducer import empty_state, fold
from dispatch.server import DispatchServer, FatalStoreError
from dispatch.store import EventStore


def test_each_store_has_every_method_of_the_interface_with_the_same_signature(empty_store):
    store = empty_store()
    methods = [name for name, member in vars(EventStoreProtocol).items()
               if inspect.isfunction(member) and not name.startswith("_")]
    assert {"append", "frames_after", "seq_at_or_before", "keyframe_at_or_before", "chunks", "latest_snapshot",
            "meta", "checkpoint", "close"} <= set(methods)
    for name in methods:
        expected = inspect.signature(getattr(EventStoreProtocol, name))
        assert inspect.signature(getattr(type(store), name)) == expected, name
    assert StoreError in store.errors and all(issubclass(error, Exception) for error in store.errors)


class GatedStore(EventStore):
    """The SQLite store, whose first append of events waits until the test opens the gate."""

    def __init__(self, path, entered: threading.Event, gate: threading.Event):
        super().__init__(path)
        self.entered, self.gate = entered, gate

    def append(self, events, audits=()):
        if events and not self.entered.is_set():
            self.entered.set()
            assert self.gate.wait(20), "the test never opened the gate"
        super().append(events, audits)


def _initial():
    state = empty_state()
    state["units"]["U1"] = {"unit_id": "U1", "callsign": "U1", "status": "available", "incident_id": None,
                            "lon": 113.7, "lat": 23.0}
    return state


async def _stop_while_storing(db, users_file, token: str) -> None:
    entered, gate = threading.Event(), threading.Event()
    server = DispatchServer(lambda: GatedStore(db, entered, gate), users_file, _initial(),
                            centre=Centre("T", timezone.utc))
    host, port = await server.start(port=0)
    client = await DispatchClient.connect(f"ws://{host}:{port}/ws", token)
    client.send_command("incident.create", {"kind": "fire", "priority": 1, "lon": 113.7, "lat": 23.0})
    assert await asyncio.to_thread(entered.wait, 20)  # its group is being stored
    client.send_command("incident.create", {"kind": "theft", "priority": 3, "lon": 113.7, "lat": 23.0})
    # Answered on the history thread, after the connection's reader has judged the command before it.
    assert (await client.command("history.bounds"))["op"] == "ack"
    stopping = asyncio.ensure_future(server.stop())
    await asyncio.wait_for(client.closed.wait(), 20)  # the server has closed its connections
    gate.set()
    await asyncio.wait_for(stopping, 20)


def test_a_server_stopped_while_a_group_is_stored_keeps_both_groups_and_its_last_keyframe_is_the_log(tmp_path, tokens):
    users_file, token = tokens
    db = tmp_path / "events.db"
    asyncio.run(_stop_while_storing(db, users_file, token["alice"]))
    store = EventStore(db)
    events = [orjson.loads(frame) for _, frame in store.frames_after("live", 0)]
    assert [(e["seq"], e["type"], e["data"]["kind"]) for e in events] == [(1, "incident.created", "fire"),
                                                                          (2, "incident.created", "theft")]
    # The clean stop's keyframe holds both incidents: the group being stored was folded like any other.
    assert store.keyframe_seq_at_or_before("live", 2) == 2
    seq, state = History(store, "live").base(2)
    assert seq == 2 and state == fold(_initial(), events)
    store.close()


class FailingStore(EventStore):
    """The SQLite store, whose appends of events fail once `broken` is set, as on a full disk."""

    def __init__(self, path, broken: threading.Event):
        super().__init__(path)
        self.broken = broken

    def append(self, events, audits=()):
        if events and self.broken.is_set():
            raise sqlite3.OperationalError("database or disk is full")
        super().append(events, audits)


async def _store_fails(db, users_file, token: str) -> None:
    broken = threading.Event()
    server = DispatchServer(lambda: FailingStore(db, broken), users_file, _initial(), centre=Centre("T", timezone.utc))
    host, port = await server.start(port=0)
    client = await DispatchClient.connect(f"ws://{host}:{port}/ws", token)
    stored = await client.command("incident.create", kind="fire", priority=1, lon=113.7, lat=23.0)
    assert stored["op"] == "ack" and stored["seq"] == 1
    broken.set()
    with pytest.raises(Disconnected):  # no ack for what could not be stored
        await client.command("incident.create", kind="theft", priority=3, lon=113.7, lat=23.0)
    with pytest.raises(FatalStoreError):
        await asyncio.wait_for(server.wait_stopped(), 20)


async def _welcome(db, users_file, token: str) -> dict:
    server = DispatchServer(functools.partial(EventStore, db), users_file, _initial(), centre=Centre("T", timezone.utc))
    host, port = await server.start(port=0)
    client = await DispatchClient.connect(f"ws://{host}:{port}/ws", token)
    welcome = client.welcome
    await client.close()
    await server.stop()
    return welcome


def test_a_server_whose_store_fails_stops_and_a_restart_knows_only_what_was_stored(tmp_path, tokens):
    users_file, token = tokens
    db = tmp_path / "events.db"
    asyncio.run(_store_fails(db, users_file, token["alice"]))
    welcome = asyncio.run(_welcome(db, users_file, token["alice"]))
    assert welcome["seq"] == 1
    assert [incident["kind"] for incident in welcome["snapshot"]["incidents"].values()] == ["fire"]
