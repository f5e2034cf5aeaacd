"""Layouts, enlarging, tours, nearest-camera fill and workspace save/restore of a wall."""
from __future__ import annotations

import json

import pytest
from pattern import shows_test_pattern
from PySide6.QtCore import Qt

from video.camera import Camera
from video.tile import DARK_AFTER_S, TileState
from video.wall import LAYOUTS, Wall

DEAD_URL = "http://127.0.0.1:9/nothing-listens-here"


@pytest.mark.parametrize("layout, count", [("1", 1), ("2x2", 4), ("3x3", 9), ("4x4", 16), ("1+5", 6)])
def test_layouts_tile_the_screen(layout, count, make_wall):
    wall = make_wall(layout)
    assert len(wall.tiles) == count == len(LAYOUTS[layout])
    areas = sorted(t.width() * t.height() for t in wall.tiles)
    assert sum(areas) > 0.95 * wall.width() * wall.height()
    if layout == "1+5":
        assert areas[-1] > 3.5 * areas[0], "the large tile covers 2x2 cells"


def test_unknown_layout_is_refused():
    with pytest.raises(ValueError, match="1\\+5"):
        Wall("5x5")


def test_double_click_enlarges_and_restores(make_wall, qtbot):
    wall = make_wall("3x3")
    tile = wall.tiles[4]
    qtbot.mouseDClick(tile, Qt.MouseButton.LeftButton)
    assert wall.enlarged_index == 4
    qtbot.waitUntil(lambda: tile.width() > 0.9 * wall.width() and tile.height() > 0.9 * wall.height())
    assert not any(t.isVisible() for t in wall.tiles if t is not tile)
    qtbot.mouseDClick(tile, Qt.MouseButton.LeftButton)
    assert wall.enlarged_index is None
    qtbot.waitUntil(lambda: all(t.isVisible() for t in wall.tiles) and tile.width() < 0.4 * wall.width())


def test_changing_layout_keeps_the_cameras_that_still_fit(make_wall):
    wall = make_wall("2x2")
    cameras = [Camera(f"c{i}", f"C{i}", DEAD_URL) for i in range(4)]
    wall.fill(cameras)
    wall.set_layout("1+5")
    assert wall.cameras() == cameras + [None, None]
    wall.set_layout("1")
    assert wall.cameras() == cameras[:1]


def test_a_freed_tile_ignores_its_players_late_end_report(make_wall):
    # libvlc may report a stream's end from its own thread after the tile was freed by a layout change.
    wall = make_wall("2x2")
    wall.fill([Camera(f"c{i}", f"C{i}", DEAD_URL) for i in range(4)])
    freed = wall.tiles[3]
    late_reporter = freed.backend
    wall.set_layout("1")
    late_reporter.disconnected.emit()
    assert freed.backend is None


def test_tour_cycles_cameras_with_its_dwell_time(make_wall, qtbot):
    wall = make_wall("2x2")
    cameras = [Camera(f"t{i}", f"Tour {i}", DEAD_URL) for i in range(3)]
    wall.start_tour(2, cameras, dwell_s=0.3)
    seen = [wall.tiles[2].camera.camera_id]

    def record() -> bool:
        current = wall.tiles[2].camera.camera_id
        if current != seen[-1]:
            seen.append(current)
        return len(seen) >= 5

    qtbot.waitUntil(record, timeout=3_000)
    assert seen[:5] == ["t0", "t1", "t2", "t0", "t1"]
    wall.stop_tour(2)
    assert 2 not in wall.tours()


def test_nearest_cameras_skips_cameras_seen_offline(serve, make_wall, qtbot):
    server = serve("http")
    dead = Camera("dead", "Dead but nearest", DEAD_URL, 116.4000, 39.9000)
    cameras = [dead] + [Camera(f"n{i}", f"Near {i}", server.url, 116.4000 + 0.001 * (i + 1), 39.9000)
                        for i in range(5)]
    wall = make_wall("2x2")
    wall.assign(0, dead)
    qtbot.waitUntil(lambda: wall.online_states().get("dead") is False, timeout=int((2 + DARK_AFTER_S + 2) * 1000))

    chosen = wall.fill_nearest(cameras, 116.4000, 39.9000)
    assert [c.camera_id for c in chosen] == ["n0", "n1", "n2", "n3"]
    assert [c.camera_id for c in wall.cameras()] == ["n0", "n1", "n2", "n3"]
    qtbot.waitUntil(lambda: all(t.state == TileState.LIVE for t in wall.tiles), timeout=10_000)


def test_workspace_round_trip(make_wall, qtbot):
    wall = make_wall("1+5")
    cameras = [Camera(f"w{i}", f"Workspace {i}", f"{DEAD_URL}/{i}", 116.4, 39.9) for i in range(4)]
    wall.assign(0, cameras[0])
    wall.assign(3, cameras[1])
    wall.start_tour(5, cameras[2:], dwell_s=30)
    wall.toggle_enlarged(3)
    saved = json.loads(json.dumps(wall.to_dict()))
    assert saved["layout"] == "1+5" and saved["enlarged"] == 3
    assert saved["tiles"][0] == {"camera_id": "w0", "name": "Workspace 0", "stream_url": f"{DEAD_URL}/0"}
    assert saved["tiles"][1] is None
    assert saved["tours"] == [{"tile": 5, "dwell_s": 30.0, "cameras": [
        {"camera_id": "w2", "name": "Workspace 2", "stream_url": f"{DEAD_URL}/2"},
        {"camera_id": "w3", "name": "Workspace 3", "stream_url": f"{DEAD_URL}/3"}]}]

    restored = Wall.from_dict(saved)
    qtbot.addWidget(restored)
    assert restored.to_dict() == saved
    assert [c and c.camera_id for c in restored.cameras()] == ["w0", None, None, "w1", None, "w2"]


def test_one_wall_per_monitor(serve, make_wall, screenshot, qtbot, qapp):
    server = serve("http", ("left", "right"))
    walls = [make_wall("2x2", screen=0), make_wall("1", screen=1)]
    for index, (wall, url) in enumerate(zip(walls, server.urls)):
        assert wall.geometry() == qapp.screens()[index].geometry()
        wall.assign(0, Camera(f"m{index}", f"Monitor {index}", url))
    qtbot.waitUntil(lambda: all(w.tiles[0].state == TileState.LIVE for w in walls), timeout=10_000)
    qtbot.waitUntil(lambda: all(shows_test_pattern(w.tiles[0].backend.displayed_image()) for w in walls),
                    timeout=2_000)
    assert [w.screen().name() for w in walls] == [s.name() for s in qapp.screens()]
    screenshot("two_walls_right_monitor", screen=1)
