"""The event log on PostgreSQL (psycopg 3): the second implementation of `EventStoreProtocol`.

The same schema concepts as the SQLite store (dispatch/store.py): events kept as the exact frames sent,
keyframes and their content-addressed chunks, meta, audit rows in the same transaction as the events
they answer. What PostgreSQL adds is the per-namespace head row, `heads (ns, seq)`: every append moves
each of its namespaces' head from the seq before its first event to its last, in the append's own
transaction (`UPDATE heads SET seq = last WHERE ns = $1 AND seq = first - 1`). So a namespace's seqs
are gap-free and in commit order whatever else writes to the database, and an append whose first seq
is not the head's next (another server appended meanwhile) fails with `SeqConflict` and stores
nothing. A `bigserial` would not do: its values become visible in commit order, not allocation order,
so a reader tailing `seq > last` skips events (../shared/STACK-NOTES.md measured 271 of 5,933).

Durability is PostgreSQL's: an append returns after its commit is flushed (synchronous_commit on, and
with a synchronous standby configured, on the standby too).

A connection lost (the database restarted, or a standby promoted in its place: give a libpq multi-host
string, `postgresql://onemap@db1,db2/onemap?target_session_attrs=read-write`) is opened again for up to
RECONNECT_FOR_S, and the call it broke is made again. An append whose connection fell may have committed
or not: once reconnected, the store reads back whether its events are in the log, and appends them only if
they are not (another server's events in their place: `SeqConflict`). Past RECONNECT_FOR_S the call raises
StoreError and the server stops, as for any store failure.
"""
from __future__ import annotations

import functools
import logging
import time
from typing import Callable, Iterable, Iterator, TypeVar

import psycopg

from dispatch.event_store import AuditRecord, EventStoreProtocol, SeqConflict, StoredEvent, StoreError

