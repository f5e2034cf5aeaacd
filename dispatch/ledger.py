"""One namespace's ledger: judging commands, seqs, the decision and committed states, and commit groups.

Sans-I/O, in the manner of websockets' `Protocol`: a plain object with no sockets, no asyncio, no threads
and no clock (the caller passes the time in). The server drives it (dispatch/server.py):

    outcome = ledger.judge(sender, actor, role, msg, raw, now)  # an Accepted, or the nack to send
    group = ledger.take_group()         # the events and audit rows judged since the last group
    ...append group.events and group.audits to the event store...
    published = ledger.committed(group)  # the frames for subscribers and the replies per sender

A command is judged (`dispatch.commands.decide`) against the decision state, which holds every accepted
event, stored or not, so two racing commands are judged one after the other; its events get their seqs
and times and are encoded once. The committed state follows only what `committed` was told is stored:
it is what welcomes, snapshots and history reads show. One group is in flight at a time; a group whose
append fails is not undone here: the server stops (the log is the truth) and a restart loads the ledger
from the log.

`sender` is whatever the caller answers through (the server's session); the ledger only hands it back
with the replies.

When other servers append to the same log (a PostgreSQL store, docs/deploy.md), the caller hands their
events to `caught_up`: they are folded into the committed state, the decision state is rebuilt from it,
and the commands judged since the last commit are judged again in order against it (what another server
decided first may now refuse one: the unit it took is no longer available). An append that lost the race
is undone first with `untake`.

A command sent again (`"retry": true`: its client lost the connection before the answer) is not applied
twice: the events of a person's command carry its id (`cmd`), the ledger remembers for RETRY_WINDOW_S
which (actor, id) were stored, its own and other servers' (`caught_up`) and those in the log at load
(`remember`), and answers a retry of one of them with the original's ack marked `duplicate`.
"""
from __future__ import annotations

import json
from collections import OrderedDict
from dataclasses import dataclass
from typing import Callable, Hashable

import orjson

from anpr.watchlist import Entry, Watchlist

from dispatch.commands import Centre, Context, Rejected, decide
from dispatch.event_store import AuditRecord, StoredEvent
from dispatch.nearby import AvailableUnits, Nearby
from dispatch.domain import RESTRICTED_EVENTS
from dispatch.history import epoch, rfc3339
from dispatch.privacy import PERSONAL_EVENTS, carries_personal, public_event
from dispatch.procedures import DEFAULT_DISPOSITION_CODES
from dispatch.reducer import State, apply, copy_state

MAX_AUDITED_FRAME = 4000
# How long a stored command is remembered for a retry: a console fails over in seconds, and answers
# `disconnected` to what it could not resend within a minute (console/link.py).
RETRY_WINDOW_S = 600.0
# Feeds' commands (thousands of positions and plate reads a second) carry no id in their events and are
# not deduplicated: a position sent twice moves a unit where it already is.
UNREMEMBERED_ROLES = frozenset({"feed"})
# What a command creates, named in its ack, by the type of its first event.
CREATED_BY_EVENT = {"incident.created": "incident_id", "bookmark.added": "bookmark_id", "alarm.raised": "alarm_id",
                    "alarm.updated": "alarm_id", "case.reported": "case_id"}


def created_by(first_event: dict) -> tuple[str, str] | None:
    """What a command whose first event this is created, as its ack names it: (field, id), or None."""
    field = CREATED_BY_EVENT.get(first_event["type"])
    return None if field is None else (field, first_event["data"][field])


def ack_frame(cmd_id: str, seq: int, created: tuple[str, str] | None, duplicate: bool = False) -> bytes:
    return (b'{"op":"ack","id":' + orjson.dumps(cmd_id) + b',"seq":' + str(seq).encode()
            + (b"" if created is None else b',"' + created[0].encode() + b'":' + orjson.dumps(created[1]))
            + (b',"duplicate":true}' if duplicate else b"}"))


@dataclass(frozen=True)
class Stored:
    """A person's command stored in the log, as a retry of it is answered."""

    seq: int  # its last event's
    ts: str
    created: tuple[str, str] | None


def replies_frame(replies: list[bytes]) -> bytes:
    """The answer to a `cmds` frame (an addition to v1): every command's ack or nack, in order."""
    return b'{"op":"replies","replies":[' + b",".join(replies) + b"]}"


