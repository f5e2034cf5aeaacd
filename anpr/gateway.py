"""The ANPR gateway: OpenALPR agents' webhooks over HTTP in, `plate.read` to OneMap out (docs/anpr.md).

An agent posts to `/openalpr/<token>` (webhook settings take a URL only, so the token is in it). Each read is
handed to the feed link at once and goes with the others of its turn of the loop in one `cmds` frame: a city's
checkpoints send thousands a second. The agent is answered when the read is taken, not when OneMap stored it
(it would wait on every read): 200 for a read or a heartbeat, 400 for a body that is no webhook, 401 for a
wrong token, 422 for a camera no checkpoint is listed for. What OneMap refuses is counted and logged.
"""
from __future__ import annotations

import asyncio
import hmac
import logging
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timezone

from aiohttp import web

from anpr.cameras import CameraTable
from anpr.openalpr import parse_webhook
from dispatch.domain import LIVE
from dispatch.feedlink import FeedLink, parse_endpoint, wait_or_stop
from layers.tables import pack_then_file

log = logging.getLogger("onemap.anpr")

MAX_BODY_BYTES = 256 * 1024  # a group's JSON with its candidates and vehicle details is a few kilobytes
STATS_EVERY_S = 60.0


class AnprGateway:
    def __init__(self, server_url: str, token: str, cameras: CameraTable, agent_token: str):
        self.cameras = cameras
        self.agent_token = agent_token
        self.counters: Counter[str] = Counter()
        self.link = FeedLink(server_url, token, LIVE, count=self.count)  # plates are never in an exercise
        self._http: web.AppRunner | None = None

    def count(self, what: str) -> None:
        self.counters[what] += 1

    def stats_line(self) -> str:
        return " ".join(f"{k}={v}" for k, v in sorted(self.counters.items())) or "nothing yet"

    async def listen(self, host: str, port: int) -> int:
        app = web.Application(client_max_size=MAX_BODY_BYTES)
        app.router.add_post("/openalpr/{token}", self._webhook)
        self._http = web.AppRunner(app, access_log=None)
        await self._http.setup()
        await web.TCPSite(self._http, host, port).start()
        bound = self._http.addresses[-1][1]
        log.info("listening for OpenALPR webhooks on http://%s:%d/openalpr/<token>", host, bound)
        return bound

    async def _webhook(self, request: web.Request) -> web.Response:
        if not hmac.compare_digest(request.match_info["token"].encode(), self.agent_token.encode()):
            self.count("unauthorised")
            return web.json_response({"error": "not this gateway's token"}, status=401)
        try:
            read = parse_webhook(await request.read(), agent_host=request.remote)
        except web.HTTPRequestEntityTooLarge:
            self.count("too_large")
            return web.json_response({"error": f"the body is over {MAX_BODY_BYTES} bytes"}, status=413)
        except ValueError as exc:
            self.count("bad_body")
            log.warning("a webhook from %s is no read: %s", request.remote, exc)
            return web.json_response({"error": str(exc)}, status=400)
        if read is None:
            self.count("heartbeat")
            return web.json_response({"status": "heartbeat"})
        checkpoint_id = self.cameras.checkpoint(read.agent_uid, read.camera_id)
        if checkpoint_id is None:
            self.count("unknown_camera")
            log.warning("agent %s camera %s is at no checkpoint in the camera table", read.agent_uid, read.camera_id)
            return web.json_response({"error": f"agent {read.agent_uid} camera {read.camera_id} is at no checkpoint "
                                               "the gateway knows (its camera table)"}, status=422)
        args = {"checkpoint_id": checkpoint_id, "plate": read.plate, "confidence": read.confidence,
                "ts": datetime.fromtimestamp(read.time, timezone.utc).isoformat(timespec="milliseconds")}
        if read.direction is not None:
            args["direction"] = f"{read.direction:.0f}°"
        if read.image_url is not None:
            args["image_url"] = read.image_url
        self.link.submit([("plate.read", args)])
        self.count("read")
        return web.json_response({"status": "taken"})

    async def run(self, stop: asyncio.Event) -> None:
        linking = asyncio.ensure_future(self.link.run(stop))
        try:
            while not stop.is_set():
                await wait_or_stop(stop, STATS_EVERY_S)
                log.info("ANPR gateway: %s", self.stats_line())
        finally:
            if self._http is not None:
                await self._http.cleanup()
            await asyncio.gather(linking, return_exceptions=True)


@dataclass
class AnprGatewayOptions:
    server: str
    token: str
    listen: str  # tcp://HOST:PORT
    agent_token: str
    cameras: str | None = None
    city: str | None = None  # a city pack whose anpr_cameras.toml, if it has one, lists cameras too


def camera_table(city: str | None, cameras_file: str | None) -> CameraTable:
    """The city pack's anpr_cameras.toml (when there is one), then the --cameras file over it."""
    checkpoints = {}
    for path in pack_then_file(city, "anpr_cameras.toml", cameras_file):
        checkpoints.update(CameraTable.load(path).checkpoints)
    return CameraTable(checkpoints)


async def run_anpr_gateway(options: AnprGatewayOptions, stop: asyncio.Event) -> AnprGateway:
    gateway = AnprGateway(options.server, options.token, camera_table(options.city, options.cameras),
                          options.agent_token)
    scheme, host, port = parse_endpoint(options.listen)
    if scheme != "tcp":
        raise ValueError(f"{options.listen}: the ANPR gateway listens on tcp:// (TLS goes in front of it)")
    print(f"http listening on tcp://{host}:{await gateway.listen(host, port)}", flush=True)
    await gateway.run(stop)
    return gateway
