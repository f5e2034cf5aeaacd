"""Walls of 4 and 16 tiles play real HTTP streams: the pictures read back show the test clip and move."""
from __future__ import annotations

import pytest
from pattern import changed_fraction, shows_test_pattern

from video.camera import Camera
from video.tile import TileState


@pytest.mark.parametrize("layout, tiles", [("2x2", 4), ("4x4", 16)])
def test_wall_plays_every_tile(layout, tiles, serve, make_wall, screenshot, qtbot):
    server = serve("http", tuple(f"cam{i + 1}" for i in range(tiles)))
    wall = make_wall(layout)
    wall.fill(Camera(f"cam-{i + 1}", f"Camera {i + 1}", url) for i, url in enumerate(server.urls))

    qtbot.waitUntil(lambda: all(tile.state == TileState.LIVE for tile in wall.tiles), timeout=15_000)
    # Read back what each tile shows: the clip's six colour bars, in place.
    qtbot.waitUntil(lambda: all(shows_test_pattern(t.backend.displayed_image()) for t in wall.tiles),
                    timeout=2_000)
    first = [tile.backend.displayed_image() for tile in wall.tiles]

    def all_moved() -> bool:
        now = [tile.backend.displayed_image() for tile in wall.tiles]
        return all(changed_fraction(a, b) > 0.002 for a, b in zip(first, now))

    qtbot.waitUntil(all_moved, timeout=3_000)
    screenshot(f"wall_{layout}")
    for tile in wall.tiles:
        assert tile.state == TileState.LIVE
        assert shows_test_pattern(tile.backend.displayed_image())
        assert tile.camera.name in tile.status_text() and " fps" in tile.status_text()