def public_frames_of(events: list[dict], frames: list[bytes]) -> list[bytes] | None:
    """The frames as readers without personal data see them; None when none of the events carries any."""
    public: list[bytes] | None = None
    for index, (event, frame) in enumerate(zip(events, frames)):
        if event["type"] in RESTRICTED_EVENTS or (event["type"] in PERSONAL_EVENTS and carries_personal(event["data"])):
            public = frames[:index] if public is None else public
            public.append(orjson.dumps(public_event(event)))
        elif public is not None:
            public.append(frame)
    return public


def nack_frame(cmd_id: str, rejection: Rejected) -> bytes:
    return orjson.dumps({"op": "nack", "id": cmd_id, "code": rejection.code, "message": rejection.message})


@dataclass(frozen=True)
class Command:
    """A command as it came, kept until it is stored: judged again if other servers' events came first."""

    sender: Hashable
    actor: str
    role: str
    msg: dict
    raw: str | None
    now: str


@dataclass
class Accepted:
    """A command judged and accepted: its events (seqs given, not yet stored) and their frames."""

    command: Command
    events: list[dict]
    frames: list[bytes]
    # The frames as readers without personal data see them, when any of the events carries some.
    public_frames: list[bytes] | None
    audit: AuditRecord
    created: tuple[str, str] | None = None  # what the command created, named in its ack: (field, id)
    # For a command of a `cmds` frame (set by whoever judges the frame): that frame's replies, in command
    # order, and this command's place in them. The frame's last accepted command sends them all, once
    # its events are out.
    frame_replies: list[bytes | None] | None = None
    slot: int = 0
    last_of_frame: bool = False

    @property
    def sender(self) -> Hashable:
        return self.command.sender

    @property
    def cmd_id(self) -> str:
        return self.command.msg["id"]


@dataclass
class CommitGroup:
    """What one append stores of a namespace: the accepted commands' events, and every audit row."""

    accepted: list[Accepted]
    audits: list[AuditRecord]
    stored: list[StoredEvent]
    events: list[dict]  # the same events as dicts, in seq order (what the keyframe writer folds)


@dataclass
class Publication:
    """What a committed group sends: its events to subscribers (in seq order), then the replies."""

    frames: list[bytes]
    # The events as readers without personal data see them: `frames` itself when none carries any.
    public_frames: list[bytes]
    # Per sender, in command order: acks, and a `cmds` frame's replies once its last accepted command is in.
    replies: dict[Hashable, list[bytes]]


class WatchlistIndex:
    """A namespace's watchlist as a matcher (anpr.watchlist.Watchlist), brought up to date when the state's
    watchlist changed: the entries added and removed since, one by one, never the whole list rebuilt (a
    city's is 100,000 entries)."""

    def __init__(self):
        self.seq: int | None = None
        self.records: dict[str, dict] = {}
        self.matcher = None

    def __call__(self, state: State):
        seq = watchlist_seq(state)
        if seq is None:
            return None  # no watchlist yet
        if seq != self.seq:
            self.matcher = self.matcher or Watchlist()
            current = state.get("watchlist", {})
            for entry_id in [e for e in self.records if e not in current]:
                self._remove(entry_id)
            for entry_id, record in current.items():
                if self.records.get(entry_id) is not record:  # records are values: a new one is a change
                    self._add(entry_id, record)
            self.seq = seq
        return self.matcher

    def resync(self, state: State) -> None:
        """Up to date with `state` whatever the index followed before (a state rebuilt, the events it had
        followed undone): compared entry by entry, changed entries only re-indexed."""
        self.seq = None
        self(state)

    def follow(self, state: State, event: dict, seq_before: int | None) -> None:
        """Keep up with one watchlist event just folded into `state`, whose watchlist seq was `seq_before`:
        that entry alone when the index was up to date with it, so a list loaded entry by entry (100,000 of
        them) is indexed as it comes, never walked whole on the next read."""
        if self.matcher is None or seq_before != self.seq:
            self(state)
            return
        entry_id = event["data"]["entry_id"]
        if entry_id in self.records:
            self._remove(entry_id)
        record = state.get("watchlist", {}).get(entry_id)
        if record is not None:
            self._add(entry_id, record)
        self.seq = watchlist_seq(state)

    def _add(self, entry_id: str, record: dict) -> None:
        self.matcher.add(Entry(entry_id, record["pattern"], record["category"], record["reason"], record["added_by"],
                               *(epoch(record[name]) if record[name] else None for name in ("valid_from", "valid_until"))))
        self.records[entry_id] = record

    def _remove(self, entry_id: str) -> None:
        self.matcher.remove(entry_id)
        del self.records[entry_id]


