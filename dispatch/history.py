"""Any instant of one namespace's log: the state at a seq, the seq at a time, the events of a span.

Replay, the server's history requests and after-action reports read the log through this one class. It
does no I/O of its own beyond its store and holds no thread: like the store, it belongs to one thread.
Times are epoch seconds (float); the log's own times are RFC 3339 UTC strings with milliseconds, which
sort as the times they name.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Iterable, Iterator

import orjson

from dispatch.reducer import State, apply, copy_state, empty_state
from dispatch.store import EventStore


def rfc3339(epoch_s: float) -> str:
    """The log's form of a time: UTC, milliseconds, `Z` (truncated, as the server writes them)."""
    whole = int(epoch_s // 1)
    millis = int(round((epoch_s - whole) * 1000))
    if millis == 1000:
        whole, millis = whole + 1, 0
    return datetime.fromtimestamp(whole, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S") + f".{millis:03d}Z"


def epoch(ts: str) -> float:
    return datetime.fromisoformat(ts.replace("Z", "+00:00")).timestamp()


def parse_instant(text: str) -> float:
    """A time a person typed (ISO 8601 / RFC 3339: `2026-12-02T08:00Z`, `2026-12-02 08:00+02:00`) as epoch
    seconds; without an offset it is this machine's local time, as the person at it reads a clock."""
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ValueError(f"not a time: {text!r} (write e.g. 2026-12-02T08:00:00Z or 2026-12-02 10:00)") from None
    return moment.timestamp()  # a naive datetime's timestamp() is taken in the local zone


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

    def bounds(self) -> Bounds:
        first, last = self.store.first_and_last(self.namespace)
        if first is None:
            return Bounds(0, 0, None, None)
        return Bounds(first[0], last[0], epoch(first[1]), epoch(last[1]))

    def seq_at(self, epoch_s: float) -> int:
        """The last seq whose event time is at or before `epoch_s` (0 before the first event)."""
        return self.store.seq_at_or_before(self.namespace, rfc3339(epoch_s))

    def state_at(self, seq: int) -> State:
        """The state just after event `seq`: the caller's own copy, to fold further or change."""
        snapshot = self.store.latest_snapshot(self.namespace, at_or_before=seq)
        if snapshot is None:
            start, state = 0, copy_state(self.initial_state) if self.initial_state is not None else empty_state()
        else:
            start, state = snapshot[0], orjson.loads(snapshot[1])
        for _, frame in self.store.iter_frames(self.namespace, start, seq):
            apply(state, orjson.loads(frame))
        return state

    def state_at_time(self, epoch_s: float) -> tuple[int, State]:
        seq = self.seq_at(epoch_s)
        return seq, self.state_at(seq)

    def events(self, after_seq: int, until_seq: int, types: Iterable[str] | None = None) -> Iterator[dict]:
        """The events with after_seq < seq <= until_seq in order, read in chunks (a day's log need not fit
        in memory); `types`: only events of these types."""
        for _, frame in self.store.iter_frames(self.namespace, after_seq, until_seq, types=types):
            yield orjson.loads(frame)
