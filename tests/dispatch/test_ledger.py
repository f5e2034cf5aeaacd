"""The ledger without a server (dispatch/ledger.py): what it emits is what its committed state is, seqs have
no gap, time never goes back, and each command is answered once, after its events."""
from __future__ import annotations

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dispatch.history import rfc3339
from dispatch.ledger import Ledger
from dispatch.privacy import public_frame
from dispatch.reducer import copy_state, fold
from support.commands import CENTRE, START, command, initial

SENDERS = {"alice": "dispatcher", "bob": "dispatcher", "fred": "feed"}


def ledger() -> Ledger:
    return Ledger("live", initial(), 0, "", centre=CENTRE)


steps = st.lists(st.tuples(
    st.sampled_from(["create", "create", "assign", "assign", "status", "move", "move", "close", "note", "camera",
                     "bookmark"]),
    st.sampled_from(sorted(SENDERS)),
    st.integers(0, 5), st.integers(0, 1000),
    st.sampled_from([0.0, 0.0004, 0.001, 0.5, 61.0, -0.5, -3600.0]),  # the clock also steps back
    # after the command: nothing; take a group (it stays in flight while more are judged); commit the group
    # in flight; both
    st.sampled_from(["judge", "judge", "take", "commit", "take_commit"])), min_size=1, max_size=80)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps_=steps)
def test_the_log_a_ledger_emits_folds_to_its_committed_state_in_any_grouping(steps_):
    desk = ledger()
    emitted: list[dict] = []  # the events as subscribers receive them, in order
    stored: list[bytes] = []  # the frames as the store is given them
    answered: dict[str, list[dict]] = {}  # each command's replies, by id
    accepted_ids: dict[str, list[int]] = {}  # each accepted command's seqs
    in_flight = None
    now = START

    def commit():
        published = desk.committed(in_flight)
        stored.extend(event.frame for event in in_flight.stored)
        if published is None:
            assert not in_flight.accepted
            return
        emitted.extend(orjson.loads(frame) for frame in published.frames)
        assert published.public_frames == [public_frame(frame) for frame in published.frames]
        for sender, replies in published.replies.items():
            assert sender in SENDERS
            for reply in replies:
                ack = orjson.loads(reply)
                answered.setdefault(ack["id"], []).append(ack)
        # After every commit: the committed state is the initial state folded over what was sent so far.
        assert fold(initial(), emitted) == desk.committed_state
        assert desk.committed_seq == (emitted[-1]["seq"] if emitted else 0)

    for number, (kind, sender, pick, value, step, then) in enumerate(steps_):
        now += step
        cmd_id = f"c{number}"
        cmd, args = command(kind, pick, value, desk.decision_state)
        outcome = desk.judge(sender, sender, SENDERS[sender], {"id": cmd_id, "cmd": cmd, "args": args}, None,
                             rfc3339(now))
        if isinstance(outcome, bytes):
            answered.setdefault(cmd_id, []).append(orjson.loads(outcome))
        else:
            accepted_ids[cmd_id] = [event["seq"] for event in outcome.events]
        if then in ("commit", "take_commit") and in_flight is not None:
            commit()
            in_flight = None
        if then in ("take", "take_commit") and in_flight is None:
            in_flight = desk.take_group()
    if in_flight is not None:
        commit()
    while (in_flight := desk.take_group()) is not None:
        commit()

    seqs = [event["seq"] for event in emitted]
    assert seqs == list(range(1, len(emitted) + 1))
    times = [event["ts"] for event in emitted]
    assert times == sorted(times)
    assert stored == [orjson.dumps(event) for event in emitted]  # the store keeps the frames sent
    assert desk.decision_state == desk.committed_state and desk.seq == desk.committed_seq == len(emitted)
    assert desk.decision_state is not desk.committed_state
    # Every command is answered exactly once; an accepted one's ack names its last event (or, without
    # events, the last seq committed with it).
    assert sorted(answered) == sorted(f"c{n}" for n in range(len(steps_)))
    for cmd_id, replies in answered.items():
        assert len(replies) == 1
        if cmd_id in accepted_ids:
            assert replies[0]["op"] == "ack"
            if accepted_ids[cmd_id]:
                assert replies[0]["seq"] == accepted_ids[cmd_id][-1]
        else:
            assert replies[0]["op"] == "nack"


def _judge(desk: Ledger, sender: str, cmd_id: str, cmd: str, args: dict, now: float = START):
    return desk.judge(sender, sender, SENDERS[sender], {"id": cmd_id, "cmd": cmd, "args": args}, None, rfc3339(now))


