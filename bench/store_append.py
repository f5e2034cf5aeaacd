"""Durable appends per second to the event store: group commit against one transaction per event.

Prints `name value unit` lines. The same workload every run: position events of a realistic size
(~220 bytes), grouped 500 to a transaction, each transaction fsynced (SQLite synchronous=FULL; PostgreSQL
fsync and synchronous_commit on), on SQLite, then on PostgreSQL (`pg_` lines): a scratch cluster of its own
(tests/support/postgres.py), or the database `--store postgresql://...` names.
"""
from __future__ import annotations

import argparse
import functools
import sys
import tempfile
import time
from pathlib import Path

import orjson
import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from dispatch.pg_store import PgEventStore  # noqa: E402
from dispatch.store import AuditRecord, EventStore, StoredEvent  # noqa: E402

GROUPED_EVENTS = 200_000
GROUP_SIZE = 500
SINGLE_EVENTS = 1_000


def _event(seq: int) -> tuple[StoredEvent, AuditRecord]:
    ts = "2026-11-23T12:00:00.000Z"
    data = {"unit_id": f"P-{seq % 5000:04d}", "lon": 24.9 + (seq % 997) * 1e-5, "lat": 60.16 + (seq % 991) * 1e-5,
            "heading": float(seq % 360), "speed": 8.5, "ts": ts}
    frame = orjson.dumps({"op": "event", "seq": seq, "ts": ts, "actor": "avl-gateway", "type": "unit.moved",
                          "data": data})
    command = orjson.dumps({"op": "cmd", "id": f"c{seq}", "cmd": "unit.position", "args": data}).decode()
    audit = AuditRecord(ts, "live", "avl-gateway", "feed", f"c{seq}", "unit.position", command, "ack", None, None, seq)
    return StoredEvent("live", seq, ts, "avl-gateway", "unit.moved", frame), audit


def _rate(open_store, group_size: int, total: int) -> float:
    """`open_store(folder)`: an empty store."""
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(Path(tmp))
        batches = []
        for start in range(1, total + 1, group_size):
            pairs = [_event(seq) for seq in range(start, min(start + group_size, total + 1))]
            batches.append(([p[0] for p in pairs], [p[1] for p in pairs]))
        began = time.perf_counter()
        for events, audits in batches:
            store.append(events, audits)
        elapsed = time.perf_counter() - began
        assert store.last_seq("live") == total
        store.close()
    return total / elapsed


def _empty_pg(url: str, folder: Path) -> PgEventStore:
    store = PgEventStore(url)  # its tables exist from here
    with psycopg.connect(url, autocommit=True) as db:
        db.execute("TRUNCATE events, heads, audit")  # the same workload every run: from seq 1
    return store


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", help="a PostgreSQL database to use (its events are emptied!) instead of a scratch cluster")
    args = parser.parse_args()
    sqlite = lambda folder: EventStore(folder / "bench.db")  # noqa: E731
    print(f"append_grouped_eps {_rate(sqlite, GROUP_SIZE, GROUPED_EVENTS):.0f} events/s")
    print(f"append_single_eps {_rate(sqlite, 1, SINGLE_EVENTS):.0f} events/s")
    if args.store:
        pg_lines(args.store)
        return
    from support.postgres import PostgresCluster

    with PostgresCluster() as cluster:
        pg_lines(cluster.new_database())


def pg_lines(url: str) -> None:
    pg = functools.partial(_empty_pg, url)
    print(f"pg_append_grouped_eps {_rate(pg, GROUP_SIZE, GROUPED_EVENTS):.0f} events/s")
    print(f"pg_append_single_eps {_rate(pg, 1, SINGLE_EVENTS):.0f} events/s")


if __name__ == "__main__":
    main()
