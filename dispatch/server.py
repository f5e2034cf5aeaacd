"""The dispatch server: protocol v1 over websockets (docs/protocol.md).

The path of a command: a connection's reader parses it and its namespace's ledger (dispatch/ledger.py)
judges it against the decision state (which already holds every accepted event, stored or not, so two
racing commands are judged one after the other), gives its events their seqs and encodes them once. The
committer takes every ledger's group and stores them in one transaction on the store's own thread (group
commit); once on disk, each ledger applies its group to the committed state and the server sends the
events to every subscriber of their namespace in seq order, then the acks. Batch consoles get one frame
per namespace per tick, encoded once and written to each of them without waiting; v1 clients get one
frame per event, written the same way. A `cmds` frame's commands are judged one by one like single
commands; one `replies` frame answers them where the last accepted one's ack would have gone. A
connection's frames of one moment (a batch frame and the acks after it, a group's acks) leave in one
socket write. Nothing waits on a slow console: one whose unsent data grows past the limit is closed with
4408 and resumes from its last seq.
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import ssl as ssl_module
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import orjson
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response
from websockets.protocol import OPEN

from dispatch.commands import Centre, Rejected, history_read, history_seqs
from dispatch.domain import HISTORY_READS, LIVE, PERSONAL_DATA_ROLES, READ_COMMANDS, is_history, valid_namespace
from dispatch.event_store import EventStoreProtocol, SeqConflict, StoreError, StoreFactory
from dispatch.history import History, epoch, rfc3339
from dispatch.keyframes import KeyframeWriter
from dispatch.ledger import RETRY_WINDOW_S, Accepted, Ledger, Publication, nack_frame, replies_frame
from dispatch.nearby import Nearby
from dispatch.privacy import public_frame, public_state
from dispatch.procedures import DEFAULT_DISPOSITION_CODES
from dispatch.reducer import State, copy_state
from dispatch.retention import DEFAULT_PLATE_RETENTION_DAYS, purge_every_s, purge_reads
from dispatch.users import User, UsersError, UsersFile

log = logging.getLogger("onemap.server")

MAX_FRAME = 64 * 1024
HELLO_TIMEOUT_S = 10.0
USERS_POLL_S = 1.0  # how often the users file is checked for changes (added or revoked users)
CHECKPOINT_EVERY_S = 1.0
COMMIT_MIN_INTERVAL_S = 0.005
# On a shared log (several servers, docs/deploy.md), how often the committer reads what the others stored:
# the most their events wait before this server's consoles see them (one indexed read a namespace).
FOLLOW_S = 0.02
RESUME_AHEAD_WAIT_S = 2.0  # how long a resume past this server's last seq waits for it (several servers)
# A restart reads back people's commands for their retries from at most this many of the last events (at
# 6,000 events a second the last 17 s; in a quieter hour, the ledger's whole RETRY_WINDOW_S).
RETRY_LOOKBACK_EVENTS = 100_000
COMMAND_MARK = b'"cmd":'  # in the frame of a person's command's event (only those are parsed at load)
BATCH_MAX_EVENTS = 1000
BATCH_MAX_COMMANDS = 1000
# Under load (above BUSY_EPS events a second) a namespace sends at most one batch frame per
# BATCH_INTERVAL_S and commits at most one group per COMMIT_MIN_INTERVAL_S: frames cost both ends far
# more than the bytes in them, and fsyncs on a busy disk stall. Below it, latency comes first.
BUSY_EPS = 2000.0
BATCH_INTERVAL_S = 0.010
BATCH_INTERVAL_IDLE_S = 0.002
CLOSE_BAD_REQUEST = 4400
CLOSE_UNAUTHORIZED = 4401
CLOSE_TOO_SLOW = 4408
# An alarm nobody acknowledged within this many seconds is overdue: every console alerts again, louder, and
# supervisors are told. Sent in the welcome, so every console agrees (docs/protocol.md).
DEFAULT_REALERT_S = 60.0


@dataclass(frozen=True)
class Limits:
    """Per-connection command rates (sustained per second, burst) by role, and the slow-consumer cut-off."""

    rates: dict[str, tuple[float, float]] = field(default_factory=lambda: {
        "viewer": (20.0, 40.0),
        "dispatcher": (200.0, 1000.0),
        "supervisor": (200.0, 1000.0),
        "trainer": (2000.0, 4000.0),
        "feed": (2000.0, 4000.0),
        "grid": (20.0, 40.0),  # a grid officer's phone: reports and verifications, by hand
    })
    max_buffered_bytes: int = 8 * 1024 * 1024  # unsent bytes per session (about 40,000 positions)


_second: tuple[int, str] = (-1, "")
wall_clock = time.time  # the one clock events are stamped by (tests step it back)


def rfc3339_now() -> str:
    """UTC now with milliseconds; the part up to the second is formatted once a second."""
    global _second
    now = wall_clock()
    whole = int(now)
    if whole != _second[0]:
        _second = (whole, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole)))
    return f"{_second[1]}.{int((now - whole) * 1000):03d}Z"


def parse_frame(raw: str | bytes) -> Any:
    """JSON of a frame. Non-finite numbers (NaN, Infinity, 1e400) are let through to be refused by
    field, so a command carrying one gets a nack with its id rather than an anonymous error."""
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return json.loads(raw)


class _TokenBucket:
    __slots__ = ("rate", "burst", "tokens", "stamp")

    def __init__(self, rate: float, burst: float):
        self.rate, self.burst, self.tokens, self.stamp = rate, burst, burst, time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False


class RateMeter:
    """Events a second over the last complete window of WINDOW_S: the load a namespace or the committer
    is under, steady enough that one burst after a quiet moment does not count as busy."""

    WINDOW_S = 0.1

    def __init__(self) -> None:
        self.rate = 0.0
        self._window_start = 0.0
        self._count = 0

    def add(self, events: int, now: float) -> None:
        elapsed = now - self._window_start
        if elapsed >= self.WINDOW_S:
            self.rate = self._count / elapsed
            self._window_start, self._count = now, 0
        self._count += events


class Session:
    """One connection after its hello: who it is, where it listens, and how frames reach it.

    Every session is written to directly, never awaited: a batch session (hello `"batch": true`) gets
    the one batch frame per tick that its namespace encodes for all its batch sessions, its replies
    after the frame that carries their events; a v1 session gets one frame per event as the events are
    stored, each reply after its events.
    """

    def __init__(self, ws: ServerConnection, user: str, role: str, namespace: "Namespace",
                 batch: bool, subscribe: bool, limits: Limits):
        self.ws = ws
        self.user = user
        self.role = role
        self.sees_personal = role in PERSONAL_DATA_ROLES  # else it gets the public copy of every frame
        self.namespace = namespace
        self.batch = batch
        self.subscribe = subscribe
        self.bucket = _TokenBucket(*limits.rates[role])
        self.max_buffered_bytes = limits.max_buffered_bytes
        self.dropped = False
        # Frames held back until the welcome and any history are out.
        self.catching_up = True
        self.backlog: list[bytes] = []
        self.backlog_bytes = 0

    def write(self, *frames: bytes) -> None:
        """Write now, straight to the socket's buffer, or hold while catching up. Every frame of a
        session goes this one way, so events and acks leave in the order they were written; frames
        written together leave in one socket write (per frame, the system call costs more than the rest
        of the fan-out). Too much unsent means too slow."""
        if self.dropped or not frames:
            return
        if self.catching_up:
            self.backlog.extend(frames)
            self.backlog_bytes += sum(map(len, frames))
            if self.backlog_bytes > self.max_buffered_bytes:
                self.drop(CLOSE_TOO_SLOW, "too slow to keep up; reconnect with resume_from")
            return
        if self.ws.transport.get_write_buffer_size() > self.max_buffered_bytes:
            self.drop(CLOSE_TOO_SLOW, "too slow to keep up; reconnect with resume_from")
            return
        protocol = self.ws.protocol
        if protocol.state is not OPEN:  # closing: what it has not received, it resumes
            return
        for frame in frames:
            protocol.send_text(frame)
        self.ws.transport.write(b"".join(protocol.data_to_send()))

    def revoke(self, message: str) -> None:
        """The user's token no longer holds: an `error` frame, ahead of anything held back, then 4401."""
        protocol = self.ws.protocol
        if not self.dropped and protocol.state is OPEN:
            protocol.send_text(_error("unauthorized", message))
            self.ws.transport.write(b"".join(protocol.data_to_send()))
        self.drop(CLOSE_UNAUTHORIZED, message)

    def go_live(self) -> None:
        self.catching_up = False
        backlog, self.backlog, self.backlog_bytes = self.backlog, [], 0
        self.write(*backlog)

    def drop(self, code: int, reason: str) -> None:
        log.warning("closing %s (%s, %s): %s (%d)", self.user, self.role, self.namespace.name, reason, code)
        self.dropped = True
        self.backlog.clear()
        self.namespace.sessions.discard(self)
        asyncio.ensure_future(self.ws.close(code, reason))