def test_two_dispatchers_racing_for_a_unit_before_either_is_stored_get_one_event_and_one_conflict():
    desk = ledger()
    _judge(desk, "alice", "c1", "incident.create", {"kind": "fire", "priority": 1, "lon": 113.7, "lat": 23.0})
    desk.committed(desk.take_group())
    incident_id = next(iter(desk.committed_state["incidents"]))
    first = _judge(desk, "alice", "c2", "unit.assign", {"unit_id": "U0", "incident_id": incident_id})
    group = desk.take_group()  # being stored: the committed state does not hold the assignment yet
    assert desk.committed_state["units"]["U0"]["status"] == "available"
    second = _judge(desk, "bob", "c3", "unit.assign", {"unit_id": "U0", "incident_id": incident_id})
    assert [e["type"] for e in first.events] == ["unit.assigned"]
    assert orjson.loads(second)["code"] == "conflict"
    published = desk.committed(group)
    assert [orjson.loads(ack)["id"] for ack in published.replies["alice"]] == ["c2"]
    assert "bob" not in published.replies  # a nack goes out at once, not with a group
    assert desk.committed_state["units"]["U0"]["status"] == "dispatched"


def test_a_cmds_frame_is_answered_by_one_replies_frame_in_command_order():
    desk = ledger()
    replies: list[bytes | None] = []
    accepted = []
    for slot, (cmd, args) in enumerate([("unit.position", {"unit_id": "U0", "lon": 113.8, "lat": 23.0}),
                                        ("unit.position", {"unit_id": "NOPE", "lon": 113.8, "lat": 23.0}),
                                        ("unit.position", {"unit_id": "U1", "lon": 113.9, "lat": 23.0})]):
        outcome = _judge(desk, "fred", f"p{slot}", cmd, args)
        if isinstance(outcome, bytes):
            replies.append(outcome)
        else:
            replies.append(None)
            outcome.frame_replies, outcome.slot = replies, slot
            accepted.append(outcome)
    accepted[-1].last_of_frame = True
    published = desk.committed(desk.take_group())
    assert len(published.replies["fred"]) == 1  # no ack of its own for the first command
    frame = orjson.loads(published.replies["fred"][0])
    assert frame["op"] == "replies"
    assert [(r["op"], r["id"]) for r in frame["replies"]] == [("ack", "p0"), ("nack", "p1"), ("ack", "p2")]
    assert [r.get("seq") for r in frame["replies"]] == [1, None, 2]


def test_a_callers_name_reaches_only_the_personal_copy_and_the_other_frames_are_shared():
    desk = ledger()
    _judge(desk, "fred", "p1", "unit.position", {"unit_id": "U0", "lon": 113.8, "lat": 23.0})
    _judge(desk, "alice", "c1", "incident.create", {"kind": "fire", "priority": 1, "lon": 113.7, "lat": 23.0,
                                                    "caller_name": "Li Lei", "callback": "13800138000"})
    _judge(desk, "fred", "p2", "unit.position", {"unit_id": "U1", "lon": 113.8, "lat": 23.0})
    published = desk.committed(desk.take_group())
    assert b"Li Lei" in published.frames[1] and b"13800138000" in published.frames[1]
    assert not any(b"Li Lei" in frame or b"13800138000" in frame for frame in published.public_frames)
    assert published.public_frames[0] is published.frames[0] and published.public_frames[2] is published.frames[2]
    _judge(desk, "fred", "p3", "unit.position", {"unit_id": "U2", "lon": 113.8, "lat": 23.0})
    plain = desk.committed(desk.take_group())
    assert plain.public_frames is plain.frames  # no personal data: one list for every reader


def test_event_time_never_goes_back_and_refusals_are_audited_at_the_clock():
    desk = ledger()
    _judge(desk, "fred", "p1", "unit.position", {"unit_id": "U0", "lon": 113.8, "lat": 23.0}, START + 10)
    late = _judge(desk, "fred", "p2", "unit.position", {"unit_id": "U0", "lon": 113.9, "lat": 23.0}, START)
    assert late.events[0]["ts"] == rfc3339(START + 10)
    _judge(desk, "fred", "p3", "unit.position", {"unit_id": "NOPE", "lon": 113.9, "lat": 23.0}, START + 1)
    group = desk.take_group()
    assert [(a.cmd_id, a.result, a.ts, a.seq) for a in group.audits] == [
        ("p1", "ack", rfc3339(START + 10), 1), ("p2", "ack", rfc3339(START + 10), 2),
        ("p3", "nack", rfc3339(START + 1), None)]
    assert group.audits[2].frame is not None and "NOPE" in group.audits[2].frame


def test_a_group_is_committed_before_the_next_is_taken_and_only_the_one_taken():
    desk = ledger()
    _judge(desk, "fred", "p1", "unit.position", {"unit_id": "U0", "lon": 113.8, "lat": 23.0})
    group = desk.take_group()
    _judge(desk, "fred", "p2", "unit.position", {"unit_id": "U0", "lon": 113.9, "lat": 23.0})
    with pytest.raises(RuntimeError):
        desk.take_group()
    other = ledger()
    _judge(other, "fred", "p1", "unit.position", {"unit_id": "U0", "lon": 113.8, "lat": 23.0})
    with pytest.raises(RuntimeError):
        desk.committed(other.take_group())
    desk.committed(group)
    assert desk.committed_state["units"]["U0"]["lon"] == 113.8 and desk.decision_state["units"]["U0"]["lon"] == 113.9
    assert copy_state(desk.committed_state) != copy_state(desk.decision_state)
