"""Alarms at the desk: a feed (an alarm app's gateway) raises one on a real server; every dispatcher console
shows the banner and the pulsing mark at once, acknowledging on one clears every banner, an alarm nobody
acknowledges alerts again on time (louder, and the supervisor is told), and one click makes it an incident."""
from __future__ import annotations

from datetime import datetime, timezone

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtTest import QTest

from console.live import epoch
from support import dc09
from support.alarm_gateway import AlarmGatewayProcess
from support.console import command, open_window
from support.replay import server_replay_window
from support.server import ServerProcess
from support.wait import wait_until

LON, LAT = 24.9413, 60.1699  # by the demo city's centre, with cameras all round


def now_rfc3339() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def raise_alarm(server, tokens, device_id: str = "APP-13800138000", **changes) -> str:
    args = {"device_id": device_id, "kind": "panic", "lon": LON, "lat": LAT, "ts": now_rfc3339(),
            "text": "a man with a knife follows me", "media_url": "rtsp://media.example.org/live/1", **changes}
    return command(server.url, tokens["fred"], "alarm.raise", **args)["alarm_id"]


def click(qtbot, button) -> None:
    qtbot.waitUntil(lambda: button.isVisible() and button.isEnabled(), timeout=5000)
    QTest.mouseClick(button, Qt.MouseButton.LeftButton)


def heard(window) -> list[str]:
    """The alert kinds the window sounds (and flashes) from now on."""
    kinds: list[str] = []
    window.alerts.alerted.connect(kinds.append)
    return kinds


def banner_shows(window, alarm_id: str) -> bool:
    return window.alarm_banner.isVisible() and alarm_id in window.alarm_banner.rows


def marked(window, alarm_id: str) -> bool:
    layer = window.canvas.alarms_layer
    row = layer.row(alarm_id)
    return row is not None and bool(layer.drawn()[row])


def test_an_alarm_shows_on_two_consoles_and_acknowledging_on_one_clears_both(qtbot, server, users):
    _, tokens = users
    alice = open_window(qtbot, server.url, tokens["alice"])
    bob = open_window(qtbot, server.url, tokens["bob"], screen_x=1920)
    sounds = {window: heard(window) for window in (alice, bob)}
    alarm_id = raise_alarm(server, tokens)
    for window in (alice, bob):
        qtbot.waitUntil(lambda w=window: banner_shows(w, alarm_id) and marked(w, alarm_id), timeout=10_000)
        assert window.canvas.layers["alarms"].item.pulse.isActive(), "a raised alarm pulses"
        text = window.alarm_banner.rows[alarm_id].label.text()
        assert f"PANIC {alarm_id}" in text and "APP-13800138000" in text and "a man with a knife" in text
        assert "grid cell" in text
        assert window.alarm_banner.geometry().bottom() < window.canvas.geometry().top(), "above the map"
        assert "alarm" in sounds[window]
        assert any(m.startswith(f"ALARM {alarm_id}: panic") for m in window.messages_shown)
    # Show cameras puts the server's four nearest on a wall, nearest first
    camera_ids = bob.live.alarms()[alarm_id]["camera_ids"]
    assert len(camera_ids) == 4
    click(qtbot, bob.alarm_banner.rows[alarm_id].buttons["cameras"])
    qtbot.waitUntil(lambda: len(bob.walls) == 1, timeout=5000)
    assert [c.camera_id for c in bob.walls[0].cameras()] == camera_ids
    # the device's own stream goes on a wall too (the wall is full: on a new one)
    click(qtbot, bob.alarm_banner.rows[alarm_id].buttons["media"])
    qtbot.waitUntil(lambda: len(bob.walls) == 2, timeout=5000)
    assert bob.walls[1].cameras()[0].stream_url == "rtsp://media.example.org/live/1"
    # acknowledged on alice's desk, with a note: both banners clear
    click(qtbot, alice.alarm_banner.rows[alarm_id].buttons["ack"])
    qtbot.waitUntil(lambda: getattr(alice, "alarm_dialog", None) is not None and alice.alarm_dialog.isVisible(),
                    timeout=5000)
    alice.alarm_dialog.note.setText("called back: hiding in a shop, units on the way")
    alice.alarm_dialog.accept()
    for window in (alice, bob):
        qtbot.waitUntil(lambda w=window: not w.alarm_banner.isVisible(), timeout=10_000)
        alarm = window.live.alarms()[alarm_id]
        assert (alarm["status"], alarm["ack_by"], alarm["ack_note"]) == (
            "acknowledged", "alice", "called back: hiding in a shop, units on the way")
        assert marked(window, alarm_id), "an acknowledged alarm stays on the map until it ends"
        qtbot.waitUntil(lambda w=window: not w.canvas.layers["alarms"].item.pulse.isActive(), timeout=5000)
        assert alarm_id in window.alarms_panel.rows, "and in the Alarms dock"
    # one click on bob's desk: the incident, filled from the alarm, and selected
    incidents_before = set(bob.live.state["incidents"])
    click(qtbot, bob.alarms_panel.rows[alarm_id].buttons["incident"])
    qtbot.waitUntil(lambda: bob.live.alarms()[alarm_id]["status"] == "incident", timeout=10_000)
    incident_id = bob.live.alarms()[alarm_id]["incident_id"]
    assert set(bob.live.state["incidents"]) - incidents_before == {incident_id}
    incident = bob.live.state["incidents"][incident_id]
    assert (incident["kind"], incident["priority"], incident["lon"], incident["lat"], incident["source"]) == (
        "alarm", 1, LON, LAT, "alarm")
    assert incident["note"] == f"Alarm {alarm_id} (panic) from device APP-13800138000: a man with a knife follows me"
    qtbot.waitUntil(lambda: bob.selected_incident == incident_id, timeout=5000)
    for window in (alice, bob):
        qtbot.waitUntil(lambda w=window: not marked(w, alarm_id) and alarm_id not in w.alarms_panel.rows,
                        timeout=10_000)


