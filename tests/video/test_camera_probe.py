"""The camera prober opens real loopback streams and reports what it saw: a served stream is online; a port
with nothing listening, a path the stream server does not serve and a server that never answers are
offline; an RTSP camera is not probed and stays unknown. Against a real `onemap server` process."""
from __future__ import annotations

import asyncio
import csv
import shutil
import socket
import time
from pathlib import Path

import pytest

from dispatch.camera_probe import probe_stream, run_camera_probe
from dispatch.client import DispatchClient
from support.server import ROOT, ServerProcess, make_users
from video.loopback_streams import free_port


@pytest.fixture
def silent_port():
    """A port that accepts connections and never says a word: a hung camera."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    yield listener.getsockname()[1]
    listener.close()


def test_probe_sees_media_only_where_media_comes(serve, silent_port):
    stream = serve("http")

    async def probe_all():
        return await asyncio.gather(
            probe_stream(stream.url, timeout=3.0),
            probe_stream(f"http://127.0.0.1:{free_port()}/cam", timeout=3.0),
            probe_stream(f"http://127.0.0.1:{stream.port}/not-served", timeout=3.0),
            probe_stream(f"http://127.0.0.1:{silent_port}/cam", timeout=1.0),
            # No host (would mean this machine, where the stream is) and a port out of range.
            probe_stream(f"http://:{stream.port}/cam1", timeout=1.0),
            probe_stream("http://127.0.0.1:99999/cam", timeout=1.0))

    began = time.monotonic()
    assert asyncio.run(probe_all()) == [True, False, False, False, False, False]
    assert time.monotonic() - began < 3.5, "the timeout bounds a probe"


def city_with_cameras(folder: Path, urls: dict[str, str]) -> Path:
    """A copy of the demo pack whose cameras are `urls` (camera_id -> stream_url), at the first positions."""
    shutil.copytree(ROOT / "resources" / "cities" / "demo", folder)
    with open(folder / "cameras.csv", newline="") as source:
        rows = list(csv.DictReader(source))
    kept = [dict(row, camera_id=camera_id, stream_url=url) for row, (camera_id, url) in zip(rows, urls.items())]
    with open(folder / "cameras.csv", "w", newline="") as target:
        writer = csv.DictWriter(target, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(kept)
    return folder


def test_prober_reports_online_and_offline_to_the_server(serve, tmp_path):
    stream = serve("http")
    urls = {"served": stream.url, "nothing-there": f"http://127.0.0.1:{free_port()}/cam",
            "not-served": f"http://127.0.0.1:{stream.port}/elsewhere", "rtsp-only": "rtsp://127.0.0.1:1/cam"}
    city = city_with_cameras(tmp_path / "city", urls)
    tokens = make_users(tmp_path / "users.json")
    server = ServerProcess(tmp_path / "events.db", tmp_path / "users.json", city=str(city))
    url = server.start()

    async def scenario():
        events: list[dict] = []
        watcher = await DispatchClient.connect(url, tokens["alice"], on_event=events.append)
        states = lambda: {c: watcher.state["cameras"][c]["state"] for c in urls}  # noqa: E731
        assert set(states().values()) == {"unknown"}, "nothing observed before the prober runs"
        stop = asyncio.Event()
        prober = asyncio.create_task(run_camera_probe(url, tokens["fred"], stop=stop, every_s=0.5, timeout=2.0))
        try:
            await until(lambda: states() == {"served": "online", "nothing-there": "offline",
                                             "not-served": "offline", "rtsp-only": "unknown"}, 15.0)
            observed_online = watcher.state["cameras"]["served"]["state_ts"]
            stream.kill()  # the camera dies: the next round sees it
            await until(lambda: states()["served"] == "offline", 10.0)
            assert watcher.state["cameras"]["served"]["state_ts"] > observed_online
            stream.start()
            await until(lambda: states()["served"] == "online", 10.0)
            changes = [(e["actor"], e["data"]["camera_id"], e["data"]["state"]) for e in events]
            assert changes.count(("fred", "served", "online")) == 2, "repeats of a state make no event"
            assert {actor for actor, _, _ in changes} == {"fred"}, "the reports come from the prober's feed user"

            # The server goes away and comes back (same port, same log): the prober reconnects by itself.
            await watcher.close()
            server.kill()
            server.start()
            watcher = await DispatchClient.connect(url, tokens["alice"])
            assert states()["served"] == "online", "the observation is in the log"
            stream.kill()
            await until(lambda: states()["served"] == "offline", 15.0)
        finally:
            stop.set()
            await asyncio.wait_for(prober, 10.0)
            await watcher.close()

    try:
        asyncio.run(scenario())
    finally:
        server.kill()


async def until(condition, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout_s} s")
        await asyncio.sleep(0.05)
