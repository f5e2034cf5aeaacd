"""The console's camera list: a click (or Enter) finds the camera on the map, a double-click opens it on a wall."""
from __future__ import annotations

import subprocess

from PySide6.QtCore import Qt

from support.console import open_window
from video.camera import Camera


def _xclick(qtbot, point, repeat: int = 1) -> None:
    proc = subprocess.Popen(["xdotool", "mousemove", str(point.x()), str(point.y()), "sleep", "0.15",
                             "click", "--repeat", str(repeat), "--delay", "80", "1"])
    qtbot.waitUntil(lambda: proc.poll() is not None, timeout=10_000)
    assert proc.returncode == 0


def _item_point(window, camera_id: str):
    cameras = window.camera_list
    dock = window.docks()["cameras"]
    dock.show()
    dock.raise_()
    cameras.search.setText(window.live.state["cameras"][camera_id]["name"])
    row = next(r for r in range(cameras.list.count()) if cameras.list.item(r).data(Qt.ItemDataRole.UserRole).camera_id == camera_id)
    item = cameras.list.item(row)
    cameras.list.scrollToItem(item)
    return cameras.list.viewport().mapToGlobal(cameras.list.visualItemRect(item).center())


def test_a_click_centres_the_map_on_the_camera_and_selects_it(qtbot, server, users):
    window = open_window(qtbot, server.url, users[1]["alice"])
    qtbot.waitUntil(lambda: window.camera_list.list.count() > 0, timeout=10_000)
    camera_id = sorted(window.live.state["cameras"])[-1]
    camera = window.live.state["cameras"][camera_id]
    window.canvas.center_on(camera["lon"] + 0.02, camera["lat"] + 0.01, 600)  # somewhere else first
    _xclick(qtbot, _item_point(window, camera_id))
    qtbot.waitUntil(lambda: window.canvas.selection == ("cameras", camera_id), timeout=5_000)

    def centred() -> bool:
        centre = window.canvas.view.rect().center()
        point = window.canvas.lonlat_to_screen(camera["lon"], camera["lat"])
        return abs(point.x() - centre.x()) < 3 and abs(point.y() - centre.y()) < 3

    qtbot.waitUntil(centred, timeout=5_000)


def test_a_double_click_opens_the_camera_on_the_first_free_tile(qtbot, server, users):
    window = open_window(qtbot, server.url, users[1]["alice"])
    qtbot.waitUntil(lambda: window.camera_list.list.count() > 1, timeout=10_000)
    first, second = sorted(window.live.state["cameras"])[:2]
    wall = window.open_wall()
    qtbot.waitExposed(wall)
    wall.assign(0, Camera.from_dict(window.live.state["cameras"][first]))
    _xclick(qtbot, _item_point(window, second), repeat=2)
    qtbot.waitUntil(lambda: wall.cameras()[1] is not None, timeout=5_000)
    assert wall.cameras()[0].camera_id == first and wall.cameras()[1].camera_id == second
    assert window.walls == [wall]