def test_a_false_alarm_is_closed_with_its_reason(qtbot, server, users):
    _, tokens = users
    alice = open_window(qtbot, server.url, tokens["alice"])
    alarm_id = raise_alarm(server, tokens, device_id="PANEL-7", kind="intrusion", text=None, media_url=None)
    qtbot.waitUntil(lambda: banner_shows(alice, alarm_id), timeout=10_000)
    assert alice.alarm_banner.rows[alarm_id].buttons["media"].isHidden(), "the panel sent no media"
    click(qtbot, alice.alarm_banner.rows[alarm_id].buttons["false"])
    qtbot.waitUntil(lambda: getattr(alice, "alarm_dialog", None) is not None and alice.alarm_dialog.isVisible(),
                    timeout=5000)
    dialog = alice.alarm_dialog
    dialog.reason.setCurrentIndex(dialog.reason.findData("device_fault"))
    dialog.accept()
    qtbot.waitUntil(lambda: alice.live.alarms()[alarm_id]["status"] == "false", timeout=10_000)
    alarm = alice.live.alarms()[alarm_id]
    assert (alarm["reason"], alarm["close_note"], alarm["closed_by"]) == ("device_fault", None, "alice")
    qtbot.waitUntil(lambda: not alice.alarm_banner.isVisible() and not marked(alice, alarm_id), timeout=5000)


def test_an_unacknowledged_alarm_alerts_again_on_time_and_tells_the_supervisor(qtbot, tmp_path, users):
    users_file, tokens = users
    realert_s = 3.0
    server = ServerProcess(tmp_path / "events.db", users_file, extra_args=("--realert-s", f"{realert_s:g}"))
    server.start()
    try:
        alice = open_window(qtbot, server.url, tokens["alice"])
        sam = open_window(qtbot, server.url, tokens["sam"], screen_x=1920)
        assert alice.live.realert_s == sam.live.realert_s == realert_s, "from the server's welcome"
        sounds = {window: heard(window) for window in (alice, sam)}
        alarm_id = raise_alarm(server, tokens)
        for window in (alice, sam):
            qtbot.waitUntil(lambda w=window: banner_shows(w, alarm_id), timeout=10_000)
            assert window.alarm_banner.rows[alarm_id].style_name == "raised"
        raised_at = epoch(alice.live.alarms()[alarm_id]["raised_ts"])
        for window in (alice, sam):
            qtbot.waitUntil(lambda w=window: "alarm_overdue" in sounds[w], timeout=int(realert_s * 1000) + 5000)
            overdue_after = window.clock.now() - raised_at
            assert realert_s <= overdue_after < realert_s + 2.5, overdue_after
            row = window.alarm_banner.rows[alarm_id]
            assert row.style_name == "overdue"
            assert "NOT ACKNOWLEDGED for 0:0" in row.label.text()
        assert any(f"Alarm {alarm_id} has not been acknowledged" in m for m in sam.messages_shown)
        assert not any("has not been acknowledged" in m for m in alice.messages_shown), "the supervisor is told"
        assert sounds[alice].count("alarm_overdue") == 1, "once, not every tick"
        assert alice.alerts.effects["alarm_overdue"].volume() > alice.alerts.effects["alarm"].volume(), "louder"
        # acknowledging ends it on both desks
        command(server.url, tokens["bob"], "alarm.acknowledge", alarm_id=alarm_id)
        for window in (alice, sam):
            qtbot.waitUntil(lambda w=window: not w.alarm_banner.isVisible(), timeout=10_000)
    finally:
        server.kill()


