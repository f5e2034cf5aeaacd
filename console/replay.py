"""A replay as the console's source of events: the state at the clock's instant, then the events as the
clock passes them, read from a copy of an event log (`LogReader`) or from a server's history
(`ServerReader`) on a thread of its own.

The window cannot tell a replay from the live link: a seek arrives as a welcome with the state of that
instant (as a reconnection without resume does), playing as batches of events. So every view that
follows the server follows a replay the same way, with the same reducer. A replay sends nothing.

Seeking forward within what is already read only releases events; anything else (back, or far ahead)
reads the state at the instant (keyframes make that one load and a short fold: dispatch/history.py).
Only the newest seek is served: a scrub asks many, the reader answers the last.
"""
from __future__ import annotations

import asyncio
import logging
import math
import queue
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Protocol

import orjson

from PySide6.QtCore import QObject, QTimer, Signal

from console.clock import ReplayClock
from console.link import CONNECTED, CONNECTING
from dispatch.history import History, epoch, rfc3339
from dispatch.store import EventStore, StoreError

log = logging.getLogger("onemap.replay")

READ_LIMIT = 5000  # events per read, as the server's history.events answers at most
SEEK_EVERY_S = 0.05
TRAILS_AFTER_MS = 300
TRAIL_S = 300.0  # a seek draws each unit's trail of the 5 minutes before the instant
LOOKAHEAD_REAL_S = 2.0  # read ahead of the clock what it plays in this many real seconds
LOOKAHEAD_MIN_S = 10.0
BUFFER_MAX = 20_000  # events read ahead at most (1000x plays ~50,000 a second of a big city's log)
# Events the timeline marks and the clock steps between (positions are too many to step through).
MARK_TYPES = ("incident.created", "incident.closed", "unit.assigned", "unit.status_changed",
              "camera.status_changed", "bookmark.added")
DENSITY_BUCKET_S = 60
ASK_TIMEOUT_S = 30.0  # a history read of a busy server's day can take seconds; longer is a server in trouble


class ReplayError(RuntimeError):
    """What keeps a replay from opening, in words for the person who asked for it."""


@dataclass(frozen=True)
class ReplayInfo:
    start: float
    end: float
    city: str | None
    user: str
    role: str
    namespace: str
    label: str  # what is replayed: the file or the server
    can_bookmark: bool  # bookmarks are events: only a replay through a server can add them


@dataclass
class Overview:
    """What the timeline shows of the whole span, read after the replay opened."""
    marks: list[tuple[float, str, str]] = field(default_factory=list)  # (time, "created"|"closed", incident)
    steps: list[float] = field(default_factory=list)  # times the clock steps between
    bookmarks: list[dict] = field(default_factory=list)
    density: tuple[float, int, list[str], list[list[int]]] | None = None  # start, bucket_s, types, counts


class Reader(Protocol):
    """Runs on the replay's thread; every call may block."""

    def open(self, start: float | None, end: float | None) -> ReplayInfo: ...
    def seq_at(self, instant: float) -> int: ...
    def state_at(self, instant: float) -> tuple[int, dict]: ...
    def events(self, after_seq: int, until: float, types: list[str] | None = None,
               limit: int = READ_LIMIT) -> list[dict]: ...
    def density(self, start: float, end: float, bucket_s: int) -> tuple[list[str], list[list[int]]]: ...
    def trails(self, seq: int, instant: float) -> dict[str, list[tuple[float, float]]]: ...
    def bookmarks(self) -> list[dict]: ...
    def add_bookmark(self, at: float, note: str) -> dict: ...
    def clone(self) -> "Reader": ...
    def close(self) -> None: ...


