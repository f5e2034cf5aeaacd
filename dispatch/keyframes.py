"""Keyframes: the state of a namespace every KEYFRAME_EVERY events, so any instant is one keyframe load and
a short fold (docs/architecture.md, "Keyframes").

A keyframe is a manifest: for each collection of the state (units, incidents, cameras, ...), the content
hashes of its chunks, and of its overlay. A chunk is a run of consecutive ids (sorted), ending after an id
whose CRC-32 is -1 modulo CHUNK_RECORDS, so a new id changes only the chunk it falls into, never the
boundaries of the others. Each chunk is stored once (zlib-compressed JSON of {id: record}) by its hash.
The overlay is one chunk of the records that changed (or came) since their chunks were written: the
collection is its chunks' records updated with the overlay's. A chunk is written again only once a
quarter of its records changed (1/OVERLAY_SHARE; new ids get chunks once they would fill a quarter of
one), so a camera observed now and then leaves its chunk as it was: the cameras' chunks stay shared for
hours of a day's log, not minutes, and a seek far from the last one still finds most of them parsed in
History's cache. The overlay holds less than a quarter of its collection. Units, which all move every few
seconds, are written whole each keyframe, as without overlays; incidents change mostly in the newest
chunk, which is written again often, while the closed ones' chunks stay.

`KeyframeWriter` folds the events it is given into a state of its own and writes a keyframe when one is
due. The server runs one per namespace on its store thread; the benchmark's generator and
`onemap keyframes` (for logs written before keyframes) run the same writer.
"""
from __future__ import annotations

import hashlib
import logging
import sqlite3
import zlib
from dataclasses import dataclass
from typing import Callable, Iterable

import orjson

from dispatch.reducer import State, apply, touches
from dispatch.store import EventStore, StoreError

log = logging.getLogger("onemap.keyframes")

KEYFRAME_EVERY = 1500  # events between keyframes: a seek folds at most this many
CHUNK_RECORDS = 64  # records per chunk on average
OVERLAY_SHARE = 4  # a chunk is written again once a quarter of its records changed
ZLIB_LEVEL = 6
MANIFEST_VERSION = 2  # 1: chunks only (no overlays), still read


def chunk_hash(raw: bytes) -> bytes:
    return hashlib.blake2b(raw, digest_size=16).digest()


@dataclass(frozen=True)
class Manifest:
    """A keyframe's state by content hashes: per collection its chunks, and its overlay (if any), whose
    records replace those of the same ids in the chunks."""
    chunks: dict[str, list[bytes]]
    overlays: dict[str, bytes]

    def hashes(self) -> list[bytes]:
        return [h for hashes in self.chunks.values() for h in hashes] + list(self.overlays.values())


def encode_manifest(manifest: Manifest) -> bytes:
    return zlib.compress(orjson.dumps({
        "v": MANIFEST_VERSION,
        "chunks": {name: b"".join(hashes).hex() for name, hashes in manifest.chunks.items()},
        "overlays": {name: h.hex() for name, h in manifest.overlays.items()}}))


def decode_manifest(blob: bytes) -> Manifest:
    manifest = orjson.loads(zlib.decompress(blob))
    if manifest.get("v") not in (1, MANIFEST_VERSION):
        raise ValueError(f"keyframe manifest version {manifest.get('v')!r} is not 1 or {MANIFEST_VERSION}")
    chunks = {}
    for name, text in manifest["chunks"].items():
        joined = bytes.fromhex(text)
        chunks[name] = [joined[i:i + 16] for i in range(0, len(joined), 16)]
    return Manifest(chunks, {name: bytes.fromhex(text) for name, text in manifest.get("overlays", {}).items()})


class _Layout:
    """One collection's chunks: their ids in order and their hashes (None: not encoded yet)."""

    def __init__(self, chunks: list[list[str]], hashes: list[bytes | None], chunk_of: dict[str, int] | None = None):
        self.chunks = chunks
        self.chunk_of = chunk_of if chunk_of is not None else {
            key: index for index, keys in enumerate(chunks) for key in keys}
        self.hashes = hashes

    @classmethod
    def cut(cls, collection: dict, chunk_records: int) -> _Layout:
        chunks: list[list[str]] = []
        current: list[str] = []
        for key in sorted(collection):
            current.append(key)
            if zlib.crc32(key.encode()) % chunk_records == chunk_records - 1:
                chunks.append(current)
                current = []
        if current:
            chunks.append(current)
        return cls(chunks, [None] * len(chunks))


