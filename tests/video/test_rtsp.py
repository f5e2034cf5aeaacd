"""An rtsp:// source plays on this machine, whose libvlc has no RTSP: the tile picks Qt Multimedia for it."""
from __future__ import annotations

from pattern import changed_fraction, shows_test_pattern

from video.backends import QtMultimediaBackend, VlcBackend
from video.camera import Camera
from video.tile import TileState


def test_rtsp_source_plays(serve, make_wall, screenshot, qtbot):
    rtsp = serve("rtsp")
    http = serve("http")
    wall = make_wall("2x2")
    wall.fill([Camera("cam-rtsp", "RTSP camera", rtsp.url), Camera("cam-http", "HTTP camera", http.url)])
    rtsp_tile, http_tile = wall.tiles[:2]
    assert isinstance(rtsp_tile.backend, QtMultimediaBackend)
    assert isinstance(http_tile.backend, VlcBackend)

    qtbot.waitUntil(lambda: rtsp_tile.state == TileState.LIVE and http_tile.state == TileState.LIVE,
                    timeout=15_000)
    qtbot.waitUntil(lambda: shows_test_pattern(rtsp_tile.backend.displayed_image()), timeout=2_000)
    first = rtsp_tile.backend.displayed_image()
    qtbot.waitUntil(lambda: changed_fraction(first, rtsp_tile.backend.displayed_image()) > 0.002, timeout=3_000)
    assert shows_test_pattern(rtsp_tile.backend.displayed_image())
    screenshot("wall_rtsp_and_http")
    # Switching a tile to another kind of source swaps its backend.
    wall.assign(0, Camera("cam-http-2", "HTTP again", http.url))
    assert isinstance(rtsp_tile.backend, VlcBackend)
    qtbot.waitUntil(lambda: rtsp_tile.state == TileState.LIVE, timeout=10_000)
