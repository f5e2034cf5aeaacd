"""Retention of plate reads (docs/anpr.md): a read that hit nothing is kept for a set number of days, then
purged from the event log. No Qt.

A purged read is not deleted but replaced, in place, by the `withheld` event a viewer already receives for
it (its seq and time, nothing else): so a namespace's seqs still run without a gap, and since a read changes
no state, every snapshot, keyframe and replay folds to what it folded to before. A read that hit stays with
its hit (the hit carries the read too); alarms are not plate reads and stay. Each batch purged leaves an
audit row saying how many reads and stored before when.
"""
from __future__ import annotations

from dispatch.event_store import AuditRecord, EventStoreProtocol
from dispatch.privacy import WITHHELD, public_frame

DEFAULT_PLATE_RETENTION_DAYS = 30.0
PURGE_BATCH = 10_000  # reads replaced per transaction: the store thread returns to commits in between
MAX_PURGE_EVERY_S = 3600.0
RETENTION_ACTOR = "retention"


def purge_every_s(retention_s: float) -> float:
    """How often to purge: a read is kept at most a tenth longer than the retention, and never purged more
    than once an hour."""
    return min(MAX_PURGE_EVERY_S, retention_s / 10)


def purge_reads(store: EventStoreProtocol, ns: str, before_ts: str, after_seq: int, now_ts: str,
                batch: int = PURGE_BATCH) -> tuple[int, int, bool]:
    """One batch of the purge: the plate reads of `ns` after seq `after_seq`, stored before `before_ts`, that
    hit nothing, replaced by their withheld copies. Returns (reads purged, the seq examined through, whether
    more may be left); the next batch starts after that seq. Runs on the store's thread."""
    until = store.seq_before(ns, before_ts)
    if until <= after_seq:
        return 0, after_seq, False
    reads = store.frames_after(ns, after_seq, batch, until, types=["plate.read"])
    more = len(reads) == batch
    through = reads[-1][0] if more else until
    # A read that hit is followed, in the same command, by its plate.hit (dispatch/commands.py).
    hit = {seq - 1 for seq in store.seqs_of_type(ns, "plate.hit", after_seq, through + 1)}
    replaced = [(seq, WITHHELD, public_frame(frame)) for seq, frame in reads if seq not in hit]
    if replaced:
        store.replace_events(ns, replaced, [AuditRecord(
            now_ts, ns, RETENTION_ACTOR, "server", None, "retention", None, "ack", None,
            f"purged {len(replaced)} plate reads that hit nothing, stored before {before_ts}", None)])
    return len(replaced), through, more
