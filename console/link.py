"""The console's link to the dispatch server, on a thread of its own.

The GUI thread never waits on the network: an asyncio loop on a worker thread holds the connection,
parses frames, and hands events to the GUI in batches (at most one batch every FLUSH_S) through queued
Qt signals. The GUI folds them with the shared reducer. On loss the link reconnects with backoff and
resumes from the last seq it delivered; while it is down, commands are refused at once, never queued.

The server may be several (`ws://a/ws,ws://b/ws`: servers on one PostgreSQL log, docs/deploy.md): every one
serves the same seqs, so on loss the link goes on to the next and resumes there, with no gap and nothing
twice. A command in flight when the link fell is answered `disconnected`, never sent again by the link.
"""
from __future__ import annotations

import asyncio
import logging
import random
import socket
import ssl
import threading
from typing import Any

from PySide6.QtCore import QObject, Signal
from websockets.exceptions import InvalidHandshake

from dispatch.client import Disconnected, DispatchClient, Refused

FLUSH_S = 0.03
BACKOFF_S = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0)
# One attempt (TCP, upgrade, hello, welcome) gives up after this: a server that accepts but does not
# answer must not keep the dispatcher waiting in "connecting".
ATTEMPT_TIMEOUT_S = 5.0

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
    # (command id, reply): ack, nack, or a nack with code "disconnected" when the link fell mid-command
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
        cmd_id = f"console-{id(self):x}-{self._ids}"
        self._loop.call_soon_threadsafe(self._send, cmd_id, cmd, args)
        return cmd_id

    # ---- link thread ------------------------------------------------------------------------------

    def _set_state(self, state: str, detail: str = "") -> None:
        self.state = state
        self.stateChanged.emit(state, detail)

    def _send(self, cmd_id: str, cmd: str, args: dict) -> None:
        client = self._client
        try:
            future = client.send_command(cmd, args, cmd_id=cmd_id)
        except Disconnected:
            self.replied.emit(cmd_id, _lost(cmd_id))
            return
        future.add_done_callback(lambda f: self._reply(
            cmd_id, f.result() if not f.cancelled() and f.exception() is None else _lost(cmd_id)))

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
        attempt = 0
        while not self._stop.is_set():
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
