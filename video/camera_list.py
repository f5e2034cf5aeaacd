"""A searchable list of cameras; items are dragged onto wall tiles with the camera MIME type."""
from __future__ import annotations

from typing import Iterable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QLineEdit, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from video.camera import Camera
from video.dnd import CAMERA_MIME, camera_mime_data

_CAMERA_ROLE = Qt.ItemDataRole.UserRole


class CameraList(QWidget):
    """A search box over a list of cameras; matching is case-insensitive on name and camera_id."""

    def __init__(self, cameras: Iterable[Camera] = (), parent: QWidget | None = None):
        super().__init__(parent)
        self.search = QLineEdit()
        self.search.setPlaceholderText(self.tr("Search cameras"))
        self.search.setClearButtonEnabled(True)
        self.list = _CameraListView()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.search)
        layout.addWidget(self.list)
        self.search.textChanged.connect(self._apply_filter)
        self.set_cameras(cameras)

    def set_cameras(self, cameras: Iterable[Camera]) -> None:
        self.list.clear()
        for camera in sorted(cameras, key=lambda c: (c.name.casefold(), c.camera_id)):
            item = QListWidgetItem(f"{camera.name}  ({camera.camera_id})")
            item.setData(_CAMERA_ROLE, camera)
            self.list.addItem(item)
        self._apply_filter(self.search.text())

    def visible_cameras(self) -> list[Camera]:
        """The cameras the current search shows, in list order."""
        items = (self.list.item(row) for row in range(self.list.count()))
        return [item.data(_CAMERA_ROLE) for item in items if not item.isHidden()]

    def _apply_filter(self, text: str) -> None:
        needle = text.strip().casefold()
        for row in range(self.list.count()):
            item = self.list.item(row)
            camera: Camera = item.data(_CAMERA_ROLE)
            item.setHidden(bool(needle) and needle not in camera.name.casefold()
                           and needle not in camera.camera_id.casefold())


class _CameraListView(QListWidget):
    """Starts drags that carry the camera in the shared MIME format."""

    def __init__(self):
        super().__init__()
        self.setDragEnabled(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)

    def mimeTypes(self) -> list[str]:
        return [CAMERA_MIME]

    def mimeData(self, items):
        return camera_mime_data(items[0].data(_CAMERA_ROLE)) if items else None
