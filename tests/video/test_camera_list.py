"""The camera list says each camera's last observed state and how long it has held."""
from __future__ import annotations

from datetime import datetime, timezone

from PySide6.QtCore import Qt

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
    assert texts == ["Harbour  ·  offline 3 min", "Market  ·  online 2 h", "Station  ·  unknown"]
    clock[0] += 120
    listing.refresh_ages()
    assert listing.list.item(0).text() == "Harbour  ·  offline 5 min"


def test_cameras_sort_naturally_and_search_names_and_grid_cells_not_ids(qtbot):
    names = ["Camera 100", "Camera 10", "Camera 2", "Camera 1", "Bridge 3", "Camera 21"]
    cameras = [Camera(f"osm-{9000 + k}", name, f"http://127.0.0.1:1/{k}", grid_id=f"G{k:03d}")
               for k, name in enumerate(names)]
    listing = CameraList(cameras)
    qtbot.addWidget(listing)
    assert [c.name for c in listing.visible_cameras()] == [
        "Bridge 3", "Camera 1", "Camera 2", "Camera 10", "Camera 21", "Camera 100"]
    texts = [listing.list.item(row).text() for row in range(listing.list.count())]
    assert not any("osm-" in text for text in texts), texts  # internal ids only in the tooltip
    assert "osm-9001" in listing.list.item(3).toolTip()  # Camera 10
    listing.search.setText("camera 1")
    assert [c.name for c in listing.visible_cameras()] == ["Camera 1", "Camera 10", "Camera 100"]
    listing.search.setText("osm-90")  # an internal id finds nothing
    assert listing.visible_cameras() == []
    listing.search.setText("g004")  # the grid cell of Bridge 3
    assert [c.name for c in listing.visible_cameras()] == ["Bridge 3"]


def test_thousands_of_new_states_are_shown_a_slice_at_a_time_and_all_of_them_in_the_end(qtbot):
    cameras = [Camera(f"c{k}", f"Camera {k}", f"http://127.0.0.1:1/{k}") for k in range(1000)]
    listing = CameraList(cameras, clock=lambda: NOW)
    qtbot.addWidget(listing)
    seen = [{"camera_id": f"c{k}", "name": f"Camera {k}", "stream_url": f"http://127.0.0.1:1/{k}",
             "online": k % 2 == 0, "state": "online" if k % 2 == 0 else "offline",
             "state_ts": "2026-12-02T06:29:00.000Z"} for k in range(1000) if k % 5 != 0]
    listing.update_states(seen)
    assert listing.updating  # nothing is rewritten before the event loop turns: the caller goes on at once
    qtbot.waitUntil(lambda: not listing.updating, timeout=5_000)
    texts = {listing.list.item(row).data(Qt.ItemDataRole.UserRole).camera_id: listing.list.item(row).text()
             for row in range(listing.list.count())}
    for k in range(1000):
        expected = "unknown" if k % 5 == 0 else ("online 1 min" if k % 2 == 0 else "offline 1 min")
        assert texts[f"c{k}"] == f"Camera {k}  ·  {expected}"
