"""The console's link to the dispatch server, on a thread of its own.

The GUI thread never waits on the network: an asyncio loop on a worker thread holds the connection,
parses frames, and hands events to the GUI in batches (at most one batch every FLUSH_S) through queued
Qt signals. The GUI folds them with the shared reducer. On loss the link reconnects with backoff and
resumes from the last seq it delivered; while it is down, commands are refused at once, never queued.

The server may be several (`ws://a/ws,ws://b/ws`: servers on one PostgreSQL log, docs/deploy.md): every one
serves the same seqs, so on loss the link goes on to the next and resumes there, with no gap and nothing
twice. A command in flight when the link fell (sent, not answered) is sent again once the link is back,
on whichever server, marked as a retry: the server applies it only if its first try was not stored, and
else answers with the first try's ack (docs/protocol.md). One the link cannot send again within
RESEND_WITHIN_S is answered `disconnected`.
"""
from __future__ import annotations

import asyncio
import logging
import random
import secrets
import socket
import ssl
import threading
import time
from typing import Any

from PySide6.QtCore import QObject, Signal
from websockets.exceptions import InvalidHandshake

from dispatch.client import Disconnected, DispatchClient, Refused

FLUSH_S = 0.03
BACKOFF_S = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0)
# One attempt (TCP, upgrade, hello, welcome) gives up after this: a server that accepts but does not
# answer must not keep the dispatcher waiting in "connecting".
ATTEMPT_TIMEOUT_S = 5.0
# A command unanswered when the link fell is sent again if the link is back within this; after it, the
# dispatcher is told it may not have been done (the server remembers stored commands for 10 minutes).
RESEND_WITHIN_S = 60.0

log = logging.getLogger("onemap.link")

CONNECTING, CONNECTED, DISCONNECTED, REFUSED = "connecting", "connected", "disconnected", "refused"
# Why the link is down (the detail of DISCONNECTED); a refusal's detail is the server's error code.
UNREACHABLE, TIMEOUT, NO_SUCH_HOST, TLS, NOT_A_SERVER, LOST = (
    "unreachable", "timeout", "no_such_host", "tls", "not_a_server", "lost")


