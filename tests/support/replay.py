"""Replay widgets in a real window for tests: a clock over a span, the controls above the timeline, and a
day of generated activity to draw."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
from PySide6.QtWidgets import QVBoxLayout, QWidget

HELSINKI = ZoneInfo("Europe/Helsinki")  # EET in December
DAY_START = datetime(2026, 12, 2, 0, 0, tzinfo=HELSINKI).timestamp()
TYPES = ["incident.created", "incident.closed", "incident.noted", "unit.assigned", "unit.status_changed",
         "unit.moved", "camera.status_changed", "bookmark.added"]


def server_replay_window(qtbot, url: str, token: str):
    """A replay window over a running server's history, shown at the top left of the first monitor."""
    from console.replay import ServerReader
    from console.replay_window import ReplayWindow

    window = ReplayWindow(ServerReader(url, token))
    qtbot.addWidget(window)
    window.setGeometry(20, 40, 1800, 1000)
    window.show()
    return window


def replay_window(qtbot, start: float = DAY_START, end: float = DAY_START + 86_400, size=(1920, 400)):
    """(window, clock, controls, timeline), shown at the top left of the first monitor and exposed."""
    from console.clock import ReplayClock
    from console.replay_controls import ReplayControls
    from console.timeline import Timeline

    window = QWidget()
    qtbot.addWidget(window)
    clock = ReplayClock(start, end, parent=window)
    controls = ReplayControls(clock, HELSINKI, window)
    timeline = Timeline(clock, HELSINKI, window)
    timeline.selectionChanged.connect(controls.set_selection)
    layout = QVBoxLayout(window)
    layout.addWidget(controls)
    layout.addWidget(timeline, 1)
    window.setGeometry(0, 0, *size)
    window.show()
    qtbot.waitUntil(lambda: window.windowHandle().isExposed() and timeline.canvas.width() > 100, timeout=10_000)
    return window, clock, controls, timeline


def a_day_of_activity(seed: int = 7):
    """Per-minute counts of a day's events (quiet at night, busy in the afternoon), with the incidents'
    created and closed marks and a few bookmarks, as a replay of a day would feed the timeline."""
    rng = np.random.default_rng(seed)
    minutes = np.arange(1440)
    busy = 0.25 + 0.75 * np.exp(-((minutes - 16 * 60) / 240.0) ** 2)  # peaks at 16:00 local
    incidents = rng.poisson(0.5 * busy)
    closed = rng.poisson(0.45 * busy)
    counts = np.stack([incidents, closed, rng.poisson(0.8 * busy), rng.poisson(1.5 * busy),
                       rng.poisson(4.0 * busy), rng.poisson(3000 * busy), rng.poisson(0.2, 1440),
                       np.zeros(1440, dtype=int)], axis=1)
    marks = []
    for minute in np.nonzero(incidents)[0]:
        for k in range(int(incidents[minute])):
            number = len([m for m in marks if m[1] == "created"]) + 1
            at = DAY_START + minute * 60 + 7 + 11 * k
            marks.append((at, "created", f"DEMO-261202-{number:04d}"))
            if number % 4:  # three in four are closed within the day
                marks.append((min(at + 1800 + 60 * (number % 90), DAY_START + 86_399), "closed",
                              f"DEMO-261202-{number:04d}"))
    bookmarks = [{"bookmark_id": "B1", "at": DAY_START + 8 * 3600 + 14 * 60 + 5, "note": "Shift handover",
                  "actor": "lead"},
                 {"bookmark_id": "B2", "at": DAY_START + 15 * 3600 + 42 * 60, "note": "Units slow to Kallio",
                  "actor": "alice"},
                 {"bookmark_id": "B3", "at": DAY_START + 21 * 3600, "note": "Radio outage", "actor": "lead"}]
    return counts.tolist(), marks, bookmarks
