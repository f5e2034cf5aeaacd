"""Keyframes against the committed state: random command sequences judged as the server judges them
(dispatch.commands.decide, then the reducer), stored in a real event log (SQLite and PostgreSQL) with the
server's keyframe writer."""
from __future__ import annotations

import hashlib
import zlib

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dispatch.event_store import EventStoreProtocol, StoredEvent
from dispatch.history import History, rfc3339
from dispatch.keyframes import OVERLAY_SHARE, KeyframeWriter, decode_manifest
from dispatch.reducer import apply, copy_state
from support.commands import START, initial, judged, steps


def run(steps_, store: EventStoreProtocol, every: int, chunk_records: int,
        overlay_share: int = OVERLAY_SHARE) -> tuple[list[bytes], list[float]]:
    """Judge and store the steps as the server does; the committed state after each seq, and event times."""
    committed = initial()
    writer = KeyframeWriter(store, "live", initial(), 0, None, None, every=every, chunk_records=chunk_records,
                            overlay_share=overlay_share)
    writer.write()
    states, times = [orjson.dumps(committed)], []
    for now, events in judged(steps_, initial()):
        store.append([StoredEvent("live", e["seq"], e["ts"], e["actor"], e["type"], orjson.dumps(e))
                      for e in events])
        writer.add(events)
        for event in events:
            apply(committed, event)
            states.append(orjson.dumps(committed))
            times.append(now)
    return states, times


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(steps_=steps, every=st.integers(1, 6), chunk_records=st.sampled_from([1, 2, 3, 64]),
       overlay_share=st.sampled_from([1, 2, OVERLAY_SHARE, 1000]),
       instants=st.lists(st.floats(-10.0, 200_000.0), min_size=1, max_size=8))
def test_the_state_from_any_keyframe_and_any_seek_equals_the_committed_state(empty_store, steps_, every, chunk_records,
                                                                            overlay_share, instants):
    store = empty_store()
    states, times = run(steps_, store, every, chunk_records, overlay_share)
    history = History(store, "live")  # no initial state: the keyframe at seq 0 is what the log starts from
    keyframes = store.keyframe_seqs("live")
    assert keyframes[0] == 0
    for keyframe in keyframes:  # every keyframe, loaded alone, is the committed state at its seq
        seq, state = history.base(keyframe)
        assert seq == keyframe and state == orjson.loads(states[keyframe])
    for seq in range(len(states)):  # folded from the nearest keyframe
        assert history.state_at(seq) == orjson.loads(states[seq]), seq
    for offset in instants:  # a seek is the whole log folded up to the last event at or before it
        instant = START + offset
        expected_seq = sum(1 for t in times if rfc3339(t) <= rfc3339(instant))
        seq, state = history.state_at_time(instant)
        whole = copy_state(initial())
        for event in history.events(0, expected_seq):
            apply(whole, event)
        assert seq == expected_seq and state == whole
    store.close()


