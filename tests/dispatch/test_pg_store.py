"""The PostgreSQL event store on a real PostgreSQL: the head row makes seqs gap-free whoever appends, an
append that lost a race stores nothing, and a log that cannot be opened is named in words."""
from __future__ import annotations

import subprocess
import sys
import threading

import orjson
import pytest

from dispatch.event_store import AuditRecord, StoredEvent
from dispatch.history import rfc3339
from dispatch.pg_store import PgEventStore, SeqConflict
from support.server import ROOT, make_users


def _event(seq: int, actor: str) -> StoredEvent:
    ts = rfc3339(1_800_000_000 + seq)
    return StoredEvent("live", seq, ts, actor, "incident.noted",
                       orjson.dumps({"op": "event", "seq": seq, "ts": ts, "actor": actor, "type": "incident.noted",
                                     "data": {"n": seq}}))


def _audit(actor: str, seq: int) -> AuditRecord:
    return AuditRecord(rfc3339(1_800_000_000), "live", actor, "dispatcher", f"{actor}-{seq}", "incident.note", None,
                       "ack", None, None, seq)


def test_of_two_writers_appending_the_same_next_seq_one_wins_and_the_other_stores_nothing(postgres):
    url = postgres.new_database()
    first, second = PgEventStore(url), PgEventStore(url)
    first.append([_event(1, "a"), _event(2, "a")], [_audit("a", 2)])
    with pytest.raises(SeqConflict) as conflict:
        second.append([_event(2, "b")], [_audit("b", 2)])
    assert (conflict.value.ns, conflict.value.expected_head, conflict.value.head) == ("live", 1, 2)
    assert second.last_seq("live") == 2 and second.audit_count() == 1
    assert [orjson.loads(frame)["actor"] for _, frame in second.frames_after("live", 0)] == ["a", "a"]
    second.append([_event(3, "b")], [_audit("b", 3)])  # caught up, it appends
    assert first.last_seq("live") == 3 and first.namespaces() == ["live"]
    first.close()
    second.close()


def test_writers_racing_on_one_namespace_leave_seqs_one_to_n_each_stored_once(postgres):
    url = postgres.new_database()
    stored: dict[str, list[int]] = {}
    conflicts = []

    def writer(name: str) -> None:
        store = PgEventStore(url)
        mine = stored.setdefault(name, [])
        while len(mine) < 50:
            seq = store.last_seq("live") + 1
            try:
                store.append([_event(seq, name)])
                mine.append(seq)
            except SeqConflict:
                conflicts.append(name)
        store.close()

    threads = [threading.Thread(target=writer, args=(f"w{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    reader = PgEventStore(url)
    log = [(seq, orjson.loads(frame)["actor"]) for seq, frame in reader.frames_after("live", 0)]
    assert [seq for seq, _ in log] == list(range(1, 201))
    assert sorted(seq for seqs in stored.values() for seq in seqs) == list(range(1, 201))
    assert all(actor == next(name for name, seqs in stored.items() if seq in seqs) for seq, actor in log)
    assert conflicts, "four writers never raced: the test showed nothing"
    reader.close()


def test_a_server_whose_postgresql_cannot_be_reached_says_so_without_the_password(tmp_path):
    users = tmp_path / "users.json"
    make_users(users, {"a": "dispatcher"})
    done = subprocess.run([sys.executable, "-m", "console.cli", "server", "--city", "demo", "--users", str(users),
                           "--store", "postgresql://onemap:s3cret@127.0.0.1:1/onemap?connect_timeout=5"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert "onemap server: cannot open event store" in done.stderr and "Connection refused" in done.stderr
    assert "s3cret" not in done.stderr and "Traceback" not in done.stderr


def test_a_store_url_of_no_known_kind_is_refused_before_anything_starts(tmp_path):
    done = subprocess.run([sys.executable, "-m", "console.cli", "server", "--city", "demo", "--users",
                           str(tmp_path / "users.json"), "--store", "mysql://db/onemap"],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "mysql:// is not a store" in done.stderr