class ServerLink(QObject):
    # (state, detail): the connection state is always shown to the user. The detail is the URL while
    # connecting, "user (role)" when connected, a reason above when disconnected, an error code when refused.
    stateChanged = Signal(str, str)
    # the welcome frame; its snapshot is None when the link resumed from the last delivered seq
    welcomed = Signal(object)
    eventsReceived = Signal(object)
    # (command id, reply): ack (with "duplicate": true when a command sent again had been done the first
    # time), nack, or a nack with code "disconnected" when the link could not send it again in time
    replied = Signal(str, object)

    def __init__(self, url: str, token: str, namespace: str = "live", parent: QObject | None = None,
                 resume_from: int | None = None):
        """`url`: one server's URL, or several separated by commas (servers of one log), tried in turn."""
        super().__init__(parent)
        self.urls = [part.strip() for part in url.split(",") if part.strip()]
        if not self.urls:
            raise ValueError("no server URL given")
        self._server = 0  # which of them the link connects to now
        self.token, self.namespace = token, namespace
        self.state = DISCONNECTED
        # last seq handed to the GUI; None: start from a snapshot; 0: every event of the namespace from its
        # first (the trainer's panel reads a drill's whole log)
        self._seq: int | None = resume_from
        self._client: DispatchClient | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="server-link", daemon=True)
        self._ids = 0
        self._id_prefix = f"console-{secrets.token_hex(6)}-"  # unique to this link: a retried id names one command
        # link thread only: commands sent and not answered: id -> (cmd, args, when first sent, monotonic)
        self._in_flight: dict[str, tuple[str, dict, float]] = {}
        # link thread only: events received and not yet handed to the GUI
        self._pending: list[dict] = []
        self._flush_handle: asyncio.TimerHandle | None = None

    @property
    def url(self) -> str:
        """The server the link connects (or last connected) to."""
        return self.urls[self._server]

    # ---- GUI side ---------------------------------------------------------------------------------

    def start(self) -> None:
        self._thread.start()
        self._ready.wait()

    def stop(self) -> None:
        if self._loop is not None and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._stop.set)
            self._thread.join(timeout=5)

    def send(self, cmd: str, args: dict[str, Any]) -> str | None:
        """Send a command; returns its id, or None (and sends nothing) when not connected."""
        if self.state != CONNECTED or self._client is None:
            return None
        self._ids += 1
        cmd_id = f"{self._id_prefix}{self._ids}"
        self._loop.call_soon_threadsafe(self._send, cmd_id, cmd, args)
        return cmd_id

    # ---- link thread ------------------------------------------------------------------------------

    def _set_state(self, state: str, detail: str = "") -> None:
        self.state = state
        self.stateChanged.emit(state, detail)

    def _send(self, cmd_id: str, cmd: str, args: dict, retry: bool = False) -> None:
        if not retry:
            self._in_flight[cmd_id] = (cmd, args, time.monotonic())
        client = self._client
        if client is None:
            return  # the link fell meanwhile: sent again when it is back
        try:
            future = client.send_command(cmd, args, cmd_id=cmd_id, retry=retry)
        except Disconnected:
            return  # likewise
        future.add_done_callback(lambda f: self._answered(cmd_id, f))

    def _answered(self, cmd_id: str, future: asyncio.Future) -> None:
        if future.cancelled() or future.exception() is not None:
            return  # the connection fell before the answer: still in flight, sent again when it is back
        if self._in_flight.pop(cmd_id, None) is not None:
            self._reply(cmd_id, future.result())

    def _resend_in_flight(self) -> None:
        """On a new connection: each command the last one left unanswered again, as a retry; those too old
        to be sent again answered `disconnected`."""
        self._give_up_in_flight(time.monotonic() - RESEND_WITHIN_S)
        for cmd_id, (cmd, args, _) in list(self._in_flight.items()):
            log.info("sending %s (%s) again after the link fell", cmd_id, cmd)
            self._send(cmd_id, cmd, args, retry=True)

    def _give_up_in_flight(self, sent_before: float) -> None:
        for cmd_id, (_, _, sent_at) in list(self._in_flight.items()):
            if sent_at < sent_before:
                del self._in_flight[cmd_id]
                self._reply(cmd_id, _lost(cmd_id))

    def _reply(self, cmd_id: str, reply: dict) -> None:
        # The server sends a command's events before its ack: hand them over first, so the window knows
        # what the ack names (the incident it created) when the ack arrives.
        self._flush()
        self.replied.emit(cmd_id, reply)

    def _run(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._stop = asyncio.Event()
        self._ready.set()
        try:
            self._loop.run_until_complete(self._connect_forever())
        finally:
            self._loop.close()

    async def _connect_forever(self) -> None:
        try:
            await self._connect_until_stopped()
        finally:
            self._give_up_in_flight(float("inf"))  # stopped or refused: nothing will be sent again

    async def _connect_until_stopped(self) -> None:
        attempt = 0
        while not self._stop.is_set():
            self._give_up_in_flight(time.monotonic() - RESEND_WITHIN_S)
            self._set_state(CONNECTING, self.url)
            self._pending.clear()  # what the GUI never got of a previous connection comes again by resuming
            try:
                client = await asyncio.wait_for(DispatchClient.connect(
                    self.url, self.token, namespace=self.namespace, resume_from=self._seq, batch=True,
                    keep_state=False, open_timeout=ATTEMPT_TIMEOUT_S, on_event=self._on_event),
                    ATTEMPT_TIMEOUT_S)
            except Refused as refused:
                if refused.code == "bad_request" and self._seq is not None:
                    self._seq = None  # the server cannot resume us (its log was replaced): take a snapshot
                    continue
                log.warning("the server refused the console: %s %s", refused.code, refused.message)
                self._set_state(REFUSED, refused.code)
                return
            except Exception as exc:  # whatever a server or network does, the link lives on and retries
                log.info("connecting to %s failed (attempt %d): %r", self.url, attempt + 1, exc,
                         exc_info=not isinstance(exc, (OSError, asyncio.TimeoutError)))
                self._set_state(DISCONNECTED, failure_reason(exc))
                attempt += 1
                self._next_server()
                # Each server once at once, then with backoff: a server down is no reason to wait for another.
                if attempt % len(self.urls) == 0 and await self._wait_or_stop(_backoff(attempt // len(self.urls))):
                    return
                continue
            attempt = 0
            log.info("connected to %s as %s, resuming from %s, server at seq %d", self.url, client.user,
                     self._seq, client.welcome["seq"])
            await self._follow(client)
            if self._stop.is_set():
                return
            log.info("connection to %s lost (close code %s)", self.url, client.close_code)
            self._set_state(DISCONNECTED, LOST)
            self._next_server()

    def _next_server(self) -> None:
        self._server = (self._server + 1) % len(self.urls)

    def _on_event(self, event: dict) -> None:
        # Events can arrive with the welcome, before _follow runs: they wait until the GUI has the welcome.
        self._pending.append(event)
        if self._client is not None and self._flush_handle is None:
            self._flush_handle = self._loop.call_later(FLUSH_S, self._flush)

    def _flush(self) -> None:
        if self._flush_handle is not None:
            self._flush_handle.cancel()
            self._flush_handle = None
        if self._pending:
            batch = self._pending[:]
            self._pending.clear()
            self._seq = batch[-1]["seq"]
            self.eventsReceived.emit(batch)

    async def _follow(self, client: DispatchClient) -> None:
        self.welcomed.emit(client.welcome)
        if self._seq is None:
            self._seq = client.welcome["seq"]
        self._client = client
        self._flush()
        self._set_state(CONNECTED, f"{client.user} ({client.role})")
        self._resend_in_flight()
        closed = asyncio.ensure_future(client.closed.wait())
        stopping = asyncio.ensure_future(self._stop.wait())
        await asyncio.wait({closed, stopping}, return_when=asyncio.FIRST_COMPLETED)
        self._client = None
        self._flush()
        closed.cancel()
        stopping.cancel()
        await client.close()

    async def _wait_or_stop(self, seconds: float) -> bool:
        try:
            await asyncio.wait_for(self._stop.wait(), seconds)
            return True
        except asyncio.TimeoutError:
            return False


def failure_reason(exc: BaseException) -> str:
    """What went wrong, as one of the reasons the window puts in words (the details go to the log)."""
    if isinstance(exc, socket.gaierror):
        return NO_SUCH_HOST
    if isinstance(exc, ssl.SSLError):
        return TLS
    if isinstance(exc, (asyncio.TimeoutError, TimeoutError)):
        return TIMEOUT
    if isinstance(exc, (ConnectionRefusedError, OSError)):
        return UNREACHABLE
    if isinstance(exc, InvalidHandshake):
        return NOT_A_SERVER
    return LOST


def _backoff(attempt: int) -> float:
    base = BACKOFF_S[min(attempt, len(BACKOFF_S)) - 1]
    return base * random.uniform(0.8, 1.2)


def _lost(cmd_id: str) -> dict:
    return {"op": "nack", "id": cmd_id, "code": "disconnected",
            "message": "the connection fell before the server answered; check the state before repeating"}
