"""A scripted dispatcher works calls through the real console with real X input, with no think time:
call -> create at an address (command line) -> dispatch the top recommended unit -> en route -> on scene ->
close with a disposition. Prints `name value unit` lines.

Run: .venv/bin/python bench/console_ops.py
Starts its own Xvfb, a dispatch server on the demo city (no simulated units: the dispatcher sets en route
and on scene) and one console window of 1920x1080. The same workload every run: the calls below, in order.
An action is one thing the dispatcher does: a key chord, a typed line ending in Enter, or a click.
`geocode_p95_ms` is the geocoding time of each keystroke of the typed lines (the command line geocodes the
place as it is typed, to show where it resolved).
"""
from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

CALLS = (("fire", 1, "Mannerheimintie 5"), ("theft", 3, "Aleksanterinkatu 52"),
         ("fight", 1, "Pohjoisesplanadi 21"), ("traffic accident", 2, "Bulevardi 11"),
         ("medical", 1, "Annankatu 25"))
TYPING_DELAY_MS = 12  # xdotool's gap between keystrokes: a fast typist, no pauses


class TimedGeocoder:
    """The console's geocoder, timing each call and charging it to the keystroke that caused it."""

    def __init__(self, geocoder, line):
        self.geocoder, self.line = geocoder, line
        self.by_keystroke: dict[str, float] = {}

    def __getattr__(self, name):
        method = getattr(self.geocoder, name)

        def timed(*args, **kwargs):
            began = time.perf_counter()
            try:
                return method(*args, **kwargs)
            finally:
                key = self.line()
                self.by_keystroke[key] = self.by_keystroke.get(key, 0.0) + (time.perf_counter() - began) * 1000
        return timed


def xdotool(*args: str) -> None:
    subprocess.run(["xdotool", *args], check=True, timeout=60)


def main() -> None:
    from support.xvfb import on_xvfb

    with on_xvfb():
        run()


def run() -> None:
    from PySide6.QtCore import QEventLoop, QSettings, QTimer
    from PySide6.QtWidgets import QApplication

    from support.server import ServerProcess, make_users

    tmp = Path(tempfile.mkdtemp())
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp / "config"))
    from console.app import open_console

    tokens = make_users(tmp / "users.json")
    server = ServerProcess(tmp / "events.db", tmp / "users.json")
    server.start()
    window = open_console(server.url, tokens["alice"], language="en")
    window.setGeometry(0, 0, 1920, 1080)

    def wait_until(condition, timeout_s: float = 30.0) -> None:
        deadline = time.monotonic() + timeout_s
        while not condition():
            if time.monotonic() > deadline:
                raise TimeoutError(f"the console did not get there in time; command line "
                                   f"{window.command_line.text()!r}, messages {window.messages_shown[-3:]}, "
                                   f"details {window.details.message.text()!r}")
            loop = QEventLoop()
            QTimer.singleShot(5, loop.quit)
            loop.exec()

    def click(widget) -> None:
        centre = widget.mapToGlobal(widget.rect().center())
        xdotool("mousemove", str(centre.x()), str(centre.y()), "click", "1")

    try:
        wait_until(lambda: window.connected and window.city is not None and window.geocoder is not None, 60)
        timed = TimedGeocoder(window.geocoder, window.command_line.text)
        window.geocoder = timed
        window.activateWindow()
        wait_until(window.isActiveWindow)
        to_dispatch, to_close, actions_dispatch, actions_close = [], [], [], []
        for kind, priority, address in CALLS:
            known = set(window.live.state["incidents"])
            window.activateWindow()  # Xvfb has no window manager to give the focus back when a dialog closes
            wait_until(lambda: window.isActiveWindow() and QApplication.activeModalWidget() is None)
            began = time.monotonic()
            xdotool("key", "ctrl+l")
            xdotool("type", "--delay", str(TYPING_DELAY_MS), f"new {kind} {priority} @{address}")
            xdotool("key", "Return")
            actions = 2
            wait_until(lambda: window.selected_incident not in known | {None}
                       and bool(window.details.recommended.buttons)
                       and next(iter(window.details.recommended.buttons.values())).isVisible()
                       # a button takes clicks 0.5 s after it came to its place (a human reads it meanwhile)
                       and next(iter(window.details.recommended.buttons.values())).clicked_in_time())
            incident_id = window.selected_incident
            click(next(iter(window.details.recommended.buttons.values())))
            actions += 1
            wait_until(lambda: bool(window.live.state["incidents"][incident_id]["units"]))
            to_dispatch.append(time.monotonic() - began)
            actions_dispatch.append(actions)
            unit_id = window.live.state["incidents"][incident_id]["units"][0]
            for status in ("enroute", "onscene"):
                wait_until(lambda s=status: window.details.assigned.rows.get(unit_id)
                           and window.details.assigned.rows[unit_id][1][s].isEnabled()
                           and window.details.assigned.rows[unit_id][1][s].clicked_in_time())
                click(window.details.assigned.rows[unit_id][1][status])
                actions += 1
                wait_until(lambda s=status: window.live.state["units"][unit_id]["status"] == s)
            click(window.details.close_button)
            actions += 1
            wait_until(lambda: getattr(window, "close_dialog", None) is not None and window.close_dialog.isVisible())
            dialog = window.close_dialog
            codes = dialog.codes
            click_at = codes.viewport().mapToGlobal(codes.visualItemRect(codes.item(0)).center())
            xdotool("mousemove", str(click_at.x()), str(click_at.y()), "click", "1")
            actions += 1
            wait_until(dialog.ok.isEnabled)
            click(dialog.ok)
            actions += 1
            wait_until(lambda: window.live.state["incidents"][incident_id]["status"] == "closed")
            to_close.append(time.monotonic() - began)
            actions_close.append(actions)
            xdotool("mousemove", "960", "540")  # look away from the details, as between calls
        keystrokes = sorted(timed.by_keystroke.values())
        p95 = keystrokes[min(len(keystrokes) - 1, int(round(0.95 * (len(keystrokes) - 1))))]
        print(f"calls {len(CALLS)} calls")
        print(f"actions_call_to_dispatch {max(actions_dispatch)} actions")
        print(f"call_to_dispatch_s {statistics.median(to_dispatch):.2f} s")
        print(f"call_to_dispatch_max_s {max(to_dispatch):.2f} s")
        print(f"actions_call_to_close {max(actions_close)} actions")
        print(f"call_to_close_s {statistics.median(to_close):.2f} s")
        print(f"geocode_keystrokes {len(keystrokes)} keystrokes")
        print(f"geocode_p95_ms {p95:.2f} ms")
    finally:
        window.close()
        QApplication.processEvents()
        server.kill()


if __name__ == "__main__":
    main()
