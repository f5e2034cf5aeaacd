"""The core loop with two console windows and one real server: drag, race, reconnect, and the 4-action call."""
from __future__ import annotations

import asyncio

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from dispatch.client import DispatchClient
from support.console import click_when_readable, open_window, screen_point, wait_until, xdrag


def _create_incident(url: str, token: str, lon: float, lat: float) -> str:
    async def run():
        client = await DispatchClient.connect(url, token, subscribe=False)
        reply = await client.command("incident.create", kind="fight", priority=1, lon=lon, lat=lat)
        await client.close()
        assert reply["op"] == "ack", reply
        return reply["incident_id"]
    return asyncio.run(run())


def _server_state(url: str, token: str) -> tuple[int, dict]:
    async def run():
        client = await DispatchClient.connect(url, token)
        await client.close()
        return client.seq, client.state
    return asyncio.run(run())


def _lone_available_unit(window) -> dict:
    """The available unit farthest from any other, so that a press on its marker can only mean it."""
    units = list(window.live.state["units"].values())

    def clearance(unit):
        return min((u["lon"] - unit["lon"]) ** 2 + (u["lat"] - unit["lat"]) ** 2 for u in units if u is not unit)
    return max((u for u in units if u["status"] == "available"), key=clearance)


def test_drag_in_one_console_assigns_and_the_other_sees_it(qtbot, server, users):
    _, tokens = users
    a = open_window(qtbot, server.url, tokens["alice"], screen_x=0)
    b = open_window(qtbot, server.url, tokens["bob"], screen_x=1920)
    unit = _lone_available_unit(a)
    incident_id = _create_incident(server.url, tokens["sam"], unit["lon"] + 0.004, unit["lat"] + 0.002)
    qtbot.waitUntil(lambda: a.canvas.incidents_layer.row(incident_id) is not None, timeout=5000)
    a.canvas.center_on(unit["lon"] + 0.002, unit["lat"] + 0.001, 900)
    a.canvas.render_now()
    QApplication.processEvents()
    xdrag(qtbot, screen_point(a, unit["lon"], unit["lat"]), screen_point(a, unit["lon"] + 0.004, unit["lat"] + 0.002))
    qtbot.waitUntil(lambda: a.live.state["units"][unit["unit_id"]]["status"] == "dispatched", timeout=3000)
    seen_in = wait_until(qtbot, lambda: b.live.state["units"][unit["unit_id"]]["status"] == "dispatched"
                         and b.board.row_index(unit["unit_id"]) is not None, timeout_ms=2000)
    assert seen_in < 0.2, f"console B showed the assignment after {seen_in * 1000:.0f} ms"
    row = b.canvas.units_layer.row(unit["unit_id"])
    assert b.canvas.units_layer.record(row)["status"] == "dispatched"
    assert b.live.state["incidents"][incident_id]["units"] == [unit["unit_id"]]


def test_both_consoles_drag_the_same_unit_one_wins_the_other_reads_why(qtbot, server, users):
    _, tokens = users
    a = open_window(qtbot, server.url, tokens["alice"], screen_x=0)
    b = open_window(qtbot, server.url, tokens["bob"], screen_x=1920)
    unit = _lone_available_unit(a)
    first = _create_incident(server.url, tokens["sam"], unit["lon"] + 0.003, unit["lat"])
    second = _create_incident(server.url, tokens["sam"], unit["lon"], unit["lat"] + 0.002)
    for window in (a, b):
        qtbot.waitUntil(lambda w=window: w.canvas.incidents_layer.row(second) is not None, timeout=5000)
    # Both drops land before either console has heard of the other's: the server judges.
    a.canvas.unitDroppedOnIncident.emit(unit["unit_id"], first)
    b.canvas.unitDroppedOnIncident.emit(unit["unit_id"], second)
    qtbot.waitUntil(lambda: a.live.state["units"][unit["unit_id"]]["status"] == "dispatched"
                    and b.live.state["units"][unit["unit_id"]]["status"] == "dispatched", timeout=3000)
    winner_incident = a.live.state["units"][unit["unit_id"]]["incident_id"]
    loser = b if winner_incident == first else a
    qtbot.waitUntil(lambda: any("not available" in m for m in loser.messages_shown), timeout=3000)
    callouts = [label.text() for label in loser.canvas.view.findChildren(type(loser.cursor_label), "callout")]
    assert any("Not possible now" in text and unit["callsign"] in text for text in callouts), callouts
    assert a.live.state == b.live.state


