"""The log's history over the protocol (history.* reads, bookmark.add) against a real server process, and the
log a server leaves: keyframes from seq 0, the city it names, old logs without keyframes."""
from __future__ import annotations

import asyncio
import shutil
import sqlite3
import subprocess
import sys

import orjson
import pytest

from dispatch.client import DispatchClient
from dispatch.history import History, epoch, rfc3339
from dispatch.store import EventStore
from support.server import ROOT


async def ask(client: DispatchClient, cmd: str, args: dict | None = None) -> dict:
    return await asyncio.wait_for(client.send_command(cmd, args or {}), 10)


async def some_traffic(client: DispatchClient) -> tuple[str, str]:
    """An incident, a unit assigned to it and moving: returns (incident id, unit id)."""
    unit = sorted(u for u, record in client.state["units"].items() if record["status"] == "available")[0]
    created = await client.command("incident.create", kind="fire", priority=1, lon=24.94, lat=60.17,
                                   caller_name="Li Wei", callback="+86 138 0013 8000")
    await client.command("unit.assign", unit_id=unit, incident_id=created["incident_id"])
    for step in range(3):
        await client.command("unit.position", unit_id=unit, lon=24.94 + step * 1e-3, lat=60.17)
    await client.wait_for_seq(client.seq)
    return created["incident_id"], unit


def test_history_reads_give_the_logs_bounds_states_and_events(server, tokens):
    _, token = tokens

    async def run():
        alice = await DispatchClient.connect(server.url, token["alice"])
        incident_id, unit = await some_traffic(alice)
        await alice.wait_for_seq(alice.seq)
        bounds = await ask(alice, "history.bounds")
        assert bounds["op"] == "ack" and bounds["first_seq"] == 1 and bounds["last_seq"] == alice.seq
        assert bounds["first_ts"] <= bounds["last_ts"] and epoch(bounds["last_ts"]) > 0

        latest = await ask(alice, "history.state", {"seq": alice.seq})
        assert latest["seq"] == alice.seq and latest["state"] == alice.state
        assert latest["state"]["incidents"][incident_id]["caller_name"] == "Li Wei"  # a dispatcher sees it all

        created = await ask(alice, "history.events", {"after_seq": 0, "types": ["incident.created"]})
        created_event = [e for e in created["events"] if e["data"]["incident_id"] == incident_id][0]
        at_creation = await ask(alice, "history.state", {"at": created_event["ts"]})
        # The last event at that time: the creation, or one stamped in the same millisecond.
        assert at_creation["seq"] >= created_event["seq"] and at_creation["ts"] == created_event["ts"]
        assert incident_id in at_creation["state"]["incidents"]
        assert at_creation["state"] == (await ask(alice, "history.state", {"seq": at_creation["seq"]}))["state"]
        before = await ask(alice, "history.state", {"seq": created_event["seq"] - 1})
        assert incident_id not in before["state"]["incidents"]
        start = await ask(alice, "history.state", {"seq": 0})
        assert start["seq"] == 0 and start["ts"] is None and start["state"]["incidents"] == {}

        page = await ask(alice, "history.events", {"after_seq": created_event["seq"] - 1, "limit": 2})
        assert [e["seq"] for e in page["events"]] == [created_event["seq"], created_event["seq"] + 1]
        assert page["seq"] == created_event["seq"] + 1 and page["more"] is True
        rest = await ask(alice, "history.events", {"after_seq": page["seq"], "until_seq": alice.seq})
        assert rest["events"][-1]["seq"] == alice.seq and rest["more"] is False
        moves = await ask(alice, "history.events", {"after_seq": created_event["seq"], "types": ["unit.moved"],
                                                    "until": bounds["last_ts"]})
        assert [e["data"]["unit_id"] for e in moves["events"]][-3:] == [unit] * 3
        assert all(e["type"] == "unit.moved" for e in moves["events"])
        nothing = await ask(alice, "history.events", {"after_seq": alice.seq})
        assert nothing["events"] == [] and nothing["seq"] == alice.seq and nothing["more"] is False
        await alice.close()

    asyncio.run(run())


