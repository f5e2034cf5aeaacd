"""What the server, `History`, the keyframe writer and reports need of an event store.

`EventStoreProtocol` names it; dispatch/store.py's SQLite `EventStore` and dispatch/pg_store.py's
`PgEventStore` implement it. So nothing here names a database: values go in and out as str, int, bytes
and the records below, and a store says which exceptions mean "the storage failed" (`errors`), so
callers never catch a driver's types by name.

The contract every implementation keeps:
- Per namespace, seqs are 1..N with no gap (a purge replaces events, never deletes their seqs), and
  event time (RFC 3339 UTC strings of one format, which sort as the times they name) never goes back;
  the server guarantees both, the store relies on them (the seq at a time is the last seq by time).
- `append` is one transaction: on return every event and audit row of the group is durable; on an
  exception none of them is stored. A shared store (several servers on one log) raises `SeqConflict`
  when a namespace's first seq in the group is not the next of its log.
- Each event is kept as the exact frame sent to clients, returned byte for byte.
- Keyframes (dispatch/keyframes.py) are derived data: `save_keyframe` need not be durable on its own
  (the next `append` may make it so); chunks are stored once by their hash.
- A store object belongs to one thread at a time (the server opens one for its store thread and one for
  its history thread); `checkpoint` and `close_checkpointer` are the exception, called from a thread of
  their own while the owner works.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable, Iterator, Protocol


@dataclass(frozen=True, slots=True)
class StoredEvent:
    ns: str
    seq: int
    ts: str
    actor: str
    type: str
    frame: bytes


@dataclass(frozen=True, slots=True)
class AuditRecord:
    ts: str
    ns: str
    actor: str
    role: str
    cmd_id: str | None
    cmd: str | None
    frame: str | None  # the command frame as received, for refused commands (accepted ones are their events)
    result: str  # "ack" or "nack"
    code: str | None
    message: str | None
    seq: int | None


class StoreError(RuntimeError):
    """The log cannot be opened, or does not hold what it must (a missing event, a missing chunk)."""


class SeqConflict(StoreError):
    """An append's first seq was not its namespace's next: another server appended first. Nothing was stored."""

    def __init__(self, ns: str, expected_head: int, head: int | None):
        super().__init__(f"namespace {ns}: the log's last seq is {head if head is not None else 0}, "
                         f"not {expected_head}: another server appended first")
        self.ns, self.expected_head, self.head = ns, expected_head, head


class EventStoreProtocol(Protocol):
    errors: tuple[type[Exception], ...]
    """What the methods below raise when the storage fails (the driver's errors and StoreError)."""
    shared: bool
    """Whether other servers may append to the log: `append` then raises SeqConflict when one did first,
    and the server follows the log for their events (docs/deploy.md)."""

    # ---- writing ------------------------------------------------------------------------------

    def append(self, events: list[StoredEvent], audits: list[AuditRecord] = ()) -> None:
        """One group commit: the events (in seq order per namespace) and audit rows, durable on return."""

    def save_keyframe(self, ns: str, seq: int, ts: str | None, manifest: bytes,
                      chunks: list[tuple[bytes, bytes]]) -> None:
        """A keyframe's manifest and its new (hash, compressed chunk) pairs, in one transaction."""

    def replace_events(self, ns: str, replaced: list[tuple[int, str, bytes]], audits: list[AuditRecord]) -> None:
        """A retention purge, in one transaction: each (seq, type, frame) replaces that event's type and frame
        (its time stays), and the audit rows are added. What was replaced is overwritten, not left behind."""

    def set_meta(self, key: str, value: str) -> None:
        """What the log belongs to (`city`: the city pack it was written with)."""

    # ---- events -------------------------------------------------------------------------------

    def namespaces(self) -> list[str]:
        """The namespaces with at least one event."""

    def last_seq(self, ns: str) -> int:
        """The namespace's last seq; 0 when it has no events."""

    def first_and_last(self, ns: str) -> tuple[tuple[int, str] | None, tuple[int, str] | None]:
        """(seq, ts) of the namespace's first and last events; (None, None) when it has none."""

    def ts_of(self, ns: str, seq: int) -> str | None:
        """The time of event `seq`; None when there is no such event (seq 0 included)."""

    def seq_at_or_before(self, ns: str, ts: str) -> int:
        """The last seq with an event time at or before `ts`; 0 if none."""

    def seq_before(self, ns: str, ts: str) -> int:
        """The last seq with an event time before `ts`; 0 if none."""

    def frames_after(self, ns: str, after_seq: int, limit: int = 10_000, until_seq: int | None = None,
                     types: Iterable[str] | None = None) -> list[tuple[int, bytes]]:
        """Up to `limit` (seq, frame) pairs with after_seq < seq <= until_seq, in seq order; `types`: only these."""

    def iter_frames(self, ns: str, after_seq: int = 0, until_seq: int | None = None,
                    chunk: int = 10_000, types: Iterable[str] | None = None) -> Iterator[tuple[int, bytes]]:
        """`frames_after` for a span of any length, read `chunk` at a time."""

    def types_between(self, ns: str, after_seq: int, until_seq: int) -> list[str]:
        """The event types with an event in after_seq < seq <= until_seq, sorted."""

    def types_at(self, ns: str, seqs: list[int]) -> list[str]:
        """The types of these events (a sample: order and duplicates do not matter)."""

    def seqs_of_type(self, ns: str, event_type: str, after_seq: int, until_seq: int) -> list[int]:
        """The seqs of one type's events in after_seq < seq <= until_seq, in order."""

    def positions(self, ns: str, after_seq: int, until_seq: int) -> list[tuple[str, float, float]]:
        """(unit_id, lon, lat) of the unit.moved events after_seq < seq <= until_seq, in seq order."""

    # ---- keyframes, chunks and old snapshots ----------------------------------------------------

    def keyframe_at_or_before(self, ns: str, seq: int) -> tuple[int, bytes] | None:
        """(seq, manifest) of the latest keyframe at or before `seq`."""

    def keyframe_seq_at_or_before(self, ns: str, seq: int) -> int | None:
        """The seq of that keyframe, without its manifest."""

    def keyframe_seqs(self, ns: str) -> list[int]:
        """Every keyframe's seq, in order."""

    def has_chunk(self, chunk_hash: bytes) -> bool:
        ...

    def chunks(self, hashes: list[bytes]) -> dict[bytes, bytes]:
        """Stored (compressed) chunks by hash; a hash not stored is absent from the answer."""

    def latest_snapshot(self, ns: str, at_or_before: int) -> tuple[int, bytes] | None:
        """(seq, state JSON) of a log written before keyframes, at or before `at_or_before`."""

    def earliest_snapshot(self, ns: str) -> tuple[int, bytes] | None:
        ...

    # ---- meta, maintenance, life ----------------------------------------------------------------

    def meta(self, key: str) -> str | None:
        ...

    def checkpoint(self) -> None:
        """Periodic upkeep (about once a second), from a thread of its own, never blocking `append` long."""

    def close_checkpointer(self) -> None:
        """Release what `checkpoint` holds; the server calls it on that same thread before `close`."""

    def close(self) -> None:
        ...


# Opens a store. The server calls it on its store thread (once for the writer, then once for history
# reads, after the first has the log ready), since a connection may belong to the thread that opened it.
StoreFactory = Callable[[], EventStoreProtocol]
