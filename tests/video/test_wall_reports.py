"""What a console's video wall sees of a camera becomes the server's observation: live on a tile is online,
NO SIGNAL that reconnecting does not mend within DARK_AFTER_S is offline, and every console's status bar counts it, the unknown cameras apart."""
from __future__ import annotations

from PySide6.QtCore import QSettings

from support.console import open_window
from support.server import ServerProcess, make_users
from video.camera import Camera
from video.loopback_streams import free_port
from video.tile import DARK_AFTER_S, TileState

# Frames stop for 2 s before the tile says NO SIGNAL, then the tile waits DARK_AFTER_S before it reports.
DARK_REPORT_MS = int((2.0 + DARK_AFTER_S + 2.0) * 1000)


def test_a_wall_reports_what_it_sees_and_the_status_bar_counts_it(serve, tmp_path, qtbot):
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "config"))
    tokens = make_users(tmp_path / "users.json")
    server = ServerProcess(tmp_path / "events.db", tmp_path / "users.json")  # the demo city, no prober
    server.start()
    try:
        stream = serve("http")
        window = open_window(qtbot, server.url, tokens["alice"])
        cameras = window.live.state["cameras"]
        total = len(cameras)
        qtbot.waitUntil(lambda: window.camera_rate.text() == f"Cameras: none observed yet, {total} unknown", timeout=5_000)
        camera_id = sorted(cameras)[0]
        wall = window.open_wall()
        wall.assign(0, Camera(camera_id, cameras[camera_id]["name"], stream.url))
        qtbot.waitUntil(lambda: wall.tiles[0].state == TileState.LIVE, timeout=10_000)
        qtbot.waitUntil(lambda: cameras[camera_id]["state"] == "online", timeout=5_000)
        qtbot.waitUntil(lambda: window.camera_rate.text() == f"Cameras: 1 online of 1 observed (100.0%), {total - 1} unknown", timeout=5_000)
        qtbot.waitUntil(lambda: window.canvas.cameras_layer.record(window.canvas.cameras_layer.row(camera_id))["state"] == "online", timeout=5_000)

        stream.kill()
        qtbot.waitUntil(lambda: cameras[camera_id]["state"] == "offline", timeout=DARK_REPORT_MS)
        qtbot.waitUntil(lambda: window.camera_rate.text() == f"Cameras: 0 online of 1 observed (0.0%), {total - 1} unknown", timeout=5_000)
        qtbot.waitUntil(lambda: window.canvas.cameras_layer.record(window.canvas.cameras_layer.row(camera_id))["state"] == "offline", timeout=5_000)
        listing = window.camera_list.list
        qtbot.waitUntil(lambda: any(listing.item(row).text().startswith(f"{cameras[camera_id]['name']}  ·  offline ")
                                    for row in range(listing.count())), timeout=5_000)

        # A camera never observed that a wall finds dark: unknown -> offline is news worth reporting.
        dark_id = sorted(cameras)[1]
        wall.assign(1, Camera(dark_id, cameras[dark_id]["name"], f"http://127.0.0.1:{free_port()}/cam"))
        qtbot.waitUntil(lambda: cameras[dark_id]["state"] == "offline", timeout=DARK_REPORT_MS + 3_000)
        qtbot.waitUntil(lambda: window.camera_rate.text() == f"Cameras: 0 online of 2 observed (0.0%), {total - 2} unknown", timeout=5_000)
    finally:
        server.kill()
