"""Units and cameras can be dragged off the map; a unit dropped on an incident is reported."""
from __future__ import annotations

import json

from PySide6 import QtCore, QtGui
from PySide6.QtCore import Qt

from map import canvas as canvas_module
from map.canvas import MIME_CAMERA, units_from_mime, units_mime

from .conftest import CENTER


def place(canvas):
    lon, lat = CENTER
    canvas.units_layer.set_records([{"unit_id": "u-7", "callsign": "P-07", "lon": lon - 0.001, "lat": lat}])
    canvas.cameras_layer.set_records([{"camera_id": "cam-1", "name": "Narinkka", "stream_url": "rtsp://x/1",
                                       "lon": lon + 0.001, "lat": lat}])
    canvas.incidents_layer.set_records([{"incident_id": "i-9", "priority": 1, "lon": lon, "lat": lat + 0.0008}])
    canvas.render_now()


def unit_mime(unit_id: str) -> QtCore.QMimeData:
    return units_mime([unit_id], [unit_id])


def send(canvas, event_type, mime, pos):
    flags = Qt.DropAction.CopyAction | Qt.DropAction.MoveAction
    if event_type == QtCore.QEvent.Type.Drop:
        event = QtGui.QDropEvent(QtCore.QPointF(pos), flags, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    elif event_type == QtCore.QEvent.Type.DragEnter:
        event = QtGui.QDragEnterEvent(pos.toPoint(), flags, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    else:
        event = QtGui.QDragMoveEvent(pos.toPoint(), flags, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QtCore.QCoreApplication.sendEvent(canvas.view.viewport(), event)
    return event


def test_unit_dropped_on_incident_is_reported(canvas, qtbot):
    place(canvas)
    on_incident = canvas.lonlat_to_screen(CENTER[0], CENTER[1] + 0.0008)
    send(canvas, QtCore.QEvent.Type.DragEnter, unit_mime("u-7"), on_incident)
    with qtbot.waitSignal(canvas.unitDragOverIncident, timeout=2000) as over:
        event = send(canvas, QtCore.QEvent.Type.DragMove, unit_mime("u-7"), on_incident)
    assert over.args == ["u-7", "i-9"] and event.isAccepted()
    with qtbot.waitSignal(canvas.unitDroppedOnIncident, timeout=2000) as dropped:
        send(canvas, QtCore.QEvent.Type.Drop, unit_mime("u-7"), on_incident)
    assert dropped.args == ["u-7", "i-9"]


def test_leaving_the_incident_is_reported_and_a_drop_elsewhere_is_refused(canvas, qtbot):
    place(canvas)
    on_incident = canvas.lonlat_to_screen(CENTER[0], CENTER[1] + 0.0008)
    elsewhere = canvas.lonlat_to_screen(CENTER[0] + 0.003, CENTER[1] - 0.003)
    send(canvas, QtCore.QEvent.Type.DragEnter, unit_mime("u-7"), on_incident)
    send(canvas, QtCore.QEvent.Type.DragMove, unit_mime("u-7"), on_incident)
    with qtbot.waitSignal(canvas.unitDragOverIncident, timeout=2000) as left:
        event = send(canvas, QtCore.QEvent.Type.DragMove, unit_mime("u-7"), elsewhere)
    assert left.args == ["u-7", ""] and not event.isAccepted()
    with qtbot.assertNotEmitted(canvas.unitDroppedOnIncident):
        send(canvas, QtCore.QEvent.Type.Drop, unit_mime("u-7"), elsewhere)


class FakeDrag:
    """Stands in for QDrag, whose exec() would block the test in a nested event loop."""

    started: list[QtCore.QMimeData] = []

    def __init__(self, source):
        self.mime = None

    def setMimeData(self, mime):
        self.mime = mime

    def mimeData(self):
        return self.mime

    def setPixmap(self, pixmap):
        pass

    def exec(self, actions):
        FakeDrag.started.append(self.mime)
        return Qt.DropAction.CopyAction


def drag_from(canvas, qtbot, lon, lat):
    viewport = canvas.view.viewport()
    start = canvas.lonlat_to_screen(lon, lat).toPoint()
    qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, pos=start)
    qtbot.mouseMove(viewport, start + QtCore.QPoint(30, 20))
    qtbot.mouseRelease(viewport, Qt.MouseButton.LeftButton, pos=start + QtCore.QPoint(30, 20))


def test_dragging_a_unit_or_camera_starts_a_drag_with_its_payload(canvas, qtbot, monkeypatch):
    place(canvas)
    monkeypatch.setattr(canvas_module, "QDrag", FakeDrag)
    FakeDrag.started.clear()
    view_before = canvas.view_box()
    drag_from(canvas, qtbot, CENTER[0] - 0.001, CENTER[1])
    drag_from(canvas, qtbot, CENTER[0] + 0.001, CENTER[1])
    assert len(FakeDrag.started) == 2
    assert units_from_mime(FakeDrag.started[0]) == ["u-7"]
    assert json.loads(bytes(FakeDrag.started[1].data(MIME_CAMERA)).decode()) == {
        "camera_id": "cam-1", "name": "Narinkka", "stream_url": "rtsp://x/1"}
    assert canvas.view_box() == view_before  # a drag from a unit does not pan the map


def test_dragging_empty_ground_pans(canvas, qtbot):
    place(canvas)
    viewport = canvas.view.viewport()
    before = canvas.view_box()
    start = canvas.lonlat_to_screen(CENTER[0] + 0.003, CENTER[1] - 0.003).toPoint()
    qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, pos=start)
    for k in range(1, 6):
        qtbot.mouseMove(viewport, start + QtCore.QPoint(20 * k, 0))
    qtbot.mouseRelease(viewport, Qt.MouseButton.LeftButton, pos=start + QtCore.QPoint(100, 0))
    after = canvas.view_box()
    assert after[0] < before[0]  # dragging right moves the view west


def test_highlight_units_rings_them(canvas):
    place(canvas)
    canvas.highlight_units(["u-7"])
    assert canvas.units_layer.highlighted.tolist() == [True]
    canvas.highlight_units([])
    assert canvas.units_layer.highlighted.tolist() == [False]
