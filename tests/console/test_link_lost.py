"""A lost link is unmissable: a banner, the map marked stale, an alert, and lines in Messages, in words."""
from __future__ import annotations

import re

from PySide6.QtCore import QSettings

from console.app import open_console
from console.link import failure_reason
from support.console import open_window


def test_losing_the_server_shows_a_banner_and_a_stale_map_until_it_is_back(qtbot, server, users, screenshot):
    _, tokens = users
    window = open_window(qtbot, server.url, tokens["alice"])
    alerts: list[str] = []
    window.alerts.alerted.connect(alerts.append)
    units_opacity = window.canvas.layer_opacity("units")
    assert not window.link_banner.isVisible() and window.canvas.stale_since is None

    server.kill()
    qtbot.waitUntil(lambda: window.link_banner.isVisible() and window.canvas.stale_since is not None, timeout=5000)
    banner = window.link_banner.text()
    assert "NO LINK TO THE DISPATCH SERVER" in banner and "nothing you do is sent" in banner
    assert window.link_banner.height() >= 40, "the banner must be big enough to see from across the desk"
    assert alerts == ["link_lost"]
    lost = [m for m in window.messages_shown if m.startswith("The link to the server is lost")]
    assert len(lost) == 1
    assert "does not answer at its address" in lost[0] or "connection was cut" in lost[0]
    # Nothing technical reaches the dispatcher: no errno, no protocol names, no close codes.
    for text in [banner, window.connection.text.text(), *window.messages_shown]:
        assert not re.search(r"Errno|\[\w+ \d+\]|unit\.\w+|incident\.\w+|close code|\(\d{3,4}\)", text), text
    # Units and cameras are drawn dimmed, and the map says since when; the dispatcher's opacity stays.
    assert window.canvas._drawn_opacity("units") < 0.5 * units_opacity
    assert window.canvas._drawn_opacity("cameras") < 0.5 * window.canvas.layer_opacity("cameras")
    assert window.canvas.layer_opacity("units") == units_opacity
    qtbot.waitUntil(lambda: window.canvas.stale_notice.isVisible()
                    and "Last known state at" in window.canvas.stale_notice.text(), timeout=3000)
    first_age = window.link_banner.text()
    qtbot.waitUntil(lambda: window.link_banner.text() != first_age, timeout=3000)  # the age counts up
    assert window.send("unit.status", {"unit_id": "U001", "status": "busy"}) is None
    assert "the status change was not sent" in window.messages_shown[-1]
    window.canvas.render_now()
    screenshot("console_link_lost")

    server.start()
    qtbot.waitUntil(lambda: window.connected and not window.link_banner.isVisible(), timeout=30_000)
    assert window.canvas.stale_since is None and not window.canvas.stale_notice.isVisible()
    assert window.canvas._drawn_opacity("units") == units_opacity
    assert alerts == ["link_lost", "link_back"]
    assert any(m.startswith("The link to the server is back after") for m in window.messages_shown)


def test_a_console_that_cannot_reach_its_server_says_so_at_once(qtbot, tmp_path):
    window = open_console("ws://127.0.0.1:9/ws", "no-token", language="en")  # port 9: nothing listens
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: window.link_banner.isVisible(), timeout=5000)
    assert "does not answer at its address" in window.connection.text.text()


def test_failures_are_sorted_into_reasons_the_dispatcher_can_act_on():
    import socket
    import ssl

    assert failure_reason(ConnectionRefusedError(111, "Connection refused")) == "unreachable"
    assert failure_reason(TimeoutError()) == "timeout"
    assert failure_reason(socket.gaierror(-2, "Name or service not known")) == "no_such_host"
    assert failure_reason(ssl.SSLCertVerificationError("certificate verify failed")) == "tls"
    assert failure_reason(RuntimeError("anything else")) == "lost"


def test_the_alert_volume_is_a_setting_of_the_user(qtbot, server, users):
    _, tokens = users
    QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, "OneMap", "console").setValue("alerts/volume", 30)
    window = open_window(qtbot, server.url, tokens["alice"])
    assert window.alerts.volume == 0.3
    from console.alerts import LOUDER
    # every tone at the user's volume, the overdue alarm's louder by its factor (capped at full volume)
    assert all(abs(effect.volume() - min(1.0, 0.3 * LOUDER.get(kind, 1.0))) < 1e-6
               for kind, effect in window.alerts.effects.items())


def test_a_new_high_priority_call_and_an_incident_going_overdue_are_announced_once(qtbot, server, users):
    import asyncio

    from dispatch.client import DispatchClient

    _, tokens = users
    QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, "OneMap", "console").setValue(
        "overdue/dispatch_s", 2)
    window = open_window(qtbot, server.url, tokens["alice"])
    alerts: list[str] = []
    window.alerts.alerted.connect(alerts.append)

    async def create(priority: int) -> str:
        client = await DispatchClient.connect(server.url, tokens["sam"], subscribe=False)
        reply = await client.command("incident.create", kind="fight", priority=priority, lon=24.944, lat=60.170,
                                     address="Mannerheimintie 5")
        await client.close()
        return reply["incident_id"]

    low = asyncio.run(create(4))
    qtbot.waitUntil(lambda: low in window.live.state["incidents"], timeout=5000)
    assert "high_priority" not in alerts
    high = asyncio.run(create(1))
    qtbot.waitUntil(lambda: "high_priority" in alerts, timeout=5000)
    assert any(m.startswith("New P1 fight: Mannerheimintie 5") for m in window.messages_shown)
    qtbot.waitUntil(lambda: alerts.count("overdue") == 2, timeout=8000)  # both go undispatched past 2 s
    qtbot.waitUntil(lambda: window.overdue_shown == {low, high}, timeout=3000)
    overdue_lines = [m for m in window.messages_shown if m.endswith("is overdue")]
    assert sorted(overdue_lines) == sorted([f"{low} is overdue", f"{high} is overdue"])
    assert alerts.count("high_priority") == 1
    for _ in range(2):  # two more clock ticks announce nothing new
        with qtbot.waitSignal(window.clock.ticked, timeout=3000):
            pass
    assert alerts.count("overdue") == 2


def test_a_revoked_users_open_console_is_refused_at_once_and_says_why(qtbot, server, users):
    import subprocess
    import sys
    import time

    from support.server import ROOT

    users_file, tokens = users
    window = open_window(qtbot, server.url, tokens["bob"])
    began = time.monotonic()
    subprocess.run([sys.executable, "-m", "console.cli", "users", "remove", "bob", "--users", str(users_file)],
                   cwd=ROOT, check=True, capture_output=True, timeout=60)
    qtbot.waitUntil(lambda: window.connection.state == "refused" and window.link_banner.isVisible(), timeout=5000)
    assert time.monotonic() - began < 3.0
    assert "your sign-in is not valid" in window.link_banner.text()
    assert "does not retry" in window.link_banner.text()
    assert window.send("unit.status", {"unit_id": "U001", "status": "busy"}) is None