def events_frame(event_frames: list[bytes]) -> bytes:
    """The batch frame (an addition to v1 that a client asks for with `"batch": true` in its hello)."""
    return b'{"op":"events","events":[' + b",".join(event_frames) + b"]}"


def events_frames(event_frames: list[bytes]) -> list[bytes]:
    return [events_frame(event_frames[i:i + BATCH_MAX_EVENTS])
            for i in range(0, len(event_frames), BATCH_MAX_EVENTS)]


class Namespace:
    """A namespace as served: its ledger, its keyframe writer, its subscribers and what waits for their
    next batch frame."""

    def __init__(self, ledger: Ledger, keyframes: KeyframeWriter):
        self.name = ledger.name
        self.ledger = ledger
        self.keyframes = keyframes  # belongs to the store thread: folds what is stored, writes keyframes
        self.sessions: set[Session] = set()
        self._snapshot_cache: tuple[int, bytes] | None = None
        self._public_snapshot_cache: tuple[int, bytes] | None = None
        # events and acks waiting for the next batch frame of this namespace
        self.pending: list[bytes] = []
        # the same events as readers without personal data see them; None while no pending event has any
        self.pending_public: list[bytes] | None = None
        self.replies: dict[Session, list[bytes]] = {}  # acks per batch session, in command order
        self.flush_handle: asyncio.TimerHandle | None = None
        self.last_flush = 0.0
        self.published = RateMeter()

    def snapshot_json(self) -> bytes:
        seq = self.ledger.committed_seq
        if self._snapshot_cache is None or self._snapshot_cache[0] != seq:
            self._snapshot_cache = (seq, orjson.dumps(self.ledger.committed_state))
        return self._snapshot_cache[1]

    def public_snapshot_json(self) -> bytes:
        seq = self.ledger.committed_seq
        if self._public_snapshot_cache is None or self._public_snapshot_cache[0] != seq:
            self._public_snapshot_cache = (seq, orjson.dumps(public_state(self.ledger.committed_state)))
        return self._public_snapshot_cache[1]