def test_screenshot_of_the_banner_with_its_cameras_on_a_wall(qtbot, server, users, screenshot):
    _, tokens = users
    window = open_window(qtbot, server.url, tokens["alice"])
    auto = next(a for a in window.menuBar().findChildren(QAction) if a.objectName() == "alarm-cameras-auto")
    assert not auto.isChecked()
    auto.trigger()  # Settings > Put an alarm's cameras on the wall automatically
    assert window.alarm_cameras_automatically
    window.canvas.center_on(LON, LAT, 1500)
    first = raise_alarm(server, tokens)
    qtbot.waitUntil(lambda: banner_shows(window, first) and len(window.walls) == 1, timeout=10_000)
    wall = window.walls[0]
    assert [c.camera_id for c in wall.cameras()] == window.live.alarms()[first]["camera_ids"]
    second = raise_alarm(server, tokens, device_id="PANEL-7", kind="intrusion", lon=LON + 0.006, lat=LAT + 0.002,
                         text="rear door contact, zone 3", media_url=None)
    qtbot.waitUntil(lambda: banner_shows(window, second), timeout=10_000)
    qtbot.waitUntil(lambda: window.canvas.layers["alarms"].item.pulse.isActive() and wall.isVisible(), timeout=5000)
    window.canvas.render_now()
    console_png = screenshot("alarm_banner")
    wall_png = screenshot("alarm_cameras_wall", screen=1)
    assert console_png.stat().st_size > 50_000 and wall_png.stat().st_size > 10_000


def test_a_replay_shows_alarms_read_only(qtbot, server, users):
    _, tokens = users
    raised_id = raise_alarm(server, tokens, device_id="APP-REPLAY-1")
    acknowledged_id = raise_alarm(server, tokens, device_id="APP-REPLAY-2")
    command(server.url, tokens["bob"], "alarm.acknowledge", alarm_id=acknowledged_id)
    window = server_replay_window(qtbot, server.url, tokens["sam"])
    qtbot.waitUntil(lambda: window.info is not None and window.city is not None, timeout=30_000)
    window.clock.seek(window.info.end)
    qtbot.waitUntil(lambda: banner_shows(window, raised_id) and marked(window, acknowledged_id), timeout=10_000)
    assert list(window.alarm_banner.rows) == [raised_id], "the banner: alarms nobody had acknowledged then"
    assert set(window.alarms_panel.rows) == {raised_id, acknowledged_id}
    for alarm_list in (window.alarm_banner, window.alarms_panel):
        assert all(row.buttons == {} for row in alarm_list.rows.values()), "a replay acts on nothing"
    window.clock.seek(window.info.start)  # the log's first event: the first alarm, before the second came
    qtbot.waitUntil(lambda: not marked(window, acknowledged_id) and acknowledged_id not in window.alarms_panel.rows,
                    timeout=10_000)


