"""A gateway's feed link (dispatch.feedlink) given several servers of one PostgreSQL log: it passes over one
that cannot be reached, and when the server it is on dies it goes on to the other, its positions still
reaching the log."""
from __future__ import annotations

import asyncio
import socket

from dispatch.client import DispatchClient
from dispatch.feedlink import FeedLink


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def _until(condition, seconds: float = 20.0) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "not within the deadline"
        await asyncio.sleep(0.05)


def test_a_feed_link_passes_a_dead_server_and_goes_on_when_its_server_dies(servers_of_one_log, tokens):
    users_file, users = tokens
    first, second = servers_of_one_log(users_file)
    nobody = f"ws://127.0.0.1:{_free_port()}/ws"

    async def run() -> None:
        stop = asyncio.Event()
        link = FeedLink(f"{nobody},{first.url},{second.url}", users["fred"], "live")
        running = asyncio.ensure_future(link.run(stop))
        watcher = await DispatchClient.connect(second.url, users["vic"])
        unit_id = sorted(watcher.state["units"])[0]

        def moved_to(lon: float):
            return lambda: watcher.state["units"][unit_id]["lon"] == lon
        try:
            await _until(link.connected.is_set)
            assert link.server_url == first.url
            link.submit([("unit.position", {"unit_id": unit_id, "lon": 24.91, "lat": 60.17})])
            await _until(moved_to(24.91))
            first.kill()
            await _until(lambda: link.connected.is_set() and link.server_url == second.url)
            link.submit([("unit.position", {"unit_id": unit_id, "lon": 24.92, "lat": 60.17})])
            await _until(moved_to(24.92))
        finally:
            stop.set()
            await running
            await watcher.close()

    asyncio.run(run())