def test_history_density_counts_every_event_once_per_bucket_and_type(server, tokens):
    _, token = tokens

    async def run():
        alice = await DispatchClient.connect(server.url, token["alice"])
        await some_traffic(alice)
        bounds = await ask(alice, "history.bounds")
        events = (await ask(alice, "history.events", {"after_seq": 0}))["events"]
        def ms(ts: str) -> int:
            return round(epoch(ts) * 1000)

        start, end = ms(bounds["first_ts"]), ms(bounds["last_ts"])
        reply = await ask(alice, "history.density", {"from": bounds["first_ts"], "to": bounds["last_ts"],
                                                     "bucket_s": 1})
        assert reply["start"] == bounds["first_ts"] and reply["bucket_s"] == 1
        assert len(reply["counts"]) == -(-(end - start) // 1000)
        expected = {}
        for event in events:  # buckets are [start + i s, start + (i + 1) s); the last also holds `to` itself
            bucket = min((ms(event["ts"]) - start) // 1000, len(reply["counts"]) - 1)
            expected[(bucket, event["type"])] = expected.get((bucket, event["type"]), 0) + 1
        got = {(b, t): n for b, row in enumerate(reply["counts"]) for t, n in zip(reply["types"], row) if n}
        assert got == expected
        assert reply["types"] == sorted({e["type"] for e in events})
        await alice.close()

    asyncio.run(run())


def test_a_bookmark_is_an_event_that_every_replay_shows(server, tokens):
    _, token = tokens

    async def run():
        sam = await DispatchClient.connect(server.url, token["sam"])
        ack = await ask(sam, "bookmark.add", {"at": "2026-12-02T10:15:00+08:00", "note": "  radio silence starts "})
        assert ack["op"] == "ack" and ack["bookmark_id"].startswith("B")
        await sam.wait_for_seq(ack["seq"])
        expected = {"bookmark_id": ack["bookmark_id"], "at": "2026-12-02T02:15:00.000Z", "note": "radio silence starts",
                    "actor": "sam"}
        bookmark = sam.state["bookmarks"][ack["bookmark_id"]]
        assert {k: bookmark[k] for k in expected} == expected
        event = (await ask(sam, "history.events", {"after_seq": ack["seq"] - 1, "limit": 1}))["events"][0]
        assert event["type"] == "bookmark.added" and event["data"]["note"] == "radio silence starts"
        replayed = await ask(sam, "history.state", {"seq": ack["seq"]})
        assert replayed["state"]["bookmarks"][ack["bookmark_id"]] == bookmark
        second = await ask(sam, "bookmark.add", {"at": "2026-12-02T02:16:00Z", "note": "back"})
        assert second["bookmark_id"] != ack["bookmark_id"]
        await sam.close()

    asyncio.run(run())


@pytest.mark.parametrize("user,namespace,allowed", [
    ("alice", "live", True), ("sam", "live", True), ("vic", "live", False), ("fred", "live", False),
    ("tina", "live", False), ("tina", "exercise:history-drill", True)])
def test_only_dispatchers_supervisors_and_trainers_in_exercises_read_history_and_bookmark(server, tokens, user,
                                                                                        namespace, allowed):
    _, token = tokens

    async def run():
        client = await DispatchClient.connect(server.url, token[user], namespace=namespace)
        replies = [await ask(client, "history.bounds"),
                   await ask(client, "history.state", {"seq": 0}),
                   await ask(client, "history.events", {"after_seq": 0, "limit": 1}),
                   await ask(client, "history.density", {"from": "2026-12-02T00:00:00Z", "to": "2026-12-02T01:00:00Z",
                                                         "bucket_s": 60}),
                   await ask(client, "bookmark.add", {"at": "2026-12-02T00:30:00Z", "note": "role check"})]
        for reply in replies:
            if allowed:
                assert reply["op"] == "ack", reply
            else:
                assert reply["op"] == "nack" and reply["code"] == "forbidden", reply
        await client.close()

    asyncio.run(run())


BAD = [
    ("history.bounds", {"seq": 1}, "unknown field 'seq'"),
    ("history.state", {}, "exactly one of seq and at"),
    ("history.state", {"seq": 1, "at": "2026-12-02T00:00:00Z"}, "exactly one of seq and at"),
    ("history.state", {"seq": -1}, "seq -1 is outside"),
    ("history.state", {"seq": True}, "seq must be an integer"),
    ("history.state", {"seq": 10**12}, "seq 1000000000000 is after the last event"),
    ("history.state", {"at": "yesterday"}, "at 'yesterday' is not an RFC 3339 time"),
    ("history.state", {"at": "2026-12-02T08:00:00"}, "has no offset"),
    ("history.events", {}, "after_seq is missing"),
    ("history.events", {"after_seq": 0, "limit": 0}, "limit 0 is outside [1, 5000]"),
    ("history.events", {"after_seq": 0, "limit": 5001}, "limit 5001 is outside [1, 5000]"),
    ("history.events", {"after_seq": 0, "types": "unit.moved"}, "types must be a list"),
    ("history.events", {"after_seq": 0, "types": [3]}, "types must hold strings"),
    ("history.events", {"after_seq": 0, "until": 5}, "until must be a string"),
    ("history.events", {"after_seq": 0, "until_seq": "x"}, "until_seq must be an integer"),
    ("history.density", {"from": "2026-12-02T00:00:00Z", "to": "2026-12-02T01:00:00Z"}, "bucket_s is missing"),
    ("history.density", {"from": "2026-12-02T00:00:00Z", "to": "2026-12-02T01:00:00Z", "bucket_s": 0},
     "bucket_s 0 is outside"),
    ("history.density", {"from": "2026-12-02T01:00:00Z", "to": "2026-12-02T00:00:00Z", "bucket_s": 60},
     "to must be after from"),
    ("history.density", {"from": "2026-12-01T00:00:00Z", "to": "2026-12-02T00:00:00Z", "bucket_s": 1},
     "makes 86,400 buckets"),
    ("history.density", {"to": "2026-12-02T00:00:00Z", "bucket_s": 1}, "from is missing"),
    ("bookmark.add", {"at": "2026-12-02T00:00:00Z"}, "note is missing"),
    ("bookmark.add", {"at": "2026-12-02T00:00:00Z", "note": "   "}, "note is empty"),
    ("bookmark.add", {"at": "2026-12-02T00:00:00Z", "note": "x" * 501}, "note is longer than 500"),
    ("bookmark.add", {"note": "hello"}, "at is missing"),
]


def test_bad_history_args_are_refused_by_field_and_the_server_goes_on(server, tokens):
    _, token = tokens

    async def run():
        alice = await DispatchClient.connect(server.url, token["alice"])
        for cmd, args, words in BAD:
            reply = await ask(alice, cmd, args)
            assert reply["op"] == "nack" and reply["code"] == "bad_request", (cmd, args, reply)
            assert words in reply["message"], (cmd, args, reply["message"])
            assert reply["message"].startswith(cmd), reply["message"]
        batch = await asyncio.wait_for(asyncio.gather(*alice.send_commands([("history.bounds", {})])), 10)
        assert batch[0]["code"] == "bad_request" and "send it alone" in batch[0]["message"]
        assert (await ask(alice, "history.bounds"))["op"] == "ack"
        await alice.close()

    asyncio.run(run())


async def _traffic_then_state(url: str, token: str) -> tuple[int, dict]:
    alice = await DispatchClient.connect(url, token)
    await some_traffic(alice)
    await ask(alice, "bookmark.add", {"at": rfc3339(1_796_256_000.0), "note": "start of the drill"})
    await alice.wait_for_seq(alice.seq)
    seq, state = alice.seq, alice.state
    await alice.close()
    return seq, state


def test_a_copy_of_the_log_replays_with_history_alone_from_its_keyframe_at_seq_0(fresh_server, tokens, tmp_path):
    _, token = tokens
    fresh_server.start()
    seq, state = asyncio.run(_traffic_then_state(fresh_server.url, token["alice"]))
    assert fresh_server.terminate() == 0
    copy = tmp_path / "copy.db"
    shutil.copy(fresh_server.db, copy)
    history = History(EventStore(copy), "live")  # no server, no city pack, no initial state
    assert history.city() == "demo"
    keyframes = history.store.keyframe_seqs("live")
    assert keyframes[0] == 0 and keyframes[-1] == seq  # the clean stop wrote the last one
    assert history.state_at(seq) == state
    initial = history.state_at(0)
    assert initial["incidents"] == {} and initial["bookmarks"] == {}
    assert {u["status"] for u in initial["units"].values()} == {"available"}
    assert history.state_at(seq - 1)["bookmarks"] == {}


def _make_old(db, snapshot_at: int | None = None) -> None:
    """The log as a server from before keyframes left it: no keyframes, no city; optionally a snapshot."""
    with sqlite3.connect(db) as raw:
        raw.execute("DELETE FROM keyframes")
        raw.execute("DELETE FROM chunks")
        raw.execute("DELETE FROM meta")
    if snapshot_at is not None:
        from dispatch.city_state import initial_state
        from layers.citypack import load_city

        store = EventStore(db)
        state = History(store, "live", initial_state(load_city("demo"))).state_at(snapshot_at)
        state.pop("bookmarks")  # snapshots from before bookmarks have none
        store._db.execute("INSERT INTO snapshots (ns, seq, state) VALUES ('live', ?, ?)",
                          (snapshot_at, orjson.dumps(state)))
        store.close()


def test_an_old_log_folds_from_its_snapshot_and_onemap_keyframes_builds_its_keyframes(fresh_server, tokens,
                                                                                       tmp_path):
    _, token = tokens
    fresh_server.start()
    seq, state = asyncio.run(_traffic_then_state(fresh_server.url, token["alice"]))
    assert fresh_server.terminate() == 0
    old = tmp_path / "old.db"
    shutil.copy(fresh_server.db, old)
    _make_old(old, snapshot_at=2)
    history = History(EventStore(old), "live")
    assert history.city() is None and history.store.keyframe_seqs("live") == []
    assert history.state_at(seq) == state  # from the snapshot: from nothing, the units would be unknown
    history.store.close()

    bare = tmp_path / "bare.db"
    shutil.copy(fresh_server.db, bare)
    _make_old(bare)
    refused = subprocess.run([sys.executable, "-m", "console.cli", "keyframes", "--db", str(bare)],
                             cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert refused.returncode == 2 and "--city" in refused.stderr
    built = subprocess.run([sys.executable, "-m", "console.cli", "keyframes", "--db", str(bare), "--city", "demo"],
                           cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert built.returncode == 0, built.stderr
    assert f"live: {seq:,} events folded, keyframes written: 1" in built.stdout
    history = History(EventStore(bare), "live")
    assert history.city() == "demo" and history.store.keyframe_seqs("live") == [0]
    assert history.state_at(seq) == state


def test_a_server_starting_on_an_old_log_keeps_its_state_and_writes_a_keyframe(fresh_server, tokens):
    _, token = tokens
    fresh_server.start()
    seq, state = asyncio.run(_traffic_then_state(fresh_server.url, token["alice"]))
    assert fresh_server.terminate() == 0
    _make_old(fresh_server.db)
    fresh_server.start()

    async def read():
        client = await DispatchClient.connect(fresh_server.url, token["alice"])
        await client.close()
        return client.seq, client.state

    assert asyncio.run(read()) == (seq, state)
    assert fresh_server.terminate() == 0
    store = EventStore(fresh_server.db)
    assert store.keyframe_seqs("live") == [seq] and store.meta("city") == "demo"