def test_server_killed_and_restarted_both_consoles_reconnect_to_its_state(qtbot, server, users):
    _, tokens = users
    a = open_window(qtbot, server.url, tokens["alice"], screen_x=0)
    b = open_window(qtbot, server.url, tokens["bob"], screen_x=1920)
    _create_incident(server.url, tokens["sam"], 24.944, 60.170)
    server.kill()
    qtbot.waitUntil(lambda: a.connection.state != "connected" and b.connection.state != "connected", timeout=5000)
    assert "commands are refused" in a.connection.text.text() or a.connection.state == "connecting"
    # Refused visibly while down, never queued:
    assert a.send("incident.create", {"kind": "x", "priority": 3, "lon": 24.94, "lat": 60.17}) is None
    assert any("Not connected" in m for m in a.messages_shown)
    server.start()
    _create_incident(server.url, tokens["sam"], 24.946, 60.171)  # the world moved on while they were away
    seq, state = _server_state(server.url, tokens["vic"])
    try:
        qtbot.waitUntil(lambda: a.connected and b.connected and a.live.seq == seq and b.live.seq == seq,
                        timeout=30_000)
    except Exception:
        raise AssertionError(f"server at {seq}; A {a.link.state} at {a.live.seq}, B {b.link.state} at {b.live.seq}")
    assert a.live.state == state and b.live.state == state
    assert set(b.queue.model.rows) == {i for i, inc in state["incidents"].items() if inc["status"] != "closed"}


def test_call_to_dispatch_in_four_actions(qtbot, server, users):
    _, tokens = users
    window = open_window(qtbot, server.url, tokens["alice"])
    window.canvas.center_on(24.944, 60.170, 1500)
    window.canvas.render_now()
    actions = 0
    # 1: right-click where the caller is
    where = window.canvas.lonlat_to_screen(24.9445, 60.1690).toPoint()
    QTest.mouseClick(window.canvas.view.viewport(), Qt.MouseButton.RightButton, pos=where)
    actions += 1
    qtbot.waitUntil(lambda: getattr(window, "context_menu", None) is not None and window.context_menu.isVisible(),
                    timeout=3000)
    # 2: "New incident here…", under the clicked point's nearest address (a disabled first line)
    menu = window.context_menu
    address = window.geocoder.reverse(24.9445, 60.1690)
    assert menu.actions()[0].text() == address.label and not menu.actions()[0].isEnabled()
    item = menu.actionGeometry(menu.actions()[1]).center()
    QTest.mouseClick(menu, Qt.MouseButton.LeftButton, pos=item)
    actions += 1
    qtbot.waitUntil(lambda: getattr(window, "incident_dialog", None) is not None
                    and window.incident_dialog.isVisible(), timeout=3000)
    assert window.incident_dialog.place.text() == address.label
    assert window.incident_dialog.where.text().endswith(window.city.grid_at(24.9445, 60.1690) or "-")
    # 3: Enter creates it (kind and priority have sensible defaults)
    QTest.keyClick(window.incident_dialog, Qt.Key.Key_Return)
    actions += 1
    qtbot.waitUntil(lambda: window.selected_incident is not None and bool(window.details.recommended.buttons),
                    timeout=5000)
    incident_id = window.selected_incident
    top = window.recommendations(incident_id)[0]
    # 4: one click on the top recommended unit
    click_when_readable(qtbot, next(iter(window.details.recommended.buttons.values())))
    actions += 1
    qtbot.waitUntil(lambda: window.live.state["units"][top.unit_id]["incident_id"] == incident_id, timeout=5000)
    assert window.live.state["incidents"][incident_id]["status"] == "dispatched"
    assert actions <= 4


def test_layout_is_remembered_per_user(qtbot, server, users):
    _, tokens = users
    window = open_window(qtbot, server.url, tokens["alice"])
    queue = window.docks()["queue"]
    queue.setFloating(True)
    queue.setGeometry(1960, 100, 640, 700)  # onto the second monitor
    qtbot.waitUntil(lambda: queue.geometry().x() >= 1920, timeout=3000)
    window.close()
    again = open_window(qtbot, server.url, tokens["alice"])
    restored = again.docks()["queue"]
    qtbot.waitUntil(lambda: restored.isFloating() and restored.geometry().x() >= 1920, timeout=5000)
    other = open_window(qtbot, server.url, tokens["bob"])  # another user keeps the default layout
    assert not other.docks()["queue"].isFloating()


def test_drag_a_unit_row_from_the_board_onto_an_incident_row_in_the_queue(qtbot, server, users):
    _, tokens = users
    window = open_window(qtbot, server.url, tokens["alice"])
    incident_id = _create_incident(server.url, tokens["sam"], 24.944, 60.170)
    qtbot.waitUntil(lambda: window.queue.row_of(incident_id) is not None, timeout=5000)
    unit = _lone_available_unit(window)
    unit_index = window.board.row_index(unit["unit_id"])
    window.board.view.scrollTo(unit_index)
    QApplication.processEvents()
    start = window.board.view.viewport().mapToGlobal(window.board.view.visualRect(unit_index).center())
    queue_view = window.queue.view
    row_rect = queue_view.visualRect(window.queue.proxy.index(window.queue.row_of(incident_id), 1))
    end = queue_view.viewport().mapToGlobal(row_rect.center())
    xdrag(qtbot, start, end)
    qtbot.waitUntil(lambda: window.live.state["units"][unit["unit_id"]]["incident_id"] == incident_id, timeout=5000)
    assert window.live.state["incidents"][incident_id]["status"] == "dispatched"