def test_unchanged_chunks_are_stored_once_across_keyframes(empty_store):
    store = empty_store()
    state = initial()
    for i in range(300):
        name = hashlib.sha256(str(i).encode()).hexdigest()  # as incompressible as real names and URLs
        state["cameras"][f"C{i:04d}"] = {"camera_id": f"C{i:04d}", "name": name, "online": False,
                                        "state": "unknown", "state_ts": None}
    writer = KeyframeWriter(store, "live", copy_state(state), 0, None, None, every=10)
    writer.write()
    first = store.keyframe_bytes()
    events = [{"op": "event", "seq": seq, "ts": rfc3339(START + seq), "actor": "avl", "type": "unit.moved",
               "data": {"unit_id": "U1", "lon": 113.7 + seq * 1e-5, "lat": 23.0, "heading": None, "speed": None,
                        "ts": None}} for seq in range(1, 101)]
    store.append([StoredEvent("live", e["seq"], e["ts"], e["actor"], e["type"], orjson.dumps(e)) for e in events])
    assert writer.add(events) == 10
    # Ten more keyframes take less than the first alone: only the chunk of the unit that moved (and a
    # manifest) is new in each; the cameras' chunks are shared. Stored whole, they would take 10x.
    assert store.keyframe_bytes() - first < first / 2
    assert History(store, "live").state_at(100)["units"]["U1"]["lon"] == events[-1]["data"]["lon"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(steps_=steps, every=st.integers(1, 4), chunk_records=st.sampled_from([1, 3, 64]),
       order=st.randoms(use_true_random=False))
def test_a_seek_after_many_others_equals_a_fresh_fold(empty_store, steps_, every, chunk_records, order):
    """One History, its chunk cache warm and shared by the states it gave out (each folded further, as
    replay does): every seek still equals the log folded from the start by a History of its own."""
    store = empty_store()
    states, _ = run(steps_, store, every, chunk_records)
    history = History(store, "live")
    seqs = list(range(len(states))) * 2
    order.shuffle(seqs)
    given_out = []
    for seq in seqs:
        state = history.state_at(seq)
        assert state == orjson.loads(states[seq]), seq
        fresh = History(store, "live").state_at(0)
        for event in history.events(0, seq):
            apply(fresh, event)
        assert state == fresh, seq
        given_out.append((seq, state))
        for event in history.events(seq, len(states) - 1):  # the caller folds its copy on
            apply(state, event)
    for seq, state in given_out:  # folding them on changed no other state nor the cache
        assert state == orjson.loads(states[-1])
    for seq in range(len(states)):
        assert history.state_at(seq) == orjson.loads(states[seq]), seq
    store.close()


def test_cameras_observed_here_and_there_leave_their_chunks_shared_and_the_overlay_holds_them(empty_store):
    store = empty_store()
    state = initial()
    for i in range(400):
        state["cameras"][f"C{i:04d}"] = {"camera_id": f"C{i:04d}", "online": False, "state": "unknown",
                                        "state_ts": None}
    writer = KeyframeWriter(store, "live", copy_state(state), 0, None, None, every=1)
    writer.write()
    events = [{"op": "event", "seq": seq, "ts": rfc3339(START + seq), "actor": "prober",
               "type": "camera.status_changed", "data": {"camera_id": f"C{seq * 37:04d}", "state": "online"}}
              for seq in range(1, 11)]
    store.append([StoredEvent("live", e["seq"], e["ts"], e["actor"], e["type"], orjson.dumps(e)) for e in events])
    writer.add(events)
    first, last = (decode_manifest(store.keyframe_at_or_before("live", seq)[1]) for seq in (0, 10))
    assert last.chunks["cameras"] == first.chunks["cameras"]
    assert "cameras" in last.overlays and "cameras" not in first.overlays
    cameras = History(store, "live").state_at(10)["cameras"]
    assert [c for c, camera in cameras.items() if camera["state"] == "online"] == [f"C{i * 37:04d}" for i in range(1, 11)]


def test_a_keyframe_written_before_overlays_reads_as_it_was_written(empty_store):
    """Manifests of version 1 (chunks only) are still read: logs from before overlays replay unchanged."""
    store = empty_store()
    state = initial()
    writer = KeyframeWriter(store, "live", copy_state(state), 0, None, None)
    writer.write()
    chunks = decode_manifest(store.keyframe_at_or_before("live", 0)[1]).chunks
    old = zlib.compress(orjson.dumps({"v": 1, "chunks": {name: b"".join(hashes).hex()
                                                         for name, hashes in chunks.items()}}))
    store.save_keyframe("live", 0, None, old, [])
    assert History(store, "live").state_at(0) == state
    store.save_keyframe("live", 0, None, zlib.compress(orjson.dumps({"v": 99, "chunks": {}})), [])
    with pytest.raises(ValueError, match="version 99"):
        History(store, "live").state_at(0)