class KeyframeWriter:
    """Folds a namespace's events and writes its keyframes. `state` becomes the writer's own: give it a copy.
    `last_keyframe`: the seq of the namespace's latest stored keyframe (None when it has none)."""

    def __init__(self, store: EventStore, namespace: str, state: State, seq: int, ts: str | None,
                 last_keyframe: int | None, every: int = KEYFRAME_EVERY, chunk_records: int = CHUNK_RECORDS,
                 overlay_share: int = OVERLAY_SHARE):
        self.store = store
        self.namespace = namespace
        self.state = state
        self.seq = seq
        self.ts = ts
        self.every = every
        self.chunk_records = chunk_records
        self.overlay_share = overlay_share
        self.last_keyframe = last_keyframe
        self._layouts: dict[str, _Layout] = {}  # the chunks as last written
        self._overlays: dict[str, set[str]] = {}  # ids whose record is not (or not as) in its chunk
        self._dirty: dict[str, set[str]] = {}
        self._stored: set[bytes] = set()  # chunk hashes known to be in the store
        self._failed_at: int | None = None  # a keyframe that could not be written: the next try is `every` on

    def due(self) -> bool:
        if self.last_keyframe is None and self._failed_at is None:
            return True
        return self.seq - max(self.last_keyframe or 0, self._failed_at or 0) >= self.every

    def add(self, events: Iterable[dict]) -> int:
        """Fold events (in seq order, after the writer's seq); write each keyframe that falls due.
        Returns how many keyframes were written."""
        written = 0
        for event in events:
            for collection, key in touches(self.state, event):
                self._dirty.setdefault(collection, set()).add(key)
            apply(self.state, event)
            self.seq, self.ts = event["seq"], event["ts"]
            if self.due():
                written += self.write_or_log()
        return written

    def write_or_log(self) -> bool:
        """`write`, where a failure is not the caller's: the log is intact, folds start from an older
        keyframe meanwhile, and the writer tries again `every` events on."""
        try:
            self.write()
            return True
        except (sqlite3.Error, StoreError) as exc:
            log.error("writing the keyframe of %s at seq %d failed: %s", self.namespace, self.seq, exc)
            self._failed_at = self.seq
            return False

    def write(self) -> None:
        """A keyframe of the state at the writer's seq (nothing if there is one already)."""
        if self.last_keyframe == self.seq:
            return
        manifest = Manifest({}, {})
        new_chunks: dict[bytes, bytes] = {}
        layouts, overlays = {}, {}
        for name, collection in self.state.items():
            layouts[name], overlays[name] = self._cut(name, collection)
            manifest.chunks[name] = self._chunk_hashes(layouts[name], collection, new_chunks)
            if overlays[name]:
                manifest.overlays[name] = self._stored_hash(
                    orjson.dumps({key: collection[key] for key in sorted(overlays[name])}), new_chunks)
        self.store.save_keyframe(self.namespace, self.seq, self.ts, encode_manifest(manifest),
                                 list(new_chunks.items()))
        # Only once the keyframe is stored: a failed write must not leave hashes believed stored.
        for name, layout in layouts.items():
            layout.hashes = manifest.chunks[name]
        self._layouts, self._overlays = layouts, overlays
        self._stored.update(new_chunks)
        self._dirty.clear()
        self.last_keyframe = self.seq

    def _cut(self, name: str, collection: dict) -> tuple[_Layout, set[str]]:
        """The collection's chunks for this keyframe (hashes to encode None) and its overlay: a chunk is
        encoded again once 1/overlay_share of its records changed, new ids get chunks of their own once
        they would fill 1/overlay_share of one; the rest of what changed is the overlay's."""
        old = self._layouts.get(name)
        if old is None:
            return _Layout.cut(collection, self.chunk_records), set()
        changed = {key for key in self._overlays.get(name, set()) | self._dirty.get(name, set()) if key in collection}
        if not changed and len(old.chunk_of) == len(collection):
            # nothing changed since the last keyframe (a city's watchlist, most of the time): the same chunks,
            # without going through its 100,000 records again
            return _Layout(old.chunks, list(old.hashes), old.chunk_of), set()
        came = {key for key in changed if key not in old.chunk_of}
        if len(old.chunk_of) + len(came) != len(collection) or len(came) * self.overlay_share >= self.chunk_records:
            # ids went, or enough came: cut again; a chunk of the same ids keeps its hash
            layout = _Layout.cut(collection, self.chunk_records)
            previous = {tuple(keys): h for keys, h in zip(old.chunks, old.hashes)}
            for index, keys in enumerate(layout.chunks):
                layout.hashes[index] = previous.get(tuple(keys))
            overlay = set()
        else:
            layout, overlay = _Layout(old.chunks, list(old.hashes), old.chunk_of), came
        # Only the chunks holding a changed record: walking every chunk's ids cost a keyframe as much as the
        # collection is large (a shift's hits, a city's units) however little of it changed.
        stale_in: dict[int, list[str]] = {}
        for key in changed:
            index = layout.chunk_of.get(key)
            if index is not None:
                stale_in.setdefault(index, []).append(key)
        for index, stale in stale_in.items():
            if layout.hashes[index] is None:
                continue
            if len(stale) * self.overlay_share >= len(layout.chunks[index]):
                layout.hashes[index] = None
            else:
                overlay.update(stale)
        return layout, overlay

    def _chunk_hashes(self, layout: _Layout, collection: dict, new_chunks: dict[bytes, bytes]) -> list[bytes]:
        """The hashes of the layout's chunks, encoding those not known (None) from the current records."""
        return [h if h is not None else self._stored_hash(orjson.dumps({key: collection[key] for key in keys}),
                                                          new_chunks)
                for keys, h in zip(layout.chunks, layout.hashes)]

    def _stored_hash(self, raw: bytes, new_chunks: dict[bytes, bytes]) -> bytes:
        """The chunk's hash; the chunk joins `new_chunks` unless the store has it already."""
        h = chunk_hash(raw)
        if h not in self._stored and h not in new_chunks and not self.store.has_chunk(h):
            new_chunks[h] = zlib.compress(raw, ZLIB_LEVEL)
        return h


