"""Camera health prober: a feed that opens each camera's HTTP stream and reports what it saw. No Qt.

A camera is observed online when its stream URL answers 2xx and at least `MEDIA_BYTES` of the body
arrive within the timeout; anything else (refused, no answer, an error status, a stream that sends
nothing) is observed offline. Cameras whose stream is not HTTP(S) (RTSP, none) are not probed: they stay
whatever the walls last saw, or unknown. Every camera is reported every round as `camera.status` (the
server makes an event only of a change), a few at a time, so a round of a large city never floods the
network or the server.

    asyncio.run(run_camera_probe("ws://127.0.0.1:8765/ws", feed_token, stop=stop_event))
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
from urllib.parse import urlsplit

from dispatch.client import DispatchClient, Disconnected, ProtocolError, Refused

log = logging.getLogger(__name__)

PROBE_TIMEOUT_S = 3.0
MEDIA_BYTES = 1024  # a few MPEG-TS packets: a picture is on its way, not just a status line
ROUND_EVERY_S = 60.0
AT_ONCE = 8  # cameras probed, and reported in one frame, at a time
RECONNECT_S = 2.0


def probeable(url: str | None) -> bool:
    return urlsplit(url or "").scheme in ("http", "https")


async def probe_stream(url: str, timeout: float = PROBE_TIMEOUT_S, min_bytes: int = MEDIA_BYTES) -> bool:
    """Whether media bytes arrive from `url` (HTTP or HTTPS) within `timeout` seconds."""
    try:
        return await asyncio.wait_for(_receives_media(url, min_bytes), timeout)
    except (asyncio.TimeoutError, OSError, ValueError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
        return False


async def _receives_media(url: str, min_bytes: int) -> bool:
    parts = urlsplit(url)
    if not parts.hostname:
        return False  # "http:///cam" names no camera (and must not mean this machine)
    secure = parts.scheme == "https"
    port = parts.port or (443 if secure else 80)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    reader, writer = await asyncio.open_connection(parts.hostname, port,
                                                   ssl=ssl.create_default_context() if secure else None)
    try:
        # HTTP/1.0: the body comes as it is, never chunked, and the server closes when it is done.
        writer.write(f"GET {path} HTTP/1.0\r\nHost: {parts.netloc}\r\nUser-Agent: onemap-camera-probe\r\n"
                     f"Accept: */*\r\n\r\n".encode("latin-1"))
        await writer.drain()
        status = (await reader.readline()).split()
        if len(status) < 2 or not status[0].startswith(b"HTTP/") or not status[1].startswith(b"2"):
            return False
        while (await reader.readuntil(b"\n")).strip():
            pass  # headers
        received = 0
        while received < min_bytes:
            chunk = await reader.read(65536)
            if not chunk:
                return False  # the stream ended before a picture's worth came
            received += len(chunk)
        return True
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()


async def probe_round(client: DispatchClient, cameras: list[tuple[str, str]], at_once: int = AT_ONCE,
                      timeout: float = PROBE_TIMEOUT_S, stop: asyncio.Event | None = None) -> dict[str, bool]:
    """Probe (camera_id, stream_url) pairs `at_once` at a time, reporting each group as it finishes, until
    done or `stop` is set; returns what was observed."""
    observed: dict[str, bool] = {}
    replies: list[tuple[str, asyncio.Future]] = []
    for start in range(0, len(cameras), at_once):
        if stop is not None and stop.is_set():
            break
        group = cameras[start:start + at_once]
        results = await asyncio.gather(*(probe_stream(url, timeout) for _, url in group))
        observed.update((camera_id, online) for (camera_id, _), online in zip(group, results))
        # The next group is probed while the server stores this one's reports.
        futures = client.send_commands([("camera.status", {"camera_id": camera_id, "online": online})
                                        for (camera_id, _), online in zip(group, results)])
        replies += zip((camera_id for camera_id, _ in group), futures)
    for camera_id, reply in zip((c for c, _ in replies), await asyncio.gather(*(f for _, f in replies))):
        if reply["op"] == "nack":
            log.warning("camera probe: report on %s refused: %s", camera_id, reply.get("message"))
    return observed


async def run_camera_probe(url: str, token: str, *, stop: asyncio.Event, every_s: float = ROUND_EVERY_S,
                           at_once: int = AT_ONCE, timeout: float = PROBE_TIMEOUT_S, ssl_context=None) -> None:
    """Probe every camera of the server's state each `every_s` seconds until `stop` is set. A lost
    connection is retried; a refused token ends the prober (retrying cannot help)."""
    while not stop.is_set():
        try:
            client = await DispatchClient.connect(url, token, subscribe=False, ssl=ssl_context)
        except Refused as exc:
            log.error("camera probe: the server refused the feed's token: %s", exc)
            return
        except (OSError, Disconnected, ProtocolError, asyncio.TimeoutError) as exc:
            log.warning("camera probe: cannot connect to %s (%s); retrying", url, exc)
            await _sleep(stop, RECONNECT_S)
            continue
        cameras = [(camera_id, camera.get("stream_url"))
                   for camera_id, camera in sorted(client.state["cameras"].items())
                   if probeable(camera.get("stream_url"))]
        try:
            while not stop.is_set():
                await probe_round(client, cameras, at_once, timeout, stop)
                await _sleep(stop, every_s)
        except (OSError, Disconnected, ProtocolError) as exc:
            log.warning("camera probe: connection lost (%s); reconnecting", exc)
            await _sleep(stop, RECONNECT_S)
        finally:
            await client.close()


async def _sleep(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(asyncio.TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