def test_alarms_through_the_gateway_from_an_app_and_a_panel_show_on_two_consoles_and_one_ack_clears_both(
        qtbot, server, users, tmp_path, screenshot):
    _, tokens = users
    panels = f'[[panel]]\naccount = "5A5A"\nname = "Central Bank, cash office"\nlon = {LON}\nlat = {LAT + 0.002}\n'
    gateway = AlarmGatewayProcess(tmp_path, server.url, tokens["fred"], panels).start()
    try:
        alice = open_window(qtbot, server.url, tokens["alice"])
        bob = open_window(qtbot, server.url, tokens["bob"], screen_x=1920)
        status, answer = gateway.post({"device_id": "app-18900001111", "kind": "panic", "lon": LON, "lat": LAT,
                                       "text": "someone is breaking into my car"})
        assert status == 201, answer
        by_app = answer["alarm_id"]
        wait_until(lambda: gateway.panel_sends(dc09.contact_id("5A5A", 1, 121), timeout=1) == "ACK", 30,
                   "the panel's holdup alarm acknowledged")  # Contact ID 1121: duress
        qtbot.waitUntil(lambda: any(a["device_id"].startswith("dc09:5A5A:") for a in alice.live.alarms().values()),
                        timeout=10_000)
        by_panel = next(a["alarm_id"] for a in alice.live.alarms().values() if a["device_id"].startswith("dc09:5A5A:"))
        for window in (alice, bob):
            for alarm_id in (by_app, by_panel):
                qtbot.waitUntil(lambda w=window, a=alarm_id: banner_shows(w, a) and marked(w, a), timeout=10_000)
        text = bob.alarm_banner.rows[by_panel].label.text()
        assert f"PANIC {by_panel}" in text and "Central Bank, cash office" in text and "Holdup Alarm" in text
        screenshot("alarm_gateway_banners")  # the app's alarm and the panel's, one above the other
        click(qtbot, alice.alarm_banner.rows[by_panel].buttons["ack"])
        qtbot.waitUntil(lambda: getattr(alice, "alarm_dialog", None) is not None and alice.alarm_dialog.isVisible(),
                        timeout=5000)
        alice.alarm_dialog.note.setText("bank called back: a real holdup, units sent")
        alice.alarm_dialog.accept()
        for window in (alice, bob):
            qtbot.waitUntil(lambda w=window: by_panel not in w.alarm_banner.rows, timeout=10_000)
            assert banner_shows(window, by_app), "the app's alarm is still to be handled"
            assert window.live.alarms()[by_panel]["ack_by"] == "alice"
    finally:
        gateway.stop()



def test_a_perimeter_sensors_alert_shows_as_an_alarm_with_the_cameras_that_see_it(qtbot, server, users, screenshot):
    """A radar's `sensor.alert` (雷球联动): the banner names the sensor's kind in the console's language, and
    the wall gets the cameras whose view covers where it fired, as the server chose them."""
    from console.app import open_console
    from dispatch.commands import SENSOR_CAMERA_RANGE_M
    from dispatch.nearby import Nearby
    from layers.citypack import load_city

    _, tokens = users
    window = open_console(server.url, tokens["alice"], language="zh_CN")
    qtbot.addWidget(window)
    window.setGeometry(20, 40, 1600, 1000)
    qtbot.waitUntil(lambda: window.connected, timeout=30_000)
    next(a for a in window.menuBar().findChildren(QAction) if a.objectName() == "alarm-cameras-auto").trigger()
    assert window.alarm_cameras_automatically
    window.canvas.center_on(LON, LAT, 1500)
    alarm_id = command(server.url, tokens["fred"], "sensor.alert", device_id="RADAR-N3", kind="radar", lon=LON,
                       lat=LAT, ts=now_rfc3339(), text="行人目标 1.4 m/s")["alarm_id"]
    qtbot.waitUntil(lambda: banner_shows(window, alarm_id) and len(window.walls) == 1, timeout=10_000)
    alarm = window.live.alarms()[alarm_id]
    viewing = Nearby.of_city(load_city("demo")).cameras_viewing(LON, LAT, SENSOR_CAMERA_RANGE_M)
    assert alarm["camera_ids"] and alarm["camera_ids"] == [c for c in viewing
                                                           if window.live.state["cameras"][c]["state"] != "offline"][:4]
    assert [c.camera_id for c in window.walls[0].cameras()] == alarm["camera_ids"]
    assert "⚠ 雷达 A" in window.alarm_banner.rows[alarm_id].label.text()
    qtbot.waitUntil(lambda: marked(window, alarm_id), timeout=5000)
    window.canvas.render_now()
    window.repaint()
    screenshot("sensor_alert_zh")
    command(server.url, tokens["alice"], "alarm.close_false", alarm_id=alarm_id, reason="test")