def watchlist_seq(state: State) -> int | None:
    """The seq of the state's last watchlist change (None: it never had a watchlist)."""
    return state.get("counters", {}).get("watchlist", {}).get("seq")


class Ledger:
    def __init__(self, name: str, state: State, seq: int, last_ts: str, *, centre: Centre,
                 grid_at: Callable[[float, float], str | None] = lambda lon, lat: None,
                 dispositions: frozenset[str] = DEFAULT_DISPOSITION_CODES, nearby: Nearby | None = None,
                 cells_of: Callable[[str], frozenset[str]] = lambda actor: frozenset()):
        """`state` after event `seq` (stamped `last_ts`, "" for none) becomes the decision state; the
        committed state starts as a copy of it. `cells_of` names a grid officer's cells (its users file
        entry, dispatch.users.Users.cells_of), read at each of its commands."""
        self.name = name
        self.decision_state = state
        self.committed_state = copy_state(state)
        self.seq = seq  # last seq handed out
        self.committed_seq = seq  # last seq stored
        # The last event time given: events are stamped no earlier, so event time never goes back (RFC 3339
        # strings of one format compare as the times they name).
        self.last_ts = last_ts
        self.centre = centre
        self.grid_at = grid_at
        self.dispositions = dispositions
        self.nearby = nearby  # the city's police stations and cameras, for alarms (None: a city without them)
        self.cells_of = cells_of
        self.watchlist = WatchlistIndex()  # follows the decision state's watchlist
        self.watchlist(state)  # indexed now, at load, not by the first read (seconds for a city's list)
        self.available_units = AvailableUnits()  # follows the decision state's units, for hits' nearest units
        self._accepted: list[Accepted] = []
        self._audits: list[AuditRecord] = []
        self._in_flight: CommitGroup | None = None
        self._stored: OrderedDict[tuple[str, str], Stored] = OrderedDict()  # (actor, cmd id): see `remember`

    @property
    def pending(self) -> bool:
        """Whether anything was judged since the last group was taken."""
        return bool(self._accepted or self._audits)

    def context(self, role: str, ts: str, actor: str = "") -> Context:
        """What the rules read beyond the state, for a command of `actor` in `role` whose events get time `ts`."""
        who = {"actor": actor, "actor_cells": self.cells_of(actor) if role == "grid" else frozenset()}
        if self.nearby is None:
            return Context(role, self.name, self.grid_at, ts, self.centre, self.dispositions, self.seq,
                           watchlist=self.watchlist, nearest_available=self.available_units.nearest, **who)
        return Context(role, self.name, self.grid_at, ts, self.centre, self.dispositions, self.seq,
                       nearest_station=self.nearby.station, cameras_near=self.nearby.cameras,
                       cameras_viewing=self.nearby.cameras_viewing, watchlist=self.watchlist,
                       nearest_available=self.available_units.nearest, **who)

    def judge(self, sender: Hashable, actor: str, role: str, msg: dict, raw: str | None, now: str) -> Accepted | bytes:
        """Decide one command (`msg` has a valid id): its events queued for the next group, or its nack.
        `raw` is the frame as received (the audit keeps refusals as they came); None for a command of a
        `cmds` frame. `now` is the caller's clock, RFC 3339 UTC with milliseconds."""
        return self._judge(Command(sender, actor, role, msg, raw, now))

    def _judge(self, command: Command) -> Accepted | bytes:
        actor, role, msg, now = command.actor, command.role, command.msg, command.now
        cmd_id = msg["id"]
        cmd, args = msg.get("cmd"), msg.get("args")
        remembered = role not in UNREMEMBERED_ROLES
        if msg.get("retry") is True and remembered:
            answer = self._retried(command)
            if answer is not None:
                return answer
        ts = max(now, self.last_ts)
        try:
            decided = decide(self.decision_state, cmd, args, self.context(role, ts, actor))
        except Rejected as rejection:
            return self.refuse(actor, role, msg, command.raw, rejection, now)
        events, frames = [], []
        for event_type, data in decided:
            self.seq += 1
            event = {"op": "event", "seq": self.seq, "ts": ts, "actor": actor, "type": event_type, "data": data}
            if remembered:
                event["cmd"] = cmd_id
            if event_type.startswith("watchlist."):
                seq_before = watchlist_seq(self.decision_state)
                apply(self.decision_state, event)
                self.watchlist.follow(self.decision_state, event, seq_before)
            else:
                apply(self.decision_state, event)
            events.append(event)
            frames.append(orjson.dumps(event))
        if events:
            self.last_ts = ts
        created = created_by(events[0]) if events else None
        # An accepted command is on record as its events (up to seq); only refusals keep the frame.
        audit = AuditRecord(ts, self.name, actor, role, cmd_id, cmd, None, "ack", None, None, self.seq)
        accepted = Accepted(command, events, frames, public_frames_of(events, frames), audit, created)
        self._accepted.append(accepted)
        self._audits.append(audit)
        return accepted

    def refuse(self, actor: str, role: str, msg: dict, raw: str | None, rejection: Rejected, now: str) -> bytes:
        """A command refused (by the rules, or by the caller: a rate limit, a bad read): its audit row
        and its nack."""
        cmd_id, cmd = msg["id"], msg.get("cmd")
        if raw is None:
            raw = json.dumps(msg, ensure_ascii=False)
        self._audits.append(AuditRecord(
            now, self.name, actor, role, cmd_id, cmd if isinstance(cmd, str) else repr(cmd)[:100],
            raw[:MAX_AUDITED_FRAME], "nack", rejection.code, rejection.message, None))
        return nack_frame(cmd_id, rejection)

    def _retried(self, command: Command) -> bytes | None:
        """A retry's answer when its first try was stored (the original's ack, marked `duplicate`) or is
        still waiting to be (a `conflict`: its effect comes with the state); None: judge it as new."""
        actor, cmd_id = command.actor, command.msg["id"]
        stored = self._stored.get((actor, cmd_id))
        if stored is not None:
            self._audits.append(AuditRecord(command.now, self.name, actor, command.role, cmd_id,
                                            str(command.msg.get("cmd"))[:100], None, "ack", "duplicate",
                                            f"a retry of the command stored up to seq {stored.seq}", stored.seq))
            return ack_frame(cmd_id, stored.seq, stored.created, duplicate=True)
        waiting = [*self._accepted, *(self._in_flight.accepted if self._in_flight is not None else ())]
        if any(a.command.actor == actor and a.cmd_id == cmd_id for a in waiting):
            return self.refuse(actor, command.role, command.msg, command.raw, Rejected(
                "conflict", "the first try of this command is being stored: its outcome comes with the events"),
                command.now)
        return None

    def remember(self, events: list[dict]) -> None:
        """Stored events (in seq order): the commands of people among them, for their retries. Commands
        stored before RETRY_WINDOW_S before the newest are forgotten."""
        first: dict | None = None
        for index, event in enumerate(events):
            cmd_id = event.get("cmd")
            if cmd_id is None:
                continue
            if first is None or (first["actor"], first["cmd"]) != (event["actor"], cmd_id):
                first = event
            following = events[index + 1] if index + 1 < len(events) else None
            if following is None or (following.get("actor"), following.get("cmd")) != (event["actor"], cmd_id):
                key = (event["actor"], cmd_id)
                self._stored.pop(key, None)  # kept in the order stored, for forgetting
                self._stored[key] = Stored(event["seq"], event["ts"], created_by(first))
        if self._stored:
            horizon = rfc3339(epoch(events[-1]["ts"]) - RETRY_WINDOW_S) if events else ""
            while self._stored and next(iter(self._stored.values())).ts < horizon:
                self._stored.popitem(last=False)

    def record_read(self, actor: str, role: str, cmd_id: str, cmd: str, now: str) -> None:
        """A read the caller answers (incident.history, history.*): its audit row."""
        self._audits.append(AuditRecord(now, self.name, actor, role, cmd_id, cmd, None, "ack", None, None, None))

    def take_group(self) -> CommitGroup | None:
        """The events and audit rows judged since the last group, to append in one transaction; None when
        there are none. The previous group must have been committed."""
        if self._in_flight is not None:
            raise RuntimeError(f"{self.name}: a group is taken before the previous one was committed")
        if not self.pending:
            return None
        accepted, self._accepted = self._accepted, []
        audits, self._audits = self._audits, []
        events = [e for a in accepted for e in a.events]
        stored = [StoredEvent(self.name, e["seq"], e["ts"], e["actor"], e["type"], f)
                  for a in accepted for e, f in zip(a.events, a.frames)]
        self._in_flight = CommitGroup(accepted, audits, stored, events)
        return self._in_flight

    def untake(self, group: CommitGroup) -> None:
        """The taken group was not stored (another server appended first): its commands and audit rows go
        back before what was judged since, for `caught_up` to judge again."""
        if group is not self._in_flight:
            raise RuntimeError(f"{self.name}: the group given back is not the one taken")
        self._in_flight = None
        self._accepted = group.accepted + self._accepted
        self._audits = group.audits + self._audits

    def caught_up(self, events: list[dict], frames: list[bytes]) -> Publication:
        """Other servers' events, stored right after `committed_seq` (their frames as stored): folded into the
        committed state, the decision state rebuilt from it, and every command not yet stored judged again,
        in order. What to send: those events, then the replies of commands now refused and of `cmds` frames
        now answered in full (the rest are acked when their new group is stored). No group may be in flight."""
        if self._in_flight is not None:
            raise RuntimeError(f"{self.name}: caught up while a group is being stored")
        if events[0]["seq"] != self.committed_seq + 1:
            raise ValueError(f"{self.name}: events from seq {events[0]['seq']} do not follow seq {self.committed_seq}")
        for event in events:
            apply(self.committed_state, event)
        self.remember(events)  # before judging again: a retry here of a command stored there is a duplicate
        self.committed_seq = self.seq = events[-1]["seq"]
        self.last_ts = max(self.last_ts, events[-1]["ts"])
        pending, self._accepted = self._accepted, []
        judged_again = {id(accepted.audit) for accepted in pending}
        self._audits = [audit for audit in self._audits if id(audit) not in judged_again]
        self.decision_state = copy_state(self.committed_state)
        self.watchlist.resync(self.decision_state)  # it followed events that are being judged again
        replies: dict[Hashable, list[bytes]] = {}
        last_of: dict[int, Accepted] = {}  # per `cmds` frame, its last command accepted again
        for old in pending:
            outcome = self._judge(old.command)
            if isinstance(outcome, bytes):
                if old.frame_replies is None:
                    replies.setdefault(old.sender, []).append(outcome)
                else:
                    old.frame_replies[old.slot] = outcome
            elif old.frame_replies is not None:
                outcome.frame_replies, outcome.slot = old.frame_replies, old.slot
                last_of[id(old.frame_replies)] = outcome
            if old.last_of_frame:  # the frame's commands are all judged again by now
                last = last_of.get(id(old.frame_replies))
                if last is None:
                    replies.setdefault(old.sender, []).append(replies_frame(old.frame_replies))
                else:
                    last.last_of_frame = True
        return Publication(frames, public_frames_of(events, frames) or frames, replies)

    def committed(self, group: CommitGroup) -> Publication | None:
        """`group` is stored: the committed state follows it; what to send (None for a group of audit
        rows alone). Each sender's events go out before its acks."""
        if group is not self._in_flight:
            raise RuntimeError(f"{self.name}: the group committed is not the one taken")
        self._in_flight = None
        if not group.accepted:
            return None
        frames: list[bytes] = []
        public: list[bytes] | None = None  # only once an event carries personal data
        for accepted in group.accepted:
            for event in accepted.events:
                apply(self.committed_state, event)
            if accepted.events:
                self.committed_seq = accepted.events[-1]["seq"]
            if accepted.public_frames is not None and public is None:
                public = list(frames)
            if public is not None:
                public.extend(accepted.public_frames or accepted.frames)
            frames.extend(accepted.frames)
        replies: dict[Hashable, list[bytes]] = {}
        self.remember([event for accepted in group.accepted for event in accepted.events])
        for accepted in group.accepted:
            ack = ack_frame(accepted.cmd_id, accepted.events[-1]["seq"] if accepted.events else self.committed_seq,
                            accepted.created)
            if accepted.frame_replies is not None:
                accepted.frame_replies[accepted.slot] = ack
                if not accepted.last_of_frame:
                    continue
                ack = replies_frame(accepted.frame_replies)
            replies.setdefault(accepted.sender, []).append(ack)
        return Publication(frames, frames if public is None else public, replies)