class LogReader:
    """A copy of an event log (`onemap replay --db`): no server, nobody to add a bookmark for."""

    def __init__(self, path: str | Path, namespace: str = "live"):
        self.path, self.namespace = Path(path), namespace
        self.history: History | None = None

    def open(self, start: float | None, end: float | None) -> ReplayInfo:
        if not self.path.is_file():
            raise ReplayError(f"no event log at {self.path}")
        try:
            self.history = History(EventStore(self.path), self.namespace)
        except StoreError as exc:
            raise ReplayError(str(exc)) from exc
        bounds = self.history.bounds()
        if bounds.first_ts is None:
            raise ReplayError(f"{self.path} holds no events of namespace {self.namespace}")
        start = bounds.first_ts if start is None else start
        end = bounds.last_ts if end is None else end
        return ReplayInfo(start, end, self.history.city(), "replay", "supervisor", self.namespace,
                          str(self.path), can_bookmark=False)

    def seq_at(self, instant: float) -> int:
        return self.history.seq_at(instant)

    def state_at(self, instant: float) -> tuple[int, dict]:
        return self.history.state_at_time(instant)

    def events(self, after_seq: int, until: float, types: list[str] | None = None,
               limit: int = READ_LIMIT) -> list[dict]:
        frames = self.history.store.frames_after(self.namespace, after_seq, limit, self.history.seq_at(until), types)
        return [orjson.loads(frame) for _, frame in frames]

    def density(self, start: float, end: float, bucket_s: int) -> tuple[list[str], list[list[int]]]:
        return self.history.density(start, end, bucket_s)

    def trails(self, seq: int, instant: float) -> dict[str, list[tuple[float, float]]]:
        return self.history.trails(self.history.seq_at(instant - TRAIL_S), seq)

    def bookmarks(self) -> list[dict]:
        last = self.history.bounds().last_seq
        return list(self.history.state_at(last).get("bookmarks", {}).values())

    def add_bookmark(self, at: float, note: str) -> dict:
        raise ReplayError("a replay of a file cannot add bookmarks: they are events of the server's log")

    def clone(self) -> "LogReader":
        return LogReader(self.path, self.namespace)

    def close(self) -> None:
        if self.history is not None:
            self.history.store.close()


class ServerReader:
    """A server's history (`onemap replay --server`), through the read-only history requests."""

    def __init__(self, url: str, token: str, namespace: str = "live"):
        self.url, self.token, self.namespace = url, token, namespace
        self._loop = asyncio.new_event_loop()
        self._client = None

    def _ask(self, cmd: str, args: dict) -> dict:
        from dispatch.client import Disconnected

        try:
            reply = self._loop.run_until_complete(self._client.command(cmd, timeout=ASK_TIMEOUT_S, **args))
        except (Disconnected, asyncio.TimeoutError, OSError) as exc:
            raise ReplayError(f"the server {self.url} did not answer {cmd}: {exc}") from exc
        if reply.get("op") != "ack":
            raise ReplayError(f"the server refused {cmd}: {reply.get('code')}: {reply.get('message')}")
        return reply

    def open(self, start: float | None, end: float | None) -> ReplayInfo:
        from dispatch.client import DispatchClient, Refused

        try:
            self._client = self._loop.run_until_complete(DispatchClient.connect(
                self.url, self.token, namespace=self.namespace, subscribe=False, keep_state=False))
        except Refused as exc:
            raise ReplayError(f"the server refused the replay: {exc.code}: {exc.message}") from exc
        except (OSError, asyncio.TimeoutError) as exc:
            raise ReplayError(f"cannot reach the server {self.url}: {exc}") from exc
        welcome = self._client.welcome
        bounds = self._ask("history.bounds", {})
        if bounds["first_ts"] is None:
            raise ReplayError(f"the server's {self.namespace} has no events yet")
        start = epoch(bounds["first_ts"]) if start is None else start
        end = epoch(bounds["last_ts"]) if end is None else end
        return ReplayInfo(start, end, welcome.get("city"), welcome["user"], welcome["role"], self.namespace,
                          self.url, can_bookmark=True)

    def seq_at(self, instant: float) -> int:
        return self._ask("history.seq", {"at": rfc3339(instant)})["seq"]

    def state_at(self, instant: float) -> tuple[int, dict]:
        reply = self._ask("history.state", {"at": rfc3339(instant)})
        return reply["seq"], reply["state"]

    def events(self, after_seq: int, until: float, types: list[str] | None = None,
               limit: int = READ_LIMIT) -> list[dict]:
        args: dict[str, Any] = {"after_seq": after_seq, "until": rfc3339(until), "limit": limit}
        if types is not None:
            args["types"] = list(types)
        return self._ask("history.events", args)["events"]

    def density(self, start: float, end: float, bucket_s: int) -> tuple[list[str], list[list[int]]]:
        reply = self._ask("history.density", {"from": rfc3339(start), "to": rfc3339(end), "bucket_s": bucket_s})
        return reply["types"], reply["counts"]

    def trails(self, seq: int, instant: float) -> dict[str, list[tuple[float, float]]]:
        trails: dict[str, list[tuple[float, float]]] = {}
        for event in self.events_through(self.seq_at(instant - TRAIL_S), seq, ["unit.moved"]):
            data = event["data"]
            trails.setdefault(data["unit_id"], []).append((data["lon"], data["lat"]))
        return trails

    def events_through(self, after_seq: int, until_seq: int, types=None) -> Iterator[dict]:
        """Every event after_seq < seq <= until_seq (of these types), asked for a page at a time."""
        while after_seq < until_seq:
            args: dict[str, Any] = {"after_seq": after_seq, "until_seq": until_seq, "limit": READ_LIMIT}
            if types is not None:
                args["types"] = list(types)
            reply = self._ask("history.events", args)
            yield from reply["events"]
            if not reply["more"]:
                return
            after_seq = reply["seq"]

    def state_of(self, seq: int) -> dict:
        """The state just after event `seq`."""
        return self._ask("history.state", {"seq": seq})["state"]

    def last_seq(self) -> int:
        return self._ask("history.bounds", {})["last_seq"]

    def bookmarks(self) -> list[dict]:
        bounds = self._ask("history.bounds", {})
        state = self._ask("history.state", {"seq": bounds["last_seq"]})["state"]
        return list(state.get("bookmarks", {}).values())

    def add_bookmark(self, at: float, note: str) -> dict:
        return self._ask("bookmark.add", {"at": rfc3339(at), "note": note})

    def clone(self) -> "ServerReader":
        return ServerReader(self.url, self.token, self.namespace)

    def close(self) -> None:
        if self._client is not None:
            self._loop.run_until_complete(self._client.close())
        self._loop.close()


