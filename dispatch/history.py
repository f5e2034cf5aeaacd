"""Any instant of one namespace's log: the state at a seq, the seq at a time, the events of a span.

Replay, the server's history requests, the server's start-up and after-action reports read the log through
this one class. A state is one keyframe load and a short fold (dispatch/keyframes.py); a log written before
keyframes folds from its nearest older snapshot, or from `initial_state`. Chunks are kept parsed (records
are values, dispatch/reducer.py): a keyframe load is a dict.update per chunk, records shared with the
cache and with the other states given out, and only the chunks not seen yet are read and parsed. It does
no I/O of its own beyond its store and holds no thread: like the store, it belongs to one thread.
Times are epoch seconds (float); the log's own times are RFC 3339 UTC strings with milliseconds, which
sort as the times they name.
"""
from __future__ import annotations

import bisect
import math
import zlib
from collections import Counter, OrderedDict
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Iterable, Iterator

import orjson

from dispatch.keyframes import decode_manifest
from dispatch.reducer import State, apply, copy_state, empty_state
from dispatch.store import EventStore, StoreError

# Records kept parsed, by chunk (about 1 KB each: ~100 MB): the city's cameras, checkpoints and grids and the
# closed incidents, about a day's worth of their versions on the synthetic city, and recent overlays.
CHUNK_CACHE_RECORDS = 100_000
DENSITY_SAMPLE = 256  # events looked at to find a span's most common type (counted by difference, not read)


_second: tuple[int | None, str] = (None, "")  # the last whole second formatted: reads come many a second


