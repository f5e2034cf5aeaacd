"""A one-click dispatch assigns exactly the unit its button reads, while units move and the ranking changes."""
from __future__ import annotations

import asyncio
import math
import random
import re
import subprocess
import threading
import time

from PySide6.QtGui import QCursor
from PySide6.QtWidgets import QApplication, QPushButton

from dispatch.client import DispatchClient
from support.console import command, open_window

CLICKS = 50
MOVERS = 8


class CirclingUnits:
    """An AVL feed on its own thread: units circle the incident at different radii and speeds, so the
    ranking of the nearest units changes several times a second."""

    def __init__(self, url: str, token: str, unit_ids: list[str], lon: float, lat: float):
        self.url, self.token, self.unit_ids, self.lon, self.lat = url, token, unit_ids, lon, lat
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=lambda: asyncio.run(self._run()), daemon=True)

    async def _run(self) -> None:
        client = await DispatchClient.connect(self.url, self.token, subscribe=False)
        began = time.monotonic()
        while not self.stopping.is_set():
            t = time.monotonic() - began
            commands = []
            for k, unit_id in enumerate(self.unit_ids):
                radius = 0.0015 + 0.0025 * (0.5 + 0.5 * math.sin(t * (0.9 + 0.37 * k) + k))
                angle = t * 0.3 + k * 2 * math.pi / len(self.unit_ids)
                commands.append(("unit.position", {"unit_id": unit_id, "lon": self.lon + radius * math.cos(angle) * 2,
                                                   "lat": self.lat + radius * math.sin(angle)}))
            await asyncio.gather(*client.send_commands(commands))
            await asyncio.sleep(0.1)
        await client.close()

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stopping.set()
        self.thread.join(timeout=10)



def _xdotool(*args: str) -> None:
    subprocess.run(["xdotool", *args], check=True, timeout=10)


def _button_under_pointer() -> QPushButton | None:
    widget = QApplication.widgetAt(QCursor.pos())
    return widget if isinstance(widget, QPushButton) and widget.property("unit_id") else None


def test_a_click_on_a_recommendation_assigns_the_unit_it_reads(qtbot, server, users):
    _, tokens = users
    window = open_window(qtbot, server.url, tokens["alice"])
    units = window.live.state["units"]
    centre = next(iter(units.values()))
    movers = sorted(units, key=lambda u: (units[u]["lon"] - centre["lon"]) ** 2
                    + (units[u]["lat"] - centre["lat"]) ** 2)[:MOVERS]
    reply = command(server.url, tokens["sam"], "incident.create", kind="fight", priority=1,
                     lon=centre["lon"], lat=centre["lat"])
    incident_id = reply["incident_id"]
    qtbot.waitUntil(lambda: incident_id in window.live.state["incidents"], timeout=5000)
    window.select_incident(incident_id)
    recommended = window.details.recommended
    away = window.canvas.view.mapToGlobal(window.canvas.view.rect().center())
    rng = random.Random(7)
    orders_seen: set[tuple[str, ...]] = set()
    refusals: list[str] = []
    recommended.clickRefused.connect(refusals.append)
    assigned, wrong = 0, []
    began = time.monotonic()
    with CirclingUnits(server.url, tokens["fred"], movers, centre["lon"], centre["lat"]):
        for click in range(CLICKS):
            # Look away (the buttons take the newest order), then aim at one of them.
            _xdotool("mousemove", str(away.x()), str(away.y()))
            qtbot.waitUntil(lambda: not window.details.underMouse() and len(recommended.buttons) >= 3, timeout=5000)
            qtbot.wait(rng.randint(100, 400))  # the ranking moves on while the dispatcher looks at the map
            orders_seen.add(tuple(recommended.buttons))
            for _ in range(3):  # the list may re-order before the pointer gets there: aim again
                target = list(recommended.buttons.values())[click % 3]
                aim = target.mapToGlobal(target.rect().center())
                _xdotool("mousemove", str(aim.x()), str(aim.y()))
                try:
                    qtbot.waitUntil(lambda: _button_under_pointer() is not None, timeout=2000)
                    break
                except qtbot.TimeoutError:
                    continue
            assert _button_under_pointer() is not None, "the pointer found no recommendation button"
            read = re.search(r"Assign (\S+) —", _button_under_pointer().text())
            qtbot.wait(rng.randint(150, 900))  # the dispatcher reads, decides and clicks; units keep moving
            assert _button_under_pointer() is not None, "the button under the pointer went away while aimed at"
            refused_before = len(refusals)
            _xdotool("click", "1")
            qtbot.waitUntil(lambda: bool(window.live.state["incidents"][incident_id]["units"])
                            or len(refusals) > refused_before, timeout=5000)
            on_incident = list(window.live.state["incidents"][incident_id]["units"])
            if not on_incident:
                continue
            assigned += 1
            if [units[u]["callsign"] for u in on_incident] != [read.group(1)]:
                wrong.append((read.group(1), [units[u]["callsign"] for u in on_incident]))
            for unit_id in on_incident:
                command(server.url, tokens["sam"], "unit.status", unit_id=unit_id, status="available")
            qtbot.waitUntil(lambda: not window.live.state["incidents"][incident_id]["units"]
                            and all(units[u]["status"] == "available" for u in on_incident), timeout=5000)
    assert not wrong, f"clicks that assigned another unit than the button read: {wrong}"
    assert time.monotonic() - began >= 10
    assert len(orders_seen) >= 5, "the ranking hardly changed: the test did not test re-ranking"
    assert assigned >= CLICKS * 0.7, f"only {assigned} of {CLICKS} clicks assigned ({len(refusals)} refused)"
