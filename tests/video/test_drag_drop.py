"""Cameras are dragged onto wall tiles with the shared MIME type: from the map canvas and the camera list."""
from __future__ import annotations

import json

from PySide6.QtCore import QPoint, QPointF, Qt, QTimer
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from layers import crs
from map.canvas import MapCanvas
from video.camera import Camera
from video.camera_list import CameraList
from video.dnd import CAMERA_MIME, camera_from_mime, camera_mime_data
from video.tile import TileState

LON, LAT = 116.3975, 39.9087


def test_camera_dragged_from_map_plays_on_tile(serve, make_wall, qtbot, qapp):
    server = serve("http")
    canvas = MapCanvas()
    qtbot.addWidget(canvas)
    canvas.cameras_layer.set_arrays(["cam-map"], [LON], [LAT], name=["Map camera"], stream_url=[server.url])
    canvas.setGeometry(qapp.screens()[0].geometry().adjusted(100, 100, -1000, -300))
    with qtbot.waitExposed(canvas):
        canvas.show()
    x, y = crs.wgs84_to_mercator(LON, LAT)
    canvas.set_view(float(x) - 300, float(y) - 300, float(x) + 300, float(y) + 300)
    canvas.render_now()
    camera_at = canvas.lonlat_to_screen(LON, LAT).toPoint()
    hit = canvas.feature_at(QPointF(camera_at), layers=("cameras",))
    assert hit is not None and hit.feature_id == "cam-map"

    wall = make_wall("2x2", screen=1)  # dragged across to the other monitor, as on a console's desk
    tile = wall.tiles[3]
    window = wall.windowHandle()
    target = tile.mapTo(wall, tile.rect().center())
    assert window.screen() is qapp.screens()[1]

    # QDrag.exec runs its own event loop: the rest of the gesture is played from inside it.
    QTimer.singleShot(150, lambda: QTest.mouseMove(window, target - QPoint(30, 0)))
    QTimer.singleShot(300, lambda: QTest.mouseMove(window, target))
    QTimer.singleShot(450, lambda: QTest.mouseRelease(window, Qt.MouseButton.LeftButton,
                                                      Qt.KeyboardModifier.NoModifier, target))
    never_hang = QTimer(singleShot=True, interval=5_000)  # ends a lost drag; dies with this test
    never_hang.timeout.connect(lambda: QTest.keyClick(window, Qt.Key.Key_Escape))
    never_hang.start()
    viewport = canvas.view.viewport()
    QTest.mousePress(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, camera_at)
    QTest.mouseMove(viewport, camera_at + QPoint(QApplication.startDragDistance() + 5, 0))

    qtbot.waitUntil(lambda: tile.camera is not None, timeout=6_000)
    never_hang.stop()
    assert tile.camera == Camera("cam-map", "Map camera", server.url)
    assert wall.cameras()[:3] == [None, None, None]
    qtbot.waitUntil(lambda: tile.state == TileState.LIVE, timeout=10_000)


def drop(target, mime) -> QDropEvent:
    """Deliver a drag's end as Qt does: a drag enter (which makes the widget the drop target), then the drop."""
    where, action = QPointF(target.rect().center()), Qt.DropAction.CopyAction
    buttons, modifiers = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    enter = QDragEnterEvent(where.toPoint(), action, mime, buttons, modifiers)
    QApplication.sendEvent(target, enter)
    assert enter.isAccepted(), "a tile takes every drag that carries a camera"
    event = QDropEvent(where, action, mime, buttons, modifiers)
    QApplication.sendEvent(target, event)
    return event


def test_camera_list_search_and_drag_payload(serve, make_wall, qtbot):
    server = serve("http")
    cameras = [Camera("c-17", "Harbour east", server.url), Camera("c-03", "Station square", server.url),
               Camera("c-42", "harbour WEST", server.url)]
    listing = CameraList(cameras)
    qtbot.addWidget(listing)
    assert [c.camera_id for c in listing.visible_cameras()] == ["c-17", "c-42", "c-03"]
    qtbot.keyClicks(listing.search, "HARB")
    assert [c.camera_id for c in listing.visible_cameras()] == ["c-17", "c-42"]
    listing.search.setText("square")
    assert [c.camera_id for c in listing.visible_cameras()] == ["c-03"]
    listing.search.setText("c-03")  # internal ids are not the dispatcher's words
    assert listing.visible_cameras() == []
    listing.search.clear()

    # What a drag from the list carries is what the map's drags carry.
    mime = listing.list.mimeData([listing.list.item(2)])
    assert listing.list.mimeTypes() == [CAMERA_MIME]
    assert json.loads(bytes(mime.data(CAMERA_MIME))) == {
        "camera_id": "c-03", "name": "Station square", "stream_url": server.url}

    wall = make_wall("2x2")
    wall.start_tour(1, cameras, dwell_s=60)
    event = drop(wall.tiles[1], mime)
    assert event.isAccepted()
    assert wall.tiles[1].camera == cameras[1]
    assert 1 not in wall.tours(), "a camera dropped by hand ends the tile's tour"
    qtbot.waitUntil(lambda: wall.tiles[1].state == TileState.LIVE, timeout=10_000)


def test_drops_without_a_usable_camera_are_refused(make_wall):
    wall = make_wall("1")
    tile = wall.tiles[0]
    for payload in (b"not json", b"[1, 2]", b'{"name": "no id"}', b'{"camera_id": "x", "stream_url": ""}'):
        mime = camera_mime_data(Camera("x", "x", "http://127.0.0.1:1/x"))
        mime.setData(CAMERA_MIME, payload)
        assert camera_from_mime(mime) is None
        assert not drop(tile, mime).isAccepted()
    assert tile.camera is None and tile.state == TileState.EMPTY