def build_keyframes(store: EventStore, namespace: str, initial_state: State | None,
                    progress: Callable[[str], None] = lambda line: None, every: int = KEYFRAME_EVERY,
                    progress_every: int = 100_000) -> int:
    """Keyframes for a log written without them (or with too few): folds the namespace's whole log from
    its keyframe at seq 0, else from `initial_state` (written as keyframe 0), else from its earliest
    snapshot (instants before that stay unknown). Returns how many keyframes were written."""
    from dispatch.history import History  # history reads keyframes; keyframes need it only here

    history = History(store, namespace, initial_state)
    start = history.base(0)
    if start is None:
        earliest = store.earliest_snapshot(namespace)
        if earliest is None:
            raise ValueError(f"{store.path}: namespace {namespace} has no keyframe at seq 0 and no snapshot; "
                             "give the city pack it started from (--city)")
        start = (earliest[0], orjson.loads(earliest[1]))
        progress(f"{namespace}: no initial state; starting from the snapshot at seq {start[0]}")
    seq, state = start
    last = store.last_seq(namespace)
    writer = KeyframeWriter(store, namespace, state, seq, store.ts_of(namespace, seq),
                            store.keyframe_seq_at_or_before(namespace, seq), every)
    written = 0
    if writer.last_keyframe != seq:
        writer.write()
        written += 1
    existing = set(store.keyframe_seqs(namespace))
    for event_seq, frame in store.iter_frames(namespace, seq):
        if event_seq != writer.seq + 1:
            raise ValueError(f"the log of {namespace} jumps from seq {writer.seq} to {event_seq}")
        event = orjson.loads(frame)
        if event_seq in existing:  # keep the keyframe there: count from it
            writer.last_keyframe = event_seq
        written += writer.add((event,))
        if event_seq % progress_every == 0:
            progress(f"{namespace}: {event_seq:,} of {last:,} events folded, keyframes written: {written:,}")
    progress(f"{namespace}: {last:,} events folded, keyframes written: {written:,}")
    return written
