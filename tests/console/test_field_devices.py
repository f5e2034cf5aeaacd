"""Field devices on the desk: a device the gateway could not map waits in the Field devices list until a
dispatcher attaches it; a unit whose position went stale (CoT's stale time) is marked on the map and the
board. The feed here is a real client of a real server, sending what the TAK gateway sends."""
from __future__ import annotations

import time
from datetime import datetime, timezone

import numpy as np
from PySide6.QtGui import QImage

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from support.console import command, open_window


def click(qtbot, button) -> None:
    qtbot.waitUntil(lambda: button.isVisible() and button.isEnabled(), timeout=5000)
    QTest.mouseClick(button, Qt.MouseButton.LeftButton)


def rfc3339(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def test_an_unknown_device_is_listed_then_attached_by_the_dispatcher(qtbot, server, users):
    _, tokens = users
    window = open_window(qtbot, server.url, tokens["alice"])
    command(server.url, tokens["fred"], "device.seen", device_uid="ANDROID-351811095448994", callsign="C0rv0",
            type="a-f-G-U-C", lon=24.94, lat=60.17, via="tak")
    command(server.url, tokens["fred"], "device.seen", device_uid="ANDROID-R52JB0CDC4E", callsign="corvTab",
            type="a-f-G-U-C", via="tak")  # no GPS fix: no position
    panel = window.devices
    window.docks()["devices"].raise_()  # its tab, behind the cameras'
    qtbot.waitUntil(lambda: len(panel.device_uids()) == 2, timeout=10_000)
    assert any("C0rv0 heard" in m for m in window.messages_shown)
    rows = {panel.table.item(r, 0).text(): [panel.table.item(r, c).text() for c in range(panel.COLUMNS)]
            for r in range(panel.table.rowCount())}
    assert rows["corvTab"][2] == "no fix"
    assert rows["C0rv0"][2] == "60.17000, 24.94000"
    assert "2 devices, 2 waiting" in panel.summary.text()
    unit = sorted(window.live.state["units"].values(), key=lambda u: u["unit_id"])[0]
    panel.select("ANDROID-351811095448994")
    panel.units.setCurrentIndex(panel.units.findData(unit["unit_id"]))
    click(qtbot, panel.attach)
    qtbot.waitUntil(lambda: window.live.state["devices"]["ANDROID-351811095448994"]["unit_id"] == unit["unit_id"],
                    timeout=10_000)
    qtbot.waitUntil(lambda: "1 waiting" in panel.summary.text(), timeout=5_000)
    assert panel.device_uids()[0] == "ANDROID-R52JB0CDC4E"  # the one still waiting comes first
    panel.select("ANDROID-351811095448994")
    click(qtbot, panel.detach)
    qtbot.waitUntil(lambda: window.live.state["devices"]["ANDROID-351811095448994"]["unit_id"] is None,
                    timeout=10_000)


def test_units_whose_positions_went_stale_are_marked_on_the_map_and_the_board(qtbot, server, users, screenshot):
    _, tokens = users
    window = open_window(qtbot, server.url, tokens["alice"])
    units = sorted(window.live.state["units"].values(), key=lambda u: u["unit_id"])[:4]
    lon, lat = 24.9384, 60.1699
    now = time.time()
    # Two TAK devices' units: one current (stale in 10 min), one whose stale time passed; two more whose
    # stale time passes in a moment, with no event then.
    stale_at = (now + 600, now - 60, now + 2.0, now + 2.0)
    for n, (unit, stale) in enumerate(zip(units, stale_at)):
        command(server.url, tokens["fred"], "unit.position", unit_id=unit["unit_id"], lon=lon + 0.004 * n,
                lat=lat, heading=90.0, ts=rfc3339(now - 5), stale=rfc3339(stale))
    ids = [u["unit_id"] for u in units]
    layer = window.canvas.units_layer

    def stale_rows():
        return list(layer.stale(layer.rows(ids), window.clock.now()))

    qtbot.waitUntil(lambda: all(window.live.state["units"][u].get("pos_stale") for u in ids), timeout=10_000)
    qtbot.waitUntil(lambda: stale_rows() == [False, True, False, False], timeout=5_000)
    qtbot.waitUntil(lambda: window.board.model.stale == {ids[1]}, timeout=5_000)
    # time passing alone makes the last two stale, on the board and on the map
    qtbot.waitUntil(lambda: window.board.model.stale == {ids[1], ids[2], ids[3]}, timeout=10_000)
    assert stale_rows() == [False, True, True, True]
    index = window.board.row_index(ids[1])
    assert index.data().endswith("(stale)")
    assert "position stale since" in index.data(3)  # the tooltip
    window.canvas.center_on(lon + 0.006, lat, 700)
    window.canvas.render_now()
    qtbot.waitUntil(lambda: window.isActiveWindow() or window.isVisible(), timeout=5_000)
    shot = QImage(str(screenshot("tak_units_stale")))
    assert not shot.isNull()
    # The struck grey ring is drawn around each stale unit and not around the current one.
    image = window.canvas.view.grab().toImage()

    def grey_ring_pixels(unit_lon: float) -> int:
        point = window.canvas.lonlat_to_screen(unit_lon, lat).toPoint()
        count = 0
        for dx in range(-12, 13):
            for dy in range(-12, 13):
                c = image.pixelColor(point.x() + dx, point.y() + dy)
                if abs(c.red() - 90) < 12 and abs(c.green() - 90) < 12 and abs(c.blue() - 90) < 12:
                    count += 1
        return count

    counts = [grey_ring_pixels(lon + 0.004 * n) for n in range(4)]
    assert counts[0] < 5 and all(c > 30 for c in counts[1:]), counts
    assert np.isnan(layer.data["pos_stale"][layer.rows([sorted(window.live.state["units"])[-1]])]).all()