class ServerHistory:
    """A server's history as the after-action report reads a log (reports.export.LogSource), through an
    opened ServerReader of its own (it belongs to the thread that writes the report)."""

    def __init__(self, reader: ServerReader, city: str | None):
        self.reader, self._city = reader, city

    def city(self) -> str | None:
        return self._city

    def seq_at(self, epoch_s: float) -> int:
        return self.reader.seq_at(epoch_s)

    def state_at(self, seq: int) -> dict:
        return self.reader.state_of(seq)

    def last_seq(self) -> int:
        return self.reader.last_seq()

    def events(self, after_seq: int, until_seq: int, types=None) -> Iterator[dict]:
        return self.reader.events_through(after_seq, until_seq, types)


def overview(reader: Reader, info: ReplayInfo) -> Overview:
    """The span's marks, steps, bookmarks and event density, for the timeline and the clock."""
    out = Overview()
    after = reader.seq_at(info.start)
    while True:
        events = reader.events(after, info.end, list(MARK_TYPES))
        for event in events:
            at = epoch(event["ts"])
            out.steps.append(at)
            if event["type"] == "incident.created":
                out.marks.append((at, "created", event["data"]["incident_id"]))
            elif event["type"] == "incident.closed":
                out.marks.append((at, "closed", event["data"]["incident_id"]))
        if len(events) < READ_LIMIT:
            break
        after = events[-1]["seq"]
    out.bookmarks = [b for b in reader.bookmarks() if info.start <= epoch(b["at"]) <= info.end]
    out.steps = sorted(set(out.steps) | {epoch(b["at"]) for b in out.bookmarks})
    # A span of one instant (a log of one event so far) still has its one bucket.
    types, counts = reader.density(info.start, max(info.end, info.start + 0.001), DENSITY_BUCKET_S)
    out.density = (info.start, DENSITY_BUCKET_S, types, counts)
    return out


