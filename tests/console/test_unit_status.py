"""A unit's status without typing (map and board menus, buttons in the details, F5-F8), several units in
one drop, and the command line's small manners."""
from __future__ import annotations

import subprocess

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QPushButton

from support.console import command, click_when_readable, open_window, screen_point, xdrag



def _lone_unit(window) -> dict:
    units = list(window.live.state["units"].values())

    def clearance(unit):
        return min((u["lon"] - unit["lon"]) ** 2 + (u["lat"] - unit["lat"]) ** 2 for u in units if u is not unit)
    return max((u for u in units if u["status"] == "available"), key=clearance)


def _status(window, unit_id: str) -> str:
    return window.live.state["units"][unit_id]["status"]


def test_right_click_on_a_unit_on_the_map_sets_its_status(qtbot, server, users):
    _, tokens = users
    window = open_window(qtbot, server.url, tokens["alice"])
    unit = _lone_unit(window)
    window.canvas.center_on(unit["lon"], unit["lat"], 900)
    window.canvas.render_now()
    QApplication.processEvents()
    at = screen_point(window, unit["lon"], unit["lat"])
    subprocess.run(["xdotool", "mousemove", str(at.x()), str(at.y()), "click", "3"], check=True, timeout=10)
    qtbot.waitUntil(lambda: getattr(window, "context_menu", None) is not None and window.context_menu.isVisible(),
                    timeout=3000)
    menu = window.context_menu
    titles = [a.text() for a in menu.actions()]
    assert titles[0].startswith(unit["callsign"]) and "available" in titles[0]
    busy = next(a for a in menu.actions() if a.objectName() == "unit-status-busy")
    assert not any(a.objectName() == "unit-status-onscene" for a in menu.actions())  # not from available
    target = menu.mapToGlobal(menu.actionGeometry(busy).center())
    subprocess.run(["xdotool", "mousemove", str(target.x()), str(target.y()), "click", "1"], check=True, timeout=10)
    qtbot.waitUntil(lambda: _status(window, unit["unit_id"]) == "busy", timeout=5000)
    assert any(f"✓ {unit['callsign']} is busy" in m for m in window.messages_shown)


def test_the_details_show_each_assigned_units_status_with_buttons_and_F6_sets_on_scene(qtbot, server, users):
    _, tokens = users
    window = open_window(qtbot, server.url, tokens["alice"])
    unit = _lone_unit(window)
    reply = command(server.url, tokens["sam"], "incident.create", kind="fight", priority=2,
                     lon=unit["lon"], lat=unit["lat"])
    incident_id = reply["incident_id"]
    command(server.url, tokens["sam"], "unit.assign", unit_id=unit["unit_id"], incident_id=incident_id)
    qtbot.waitUntil(lambda: _status(window, unit["unit_id"]) == "dispatched", timeout=5000)
    window.select_incident(incident_id)
    assigned = window.details.assigned
    qtbot.waitUntil(lambda: unit["unit_id"] in assigned.rows, timeout=3000)
    label, buttons = assigned.rows[unit["unit_id"]]
    assert label.text().startswith(f"<b>{unit['callsign']}</b> · dispatched")
    assert buttons["enroute"].isEnabled() and buttons["available"].isEnabled()
    click_when_readable(qtbot, buttons["enroute"])
    qtbot.waitUntil(lambda: _status(window, unit["unit_id"]) == "enroute", timeout=5000)
    qtbot.waitUntil(lambda: "enroute" in assigned.rows[unit["unit_id"]][0].text(), timeout=3000)
    assert not assigned.rows[unit["unit_id"]][1]["enroute"].isEnabled()  # already there
    # The time in status counts up with the clock.
    qtbot.waitUntil(lambda: assigned.rows[unit["unit_id"]][0].text().endswith(("0:01", "0:02", "0:03")),
                    timeout=5000)
    # F6 for the selected unit (chosen on the board), no typing.
    index = window.board.row_index(unit["unit_id"])
    window.board.view.scrollTo(index)
    QTest.mouseClick(window.board.view.viewport(), Qt.MouseButton.LeftButton,
                     pos=window.board.view.visualRect(index).center())
    assert window.selected_unit == unit["unit_id"]
    window.activateWindow()
    qtbot.waitUntil(lambda: window.isActiveWindow(), timeout=3000)
    subprocess.run(["xdotool", "key", "F6"], check=True, timeout=10)
    qtbot.waitUntil(lambda: _status(window, unit["unit_id"]) == "onscene", timeout=5000)


