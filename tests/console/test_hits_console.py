"""Watchlist hits at the desk, on a real server: a read on the list reaches the dispatchers' banner at once,
an exact match and a possible one visibly different; a viewer's console never shows one; accepting with an
intercept makes the incident, rejecting takes a reason; both take the hit off the banner."""
from __future__ import annotations

from datetime import datetime, timezone

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from support.console import command, open_window

WANTED = {"pattern": "粤B12340", "category": "wanted", "reason": "armed robbery suspect, fled in this car"}


def now_rfc3339() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def read(server, tokens, plate: str) -> None:
    command(server.url, tokens["fred"], "plate.read", checkpoint_id="B02", plate=plate, ts=now_rfc3339(),
            confidence=88.0, direction="north")


def click(qtbot, button) -> None:
    qtbot.waitUntil(lambda: button.isVisible() and button.isEnabled(), timeout=5000)
    QTest.mouseClick(button, Qt.MouseButton.LeftButton)


def test_hits_reach_the_dispatcher_exact_and_possible_apart_and_never_a_viewer(qtbot, server, users, screenshot):
    _, tokens = users
    command(server.url, tokens["sam"], "watchlist.add", **WANTED)
    alice = open_window(qtbot, server.url, tokens["alice"])
    viewer = open_window(qtbot, server.url, tokens["vic"], screen_x=1920)
    sounds: list[str] = []
    alice.alerts.alerted.connect(sounds.append)
    read(server, tokens, "粤B12340")  # exactly the entry
    read(server, tokens, "粤B1Z340")  # a 2 read as Z: possibly it
    read(server, tokens, "京A00001")  # on no list
    qtbot.waitUntil(lambda: set(alice.hit_banner.rows) == {"H1", "H2"} and alice.hit_banner.isVisible(),
                    timeout=10_000)
    exact, possible = alice.hit_banner.rows["H1"], alice.hit_banner.rows["H2"]
    assert (exact.style_name, possible.style_name) == ("exact", "possible")
    assert "EXACT" in exact.label.text() and "POSSIBLE: look-alike" in possible.label.text()
    assert "粤B1<u>Z</u>340" in possible.label.text(), "the character that stood in is marked"
    assert "armed robbery suspect" in exact.label.text() and "Mannerheimintie bayonet" in exact.label.text()
    assert sounds.count("alarm") == 2
    QApplication.processEvents()
    alice.repaint()  # painted now, before the screen is grabbed
    screenshot("anpr_hits")  # an exact hit above a possible one
    qtbot.waitUntil(lambda: viewer.live.seq >= alice.live.seq, timeout=10_000)
    assert not viewer.hit_banner.isVisible() and viewer.live.hits() == {}
    click(qtbot, exact.buttons["intercept"])
    qtbot.waitUntil(lambda: alice.live.hits()["H1"]["status"] == "accepted", timeout=10_000)
    incident = alice.live.state["incidents"][alice.live.hits()["H1"]["incident_id"]]
    assert (incident["kind"], incident["priority"]) == ("intercept", 1)
    click(qtbot, alice.hit_banner.rows["H2"].buttons["reject"])
    qtbot.waitUntil(lambda: getattr(alice, "hit_dialog", None) is not None and alice.hit_dialog.isVisible(),
                    timeout=5000)
    alice.hit_dialog.reason.setCurrentIndex(alice.hit_dialog.reason.findData("misread"))
    alice.hit_dialog.note.setText("the camera shows 粤B12346")
    alice.hit_dialog.accept()
    qtbot.waitUntil(lambda: alice.live.hits()["H2"]["status"] == "rejected" and not alice.hit_banner.isVisible(),
                    timeout=10_000)
    assert alice.live.hits()["H2"]["reject_reason"] == "misread"


def test_a_supervisor_keeps_the_watchlist_in_its_editor_and_a_dispatcher_may_not_open_it(qtbot, server, users,
                                                                                           screenshot):
    from console.app import open_console

    _, tokens = users
    dispatcher = open_window(qtbot, server.url, tokens["alice"])
    assert not dispatcher.watchlist_action.isEnabled()
    sam = open_console(server.url, tokens["sam"], language="zh_CN")  # the editor in Chinese
    qtbot.addWidget(sam)
    sam.setGeometry(1940, 40, 1600, 1000)  # on the second monitor
    qtbot.waitUntil(lambda: sam.connected and sam.watchlist_action.isEnabled(), timeout=30_000)
    sam.watchlist_action.trigger()
    editor = sam.watchlist_dialog
    qtbot.waitUntil(editor.isVisible, timeout=5000)
    assert (editor.windowTitle(), editor.add_button.text()) == ("布控名单", "加入布控")
    editor.pattern.setText("粤B·1234*")
    editor.category.setCurrentIndex(editor.category.findData("wanted"))
    editor.reason.setText("持枪抢劫嫌疑人驾车逃逸，案件 2026-4412")
    click(qtbot, editor.add_button)
    qtbot.waitUntil(lambda: editor.table.rowCount() == 1, timeout=10_000)
    assert [editor.table.item(0, c).text() for c in (0, 1)] == ["W1", "粤B1234*"]
    assert editor.table.item(0, 2).text() == "在逃通缉" and editor.table.item(0, 5).text() == "sam"
    editor.table.selectRow(0)
    QApplication.processEvents()
    editor.repaint()
    screenshot("watchlist_editor_zh", screen=1)
    editor.removal_reason.setText("车辆已找到")
    click(qtbot, editor.remove_button)
    qtbot.waitUntil(lambda: editor.table.rowCount() == 0, timeout=10_000)
    assert sam.live.state["watchlist"] == {}