_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    ns TEXT NOT NULL,
    seq BIGINT NOT NULL,
    ts TEXT NOT NULL,
    actor TEXT NOT NULL,
    type TEXT NOT NULL,
    frame BYTEA NOT NULL,
    PRIMARY KEY (ns, seq)
);
-- Replay and reports find the seq at an instant by the event time (the server never lets it go back).
CREATE INDEX IF NOT EXISTS events_by_time ON events (ns, ts, seq);
CREATE INDEX IF NOT EXISTS events_by_type ON events (ns, type, seq);
CREATE TABLE IF NOT EXISTS heads (
    ns TEXT PRIMARY KEY,
    seq BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS keyframes (
    ns TEXT NOT NULL,
    seq BIGINT NOT NULL,
    ts TEXT,
    manifest BYTEA NOT NULL,
    PRIMARY KEY (ns, seq)
);
CREATE TABLE IF NOT EXISTS chunks (
    hash BYTEA PRIMARY KEY,
    data BYTEA NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS snapshots (
    ns TEXT NOT NULL,
    seq BIGINT NOT NULL,
    state BYTEA NOT NULL,
    PRIMARY KEY (ns, seq)
);
CREATE TABLE IF NOT EXISTS audit (
    id BIGSERIAL PRIMARY KEY,
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
    seq BIGINT
);
"""
# Two servers starting on an empty database would race to create the schema; one takes this lock first.
_SCHEMA_LOCK = 0x4F4E454D4150  # "ONEMAP"
# How long the store tries to reach the database again: a restart or a standby's promotion takes seconds.
RECONNECT_FOR_S = 60.0
RECONNECT_EVERY_S = 0.5
CONNECT_TIMEOUT_S = 5

log = logging.getLogger("onemap.pg_store")
Result = TypeVar("Result")


def _reconnecting(call: Callable[..., Result]) -> Callable[..., Result]:
    """A call that reads, or writes what may be written twice: made again once the connection is back."""
    @functools.wraps(call)
    def again_if_lost(self: "PgEventStore", *args, **kwargs) -> Result:
        try:
            return call(self, *args, **kwargs)
        except psycopg.OperationalError as exc:
            if not self._lost():
                raise
            self._reconnect(exc)
            return call(self, *args, **kwargs)
    return again_if_lost


class PgEventStore(EventStoreProtocol):
    errors = (psycopg.Error, StoreError)
    shared = True

    def __init__(self, conninfo: str):
        self.conninfo = conninfo
        try:
            # Autocommit: reads see each commit as it lands; writes open their own transactions.
            self._db = self._connect()
            with self._db.transaction():
                self._db.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK,))
                self._db.execute(_SCHEMA)
        except psycopg.Error as exc:
            raise StoreError(f"cannot open event store {safe_conninfo(conninfo)}: {exc}") from exc

    def _connect(self) -> psycopg.Connection:
        # Autocommit: reads see each commit as it lands; writes open their own transactions.
        return psycopg.connect(self.conninfo, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S)

    def _lost(self) -> bool:
        return self._db.closed or self._db.broken

    def _reconnect(self, cause: Exception) -> None:
        log.warning("lost the event store %s (%s); connecting again", safe_conninfo(self.conninfo), cause)
        deadline = time.monotonic() + RECONNECT_FOR_S
        self._db.close()
        while True:
            try:
                self._db = self._connect()
                log.info("the event store is back: %s", safe_conninfo(self.conninfo))
                return
            except psycopg.OperationalError as exc:
                if time.monotonic() >= deadline:
                    raise StoreError(f"lost the event store {safe_conninfo(self.conninfo)} for {RECONNECT_FOR_S:.0f} s: "
                                     f"{exc}") from cause
                time.sleep(RECONNECT_EVERY_S)  # the store's own thread: the server's loop goes on meanwhile

    def close(self) -> None:
        self._db.close()

    def checkpoint(self) -> None:
        """PostgreSQL checkpoints itself."""

    def close_checkpointer(self) -> None:
        """Nothing is held for checkpoints."""

    # ---- writing ------------------------------------------------------------------------------

    def append(self, events: list[StoredEvent], audits: list[AuditRecord] = ()) -> None:
        try:
            self._append(events, audits)
        except psycopg.OperationalError as exc:
            if not self._lost():
                raise
            self._reconnect(exc)
            if not self._stored(events):  # the commit did not land before the connection fell
                self._append(events, audits)

    def _stored(self, events: list[StoredEvent]) -> bool:
        """Whether an append of these events committed: its first event of a namespace is in the log (one
        transaction: all of it or none). An append of audit rows alone cannot tell; it is made again."""
        if not events:
            return False
        first = events[0]
        row = self._one("SELECT frame FROM events WHERE ns = %s AND seq = %s", (first.ns, first.seq))
        return row is not None and bytes(row[0]) == first.frame

    def _append(self, events: list[StoredEvent], audits: list[AuditRecord]) -> None:
        firsts: dict[str, int] = {}
        lasts: dict[str, int] = {}
        for event in events:
            firsts.setdefault(event.ns, event.seq)
            lasts[event.ns] = event.seq
        with self._db.transaction():
            for ns, first in firsts.items():
                self._advance_head(ns, first, lasts[ns])
            with self._db.cursor() as cursor:
                if events:
                    with cursor.copy("COPY events (ns, seq, ts, actor, type, frame) FROM STDIN") as copy:
                        for e in events:
                            copy.write_row((e.ns, e.seq, e.ts, e.actor, e.type, e.frame))
                self._insert_audits(cursor, audits)

    def _advance_head(self, ns: str, first: int, last: int) -> None:
        self._db.execute("INSERT INTO heads (ns, seq) VALUES (%s, 0) ON CONFLICT DO NOTHING", (ns,))
        # Read committed: a concurrent append's update of this row makes this one wait for its commit,
        # then find the head moved and match no row.
        moved = self._db.execute("UPDATE heads SET seq = %s WHERE ns = %s AND seq = %s", (last, ns, first - 1))
        if moved.rowcount != 1:
            head = self._db.execute("SELECT seq FROM heads WHERE ns = %s", (ns,)).fetchone()
            raise SeqConflict(ns, first - 1, head[0] if head else None)

    def _insert_audits(self, cursor: psycopg.Cursor, audits: list[AuditRecord]) -> None:
        if not audits:
            return
        with cursor.copy("COPY audit (ts, ns, actor, role, cmd_id, cmd, frame, result, code, message, seq) "
                         "FROM STDIN") as copy:
            for a in audits:
                copy.write_row((a.ts, a.ns, a.actor, a.role, a.cmd_id, a.cmd, a.frame, a.result, a.code,
                                a.message, a.seq))

    @_reconnecting
    def replace_events(self, ns: str, replaced: list[tuple[int, str, bytes]], audits: list[AuditRecord]) -> None:
        """A purge. PostgreSQL keeps an updated row's old version in its table file until VACUUM reclaims it,
        so one runs after the commit; its write-ahead log (and any archive of it) still holds the old
        frames until those segments are recycled (docs/anpr.md, on retention)."""
        with self._db.transaction():
            with self._db.cursor() as cursor:
                cursor.executemany("UPDATE events SET type = %s, frame = %s WHERE ns = %s AND seq = %s",
                                   [(event_type, frame, ns, seq) for seq, event_type, frame in replaced])
                self._insert_audits(cursor, audits)
        if replaced:
            self._db.execute("VACUUM events")

    @_reconnecting
    def save_keyframe(self, ns: str, seq: int, ts: str | None, manifest: bytes,
                      chunks: list[tuple[bytes, bytes]]) -> None:
        """A keyframe is derived from the log: its commit need not wait for the flush (one lost in a crash
        only means the fold starts from an older one)."""
        with self._db.transaction():
            self._db.execute("SET LOCAL synchronous_commit = off")
            with self._db.cursor() as cursor:
                cursor.executemany("INSERT INTO chunks (hash, data) VALUES (%s, %s) ON CONFLICT DO NOTHING", chunks)
            self._db.execute("INSERT INTO keyframes (ns, seq, ts, manifest) VALUES (%s, %s, %s, %s) "
                             "ON CONFLICT (ns, seq) DO UPDATE SET ts = EXCLUDED.ts, manifest = EXCLUDED.manifest",
                             (ns, seq, ts, manifest))

    @_reconnecting
    def set_meta(self, key: str, value: str) -> None:
        self._db.execute("INSERT INTO meta (key, value) VALUES (%s, %s) "
                         "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value", (key, value))

    # ---- events -------------------------------------------------------------------------------

    def _one(self, sql: str, params: tuple) -> tuple | None:
        return self._db.execute(sql, params).fetchone()

    @_reconnecting
    def namespaces(self) -> list[str]:
        return [row[0] for row in self._db.execute("SELECT ns FROM heads WHERE seq > 0 ORDER BY ns")]

    @_reconnecting
    def last_seq(self, ns: str) -> int:
        row = self._one("SELECT seq FROM heads WHERE ns = %s", (ns,))
        return row[0] if row else 0

    @_reconnecting
    def first_and_last(self, ns: str) -> tuple[tuple[int, str] | None, tuple[int, str] | None]:
        first = self._one("SELECT seq, ts FROM events WHERE ns = %s ORDER BY seq LIMIT 1", (ns,))
        last = self._one("SELECT seq, ts FROM events WHERE ns = %s ORDER BY seq DESC LIMIT 1", (ns,))
        return first, last

    @_reconnecting
    def ts_of(self, ns: str, seq: int) -> str | None:
        row = self._one("SELECT ts FROM events WHERE ns = %s AND seq = %s", (ns, seq))
        return row[0] if row else None

    @_reconnecting
    def seq_at_or_before(self, ns: str, ts: str) -> int:
        row = self._one("SELECT seq FROM events WHERE ns = %s AND ts <= %s ORDER BY ts DESC, seq DESC LIMIT 1",
                        (ns, ts))
        return row[0] if row else 0

    @_reconnecting
    def seq_before(self, ns: str, ts: str) -> int:
        row = self._one("SELECT seq FROM events WHERE ns = %s AND ts < %s ORDER BY ts DESC, seq DESC LIMIT 1",
                        (ns, ts))
        return row[0] if row else 0

    @_reconnecting
    def frames_after(self, ns: str, after_seq: int, limit: int = 10_000, until_seq: int | None = None,
                     types: Iterable[str] | None = None) -> list[tuple[int, bytes]]:
        until = until_seq if until_seq is not None else 2**62
        if types is None:
            rows = self._db.execute("SELECT seq, frame FROM events WHERE ns = %s AND seq > %s AND seq <= %s "
                                    "ORDER BY seq LIMIT %s", (ns, after_seq, until, limit))
        else:
            types = list(dict.fromkeys(types))
            if not types:
                return []
            rows = self._db.execute("SELECT seq, frame FROM events WHERE ns = %s AND type = ANY(%s) "
                                    "AND seq > %s AND seq <= %s ORDER BY seq LIMIT %s",
                                    (ns, types, after_seq, until, limit))
        return [(seq, bytes(frame)) for seq, frame in rows]

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

    @_reconnecting
    def types_between(self, ns: str, after_seq: int, until_seq: int) -> list[str]:
        return [row[0] for row in self._db.execute(
            "SELECT DISTINCT type FROM events WHERE ns = %s AND seq > %s AND seq <= %s ORDER BY type",
            (ns, after_seq, until_seq))]

    @_reconnecting
    def types_at(self, ns: str, seqs: list[int]) -> list[str]:
        return [row[0] for row in self._db.execute(
            "SELECT type FROM events WHERE ns = %s AND seq = ANY(%s)", (ns, list(seqs)))]

    @_reconnecting
    def seqs_of_type(self, ns: str, event_type: str, after_seq: int, until_seq: int) -> list[int]:
        return [row[0] for row in self._db.execute(
            "SELECT seq FROM events WHERE ns = %s AND type = %s AND seq > %s AND seq <= %s ORDER BY seq",
            (ns, event_type, after_seq, until_seq))]

    @_reconnecting
    def positions(self, ns: str, after_seq: int, until_seq: int) -> list[tuple[str, float, float]]:
        rows = self._db.execute(
            "SELECT f->'data'->>'unit_id', (f->'data'->>'lon')::float8, (f->'data'->>'lat')::float8 "
            "FROM (SELECT seq, convert_from(frame, 'UTF8')::jsonb AS f FROM events "
            "      WHERE ns = %s AND type = 'unit.moved' AND seq > %s AND seq <= %s) AS moved ORDER BY seq",
            (ns, after_seq, until_seq))
        return rows.fetchall()

    # ---- keyframes, chunks and old snapshots ----------------------------------------------------

    @_reconnecting
    def keyframe_at_or_before(self, ns: str, seq: int) -> tuple[int, bytes] | None:
        row = self._one("SELECT seq, manifest FROM keyframes WHERE ns = %s AND seq <= %s ORDER BY seq DESC LIMIT 1",
                        (ns, seq))
        return (row[0], bytes(row[1])) if row else None

    @_reconnecting
    def keyframe_seq_at_or_before(self, ns: str, seq: int) -> int | None:
        row = self._one("SELECT seq FROM keyframes WHERE ns = %s AND seq <= %s ORDER BY seq DESC LIMIT 1", (ns, seq))
        return row[0] if row else None

    @_reconnecting
    def keyframe_seqs(self, ns: str) -> list[int]:
        return [row[0] for row in self._db.execute("SELECT seq FROM keyframes WHERE ns = %s ORDER BY seq", (ns,))]

    @_reconnecting
    def has_chunk(self, chunk_hash: bytes) -> bool:
        return self._one("SELECT 1 FROM chunks WHERE hash = %s", (chunk_hash,)) is not None

    @_reconnecting
    def chunks(self, hashes: list[bytes]) -> dict[bytes, bytes]:
        rows = self._db.execute("SELECT hash, data FROM chunks WHERE hash = ANY(%s)", (list(hashes),))
        return {bytes(chunk_hash): bytes(data) for chunk_hash, data in rows}

    @_reconnecting
    def keyframe_bytes(self) -> int:
        """What keyframes take (manifests and chunks, as stored), for the benchmark."""
        row = self._one("SELECT (SELECT COALESCE(SUM(LENGTH(manifest)), 0) FROM keyframes) "
                        "+ (SELECT COALESCE(SUM(LENGTH(data)), 0) FROM chunks)", ())
        return int(row[0])

    @_reconnecting
    def latest_snapshot(self, ns: str, at_or_before: int) -> tuple[int, bytes] | None:
        """Only SQLite logs written before keyframes have snapshots; the table is here so both schemas agree."""
        row = self._one("SELECT seq, state FROM snapshots WHERE ns = %s AND seq <= %s ORDER BY seq DESC LIMIT 1",
                        (ns, at_or_before))
        return (row[0], bytes(row[1])) if row else None

    @_reconnecting
    def earliest_snapshot(self, ns: str) -> tuple[int, bytes] | None:
        row = self._one("SELECT seq, state FROM snapshots WHERE ns = %s ORDER BY seq LIMIT 1", (ns,))
        return (row[0], bytes(row[1])) if row else None

    # ---- meta, maintenance ----------------------------------------------------------------------

    @_reconnecting
    def meta(self, key: str) -> str | None:
        row = self._one("SELECT value FROM meta WHERE key = %s", (key,))
        return row[0] if row else None

    @_reconnecting
    def audit_count(self, result: str | None = None) -> int:
        if result is None:
            return self._one("SELECT COUNT(*) FROM audit", ())[0]
        return self._one("SELECT COUNT(*) FROM audit WHERE result = %s", (result,))[0]


def safe_conninfo(conninfo: str) -> str:
    """The connection string without its password, for messages."""
    try:
        params = psycopg.conninfo.conninfo_to_dict(conninfo)
    except psycopg.Error:
        return "(an unreadable connection string)"
    params.pop("password", None)
    return psycopg.conninfo.make_conninfo(**params)