def test_two_units_selected_on_the_board_are_assigned_in_one_drop(qtbot, server, users):
    _, tokens = users
    window = open_window(qtbot, server.url, tokens["alice"])
    reply = command(server.url, tokens["sam"], "incident.create", kind="fire", priority=1, lon=24.944, lat=60.170)
    incident_id = reply["incident_id"]
    qtbot.waitUntil(lambda: window.queue.row_of(incident_id) is not None, timeout=5000)
    view = window.board.view
    engine, ambulance = "F-01", "E-01"
    ids = {u["callsign"]: u["unit_id"] for u in window.live.state["units"].values()}
    first, second = window.board.row_index(ids[engine]), window.board.row_index(ids[ambulance])
    view.scrollTo(first)
    QTest.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=view.visualRect(first).center())
    QTest.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ControlModifier,
                     pos=view.visualRect(second).center())
    assert len(view.selectionModel().selectedRows(0)) == 2
    start = view.viewport().mapToGlobal(view.visualRect(first).center())
    queue = window.queue.view
    row = queue.visualRect(queue.model().index(window.queue.row_of(incident_id), 1)).center()
    xdrag(qtbot, start, queue.viewport().mapToGlobal(row))
    qtbot.waitUntil(lambda: sorted(window.live.state["incidents"][incident_id]["units"])
                    == sorted([ids[engine], ids[ambulance]]), timeout=5000)


def test_ctrl_l_selects_what_failed_so_the_next_command_replaces_it(qtbot, server, users):
    _, tokens = users
    window = open_window(qtbot, server.url, tokens["alice"])
    window.command_line.setText("assign NOSUCH I1")
    window.command_line.returnPressed.emit()
    assert window.command_line.text() == "assign NOSUCH I1"  # an error keeps the line to mend it
    window.activateWindow()
    qtbot.waitUntil(lambda: window.isActiveWindow(), timeout=3000)
    subprocess.run(["xdotool", "key", "ctrl+l", "type", "--delay", "20", "find P-01"], check=True, timeout=10)
    qtbot.waitUntil(lambda: window.command_line.text() == "find P-01", timeout=3000)


def test_one_click_assigns_the_whole_run_card_it_names_and_a_closed_incident_offers_nothing(qtbot, server, users):
    _, tokens = users
    window = open_window(qtbot, server.url, tokens["alice"])
    reply = command(server.url, tokens["sam"], "incident.create", kind="fire", priority=1, lon=24.944, lat=60.170)
    incident_id = reply["incident_id"]
    qtbot.waitUntil(lambda: incident_id in window.live.state["incidents"], timeout=5000)
    window.select_incident(incident_id)
    card = window.details.recommended.card
    qtbot.waitUntil(card.isVisible, timeout=3000)
    units = window.live.state["units"]
    named = [units[u]["callsign"] for u in window.details.recommended.card_named]
    assert card.text() == "Assign the run card: " + ", ".join(named)
    assert sorted(units[u]["kind"] for u in window.details.recommended.card_named) == ["ems", "fire", "fire"]
    click_when_readable(qtbot, card)
    qtbot.waitUntil(lambda: sorted(units[u]["callsign"] for u in window.live.state["incidents"][incident_id]["units"])
                    == sorted(named), timeout=5000)
    command(server.url, tokens["sam"], "incident.close", incident_id=incident_id, disposition="FIRE_OUT")
    qtbot.waitUntil(lambda: window.live.state["incidents"][incident_id]["status"] == "closed", timeout=5000)
    recommended = window.details.recommended
    qtbot.waitUntil(lambda: not recommended.buttons and not recommended.title.isVisible()
                    and not card.isVisible() and not window.details.assigned.rows, timeout=3000)
    shown = [b.text() for b in window.details.findChildren(QPushButton) if b.isVisible() and b is not card
             and (b.property("unit_id") or b.objectName().startswith("status-"))]
    assert shown == [], f"a closed incident still shows {shown}"
