"""The alarm gateway: panic apps over HTTP and alarm panels over SIA DC-09 (TCP) on one side, one OneMap feed
connection on the other (docs/alarm-gateway.md). Nothing a sender sends can stop it: a bad post is answered
400 and counted, a bad frame gets what the standard says (usually nothing) and is counted; neither raises an
alarm.
"""
from __future__ import annotations

import asyncio
import hmac
import logging
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from alarms.dc09 import Framer, Receiver
from alarms.http import MAX_BODY_BYTES, BadPost, alarm_command
from alarms.panels import PanelTable
from dispatch.client import Disconnected
from dispatch.domain import LIVE
from dispatch.feedlink import FeedLink, parse_endpoint, wait_or_stop
from layers.tables import pack_then_file

log = logging.getLogger("onemap.alarms")

REPLY_WAIT_S = 5.0  # how long an app's post waits for OneMap's word before it is told "sent"
# A panel is acknowledged once OneMap has the alarm; without OneMap's word within this, it is not, and sends
# again (or to its backup receiver), as DC-09 panels do. Panels wait 20 s or more for an ACK.
PANEL_ACK_WAIT_S = 10.0
READ_BYTES = 4096
STATS_EVERY_S = 60.0


class AlarmGateway:
    def __init__(self, server_url: str, token: str, namespace: str = LIVE, panels: PanelTable | None = None,
                 app_tokens: frozenset[str] = frozenset(), now=time.time):
        self.now = now
        self.counters: Counter[str] = Counter()
        self.app_tokens = app_tokens
        self.link = FeedLink(server_url, token, namespace, count=self.count)
        self.receiver = Receiver(panels or PanelTable(), now)
        self._http: web.AppRunner | None = None
        self._servers: list[asyncio.base_events.Server] = []

    def count(self, what: str) -> None:
        self.counters[what] += 1

    def stats_line(self) -> str:
        return " ".join(f"{k}={v}" for k, v in sorted(self.counters.items())) or "nothing yet"

    # ---- panic apps: HTTP ------------------------------------------------------------------------

    async def listen_http(self, host: str, port: int) -> int:
        app = web.Application(client_max_size=MAX_BODY_BYTES)
        app.router.add_post("/alarms", self._post_alarm)
        self._http = web.AppRunner(app, access_log=None)
        await self._http.setup()
        site = web.TCPSite(self._http, host, port)
        await site.start()
        bound = self._http.addresses[-1][1]
        log.info("listening for panic apps on http://%s:%d/alarms", host, bound)
        return bound

    def _authorised(self, request: web.Request) -> bool:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        return scheme.lower() == "bearer" and any(hmac.compare_digest(token.encode(), t.encode())
                                                  for t in self.app_tokens)

    async def _post_alarm(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            self.count("http_unauthorised")
            return web.json_response({"error": "give Authorization: Bearer <the app's token>"}, status=401)
        try:
            command = alarm_command(await request.read(), self.now())
        except web.HTTPRequestEntityTooLarge:
            self.count("http_too_large")
            return web.json_response({"error": f"the body is over {MAX_BODY_BYTES} bytes"}, status=413)
        except BadPost as exc:
            self.count("http_bad")
            return web.json_response({"error": str(exc)}, status=400)
        try:
            reply = await self.link.command(command, REPLY_WAIT_S)
        except (asyncio.TimeoutError, Disconnected):
            self.count("http_sent_unanswered")
            return web.json_response({"status": "sent", "message": "sent to OneMap, which has not answered yet"},
                                     status=202)
        if reply is None:
            self.count("http_queued")
            return web.json_response({"status": "queued", "message": "OneMap is not reachable now: the alarm "
                                      "is kept and sent when it is; call 110 if you can"}, status=202)
        if reply.get("op") == "nack":
            self.count(f"http_refused_{reply.get('code')}")
            status = 422 if reply.get("code") == "bad_request" else 503
            return web.json_response({"error": reply.get("message"), "code": reply.get("code")}, status=status)
        self.count("http_alarm")
        return web.json_response({"status": "raised", "alarm_id": reply.get("alarm_id")}, status=201)

    # ---- alarm panels: SIA DC-09 over TCP --------------------------------------------------------

    async def listen_dc09(self, host: str, port: int) -> int:
        server = await asyncio.start_server(self._panel, host, port, limit=READ_BYTES)
        self._servers.append(server)
        bound = server.sockets[0].getsockname()[1]
        log.info("listening for alarm panels (SIA DC-09) on tcp://%s:%d", host, bound)
        return bound

    async def _panel(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername")
        framer = Framer()
        try:
            while data := await reader.read(READ_BYTES):
                for frame in framer.feed(data):
                    await self._frame(frame, writer, peer)
                await writer.drain()
        except (ConnectionError, OSError) as exc:
            log.info("panel %s: %s", peer, exc)
        except Exception:  # a bug met by one panel's input closes that connection only
            self.count("dc09_internal_error")
            log.exception("panel %s: closed", peer)
        finally:
            if framer.dropped_bytes:
                self.count("dc09_dropped_bytes_connections")
            writer.close()

    async def _frame(self, frame: bytes, writer: asyncio.StreamWriter, peer) -> None:
        reception = self.receiver.receive(frame)
        self.count(f"dc09_{reception.outcome}" + (f"_{reception.code}" if reception.outcome == "not_an_alarm" else ""))
        if reception.outcome not in ("alarm", "not_an_alarm", "heartbeat"):
            log.warning("DC-09 from %s refused (%s): %r", peer, reception.outcome, frame[:120])
        if reception.command is None:
            if reception.reply is not None:
                writer.write(reception.reply)
            return
        try:  # acknowledged only once OneMap has it; else the panel sends it again
            reply = await self.link.command(reception.command, PANEL_ACK_WAIT_S, keep=False)
        except (asyncio.TimeoutError, Disconnected):
            reply = None
        if reply is None:
            self.count("dc09_not_acknowledged_onemap_unreachable")
            return
        if reply.get("op") == "nack":
            self.count(f"dc09_refused_{reply.get('code')}")
            log.warning("OneMap refused a panel's alarm: %s", reply.get("message"))
            return
        writer.write(reception.reply)

    # ---- life ------------------------------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        linking = asyncio.ensure_future(self.link.run(stop))
        try:
            while not stop.is_set():
                await wait_or_stop(stop, STATS_EVERY_S)
                log.info("alarm gateway: %s", self.stats_line())
        finally:
            for server in self._servers:
                server.close()
            if self._http is not None:
                await self._http.cleanup()
            await asyncio.gather(linking, return_exceptions=True)
            log.info("alarm gateway stopped: %s", self.stats_line())


def read_app_tokens(path: str | Path) -> frozenset[str]:
    """The apps' tokens, one per line (blank lines and # comments skipped), in a file only its owner can read."""
    from dispatch.users import read_token_file

    lines = read_token_file(path).splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#"))


@dataclass
class AlarmGatewayOptions:
    server: str
    token: str
    namespace: str = LIVE
    http: str | None = None  # tcp://HOST:PORT
    app_tokens: str | None = None
    dc09: str | None = None  # tcp://HOST:PORT
    panels: str | None = None
    city: str | None = None  # a city pack whose alarm_panels.toml, if it has one, lists panels too


def panel_table(city: str | None, panels_file: str | None) -> PanelTable:
    """The city pack's alarm_panels.toml (when there is one), then the --panels file over it."""
    by_account = {}
    for path in pack_then_file(city, "alarm_panels.toml", panels_file):
        by_account.update(PanelTable.load(path).by_account)
    return PanelTable(by_account)


async def run_alarm_gateway(options: AlarmGatewayOptions, stop: asyncio.Event, ready=None) -> AlarmGateway:
    tokens = read_app_tokens(options.app_tokens) if options.app_tokens else frozenset()
    gateway = AlarmGateway(options.server, options.token, options.namespace,
                           panel_table(options.city, options.panels), tokens)
    for endpoint, listen, what in ((options.http, gateway.listen_http, "http"),
                                   (options.dc09, gateway.listen_dc09, "dc09")):
        if endpoint:
            scheme, host, port = parse_endpoint(endpoint)
            if scheme != "tcp":
                raise ValueError(f"{endpoint}: the alarm gateway listens on tcp:// (TLS goes in front of it)")
            print(f"{what} listening on tcp://{host}:{await listen(host, port)}", flush=True)
    if ready is not None:
        ready(gateway)
    await gateway.run(stop)
    return gateway
