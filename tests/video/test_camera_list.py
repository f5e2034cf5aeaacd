"""The camera list says each camera's last observed state and how long it has held."""
from __future__ import annotations

from datetime import datetime, timezone

from video.camera import Camera
from video.camera_list import CameraList

NOW = datetime(2026, 12, 2, 6, 30, tzinfo=timezone.utc).timestamp()


def test_each_camera_shows_its_state_and_age(qtbot):
    cameras = [Camera("c1", "Harbour", "http://127.0.0.1:1/c1", online=False, state="offline",
                      state_ts="2026-12-02T06:27:00.000Z"),
               Camera("c2", "Market", "http://127.0.0.1:1/c2", online=True, state="online",
                      state_ts="2026-12-02T04:00:00Z"),
               Camera("c3", "Station", "http://127.0.0.1:1/c3", online=False)]
    clock = [NOW]
    listing = CameraList(cameras, clock=lambda: clock[0])
    qtbot.addWidget(listing)
    texts = [listing.list.item(row).text() for row in range(listing.list.count())]
    assert texts == ["Harbour  (c1)  ·  offline 3 min", "Market  (c2)  ·  online 2 h", "Station  (c3)  ·  unknown"]
    clock[0] += 120
    listing.refresh_ages()
    assert listing.list.item(0).text() == "Harbour  (c1)  ·  offline 5 min"
