"""Durable appends per second to the event store: group commit against one transaction per event.

Prints `name value unit` lines. The same workload every run: position events of a realistic size
(~220 bytes), grouped 500 to a transaction, each transaction fsynced (synchronous=FULL).
"""
from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

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


def _rate(group_size: int, total: int) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        store = EventStore(Path(tmp) / "bench.db")
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


def main() -> None:
    print(f"append_grouped_eps {_rate(GROUP_SIZE, GROUPED_EVENTS):.0f} events/s")
    print(f"append_single_eps {_rate(1, SINGLE_EVENTS):.0f} events/s")


if __name__ == "__main__":
    main()
