"""Driving console windows in tests: open one against a server, find map points on screen, drag for real."""
from __future__ import annotations

import subprocess
import time

from PySide6.QtCore import QPoint


def open_window(qtbot, url: str, token: str, screen_x: int = 0):
    from console.app import open_console

    window = open_console(url, token, language="en")
    qtbot.addWidget(window)
    window.setGeometry(screen_x + 20, 40, 1600, 1000)
    qtbot.waitUntil(lambda: window.windowHandle().isExposed() and window.connected and window.city is not None
                    and window.live.seq >= 0 and window.canvas.units_layer.row(next(iter(window.live.state["units"]), "")) is not None,
                    timeout=30_000)
    return window


def screen_point(window, lon: float, lat: float) -> QPoint:
    """Where a map position is on the X screen, in global pixels."""
    local = window.canvas.lonlat_to_screen(lon, lat).toPoint()
    return window.canvas.view.mapToGlobal(local)


def drag_path(start: QPoint, end: QPoint, steps: int = 12) -> list[QPoint]:
    """The points `xdrag` moves the pointer through after pressing at `start`."""
    return [QPoint(start.x() + (end.x() - start.x()) * k // steps, start.y() + (end.y() - start.y()) * k // steps)
            for k in range(1, steps + 1)]


def xdrag(qtbot, start: QPoint, end: QPoint, steps: int = 12, holding: str | None = None) -> None:
    """A real drag on the X server (XTEST through xdotool): press, move in steps, release; `holding`: a key
    held down throughout (an X keysym such as "shift"). Runs beside the Qt event loop, which keeps
    processing the drag."""
    moves = []
    for point in drag_path(start, end, steps):
        moves += ["mousemove", str(point.x()), str(point.y()), "sleep", "0.03"]
    press, release = (["keydown", holding], ["keyup", holding]) if holding else ([], [])
    command = ["xdotool", "mousemove", str(start.x()), str(start.y()), "sleep", "0.1", *press, "mousedown", "1",
               "sleep", "0.1", *moves, "sleep", "0.15", "mouseup", "1", *release]
    proc = subprocess.Popen(command)
    qtbot.waitUntil(lambda: proc.poll() is not None, timeout=15_000)
    assert proc.returncode == 0


def wait_until(qtbot, condition, timeout_ms: int) -> float:
    """Poll `condition` (processing Qt events) until true; return the seconds it took."""
    began = time.monotonic()
    qtbot.waitUntil(condition, timeout=timeout_ms)
    return time.monotonic() - began


def click_when_readable(qtbot, button) -> None:
    """Click a one-click button as a person would: once it has stood still long enough to be read (a click
    sooner is refused as aimed at what was there before)."""
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    qtbot.waitUntil(lambda: button.isVisible() and button.isEnabled() and button.clicked_in_time(), timeout=5000)
    QTest.mouseClick(button, Qt.MouseButton.LeftButton)


def command(url: str, token: str, cmd: str, **args) -> dict:
    """One command from another client (a second desk, a supervisor), outside the window; its ack."""
    import asyncio

    from dispatch.client import DispatchClient

    async def run():
        client = await DispatchClient.connect(url, token, subscribe=False)
        reply = await client.command(cmd, **args)
        await client.close()
        assert reply["op"] == "ack", reply
        return reply
    return asyncio.run(run())
