"""The durable event log: SQLite in WAL mode with synchronous=FULL.

One `append` call is one transaction, so commands that arrive together share one fsync (the server
gathers them: group commit). Each event is stored as the exact JSON frame sent to clients, so resume
sends stored bytes without encoding them again. Keyframes of the folded state (dispatch/keyframes.py)
let start-up and replay seek without folding the whole log; `snapshots` are what logs written before
keyframes kept instead, read only as a fallback. `meta` names what the log belongs to (the city pack).
Every command, accepted or not, leaves an audit row.

A store belongs to one thread at a time; the server gives it a thread of its own. It implements
dispatch.event_store's `EventStoreProtocol` (the records and StoreError are defined there).
"""
from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Iterable, Iterator

from dispatch.event_store import AuditRecord, EventStoreProtocol, StoredEvent, StoreError

_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    ns TEXT NOT NULL,
    seq INTEGER NOT NULL,
    ts TEXT NOT NULL,
    actor TEXT NOT NULL,
    type TEXT NOT NULL,
    frame BLOB NOT NULL,
    PRIMARY KEY (ns, seq)
) WITHOUT ROWID;
-- Replay and reports find the seq at an instant by the event time (the server never lets it go back).
CREATE INDEX IF NOT EXISTS events_by_time ON events (ns, ts, seq);
-- The timeline's counts per type (History.density) read the seqs of the rarer types from this index alone.
CREATE INDEX IF NOT EXISTS events_by_type ON events (ns, type, seq);
CREATE TABLE IF NOT EXISTS keyframes (
    ns TEXT NOT NULL,
    seq INTEGER NOT NULL,
    ts TEXT,
    manifest BLOB NOT NULL,
    PRIMARY KEY (ns, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS chunks (
    hash BLOB PRIMARY KEY,
    data BLOB NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS snapshots (
    ns TEXT NOT NULL,
    seq INTEGER NOT NULL,
    state BLOB NOT NULL,
    PRIMARY KEY (ns, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY,
    ts TEXT NOT NULL,
    ns TEXT NOT NULL,
    actor TEXT NOT NULL,
    role TEXT NOT NULL,
    cmd_id TEXT,
    cmd TEXT,
    frame TEXT,
    result TEXT NOT NULL,
    code TEXT,
    message TEXT,
    seq INTEGER
);
"""


ROWS_PER_STATEMENT = 500  # 11 x 500 bound values stays far below SQLite's 32,766


class EventStore(EventStoreProtocol):
    errors = (sqlite3.Error, StoreError)
    shared = False  # one server per file

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._statements: dict[tuple[str, int], str] = {}
        self._checkpointer: sqlite3.Connection | None = None
        try:
            self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            # Checkpoints copy the log into the database and fsync it: done inside a commit they stall
            # the acks behind it for up to ~100 ms here, so `checkpoint` does them on another connection.
            self._db.execute("PRAGMA wal_autocheckpoint=0")
            # A purged plate read is overwritten in its page, not left in free space (the log only appends
            # otherwise, so this costs nothing else).
            self._db.execute("PRAGMA secure_delete=ON")
            self._db.executescript(_SCHEMA)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open event store {self.path}: {exc}") from exc

    def close(self) -> None:
        self._db.close()

    def checkpoint(self) -> None:
        """Move the write-ahead log into the database without blocking the writer (PASSIVE).
        Call from a thread of its own, with its own connection (opened here on first use)."""
        if self._checkpointer is None:
            self._checkpointer = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._checkpointer.execute("PRAGMA wal_checkpoint(PASSIVE)")

    def close_checkpointer(self) -> None:
        if self._checkpointer is not None:
            self._checkpointer.close()
            self._checkpointer = None

    def append(self, events: list[StoredEvent], audits: list[AuditRecord] = ()) -> None:
        """Store events and audit rows in one transaction; on return they are on disk."""
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            self._insert("INSERT INTO events (ns, seq, ts, actor, type, frame) VALUES ", 6,
                         [(e.ns, e.seq, e.ts, e.actor, e.type, e.frame) for e in events])
            self._insert_audits(audits)
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def replace_events(self, ns: str, replaced: list[tuple[int, str, bytes]], audits: list[AuditRecord]) -> None:
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            db.executemany("UPDATE events SET type = ?, frame = ? WHERE ns = ? AND seq = ?",
                           [(event_type, frame, ns, seq) for seq, event_type, frame in replaced])
            self._insert_audits(audits)
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def _insert_audits(self, audits: list[AuditRecord]) -> None:
        self._insert("INSERT INTO audit (ts, ns, actor, role, cmd_id, cmd, frame, result, code, message, seq) VALUES ",
                     11, [(a.ts, a.ns, a.actor, a.role, a.cmd_id, a.cmd, a.frame, a.result, a.code, a.message, a.seq)
                          for a in audits])

    def _insert(self, head: str, width: int, rows: list[tuple]) -> None:
        """Many rows per statement. executemany steps SQLite once per row, releasing and retaking the GIL
        each time; beside a busy event loop every retake can wait out the interpreter's switch interval."""
        for start in range(0, len(rows), ROWS_PER_STATEMENT):
            chunk = rows[start:start + ROWS_PER_STATEMENT]
            sql = self._statements.get((head, len(chunk)))
            if sql is None:
                sql = head + ",".join(["(" + ",".join("?" * width) + ")"] * len(chunk))
                self._statements[(head, len(chunk))] = sql
            self._db.execute(sql, [value for row in chunk for value in row])

    def namespaces(self) -> list[str]:
        return [row[0] for row in self._db.execute("SELECT DISTINCT ns FROM events")]

    def last_seq(self, ns: str) -> int:
        row = self._db.execute("SELECT MAX(seq) FROM events WHERE ns = ?", (ns,)).fetchone()
        return row[0] or 0

    def first_and_last(self, ns: str) -> tuple[tuple[int, str] | None, tuple[int, str] | None]:
        """(seq, ts) of the namespace's first and last events; (None, None) when it has none."""
        first = self._db.execute("SELECT seq, ts FROM events WHERE ns = ? ORDER BY seq LIMIT 1", (ns,)).fetchone()
        last = self._db.execute("SELECT seq, ts FROM events WHERE ns = ? ORDER BY seq DESC LIMIT 1", (ns,)).fetchone()
        return (tuple(first) if first else None), (tuple(last) if last else None)

    def seq_at_or_before(self, ns: str, ts: str) -> int:
        """The last seq with an event time at or before `ts` (RFC 3339 as stored); 0 if none. One step down
        the time index: event time never goes back within a namespace, so the last by time is the last by seq."""
        row = self._db.execute("SELECT seq FROM events WHERE ns = ? AND ts <= ? ORDER BY ts DESC, seq DESC LIMIT 1",
                               (ns, ts)).fetchone()
        return row[0] if row else 0

    def seq_before(self, ns: str, ts: str) -> int:
        """The last seq with an event time before `ts`; 0 if none."""
        row = self._db.execute("SELECT seq FROM events WHERE ns = ? AND ts < ? ORDER BY ts DESC, seq DESC LIMIT 1",
                               (ns, ts)).fetchone()
        return row[0] if row else 0

    def ts_of(self, ns: str, seq: int) -> str | None:
        row = self._db.execute("SELECT ts FROM events WHERE ns = ? AND seq = ?", (ns, seq)).fetchone()
        return row[0] if row else None

    def types_between(self, ns: str, after_seq: int, until_seq: int) -> list[str]:
        """The event types with an event in after_seq < seq <= until_seq, sorted: a skip along the type index,
        two lookups per type in the whole log."""
        found, last = [], ""
        while True:
            row = self._db.execute("SELECT type FROM events WHERE ns = ? AND type > ? ORDER BY type LIMIT 1",
                                   (ns, last)).fetchone()
            if row is None:
                return found
            last = row[0]
            if self._db.execute("SELECT 1 FROM events WHERE ns = ? AND type = ? AND seq > ? AND seq <= ? LIMIT 1",
                                (ns, last, after_seq, until_seq)).fetchone():
                found.append(last)

    def types_at(self, ns: str, seqs: list[int]) -> list[str]:
        out = []
        for start in range(0, len(seqs), ROWS_PER_STATEMENT):
            part = seqs[start:start + ROWS_PER_STATEMENT]
            out += [row[0] for row in self._db.execute(
                f"SELECT type FROM events WHERE ns = ? AND seq IN ({','.join('?' * len(part))})", (ns, *part))]
        return out

    def seqs_of_type(self, ns: str, event_type: str, after_seq: int, until_seq: int) -> list[int]:
        return [row[0] for row in self._db.execute(
            "SELECT seq FROM events WHERE ns = ? AND type = ? AND seq > ? AND seq <= ? ORDER BY seq",
            (ns, event_type, after_seq, until_seq))]

    def positions(self, ns: str, after_seq: int, until_seq: int) -> list[tuple[str, float, float]]:
        """(unit_id, lon, lat) of the unit.moved events with after_seq < seq <= until_seq, in order, taken out
        of the frames by SQLite's JSON functions: the reading thread holds no Python lock meanwhile (a
        replay's seek reads 15,000 of them while the console draws)."""
        return self._db.execute(
            "SELECT json_extract(CAST(frame AS TEXT), '$.data.unit_id'), json_extract(CAST(frame AS TEXT), '$.data.lon'), "
            "json_extract(CAST(frame AS TEXT), '$.data.lat') FROM events INDEXED BY events_by_type "
            "WHERE ns = ? AND type = 'unit.moved' AND seq > ? AND seq <= ? ORDER BY seq",
            (ns, after_seq, until_seq)).fetchall()

    def frames_after(self, ns: str, after_seq: int, limit: int = 10_000, until_seq: int | None = None,
                     types: Iterable[str] | None = None) -> list[tuple[int, bytes]]:
        """Up to `limit` (seq, frame) pairs with after_seq < seq <= until_seq, in order; `types`: only these."""
        until = " AND seq <= ?" if until_seq is not None else ""
        bounds = [after_seq] + ([until_seq] if until_seq is not None else [])
        if types is None:
            return self._db.execute(f"SELECT seq, frame FROM events WHERE ns = ? AND seq > ?{until} ORDER BY seq LIMIT ?",
                                    (ns, *bounds, limit)).fetchall()
        # Each type from the type index, merged by seq: filtering the whole span's rows by type read every
        # event of a day to find its 20,000 incident events (0.36 s for 5,000 of them).
        per_type = (f"SELECT * FROM (SELECT seq, frame FROM events INDEXED BY events_by_type "
                    f"WHERE ns = ? AND type = ? AND seq > ?{until} ORDER BY seq LIMIT ?)")
        types = list(dict.fromkeys(types))
        if not types:
            return []
        values = [v for event_type in types for v in (ns, event_type, *bounds, limit)]
        return self._db.execute(" UNION ALL ".join([per_type] * len(types)) + " ORDER BY seq LIMIT ?",
                                (*values, limit)).fetchall()

    def iter_frames(self, ns: str, after_seq: int = 0, until_seq: int | None = None,
                    chunk: int = 10_000, types: Iterable[str] | None = None) -> Iterator[tuple[int, bytes]]:
        types = None if types is None else list(types)
        last = after_seq
        while True:
            rows = self.frames_after(ns, last, chunk, until_seq, types)
            yield from rows
            if len(rows) < chunk:
                return
            last = rows[-1][0]

    def latest_snapshot(self, ns: str, at_or_before: int) -> tuple[int, bytes] | None:
        """A snapshot of a log written before keyframes (none are written now)."""
        row = self._db.execute("SELECT seq, state FROM snapshots WHERE ns = ? AND seq <= ? ORDER BY seq DESC LIMIT 1",
                               (ns, at_or_before)).fetchone()
        return (row[0], row[1]) if row else None

    def earliest_snapshot(self, ns: str) -> tuple[int, bytes] | None:
        row = self._db.execute("SELECT seq, state FROM snapshots WHERE ns = ? ORDER BY seq LIMIT 1", (ns,)).fetchone()
        return (row[0], row[1]) if row else None

    def save_keyframe(self, ns: str, seq: int, ts: str | None, manifest: bytes,
                      chunks: list[tuple[bytes, bytes]]) -> None:
        """A keyframe and its new chunks in one transaction. Without an fsync of its own (synchronous=NORMAL):
        a keyframe is derived from the log, and the next commit of events makes it durable with them; one
        lost in a crash only means the fold starts from an older one."""
        db = self._db
        db.execute("PRAGMA synchronous=NORMAL")
        try:
            db.execute("BEGIN IMMEDIATE")
            try:
                self._insert("INSERT OR IGNORE INTO chunks (hash, data) VALUES ", 2, chunks)
                db.execute("INSERT OR REPLACE INTO keyframes (ns, seq, ts, manifest) VALUES (?, ?, ?, ?)",
                           (ns, seq, ts, manifest))
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        finally:
            db.execute("PRAGMA synchronous=FULL")

    def has_chunk(self, chunk_hash: bytes) -> bool:
        return self._db.execute("SELECT 1 FROM chunks WHERE hash = ?", (chunk_hash,)).fetchone() is not None

    def chunks(self, hashes: list[bytes]) -> dict[bytes, bytes]:
        """Stored (compressed) chunks by hash; a hash not stored is absent from the answer."""
        out = {}
        for start in range(0, len(hashes), ROWS_PER_STATEMENT):
            part = hashes[start:start + ROWS_PER_STATEMENT]
            out.update(self._db.execute(f"SELECT hash, data FROM chunks WHERE hash IN ({','.join('?' * len(part))})",
                                        part).fetchall())
        return out

    def keyframe_at_or_before(self, ns: str, seq: int) -> tuple[int, bytes] | None:
        row = self._db.execute("SELECT seq, manifest FROM keyframes WHERE ns = ? AND seq <= ? ORDER BY seq DESC LIMIT 1",
                               (ns, seq)).fetchone()
        return (row[0], row[1]) if row else None

    def keyframe_seq_at_or_before(self, ns: str, seq: int) -> int | None:
        row = self._db.execute("SELECT seq FROM keyframes WHERE ns = ? AND seq <= ? ORDER BY seq DESC LIMIT 1",
                               (ns, seq)).fetchone()
        return row[0] if row else None

    def keyframe_seqs(self, ns: str) -> list[int]:
        return [row[0] for row in self._db.execute("SELECT seq FROM keyframes WHERE ns = ? ORDER BY seq", (ns,))]

    def keyframe_bytes(self) -> int:
        """What keyframes take in the file (manifests and chunks, as stored), for the benchmark."""
        manifests = self._db.execute("SELECT COALESCE(SUM(LENGTH(manifest)), 0) FROM keyframes").fetchone()[0]
        return manifests + self._db.execute("SELECT COALESCE(SUM(LENGTH(data)), 0) FROM chunks").fetchone()[0]

    def meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        self._db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    def audit_count(self, result: str | None = None) -> int:
        if result is None:
            return self._db.execute("SELECT COUNT(*) FROM audit").fetchone()[0]
        return self._db.execute("SELECT COUNT(*) FROM audit WHERE result = ?", (result,)).fetchone()[0]