class ReplaySource(QObject):
    """The window's source of events for a replay: the same signals as console.link.ServerLink."""

    stateChanged = Signal(str, str)
    welcomed = Signal(object)
    eventsReceived = Signal(object)
    replied = Signal(str, object)
    opened = Signal(object)  # ReplayInfo
    overviewRead = Signal(object)  # Overview
    trailsRead = Signal(object)  # unit_id -> [(lon, lat), ...] oldest first, after a seek
    failed = Signal(str)  # the reader could not go on: in words
    read_only = True

    # from the reader's thread
    _opened = Signal(object)
    _state = Signal(int, int, float, object)  # generation, seq, instant, state
    _read = Signal(int, object, float, bool)  # generation, [(time, event)], read until, more to read
    _trails = Signal(int, object)

    def __init__(self, reader: Reader, clock: ReplayClock, start: float | None = None, end: float | None = None,
                 parent: QObject | None = None):
        super().__init__(parent)
        self.reader, self.clock = reader, clock
        self.span = (start, end)
        self.info: ReplayInfo | None = None
        self.url = getattr(reader, "url", None) or str(getattr(reader, "path", "replay"))
        self.state = CONNECTING
        # Two readers, each on a thread of its own: one serves seeks and plays, the other reads the
        # span's overview and adds bookmarks (reading a day's marks takes seconds: seeks must not wait).
        self._requests: queue.Queue = queue.Queue()
        self._thread = threading.Thread(target=self._run, args=(reader, self._requests), name="replay-reader",
                                        daemon=True)
        self._survey: queue.Queue = queue.Queue()
        self._surveyor: threading.Thread | None = None
        self._generation = 0
        self._seq = 0  # the last event handed to the window
        self._shown = 0.0  # the instant the window shows
        self._buffer: deque[tuple[float, dict]] = deque()
        self._read_seq = 0  # the last event read into the buffer
        self._read_until: float | None = None  # the buffer holds every event up to this instant; None: seeking
        self._reading = False
        # Trails are read once the seeks pause for TRAILS_AFTER_MS: they take a reader 50 ms that a scrub
        # needs for its states, and the window's frames need the Python lock they would hold.
        # One state asked for at a time, and during a scrub at most one every SEEK_EVERY_S: a scrub's 60
        # seeks a second kept the reader on the Python lock the window draws with; 20 states a second
        # are a smooth drag. A seek with none in flight is asked for at once.
        self._asked_at = -math.inf
        self._seek_due = 0.0
        self._in_flight = False  # a state asked for and not in yet
        self._newer_sought = False  # an instant sought since it was asked for
        self._seek_timer = QTimer(self, singleShot=True)
        self._seek_timer.timeout.connect(self._ask_state)
        self._trails_due: tuple[int, float] | None = None
        self._trails_timer = QTimer(self, singleShot=True, interval=TRAILS_AFTER_MS)
        self._trails_timer.timeout.connect(
            lambda: self._requests.put(("trails", self._generation, self._trails_due)))
        self._opened.connect(self._on_opened)
        self._state.connect(self._on_state)
        self._read.connect(self._on_read)
        self._trails.connect(lambda generation, trails: generation == self._generation and self.trailsRead.emit(trails))

    # ---- the window's side (GUI thread) ----------------------------------------------------------

    def start(self) -> None:
        # Connected here, when the window has connected its own: it hears of a seek before the events
        # the seek hands over.
        self.clock.jumped.connect(self._seek)
        self.clock.ticked.connect(self._release)
        self._thread.start()
        self._requests.put(("open", 0, None))

    def stop(self) -> None:
        for thread, requests in ((self._thread, self._requests), (self._surveyor, self._survey)):
            if thread is not None and thread.is_alive():
                requests.put(("stop", 0, None))
                thread.join(timeout=5)

    def send(self, cmd: str, args: dict) -> None:
        """A replay sends nothing: the window keeps its command controls away from it."""
        return None

    def add_bookmark(self, at: float, note: str) -> None:
        self._survey.put(("bookmark", 0, (at, note)))

    def _on_opened(self, info) -> None:
        if isinstance(info, str):  # it did not open: the replay window says why (it is no lost link)
            self.failed.emit(info)
            return
        self.info = info
        self.clock.set_span(info.start, info.end)  # a jump: the first seek
        self.state = CONNECTED
        self.opened.emit(info)
        self.stateChanged.emit(CONNECTED, f"{info.user} ({info.role})")
        self._surveyor = threading.Thread(target=self._run, args=(self.reader.clone(), self._survey),
                                          name="replay-overview", daemon=True)
        self._surveyor.start()
        self._survey.put(("attach", 0, None))
        self._survey.put(("overview", 0, None))

    def _seek(self, instant: float) -> None:
        if self.info is None:
            return
        if self._read_until is not None and self._shown <= instant <= self._read_until:
            self._release(instant)  # forward within what is read: only hand over events
            return
        self._buffer.clear()
        self._read_until = None  # nothing is handed over or read until the state of the instant is in
        self._reading = False
        self._seek_due = instant
        if self._in_flight or self._seek_timer.isActive():  # a scrub: the newest instant is asked for next
            self._newer_sought = True
            return
        self._ask_state()

    def _ask_state(self) -> None:
        """Ask for the state of the newest instant sought; what was asked or read before is dropped."""
        self._generation += 1
        self._asked_at = time.monotonic()
        self._in_flight, self._newer_sought = True, False
        self._requests.put(("state", self._generation, self._seek_due))

    def _on_state(self, generation: int, seq: int, instant: float, state: dict) -> None:
        if generation != self._generation:
            return
        self._in_flight = False
        self._seq = self._read_seq = seq
        self._shown = instant
        self.welcomed.emit({"op": "welcome", "user": self.info.user, "role": self.info.role,
                            "namespace": self.info.namespace, "city": self.info.city, "seq": seq,
                            "snapshot": state})
        if self._newer_sought:  # the scrub went on: this instant is shown, the newest is asked for next
            self._seek_timer.start(max(0, math.ceil((SEEK_EVERY_S - (time.monotonic() - self._asked_at)) * 1000)))
            return
        self._read_until = instant
        self._trails_due = (seq, instant)
        self._trails_timer.start()  # again: while seeks keep coming (a scrub), no trails are read
        self._release(self.clock.now())

    def _release(self, instant: float) -> None:
        """Hand the window every read event up to `instant`, and read on ahead of the clock."""
        if self._read_until is None:
            return
        if instant < self._shown:  # the clock went back (a loop): only a seek can show that
            self._seek(instant)
            return
        batch = []
        while self._buffer and self._buffer[0][0] <= instant:
            batch.append(self._buffer.popleft()[1])
        self._shown = min(instant, self._read_until)
        if batch:
            self._seq = batch[-1]["seq"]
            self.eventsReceived.emit(batch)
        ahead = max(LOOKAHEAD_MIN_S, self.clock.speed * LOOKAHEAD_REAL_S)
        if (not self._reading and len(self._buffer) < BUFFER_MAX
                and self._read_until < min(self.clock.end, instant + ahead)):
            self._reading = True
            self._requests.put(("read", self._generation, (self._read_seq, min(self.clock.end, instant + 2 * ahead))))

    def _on_read(self, generation: int, timed: list, until: float, more: bool) -> None:
        if generation != self._generation or self._read_until is None:  # a seek came since it was asked for
            return
        self._reading = False
        self._buffer.extend(timed)
        if timed:
            self._read_seq = timed[-1][1]["seq"]
        # When the read stopped at its limit, events of its last instant may be left: read again from there.
        self._read_until = (timed[-1][0] - 1e-6) if more and timed else until
        self._release(self.clock.now())

    # ---- the reader's thread ----------------------------------------------------------------------

    def _run(self, reader: Reader, requests: queue.Queue) -> None:
        try:
            while True:
                pending = [requests.get()]
                while True:  # take what else is waiting: only the newest generation's requests count
                    try:
                        pending.append(requests.get_nowait())
                    except queue.Empty:
                        break
                if any(kind == "stop" for kind, _, _ in pending):
                    return
                newest = max(generation for _, generation, _ in pending)
                states = [r for r in pending if r[0] == "state" and r[1] == newest]
                for request in pending:
                    kind, generation, args = request
                    if kind == "state" and request is not states[-1]:
                        continue  # a later seek of the same scrub replaces it
                    if kind in ("state", "read", "trails") and generation < newest:
                        continue
                    self._serve(reader, kind, generation, args)
        finally:
            try:
                reader.close()
            except Exception:  # closing what failed to open
                log.debug("closing the replay's reader", exc_info=True)

    def _serve(self, reader: Reader, kind: str, generation: int, args) -> None:
        try:
            if kind == "open":
                self._opened.emit(reader.open(*self.span))
            elif kind == "attach":  # the overview's reader, on the span the first one opened
                reader.open(self.info.start, self.info.end)
            elif kind == "state":
                seq, state = reader.state_at(args)
                self._state.emit(generation, seq, args, state)
            elif kind == "trails":
                self._trails.emit(generation, reader.trails(*args))
            elif kind == "read":
                after, until = args
                events = reader.events(after, until)
                self._read.emit(generation, [(epoch(e["ts"]), e) for e in events], until,
                                len(events) == READ_LIMIT)
            elif kind == "overview":
                self.overviewRead.emit(overview(reader, self.info))
            elif kind == "bookmark":
                reader.add_bookmark(*args)
                self.overviewRead.emit(overview(reader, self.info))
        except ReplayError as exc:
            self._fail(kind, str(exc))
        except Exception as exc:  # whatever a log or a server does, the console stays up and says so
            log.exception("replay %s failed", kind)
            self._fail(kind, f"{type(exc).__name__}: {exc}")

    def _fail(self, kind: str, words: str) -> None:
        if kind == "open":
            self._opened.emit(words)
        else:
            self.failed.emit(words)