class FatalStoreError(RuntimeError):
    pass


class DispatchServer:
    """Run with `await server.start(...)` and `await server.stop()`; `wait_stopped()` returns when it stopped
    and raises if the store failed."""

    def __init__(self, open_store: StoreFactory, users_file: str | Path, initial_state: State,
                 grid_at: Callable[[float, float], str | None] = lambda lon, lat: None,
                 limits: Limits | None = None, city_name: str | None = None,
                 dispositions: frozenset[str] = DEFAULT_DISPOSITION_CODES, *, centre: Centre,
                 nearby: Nearby | None = None, realert_s: float = DEFAULT_REALERT_S,
                 plate_retention_days: float = DEFAULT_PLATE_RETENTION_DAYS):
        """`open_store` opens the event store (e.g. `functools.partial(dispatch.store.EventStore, path)`);
        it is called on the store thread at start, twice: the writer's store, then the history reads'.
        `users_file` is read now (a broken one stops the start) and followed while serving.
        `centre` names the incidents it numbers (dispatch.city_state.centre_of gives a city pack's);
        `nearby` finds an alarm's police station and cameras (dispatch.nearby.Nearby.of_city); `realert_s`
        is when an unacknowledged alarm becomes overdue, told to every console in its welcome;
        `plate_retention_days` how long a plate read that hit nothing is kept (dispatch/retention.py)."""
        self.open_store = open_store
        self.city_name = city_name
        self.centre = centre
        self.users_file = UsersFile(users_file)
        self._sessions: dict[Session, User] = {}  # every connection past its hello, and who it is
        self._users_watch: asyncio.Task | None = None
        self.initial_state = initial_state
        self.grid_at = grid_at
        self.dispositions = dispositions
        self.nearby = nearby
        self.realert_s = float(realert_s)
        self.plate_retention_s = float(plate_retention_days) * 86_400
        self._purger: asyncio.Task | None = None
        self.limits = limits or Limits()
        self._store: EventStoreProtocol | None = None
        self._store_errors: tuple[type[Exception], ...] = ()  # what the store raises when it fails
        self._store_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="event-store")
        # History reads (replays) on a connection and thread of their own: they never wait for commits,
        # nor commits for them.
        self._history_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="history")
        self._histories: dict[str, History] = {}
        self._history_store: EventStoreProtocol | None = None
        self._checkpoint_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="checkpoint")
        self._checkpointer: asyncio.Task | None = None
        self._namespaces: dict[str, Namespace] = {}
        self._loading: dict[str, asyncio.Future] = {}
        self._work = asyncio.Event()  # a ledger has something to commit
        self._committer: asyncio.Task | None = None
        self._closing = False  # the committer stores what is judged, then ends
        self._server: Server | None = None
        self._failed: BaseException | None = None
        self._stopped = asyncio.Event()

    # ---- life cycle ----------------------------------------------------------------------------

    async def _in_store(self, fn, *args):
        return await asyncio.get_running_loop().run_in_executor(self._store_thread, fn, *args)

    def _record_city(self) -> None:
        """Runs on the store thread: the log names its city pack, so a copy of it replays with no server.
        The first city stays: the log's keyframe at seq 0 is that city's."""
        recorded = self._store.meta("city")
        if recorded is None:
            self._store.set_meta("city", self.city_name)
        elif recorded != self.city_name:
            log.warning("the event log was written with city %s; this server runs %s", recorded, self.city_name)

    async def start(self, host: str = "127.0.0.1", port: int = 8765,
                    ssl: ssl_module.SSLContext | None = None) -> tuple[str, int]:
        self._store = await self._in_store(self.open_store)
        self._store_errors = self._store.errors
        if self.city_name is not None:
            await self._in_store(self._record_city)
        # The history thread's own store, opened once the log is ready (its schema in place).
        self._history_store = await self._in_store(self.open_store)
        await self._namespace(LIVE)
        self._committer = asyncio.create_task(self._commit_loop(), name="committer")
        self._checkpointer = asyncio.create_task(self._checkpoint_loop(), name="checkpointer")
        self._users_watch = asyncio.create_task(self._users_watch_loop(), name="users-watch")
        self._purger = asyncio.create_task(self._retention_loop(), name="retention")
        self._server = await serve(
            self._handle, host, port, max_size=MAX_FRAME, compression=None,
            process_request=_only_ws_path, ssl=ssl, write_limit=256 * 1024,
        )
        sock = self._server.sockets[0].getsockname()
        return sock[0], sock[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        for task in (self._checkpointer, self._users_watch, self._purger):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        if self._committer is not None:
            # Not cancelled: a group being stored is published and folded into the keyframe writers like
            # any other, then what was judged after it is stored, then the committer ends (it already has
            # if the store failed).
            self._closing = True
            self._work.set()
            await self._committer
        if self._store is not None:
            if self._failed is None:  # the next start-up folds nothing
                for ns in self._namespaces.values():
                    await self._in_store(ns.keyframes.write_or_log)
            await asyncio.get_running_loop().run_in_executor(self._checkpoint_thread, self._store.close_checkpointer)
            await self._in_store(self._store.close)
        self._history_thread.shutdown(wait=True)
        if self._history_store is not None:
            self._history_store.close()
        self._checkpoint_thread.shutdown(wait=True)
        self._store_thread.shutdown(wait=True)
        self._stopped.set()

    async def wait_stopped(self) -> None:
        """Returns when the server stopped; raises if it stopped because the store failed."""
        await self._stopped.wait()
        if self._failed is not None:
            raise FatalStoreError(f"event store failed: {self._failed}") from self._failed

    # ---- namespaces ----------------------------------------------------------------------------

    async def _namespace(self, name: str) -> Namespace:
        if name in self._namespaces:
            return self._namespaces[name]
        if name not in self._loading:
            self._loading[name] = asyncio.ensure_future(self._in_store(self._load_namespace, name))
        ns = await self._loading[name]
        self._namespaces.setdefault(name, ns)
        self._loading.pop(name, None)
        return self._namespaces[name]

    def _load_namespace(self, name: str) -> Namespace:
        """Runs on the store thread: the latest keyframe, then every event after it. A namespace seen for
        the first time gets its keyframe at seq 0 (the initial state), so a copy of the log replays
        without the city pack; one whose latest keyframe is far behind (a log from before keyframes) gets
        one now, so the next start-up folds little."""
        seq = self._store.last_seq(name)
        try:
            state = History(self._store, name, self.initial_state).state_at(seq)
        except StoreError as exc:
            raise FatalStoreError(str(exc)) from exc
        ts = self._store.ts_of(name, seq)
        writer = KeyframeWriter(self._store, name, copy_state(state), seq, ts,
                                self._store.keyframe_seq_at_or_before(name, seq))
        if writer.due():
            writer.write()
        ledger = Ledger(name, state, seq, ts or "", centre=self.centre, grid_at=self.grid_at,
                        dispositions=self.dispositions, nearby=self.nearby,
                        cells_of=lambda actor: self.users_file.users.cells_of(actor))  # as the file is now
        ledger.remember(self._recent_commands(name, seq, ts))
        return Namespace(ledger, writer)

    def _recent_commands(self, name: str, seq: int, ts: str | None) -> list[dict]:
        """The events of people's commands in the log's last RETRY_WINDOW_S, at most the last
        RETRY_LOOKBACK_EVENTS events: a console that lost a server which then restarted retries what it
        had sent, and the ledger must know which of those were stored."""
        if not ts:
            return []
        since = max(self._store.seq_at_or_before(name, rfc3339(epoch(ts) - RETRY_WINDOW_S)),
                    seq - RETRY_LOOKBACK_EVENTS)
        return [orjson.loads(frame) for _, frame in self._store.iter_frames(name, since)
                if COMMAND_MARK in frame]

    # ---- connections ---------------------------------------------------------------------------

    async def _handle(self, ws: ServerConnection) -> None:
        session = await self._greet(ws)
        if session is None:
            return
        try:
            async for raw in ws:
                if session.dropped:
                    break
                self._handle_frame(session, raw)
        except ConnectionClosed:
            pass
        finally:
            session.namespace.sessions.discard(session)
            self._sessions.pop(session, None)
            session.dropped = True

    async def _greet(self, ws: ServerConnection) -> Session | None:
        try:
            raw = await asyncio.wait_for(ws.recv(), HELLO_TIMEOUT_S)
        except asyncio.TimeoutError:
            await _refuse(ws, "bad_request", f"no hello within {HELLO_TIMEOUT_S:g} s", CLOSE_BAD_REQUEST)
            return None
        except ConnectionClosed:
            return None
        try:
            hello = parse_frame(raw)
        except ValueError:
            hello = None
        if not isinstance(hello, dict) or hello.get("op") != "hello":
            await _refuse(ws, "bad_request", "the first frame must be a hello", CLOSE_BAD_REQUEST)
            return None
        user = self.users_file.users.authenticate(hello.get("token"))
        if user is None:
            await _refuse(ws, "unauthorized", "missing or wrong token", CLOSE_UNAUTHORIZED)
            return None
        name = hello.get("namespace", LIVE)
        if not valid_namespace(name):
            await _refuse(ws, "bad_request",
                          "namespace must be \"live\", \"exercise:<name>\" or \"history:<name>\" "
                          "(letters, digits, -_.)",
                          CLOSE_BAD_REQUEST)
            return None
        if is_history(name) and name not in self._namespaces and not await self._in_store(self._store.last_seq, name):
            # Only `onemap import cad` fills a history namespace: an empty one is a mistyped name, and loading
            # it would write a keyframe of this server's city where the import writes its own.
            await _refuse(ws, "not_found", f"{name} holds no imported calls (onemap import cad writes them)",
                          CLOSE_BAD_REQUEST)
            return None
        ns = await self._namespace(name)
        if not self.users_file.users.holds(user):  # revoked while the namespace loaded
            await _refuse(ws, "unauthorized", "the token was revoked", CLOSE_UNAUTHORIZED)
            return None
        resume_from = hello.get("resume_from")
        if self._store.shared and type(resume_from) is int and resume_from > ns.ledger.committed_seq:
            # A console coming over from another server of the log may be ahead of this one by what it has
            # not read yet (it follows the log every FOLLOW_S): it waits for that, not for a fresh snapshot.
            deadline = time.monotonic() + RESUME_AHEAD_WAIT_S
            while ns.ledger.committed_seq < resume_from and time.monotonic() < deadline:
                await asyncio.sleep(FOLLOW_S)
        if resume_from is not None and (isinstance(resume_from, bool) or not isinstance(resume_from, int)
                                        or not 0 <= resume_from <= ns.ledger.committed_seq):
            await _refuse(ws, "bad_request",
                          f"resume_from must be an integer in [0, {ns.ledger.committed_seq}]; "
                          "reconnect with resume_from null for a fresh snapshot", CLOSE_BAD_REQUEST)
            return None
        session = Session(ws, user.name, user.role, ns, batch=hello.get("batch") is True,
                          subscribe=hello.get("subscribe", True) is not False, limits=self.limits)
        # From here to the registration there is no await: the welcome's seq and the first live event
        # the session receives are consecutive. Events published but not yet in a batch frame are ones
        # the snapshot (or history) already holds, so they go out to the others first.
        self._flush(ns)
        seq = ns.ledger.committed_seq
        if resume_from is not None:
            snapshot = b"null"
        else:
            snapshot = ns.snapshot_json() if session.sees_personal else ns.public_snapshot_json()
        welcome = (b'{"op":"welcome","user":' + orjson.dumps(user.name) + b',"role":' + orjson.dumps(user.role)
                   + b',"namespace":' + orjson.dumps(name) + b',"city":' + orjson.dumps(self.city_name)
                   + b',"seq":' + str(seq).encode() + b',"realert_s":' + orjson.dumps(self.realert_s)
                   + b',"snapshot":' + snapshot + b"}")
        if session.subscribe:
            ns.sessions.add(session)
        self._sessions[session] = user
        log.info("%s (%s) joined %s at seq %d%s", user.name, user.role, name, seq,
                 "" if resume_from is None else f", resuming from {resume_from}")
        try:
            await ws.send(welcome, text=True)
            if resume_from is not None and session.subscribe:
                await self._send_history(session, resume_from, seq)
        except ConnectionClosed:
            ns.sessions.discard(session)
            self._sessions.pop(session, None)
            return None
        session.go_live()
        return session

    async def _send_history(self, session: Session, after: int, until: int) -> None:
        while after < until and not session.dropped:
            rows = await self._in_store(self._store.frames_after, session.namespace.name, after, BATCH_MAX_EVENTS)
            rows = [(seq, frame) for seq, frame in rows if seq <= until]
            if not rows:
                raise FatalStoreError(f"events {after + 1}..{until} of {session.namespace.name} are missing")
            frames = [frame if session.sees_personal else public_frame(frame) for _, frame in rows]
            for frame in events_frames(frames) if session.batch else frames:
                await session.ws.send(frame, text=True)
            after = rows[-1][0]

    def _handle_frame(self, session: Session, raw: str | bytes) -> None:
        if isinstance(raw, bytes):
            session.write(_error("bad_request", "frames must be UTF-8 JSON text frames"))
            return
        try:
            msg = parse_frame(raw)
        except ValueError:
            session.write(_error("bad_request", "the frame is not JSON"))
            return
        if not isinstance(msg, dict):
            session.write(_error("bad_request", "a frame must be a JSON object"))
            return
        op = msg.get("op")
        if op == "cmd":
            if not _valid_cmd_id(msg.get("id")):
                session.write(_error("bad_request", "a cmd needs an id: a string of 1-128 characters"))
                return
            if msg.get("cmd") in HISTORY_READS:
                asyncio.ensure_future(self._answer_history_read(session, msg, raw))
                return
            if msg.get("cmd") in READ_COMMANDS:
                asyncio.ensure_future(self._answer_history(session, msg, raw))
                return
            outcome = self._judge(session, msg, raw)
            if isinstance(outcome, bytes):
                session.write(outcome)
        elif op == "cmds":
            self._handle_commands(session, msg.get("cmds"))
        elif op == "hello":
            session.write(_error("bad_request", "hello was already received on this connection"))
        else:
            session.write(_error("bad_request", f"unknown op {op!r}" if op is not None else "the frame has no op"))

    def _handle_commands(self, session: Session, cmds: Any) -> None:
        """A `cmds` frame: each command judged as if it came alone, in order; one `replies` frame answers
        them all once the accepted ones are stored and their events are out. A malformed frame runs
        nothing and gets an error."""
        if not isinstance(cmds, list) or not 0 < len(cmds) <= BATCH_MAX_COMMANDS:
            session.write(_error("bad_request", f"cmds must be a list of 1-{BATCH_MAX_COMMANDS} commands"))
            return
        for index, msg in enumerate(cmds):
            if not isinstance(msg, dict) or not _valid_cmd_id(msg.get("id")):
                session.write(_error("bad_request", f"cmds[{index}] is not a command with an id (a string of "
                                                    "1-128 characters); none of the frame's commands ran"))
                return
        replies: list[bytes | None] = []
        last: Accepted | None = None
        for slot, msg in enumerate(cmds):
            outcome = self._judge(session, msg, None)
            if isinstance(outcome, bytes):
                replies.append(outcome)
            else:
                replies.append(None)
                outcome.frame_replies, outcome.slot, last = replies, slot, outcome
        if last is None:
            session.write(replies_frame(replies))
        else:
            last.last_of_frame = True

    def _judge(self, session: Session, msg: dict, raw: str | None) -> bytes | Accepted:
        """One command: its nack, or its events queued for the next group commit. `raw` is the frame as
        received (the audit keeps refusals as they came); None for a command of a `cmds` frame."""
        if not session.bucket.take():
            return self._nack(session, msg, raw, Rejected("rate_limited", "too many commands; slow down"))
        self._work.set()  # accepted or refused, it leaves an audit row
        return session.namespace.ledger.judge(session, session.user, session.role, msg, raw, rfc3339_now())

    def _nack(self, session: Session, msg: dict, raw: str | None, rejection: Rejected) -> bytes:
        """A command refused here (a rate limit, a bad read): audited like the rules' refusals."""
        self._work.set()
        return session.namespace.ledger.refuse(session.user, session.role, msg, raw, rejection, rfc3339_now())

    async def _answer_history(self, session: Session, msg: dict, raw: str) -> None:
        """`incident.history`: the incident's stored events (as this session may see them) in the ack. The
        committed state names their seqs, so reading them is one key lookup each on the store's thread."""
        ns = session.namespace
        if not session.bucket.take():
            session.write(self._nack(session, msg, raw, Rejected("rate_limited", "too many commands; slow down")))
            return
        try:
            seqs, more = history_seqs(ns.ledger.committed_state, msg.get("args"),
                                      ns.ledger.context(session.role, rfc3339_now()))
        except Rejected as rejection:
            session.write(self._nack(session, msg, raw, rejection))
            return
        seq = ns.ledger.committed_seq
        ns.ledger.record_read(session.user, session.role, msg["id"], msg["cmd"], rfc3339_now())
        self._work.set()
        try:
            frames = await self._in_store(self._frames_at, ns.name, seqs)
        except self._store_errors as exc:  # a read changes nothing: it fails alone, with a reply
            log.error("reading the history of %s in %s failed: %s", msg["args"]["incident_id"], ns.name, exc)
            session.write(orjson.dumps({"op": "nack", "id": msg["id"], "code": "not_found",
                                        "message": f"the incident's history cannot be read: {exc}"}))
            return
        if not session.sees_personal:
            frames = [public_frame(frame) for frame in frames]
        session.write(b'{"op":"ack","id":' + orjson.dumps(msg["id"]) + b',"seq":' + str(seq).encode()
                      + b',"more":' + (b"true" if more else b"false")
                      + b',"events":[' + b",".join(frames) + b"]}")

    async def _answer_history_read(self, session: Session, msg: dict, raw: str) -> None:
        """`history.*`: a read of the log, answered in the ack, worked out on the history thread. Nothing
        later than the committed seq of the moment it was asked is in it."""
        ns = session.namespace
        if not session.bucket.take():
            session.write(self._nack(session, msg, raw, Rejected("rate_limited", "too many commands; slow down")))
            return
        try:
            request = history_read(msg["cmd"], msg.get("args"), ns.ledger.context(session.role, rfc3339_now()))
        except Rejected as rejection:
            session.write(self._nack(session, msg, raw, rejection))
            return
        ns.ledger.record_read(session.user, session.role, msg["id"], msg["cmd"], rfc3339_now())
        self._work.set()
        loop = asyncio.get_running_loop()
        try:
            body = await loop.run_in_executor(self._history_thread, self._read_history, ns.name, msg["cmd"], request,
                                              ns.ledger.committed_seq, session.sees_personal)
        except Rejected as rejection:
            session.write(nack_frame(msg["id"], rejection))
            return
        except (*self._store_errors, ValueError) as exc:  # a read changes nothing: it fails alone
            log.error("%s in %s failed: %s", msg["cmd"], ns.name, exc)
            session.write(orjson.dumps({"op": "nack", "id": msg["id"], "code": "not_found",
                                        "message": f"the event log cannot answer {msg['cmd']}: {exc}"}))
            return
        session.write(b'{"op":"ack","id":' + orjson.dumps(msg["id"]) + b"," + body + b"}")

    def _read_history(self, name: str, cmd: str, request: dict, committed: int, sees_personal: bool) -> bytes:
        """Runs on the history thread: the ack's fields (JSON without its braces) for one history read."""
        history = self._histories.get(name)
        if history is None:
            history = self._histories[name] = History(self._history_store, name, self.initial_state)
        store = self._history_store
        if cmd == "history.bounds":
            bounds = history.bounds()
            last = min(bounds.last_seq, committed)
            return orjson.dumps({"first_seq": bounds.first_seq if last else 0, "last_seq": last,
                                 "first_ts": store.ts_of(name, bounds.first_seq) if last else None,
                                 "last_ts": store.ts_of(name, last)})[1:-1]
        if cmd == "history.seq":
            seq = min(history.seq_at(request["at"]), committed)
            return orjson.dumps({"seq": seq, "ts": store.ts_of(name, seq)})[1:-1]
        if cmd == "history.state":
            if "at" in request:
                seq = min(history.seq_at(request["at"]), committed)
            elif request["seq"] > committed:
                raise Rejected("bad_request", f"history.state: seq {request['seq']} is after the last event ({committed})")
            else:
                seq = request["seq"]
            state = history.state_at(seq)
            return (b'"seq":' + str(seq).encode() + b',"ts":' + orjson.dumps(store.ts_of(name, seq))
                    + b',"state":' + orjson.dumps(state if sees_personal else public_state(state)))
        if cmd == "history.events":
            after = request["after_seq"]
            until = committed
            if request["until_seq"] is not None:
                until = min(until, request["until_seq"])
            if request["until"] is not None:
                until = min(until, history.seq_at(request["until"]))
            rows = store.frames_after(name, after, request["limit"] + 1, until, request["types"])
            more = len(rows) > request["limit"]
            rows = rows[:request["limit"]]
            frames = [frame if sees_personal else public_frame(frame) for _, frame in rows]
            return (b'"events":[' + b",".join(frames) + b'],"seq":' + str(rows[-1][0] if rows else after).encode()
                    + b',"more":' + (b"true" if more else b"false"))
        types, counts = history.density(request["from"], request["to"], request["bucket_s"])
        return orjson.dumps({"start": rfc3339(request["from"]), "bucket_s": request["bucket_s"], "types": types,
                             "counts": counts})[1:-1]

    def _frames_at(self, ns: str, seqs: list[int]) -> list[bytes]:
        """Runs on the store thread: the stored frames of these seqs, in order."""
        frames = []
        for seq in seqs:
            rows = self._store.frames_after(ns, seq - 1, 1)
            if not rows or rows[0][0] != seq:
                raise StoreError(f"event {seq} is missing from the event log")
            frames.append(rows[0][1])
        return frames

    # ---- users ---------------------------------------------------------------------------------

    async def _users_watch_loop(self) -> None:
        """Follow the users file: a user added can connect at once; one removed, or whose token or role
        changed, is closed with 4401. A broken file keeps the last good users and never stops serving."""
        while True:
            await asyncio.sleep(USERS_POLL_S)
            try:
                changed = await asyncio.to_thread(self.users_file.reload)
            except UsersError as exc:
                log.error("%s; keeping the users read before", exc)
                continue
            if changed:
                log.info("users file %s reloaded", self.users_file.path)
                self._revoke_stale()

    def _revoke_stale(self) -> None:
        users = self.users_file.users
        for session, user in tuple(self._sessions.items()):
            if not users.holds(user):
                self._sessions.pop(session)
                session.revoke("the token was revoked")

    # ---- group commit and fan-out --------------------------------------------------------------

    async def _checkpoint_loop(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(CHECKPOINT_EVERY_S)
            try:
                await loop.run_in_executor(self._checkpoint_thread, self._store.checkpoint)
            except self._store_errors as exc:  # a missed checkpoint costs log size, not data: try again later
                log.warning("checkpoint failed: %s", exc)

    async def _retention_loop(self) -> None:
        """Purge the plate reads past their retention, at start and then regularly (dispatch/retention.py).
        Only `live` has reads: exercises may not."""
        through = 0  # reads up to here were examined by an earlier batch
        while True:
            before = rfc3339(wall_clock() - self.plate_retention_s)
            purged, more = 0, True
            try:
                while more:
                    count, through, more = await self._in_store(purge_reads, self._store, LIVE, before, through,
                                                                rfc3339_now())
                    purged += count
            except self._store_errors as exc:  # the reads stay a little longer: try again next time
                log.warning("purging plate reads failed: %s", exc)
            if purged:
                log.info("purged %d plate reads that hit nothing, stored before %s", purged, before)
            await asyncio.sleep(purge_every_s(self.plate_retention_s))

    async def _commit_group(self) -> int:
        """Store every ledger's group in one transaction and publish them; returns how many events they held.
        On a shared log, an append another server got in before is given back, the namespaces are caught up
        with what it stored, their commands judged again, and the append tried again."""
        while True:
            groups = [(ns, group) for ns in self._namespaces.values() if (group := ns.ledger.take_group()) is not None]
            if not groups:
                return 0
            stored = [event for _, group in groups for event in group.stored]
            try:
                await self._in_store(self._store.append, stored, [audit for _, group in groups for audit in group.audits])
                break
            except SeqConflict as conflict:
                log.info("%s; catching up", conflict)
                for ns, group in groups:
                    ns.ledger.untake(group)
                await self._catch_up()
        for ns, group in groups:
            # Queued behind the append, not awaited: the acks go out while the store thread folds the group
            # into the keyframe writer (about 1 us an event) and writes any keyframe that fell due.
            if group.events:
                self._store_thread.submit(ns.keyframes.add, group.events)
            published = ns.ledger.committed(group)
            if published is not None:
                self._publish(ns, published)
        return len(stored)

    async def _catch_up(self) -> None:
        """A shared log: every namespace served here brought up to what other servers stored, their events
        published here like this server's own. Called by the committer only, so no group is in flight."""
        for ns in tuple(self._namespaces.values()):
            # All of them at once: the commands waiting here are judged again once, not once per page.
            rows = await self._in_store(lambda: list(self._store.iter_frames(ns.name, ns.ledger.committed_seq)))
            if not rows:
                continue
            frames = [frame for _, frame in rows]
            events = [orjson.loads(frame) for frame in frames]
            self._store_thread.submit(ns.keyframes.add, events)
            self._publish(ns, ns.ledger.caught_up(events, frames))

    async def _commit_loop(self) -> None:
        loop = asyncio.get_running_loop()
        committed = RateMeter()
        followed = loop.time()
        try:
            while True:
                if self._store.shared:  # other servers' events arrive without any command here
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._work.wait(), max(0.0, followed + FOLLOW_S - loop.time()))
                    if loop.time() >= followed + FOLLOW_S:
                        await self._catch_up()
                        followed = loop.time()
                    if not self._work.is_set():
                        continue
                else:
                    await self._work.wait()
                self._work.clear()
                began = loop.time()
                committed.add(await self._commit_group(), began)
                if self._closing and not self._work.is_set():
                    return
                if committed.rate > BUSY_EPS:
                    # Fewer, larger transactions: each fsync on a busy disk can stall.
                    await asyncio.sleep(max(0.0, began + COMMIT_MIN_INTERVAL_S - loop.time()))
        except asyncio.CancelledError:
            raise
        except BaseException as exc:  # the log is the truth: without it, stop rather than guess
            log.critical("committing events failed, stopping: %r", exc)
            self._failed = exc
            if not self._closing:  # else the stop under way goes on, without a keyframe
                asyncio.ensure_future(self.stop())

    def _publish(self, ns: Namespace, published: Publication) -> None:
        """Hand a stored group's events to every subscriber of the namespace in seq order, then the acks:
        each sender sees its events before its ack."""
        frames, public = published.frames, published.public_frames
        for session in tuple(ns.sessions):  # a session too slow to keep up leaves the set
            if not session.batch:
                session.write(*(frames if session.sees_personal else public))
        if ns.pending_public is None and public is not frames:
            ns.pending_public = list(ns.pending)
        if ns.pending_public is not None:
            ns.pending_public.extend(public)
        ns.pending.extend(frames)
        for session, acks in published.replies.items():
            if session.batch:
                ns.replies.setdefault(session, []).extend(acks)
            else:
                session.write(*acks)
        loop = asyncio.get_running_loop()
        now = loop.time()
        ns.published.add(len(frames), now)
        if ns.flush_handle is None:
            interval = BATCH_INTERVAL_S if ns.published.rate > BUSY_EPS else BATCH_INTERVAL_IDLE_S
            ns.flush_handle = loop.call_later(max(0.0, ns.last_flush + interval - now), self._flush, ns)

    def _flush(self, ns: Namespace) -> None:
        """One batch frame (or several of at most BATCH_MAX_EVENTS) for every batch session of the
        namespace, encoded once, then the acks of the commands whose events it carries."""
        if ns.flush_handle is not None:
            ns.flush_handle.cancel()
            ns.flush_handle = None
        ns.last_flush = asyncio.get_running_loop().time()
        frames = events_frames(ns.pending) if ns.pending else []
        public = events_frames(ns.pending_public) if ns.pending_public is not None else frames
        ns.pending, ns.pending_public = [], None
        replies, ns.replies = ns.replies, {}
        for session in tuple(ns.sessions) if frames else ():  # a session too slow to keep up leaves the set
            if session.batch:
                session.write(*(frames if session.sees_personal else public), *replies.pop(session, ()))
        for session, session_acks in replies.items():  # batch senders that do not subscribe
            session.write(*session_acks)


def _valid_cmd_id(cmd_id: Any) -> bool:
    return isinstance(cmd_id, str) and 0 < len(cmd_id) <= 128


def _error(code: str, message: str) -> bytes:
    return orjson.dumps({"op": "error", "code": code, "message": message})


async def _refuse(ws: ServerConnection, code: str, message: str, close_code: int) -> None:
    try:
        await ws.send(_error(code, message), text=True)
        await ws.close(close_code, message[:120])
    except ConnectionClosed:
        pass


def _only_ws_path(connection: ServerConnection, request: Request) -> Response | None:
    if request.path.split("?", 1)[0] != "/ws":
        return connection.respond(404, "OneMap dispatch: the websocket endpoint is /ws\n")
    return None
