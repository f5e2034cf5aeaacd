"""Keyframes: the state of a namespace every KEYFRAME_EVERY events, so any instant is one keyframe load and
a short fold (docs/architecture.md, "Keyframes").

A keyframe is a manifest: for each collection of the state (units, incidents, cameras, ...), the content
hashes of its chunks. A chunk is a run of consecutive ids (sorted), ending after an id whose CRC-32 is
-1 modulo CHUNK_RECORDS, so a new id changes only the chunk it falls into, never the boundaries of
the others. Each chunk is stored once (zlib-compressed JSON of {id: record}) by its hash: what did not
change between keyframes (cameras nobody reported on, closed incidents) is shared by all of them.

`KeyframeWriter` folds the events it is given into a state of its own and writes a keyframe when one is
due. The server runs one per namespace on its store thread; the benchmark's generator and
`onemap keyframes` (for logs written before keyframes) run the same writer.
"""
from __future__ import annotations

import hashlib
import logging
import sqlite3
import zlib
from typing import Callable, Iterable

import orjson

from dispatch.reducer import State, apply, touches
from dispatch.store import EventStore, StoreError

log = logging.getLogger("onemap.keyframes")

KEYFRAME_EVERY = 1500  # events between keyframes: a seek folds at most this many
CHUNK_RECORDS = 64  # records per chunk on average
ZLIB_LEVEL = 6
MANIFEST_VERSION = 1


def chunk_hash(raw: bytes) -> bytes:
    return hashlib.blake2b(raw, digest_size=16).digest()


def encode_manifest(chunks: dict[str, list[bytes]]) -> bytes:
    return zlib.compress(orjson.dumps({"v": MANIFEST_VERSION,
                                       "chunks": {name: b"".join(hashes).hex() for name, hashes in chunks.items()}}))


def decode_manifest(blob: bytes) -> dict[str, list[bytes]]:
    manifest = orjson.loads(zlib.decompress(blob))
    if manifest.get("v") != MANIFEST_VERSION:
        raise ValueError(f"keyframe manifest version {manifest.get('v')!r} is not {MANIFEST_VERSION}")
    out = {}
    for name, text in manifest["chunks"].items():
        joined = bytes.fromhex(text)
        out[name] = [joined[i:i + 16] for i in range(0, len(joined), 16)]
    return out


def state_json(manifest: dict[str, list[bytes]], chunk_json: Callable[[list[bytes]], dict[bytes, bytes]]) -> bytes:
    """The keyframe's state as one JSON document, joined from its chunks' JSON without parsing them
    (one parse of the whole is cheaper than a parse and a merge per chunk)."""
    needed = [h for hashes in manifest.values() for h in hashes]
    raw = chunk_json(needed)
    parts = []
    for name, hashes in manifest.items():
        members = b",".join(raw[h][1:-1] for h in hashes if len(raw[h]) > 2)
        parts.append(orjson.dumps(name) + b":{" + members + b"}")
    return b"{" + b",".join(parts) + b"}"


class _Layout:
    """One collection's chunks as last written: their ids in order and their hashes."""

    def __init__(self, collection: dict, chunk_records: int):
        self.chunks: list[list[str]] = []
        current: list[str] = []
        for key in sorted(collection):
            current.append(key)
            if zlib.crc32(key.encode()) % chunk_records == chunk_records - 1:
                self.chunks.append(current)
                current = []
        if current:
            self.chunks.append(current)
        self.chunk_of = {key: index for index, keys in enumerate(self.chunks) for key in keys}
        self.hashes: list[bytes | None] = [None] * len(self.chunks)


class KeyframeWriter:
    """Folds a namespace's events and writes its keyframes. `state` becomes the writer's own: give it a copy.
    `last_keyframe`: the seq of the namespace's latest stored keyframe (None when it has none)."""

    def __init__(self, store: EventStore, namespace: str, state: State, seq: int, ts: str | None,
                 last_keyframe: int | None, every: int = KEYFRAME_EVERY, chunk_records: int = CHUNK_RECORDS):
        self.store = store
        self.namespace = namespace
        self.state = state
        self.seq = seq
        self.ts = ts
        self.every = every
        self.chunk_records = chunk_records
        self.last_keyframe = last_keyframe
        self._layouts: dict[str, _Layout] = {}
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
        manifest: dict[str, list[bytes]] = {}
        new_chunks: dict[bytes, bytes] = {}
        layouts = {}
        for name, collection in self.state.items():
            layout, hashes = self._chunk_hashes(name, collection, new_chunks)
            layouts[name] = layout
            manifest[name] = hashes
        self.store.save_keyframe(self.namespace, self.seq, self.ts, encode_manifest(manifest),
                                 list(new_chunks.items()))
        # Only once the keyframe is stored: a failed write must not leave hashes believed stored.
        for name, layout in layouts.items():
            layout.hashes = manifest[name]
        self._layouts = layouts
        self._stored.update(new_chunks)
        self._dirty.clear()
        self.last_keyframe = self.seq

    def _chunk_hashes(self, name: str, collection: dict, new_chunks: dict[bytes, bytes]) -> tuple[_Layout, list[bytes]]:
        old = self._layouts.get(name)
        dirty = self._dirty.get(name, set())
        if old is not None and len(old.chunk_of) == len(collection) and all(key in old.chunk_of for key in dirty):
            layout, changed = old, {old.chunk_of[key] for key in dirty}
            reusable = {index: old.hashes[index] for index in range(len(old.chunks)) if index not in changed}
        else:  # ids came (or went): cut the collection again; chunks of the same untouched ids keep their hash
            layout = _Layout(collection, self.chunk_records)
            previous = {} if old is None else {tuple(keys): h for keys, h in zip(old.chunks, old.hashes)}
            reusable = {}
            for index, keys in enumerate(layout.chunks):
                h = previous.get(tuple(keys))
                if h is not None and not dirty.intersection(keys):
                    reusable[index] = h
        hashes = []
        for index, keys in enumerate(layout.chunks):
            h = reusable.get(index)
            if h is None:
                raw = orjson.dumps({key: collection[key] for key in keys})
                h = chunk_hash(raw)
                if h not in self._stored and h not in new_chunks and not self.store.has_chunk(h):
                    new_chunks[h] = zlib.compress(raw, ZLIB_LEVEL)
            hashes.append(h)
        return layout, hashes


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