def rfc3339(epoch_s: float) -> str:
    """The log's form of a time: UTC, milliseconds, `Z` (truncated, as the server writes them)."""
    global _second
    whole = int(epoch_s // 1)
    millis = int(round((epoch_s - whole) * 1000))
    if millis == 1000:
        whole, millis = whole + 1, 0
    second = _second  # one read: another thread may replace it meanwhile
    if second[0] != whole:
        second = _second = (whole, datetime.fromtimestamp(whole, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S"))
    return f"{second[1]}.{millis:03d}Z"


def epoch(ts: str) -> float:
    return datetime.fromisoformat(ts.replace("Z", "+00:00")).timestamp()


@dataclass(frozen=True)
class Bounds:
    """What a namespace's log holds: seqs first..last and the times of those events (None when empty)."""
    first_seq: int
    last_seq: int
    first_ts: float | None
    last_ts: float | None


class History:
    def __init__(self, store: EventStore, namespace: str = "live", initial_state: State | None = None):
        """`initial_state`: the state before the first event, for a log that does not store it."""
        self.store = store
        self.namespace = namespace
        self.initial_state = initial_state
        self._chunks: OrderedDict[bytes, dict] = OrderedDict()  # parsed chunks by hash, least recent first
        self._chunk_records = 0

    def city(self) -> str | None:
        """The city pack the server that wrote the log ran (None for a log from before it was recorded)."""
        return self.store.meta("city")

    def bounds(self) -> Bounds:
        first, last = self.store.first_and_last(self.namespace)
        if first is None:
            return Bounds(0, 0, None, None)
        return Bounds(first[0], last[0], epoch(first[1]), epoch(last[1]))

    def ts_of(self, seq: int) -> float | None:
        ts = self.store.ts_of(self.namespace, seq)
        return None if ts is None else epoch(ts)

    def seq_at(self, epoch_s: float) -> int:
        """The last seq whose event time is at or before `epoch_s` (0 before the first event)."""
        return self.store.seq_at_or_before(self.namespace, rfc3339(epoch_s))

    def base(self, seq: int) -> tuple[int, State] | None:
        """The nearest state stored at or before `seq` (a keyframe, else an old log's snapshot), else
        `initial_state` at 0, as (its seq, the caller's own copy: its collections are its own, its records
        shared values, see dispatch/reducer.py); None when there is none of them."""
        keyframe = self.store.keyframe_at_or_before(self.namespace, seq)
        snapshot = self.store.latest_snapshot(self.namespace, seq)
        if snapshot is not None and (keyframe is None or snapshot[0] > keyframe[0]):
            return snapshot[0], orjson.loads(snapshot[1])
        if keyframe is not None:
            manifest = decode_manifest(keyframe[1])
            chunks = self._parsed_chunks(manifest.hashes())
            state = {}
            for name, hashes in manifest.chunks.items():
                collection = state[name] = {}
                for h in hashes:
                    collection.update(chunks[h])
                if name in manifest.overlays:
                    collection.update(chunks[manifest.overlays[name]])
            return keyframe[0], state
        if self.initial_state is not None:
            return 0, copy_state(self.initial_state)
        return None

    def state_at(self, seq: int) -> State:
        """The state just after event `seq`: the caller's own copy, to fold further or change."""
        start, state = self.base(seq) or (0, empty_state())
        for event_seq, frame in self.store.iter_frames(self.namespace, start, seq):
            if event_seq != start + 1:
                raise StoreError(f"the event log of {self.namespace} jumps from seq {start} to {event_seq}")
            apply(state, orjson.loads(frame))
            start = event_seq
        if start != seq:
            raise StoreError(f"the event log of {self.namespace} ends at seq {start}, before {seq}")
        return state

    def state_at_time(self, epoch_s: float) -> tuple[int, State]:
        seq = self.seq_at(epoch_s)
        return seq, self.state_at(seq)

    def events(self, after_seq: int, until_seq: int, types: Iterable[str] | None = None) -> Iterator[dict]:
        """The events with after_seq < seq <= until_seq in order, read in chunks (a day's log need not fit
        in memory); `types`: only events of these types."""
        for _, frame in self.store.iter_frames(self.namespace, after_seq, until_seq, types=types):
            yield orjson.loads(frame)

    def trails(self, after_seq: int, until_seq: int) -> dict[str, list[tuple[float, float]]]:
        """Each unit's positions (lon, lat) in the events after_seq < seq <= until_seq, oldest first."""
        trails: dict[str, list[tuple[float, float]]] = {}
        for unit_id, lon, lat in self.store.positions(self.namespace, after_seq, until_seq):
            trails.setdefault(unit_id, []).append((lon, lat))
        return trails

    def density(self, start_epoch: float, end_epoch: float, bucket_s: int) -> tuple[list[str], list[list[int]]]:
        """Events per time bucket and type: bucket i holds the events with start + i*bucket_s <= ts <
        start + (i+1)*bucket_s, the last one also those at `end_epoch` exactly. Returns the types present
        (sorted) and, per bucket, the count of each.

        No event is read: event time never goes back, so a bucket is the seqs between the last seqs
        before its edges (one step down the time index each), and each type's seqs come from the type
        index. The most common type (usually positions) is not read at all: it is what the other types
        leave of each bucket's total. So the cost is the number of buckets plus the number of the
        other types' events."""
        if bucket_s < 1 or end_epoch <= start_epoch:
            raise ValueError("density needs bucket_s >= 1 and an end after the start")
        buckets = math.ceil((end_epoch - start_epoch) / bucket_s)
        edges = [self.store.seq_before(self.namespace, rfc3339(start_epoch + i * bucket_s)) for i in range(buckets)]
        edges.append(self.seq_at(end_epoch))
        for i in range(1, len(edges)):  # a log from before time was kept from going back: never negative
            edges[i] = max(edges[i], edges[i - 1])
        first, last = edges[0], edges[-1]
        types = self.store.types_between(self.namespace, first, last) if last > first else []
        counts = [[0] * len(types) for _ in range(buckets)]
        if not types:
            return types, counts
        step = max(1, (last - first) // DENSITY_SAMPLE)
        common = Counter(self.store.types_at(self.namespace, list(range(first + 1, last + 1, step)))).most_common(1)
        bulk = types.index(common[0][0]) if common else 0
        for index, event_type in enumerate(types):
            if index == bulk:
                continue
            for seq in self.store.seqs_of_type(self.namespace, event_type, first, last):
                counts[bisect.bisect_left(edges, seq) - 1][index] += 1
        for i, row in enumerate(counts):
            row[bulk] = edges[i + 1] - edges[i] - sum(row)
        return types, counts

    def _parsed_chunks(self, hashes: list[bytes]) -> dict[bytes, dict]:
        """The chunks parsed, from the cache or else the store (read in one go, parsed once), kept up to
        CHUNK_CACHE_RECORDS records, least recently used dropped first. Never change what it returns."""
        out = {}
        for h in hashes:
            chunk = self._chunks.get(h)
            if chunk is not None:
                self._chunks.move_to_end(h)
                out[h] = chunk
        missing = [h for h in dict.fromkeys(hashes) if h not in out]
        if missing:
            stored = self.store.chunks(missing)
            if len(stored) != len(missing):
                raise StoreError(f"a keyframe of {self.namespace} names {len(missing) - len(stored)} chunks "
                                 "missing from the event log")
            for h, data in stored.items():
                out[h] = self._chunks[h] = orjson.loads(zlib.decompress(data))
                self._chunk_records += len(out[h])
            while self._chunk_records > CHUNK_CACHE_RECORDS and len(self._chunks) > len(out):
                _, dropped = self._chunks.popitem(last=False)
                self._chunk_records -= len(dropped)
        return out
