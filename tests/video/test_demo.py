"""The demo as `onemap demo` runs it (its embedded server with patrols, camera streams and camera prober, and
a console), driven in-process so the window can be inspected: the prober observes every camera, the status
bar counts what was observed, and a demo camera dragged onto a wall with real X input plays within 5 s.
"""
from __future__ import annotations

import asyncio
import re
import socket
import time
from collections import Counter

import pytest
from pattern import changed_fraction, shows_test_pattern
from PySide6.QtCore import QPointF, QSettings

from console.app import EmbeddedServer
from dispatch.client import DispatchClient
from support.console import open_window, screen_point, xdrag
from video.loopback_streams import DEMO_CAMERAS
from video.tile import TileState

RATE_TEXT = re.compile(r"Cameras: (\d+) online of (\d+) observed \((\d+\.\d)%\), (\d+) unknown")


@pytest.fixture
def demo(tmp_path):
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "config"))
    server = EmbeddedServer("demo", tmp_path / "demo")  # what run_demo starts, with a --data folder of its own
    server.start()
    yield server
    server.stop()


def test_demo_observes_its_cameras_and_a_dragged_camera_plays_on_the_wall(demo, qtbot, qapp, screenshot):
    window = open_window(qtbot, demo.url, demo.tokens["dispatcher"])
    cameras = window.live.state["cameras"]
    # The prober's first round: every camera observed, the streamed ones online.
    qtbot.waitUntil(lambda: all(c["state"] != "unknown" for c in cameras.values()), timeout=30_000)
    assert demo.streams.problem is None
    streamed = {url.rsplit("/", 1)[1] for url in demo.streams.urls}
    assert len(streamed) == DEMO_CAMERAS
    assert {c for c, camera in cameras.items() if camera["state"] == "online"} == streamed
    assert Counter(c["state"] for c in cameras.values()) == {"online": 8, "offline": len(cameras) - 8}

    qtbot.waitUntil(lambda: RATE_TEXT.fullmatch(window.camera_rate.text()) is not None
                    and int(RATE_TEXT.fullmatch(window.camera_rate.text())[2]) == len(cameras), timeout=5_000)
    shown = RATE_TEXT.fullmatch(window.camera_rate.text())
    online, observed, percent, unknown = int(shown[1]), int(shown[2]), float(shown[3]), int(shown[4])
    assert (online, observed, unknown) == (len(streamed), len(cameras), 0)
    assert percent == round(100 * online / observed, 1)

    # The camera nearest the centre, alone under the cursor at street zoom.
    camera = cameras[demo.streams.paths[0].rsplit("/", 1)[1]]
    window.canvas.center_on(camera["lon"], camera["lat"], 150)
    window.canvas.render_now()
    local = window.canvas.lonlat_to_screen(camera["lon"], camera["lat"])
    hit = window.canvas.feature_at(QPointF(local), layers=("cameras",))
    assert hit is not None and hit.feature_id == camera["camera_id"]

    wall = window.open_wall()
    qtbot.waitUntil(lambda: wall.windowHandle() is not None and wall.windowHandle().isExposed(), timeout=10_000)
    tile = wall.tiles[0]
    xdrag(qtbot, screen_point(window, camera["lon"], camera["lat"]), tile.mapToGlobal(tile.rect().center()))
    dropped = time.monotonic()
    qtbot.waitUntil(lambda: tile.camera is not None, timeout=2_000)
    assert tile.camera.camera_id == camera["camera_id"]
    qtbot.waitUntil(lambda: tile.state == TileState.LIVE and shows_test_pattern(tile.backend.displayed_image()),
                    timeout=5_000)
    first = tile.backend.displayed_image()
    qtbot.waitUntil(lambda: changed_fraction(first, tile.backend.displayed_image()) > 0.002,
                    timeout=max(100, int((dropped + 5.0 - time.monotonic()) * 1000)))
    assert time.monotonic() - dropped <= 5.0, "moving video within 5 s of the drop"
    qtbot.waitUntil(lambda: re.search(r"\d fps", tile.status_text()) is not None, timeout=3_000)
    screenshot("demo_wall", screen=qapp.screens().index(wall.screen()))
    screenshot("demo_console", screen=qapp.screens().index(window.screen()))
    # The wall's own observation agrees with the prober's: no report needed, nothing changed.
    assert RATE_TEXT.fullmatch(window.camera_rate.text())[1] == str(len(streamed))

    demo.stop()  # as run_demo does when the console closes: the streams go with it
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", demo.streams.port), timeout=1.0).close()


def test_demo_without_ffmpeg_or_vlc_says_so_and_runs_on(tmp_path, monkeypatch, capfd):
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))  # a machine with neither installed
    demo = EmbeddedServer("demo", tmp_path / "demo")
    demo.start()

    async def observed_states():
        client = await DispatchClient.connect(demo.url, demo.tokens["dispatcher"])
        deadline = time.monotonic() + 20
        while any(c["state"] == "unknown" for c in client.state["cameras"].values()):
            assert time.monotonic() < deadline, "the prober observes every camera even without streams"
            await asyncio.sleep(0.05)
        await client.close()
        return Counter(c["state"] for c in client.state["cameras"].values())

    try:
        assert asyncio.run(observed_states()) == {"offline": 221}
    finally:
        demo.stop()
    assert "demo: no camera video (ffmpeg is not installed (Debian package ffmpeg" in capfd.readouterr().err
