"""Retention of plate reads (dispatch/retention.py): a read that hit nothing is purged from the log once past
its retention, with an audit row; hits stay, and a replay of the span, the server's state after a restart
and a viewer's copy of the log are what they were before the purge."""
from __future__ import annotations

import asyncio
import re
import sqlite3
import time

import orjson

from dispatch.client import DispatchClient
from dispatch.event_store import StoredEvent
from dispatch.history import rfc3339
from dispatch.privacy import public_frame
from dispatch.retention import purge_reads
from dispatch.store import EventStore
from support.server import ServerProcess, make_users

RETENTION_S = 5.0
STOLEN = {"pattern": "粤S·12345", "category": "stolen", "reason": "stolen 2026-11-30, case 4412"}
READ = {"checkpoint_id": "B02", "confidence": 91.5, "direction": "north", "ts": "2026-12-02T06:00:00Z"}
MISSES = ("粤A99999", "粤C77777")


def retention_rows(db) -> list[tuple[str, str]]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as connection:
        return connection.execute("SELECT actor, message FROM audit WHERE cmd = 'retention'").fetchall()


def stored(db, where: str, *values) -> list[tuple[int, str, bytes]]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as connection:
        return connection.execute(f"SELECT seq, type, frame FROM events WHERE ns = 'live' AND {where} ORDER BY seq",
                                  values).fetchall()


async def ask(client: DispatchClient, cmd: str, args: dict) -> dict:
    reply = await asyncio.wait_for(client.send_command(cmd, args), 10)
    assert reply["op"] == "ack", reply
    return reply


async def replay(client: DispatchClient, until_seq: int) -> tuple[dict, list[dict]]:
    """What a replay of the whole span reads: the state at its end and its events."""
    state = (await ask(client, "history.state", {"seq": until_seq}))["state"]
    events = (await ask(client, "history.events", {"after_seq": 0, "until_seq": until_seq, "limit": 5000}))["events"]
    return state, events


def test_reads_that_hit_nothing_are_purged_after_their_retention_and_the_replay_shows_the_same_hits(tmp_path):
    db = tmp_path / "events.db"
    tokens = make_users(tmp_path / "users.json")
    server = ServerProcess(db, tmp_path / "users.json", extra_args=("--plate-retention-days", str(RETENTION_S / 86_400)))
    server.start()

    async def before_the_purge():
        supervisor = await DispatchClient.connect(server.url, tokens["sam"])
        await supervisor.command("watchlist.add", **STOLEN)
        feed = await DispatchClient.connect(server.url, tokens["fred"], subscribe=False)
        for plate in ("粤S12345", *MISSES, "粤S12345"):
            ack = await feed.command("plate.read", plate=plate, **READ)
        viewer_frames = [frame for _, _, frame in stored(db, "seq <= ?", ack["seq"])]
        await supervisor.wait_for_seq(ack["seq"])
        seen = await replay(supervisor, ack["seq"])
        for client in (supervisor, feed):
            await client.close()
        return ack["seq"], seen, viewer_frames

    try:
        last_seq, (state_before, events_before), frames_before = asyncio.run(before_the_purge())
        assert sorted(hit["display"] for hit in state_before["hits"].values()) == ["粤S·12345", "粤S·12345"]
        assert [e["data"]["plate"] for e in events_before if e["type"] == "plate.read"] == \
            ["粤S12345", *MISSES, "粤S12345"]  # nothing is purged before its time

        # Each purge that found reads past their time leaves a row; the two misses may fall in one or two.
        deadline = time.monotonic() + RETENTION_S + 15
        while sum(int(re.match(r"purged (\d+) plate reads that hit nothing, stored before \S+Z$", message)[1])
                  for _, message in retention_rows(db)) < len(MISSES):
            assert time.monotonic() < deadline, "the reads past their retention were purged"
            time.sleep(0.1)
        assert {actor for actor, _ in retention_rows(db)} == {"retention"}

        # Gone from the store: no frame holds a missed plate; the reads of the hits stay with their hits.
        for plate in MISSES:
            assert stored(db, "CAST(frame AS TEXT) LIKE ?", f"%{plate[1:]}%") == []
        assert [orjson.loads(frame)["data"]["plate"] for _, _, frame in stored(db, "type = 'plate.read'")] == \
            ["粤S12345", "粤S12345"]
        # The seqs run on without a gap, the purged ones withheld: a viewer's copy of the log is the same bytes.
        frames_after = [frame for _, _, frame in stored(db, "seq <= ?", last_seq)]
        assert [public_frame(f) for f in frames_after] == [public_frame(f) for f in frames_before]

        async def after_the_purge():
            supervisor = await DispatchClient.connect(server.url, tokens["sam"])
            seen = await replay(supervisor, last_seq)
            await supervisor.close()
            return seen

        state_after, events_after = asyncio.run(after_the_purge())
        assert state_after == state_before
        assert [e for e in events_after if e["type"] != "withheld"] == \
            [e for e in events_before if e["data"].get("plate") not in MISSES]
        assert [e["seq"] for e in events_after] == [e["seq"] for e in events_before]

        # A restart folds the purged log to the same state.
        server.kill()
        server.start()

        async def restarted():
            supervisor = await DispatchClient.connect(server.url, tokens["sam"])
            state = supervisor.state
            await supervisor.close()
            return state

        assert asyncio.run(restarted())["hits"] == state_before["hits"]
    finally:
        server.kill()


def _event(seq: int, ts: str, event_type: str, data: dict) -> StoredEvent:
    frame = orjson.dumps({"op": "event", "seq": seq, "ts": ts, "actor": "fred", "type": event_type, "data": data})
    return StoredEvent("live", seq, ts, "fred", event_type, frame)


def test_the_purge_goes_by_batches_keeps_the_reads_that_hit_and_the_young_ones(tmp_path):
    """With batches of 2 the hits fall on batch boundaries; a read stored at or after the cut stays."""
    store = EventStore(tmp_path / "events.db")
    kinds = ["plate.read", "plate.hit", "plate.read", "plate.read", "plate.hit", "unit.moved", "plate.read",
             "plate.read", "plate.read", "plate.hit", "plate.read"]
    events = [_event(seq, rfc3339(1_790_000_000 + seq), kind, {"plate": f"粤B{seq:05d}"})
              for seq, kind in enumerate(kinds, 1)]
    store.append(events)
    cut = events[8].ts  # seq 9's time: seqs 1..8 are past their retention
    purged, through, more = 0, 0, True
    while more:
        count, through, more = purge_reads(store, "live", cut, through, rfc3339(1_790_100_000), batch=2)
        purged += count
    types = [store.types_at("live", [seq])[0] for seq in range(1, len(kinds) + 1)]
    assert types == ["plate.read", "plate.hit", "withheld", "plate.read", "plate.hit", "unit.moved", "withheld",
                     "withheld", "plate.read", "plate.hit", "plate.read"]
    assert purged == 3 and through == 8
    assert dict(store.frames_after("live", 2, 1)) == {3: public_frame(events[2].frame)}
    # Run again: nothing more to purge, no audit row for nothing.
    assert purge_reads(store, "live", cut, through, rfc3339(1_790_100_000)) == (0, 8, False)
    assert store.audit_count() == 3  # one per batch that purged something: seq 3 (1, 3), 7 (4, 7), 8 (8)
    store.close()
