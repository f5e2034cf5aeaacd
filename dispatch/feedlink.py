"""A gateway's feed connection to OneMap for one namespace: opened again with backoff when it is lost, and
what the gateway submits while it is down kept (up to BACKLOG commands, the oldest dropped first) and sent
when it is back; and how a gateway's listening endpoints are written. Used by the CoT gateway (tak/) and the
alarm gateway (alarms/)."""
from __future__ import annotations

import asyncio
import logging
import ssl as ssl_module
from collections import deque
from typing import Callable
from urllib.parse import urlsplit

from dispatch.client import DispatchClient, Disconnected, Refused

log = logging.getLogger("onemap.feedlink")

BACKLOG = 10_000  # commands kept while OneMap is unreachable; the oldest go first when it is full
BACKLOG_DROPPED = "backlog_dropped"
# What a gateway submits within this goes in one `cmds` frame: a few ms of latency for a tenth of the frames.
SUBMIT_WINDOW_S = 0.01
RECONNECT_MIN_S, RECONNECT_MAX_S = 0.5, 15.0

Command = tuple[str, dict]


class FeedLink:
    """`count(what)` hears what became of the commands (sent, nack_CODE, lost_unanswered, backlog_dropped);
    `on_event` every event of the namespace; `on_connected(state)` each (re)connection, with its state.
    `server_url`: one server, or several of one log separated by commas (docs/deploy.md): when the one it
    is on cannot be reached or is lost, the link goes on to the next (each once at once, then with backoff)."""

    def __init__(self, server_url: str, token: str, namespace: str, *, ssl: ssl_module.SSLContext | None = None,
                 count: Callable[[str], None] = lambda what: None, on_event: Callable[[dict], None] | None = None,
                 on_connected: Callable[[dict], None] | None = None):
        self.urls = [part.strip() for part in server_url.split(",") if part.strip()]
        if not self.urls:
            raise ValueError("no server URL given")
        self._at = 0  # which of them the link is on
        self.token, self.namespace, self.ssl = token, namespace, ssl
        self.count, self.on_event, self.on_connected = count, on_event, on_connected
        self.client: DispatchClient | None = None
        self.backlog: deque[Command] = deque()
        self._submitted: list[Command] = []  # this turn of the loop's commands
        self.connected = asyncio.Event()

    @property
    def state(self) -> dict | None:
        return self.client.state if self.client is not None and self.connected.is_set() else None

    def submit(self, commands: list[Command]) -> None:
        """Sent with the others submitted within SUBMIT_WINDOW_S, in one `cmds` frame (1,000 devices a second
        would be 1,000 frames: a turn of the loop reads one or two of them)."""
        if not commands:
            return
        if not self._submitted:
            asyncio.get_running_loop().call_later(SUBMIT_WINDOW_S, self._send_submitted)
        self._submitted.extend(commands)

    async def command(self, command: Command, timeout: float, keep: bool = True) -> dict | None:
        """One command and its reply, for a sender waiting on the answer. None if OneMap is unreachable: the
        command is then kept and sent when it is back, if `keep`. A reply that does not come within
        `timeout`, or a connection lost before it came (the command went, and may have been applied),
        raises asyncio.TimeoutError or Disconnected."""
        if not self.connected.is_set():
            if keep:
                self._keep([command])
            return None
        try:
            [future] = self.client.send_commands([command])
        except Disconnected:
            self.connected.clear()
            if keep:
                self._keep([command])
            return None
        future.add_done_callback(self._replied)
        return await asyncio.wait_for(asyncio.shield(future), timeout)

    def _send_submitted(self) -> None:
        commands, self._submitted = self._submitted, []
        if self.connected.is_set():
            try:
                self._send(commands)
                return
            except Disconnected:
                self.connected.clear()
        self._keep(commands)

    def _keep(self, commands: list[Command]) -> None:
        for command in commands:
            if len(self.backlog) >= BACKLOG:
                self.backlog.popleft()
                self.count(BACKLOG_DROPPED)
            self.backlog.append(command)

    def _send(self, commands: list[Command]) -> None:
        for future in self.client.send_commands(commands):
            future.add_done_callback(self._replied)

    def _replied(self, future: asyncio.Future) -> None:
        if future.cancelled():
            return
        if future.exception() is not None:
            self.count("lost_unanswered")  # the connection closed before the reply
            return
        reply = future.result()
        if reply.get("op") == "nack":
            self.count(f"nack_{reply.get('code')}")
            log.info("OneMap refused a command from the gateway: %s", reply.get("message"))
        else:
            self.count("sent")

    @property
    def server_url(self) -> str:
        """The server the link is on (or tries next)."""
        return self.urls[self._at]

    async def run(self, stop: asyncio.Event) -> None:
        delay, failed = RECONNECT_MIN_S, 0
        while not stop.is_set():
            try:
                self.client = await DispatchClient.connect(self.server_url, self.token, namespace=self.namespace,
                                                           ssl=self.ssl, on_event=self.on_event)
            except Refused as exc:
                log.error("OneMap refused the gateway's feed connection to %s: %s", self.namespace, exc)
                await wait_or_stop(stop, RECONNECT_MAX_S)
                continue
            except (OSError, Disconnected, asyncio.TimeoutError) as exc:
                failed += 1
                self._at = (self._at + 1) % len(self.urls)
                if failed % len(self.urls):  # another server of the list, at once
                    log.warning("OneMap at %s unreachable (%s); trying %s", self.urls[self._at - 1], exc,
                                self.server_url)
                    continue
                log.warning("OneMap unreachable (%s); again in %.1f s", exc, delay)
                await wait_or_stop(stop, delay)
                delay = min(delay * 2, RECONNECT_MAX_S)
                continue
            delay, failed = RECONNECT_MIN_S, 0
            delay = RECONNECT_MIN_S
            self.connected.set()
            log.info("connected to OneMap %s as %s", self.namespace, self.client.user)
            if self.backlog:
                held, self.backlog = list(self.backlog), deque()
                self._send(held)
            if self.on_connected is not None:
                self.on_connected(self.client.state)
            closed = asyncio.ensure_future(self.client.closed.wait())
            stopping = asyncio.ensure_future(stop.wait())
            await asyncio.wait({closed, stopping}, return_when=asyncio.FIRST_COMPLETED)
            closed.cancel()
            stopping.cancel()
            self.connected.clear()
            if stop.is_set():
                await self.client.close()
                return
            log.warning("lost OneMap %s at %s (close code %s); connecting again", self.namespace, self.server_url,
                        self.client.close_code)
            self._at = (self._at + 1) % len(self.urls)


async def wait_or_stop(stop: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stop.wait(), seconds)
    except asyncio.TimeoutError:
        pass


def parse_endpoint(text: str) -> tuple[str, str, int]:
    """tcp://HOST:PORT or tls://HOST:PORT -> (scheme, host, port); ValueError naming what is wrong."""
    parts = urlsplit(text)
    if parts.scheme not in ("tcp", "tls") or not parts.hostname or parts.port is None:
        raise ValueError(f"{text!r}: give tcp://HOST:PORT or tls://HOST:PORT")
    return parts.scheme, parts.hostname, parts.port
