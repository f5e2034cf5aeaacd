"""A searchable list of cameras, each with its last observed state and how long ago ("offline 3 min");
items are dragged onto wall tiles with the camera MIME type, clicked (or Enter) to find the camera on the
map, double-clicked to open it on a wall."""
from __future__ import annotations

import re
import time
from typing import Callable, Iterable

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtWidgets import QAbstractItemView, QLineEdit, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from map.i18n import feature_name
from map.renderers import format_age
from video.camera import Camera
from video.dnd import CAMERA_MIME, camera_mime_data

_CAMERA_ROLE = Qt.ItemDataRole.UserRole
AGE_REFRESH_MS = 15_000  # ages are shown in whole minutes
UPDATE_SLICE = 200  # camera lines rewritten per turn of the event loop (~3 ms)
_DIGITS = re.compile(r"(\d+)")


def natural_key(text: str) -> tuple:
    """Sorts numbers as numbers: "Camera 2" before "Camera 10"."""
    return tuple(int(part) if part.isdigit() else part for part in _DIGITS.split(text.casefold()))


class CameraList(QWidget):
    """A search box over a list of cameras, in natural order of their names; the search matches the name and
    the grid cell (case-insensitive). Internal camera ids are never shown but in the tooltip."""

    activated = Signal(str)  # camera_id: clicked or Enter, to find it on the map
    openRequested = Signal(object)  # Camera: double-clicked, to open it on a wall

    def __init__(self, cameras: Iterable[Camera] = (), parent: QWidget | None = None,
                 clock: Callable[[], float] = time.time):
        super().__init__(parent)
        self.clock = clock
        self.search = QLineEdit()
        self.search.setClearButtonEnabled(True)
        self.list = _CameraListView()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.search)
        layout.addWidget(self.list)
        self._pending: dict[str, dict] = {}  # camera -> its newest record, its line not yet rewritten
        self._slices = QTimer(self, singleShot=True, interval=0)
        self._slices.timeout.connect(self._update_slice)
        self.search.textChanged.connect(self._apply_filter)
        self.list.itemClicked.connect(self._activate)
        self.list.itemActivated.connect(self._activate)  # Enter (and double-click, on some styles)
        self.list.itemDoubleClicked.connect(lambda item: self.openRequested.emit(item.data(_CAMERA_ROLE)))
        self.set_cameras(cameras)
        self._ages = QTimer(self, interval=AGE_REFRESH_MS)
        self._ages.timeout.connect(self.refresh_ages)
        self._ages.start()
        self.retranslate()

    def changeEvent(self, event) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def retranslate(self) -> None:
        self.search.setPlaceholderText(self.tr("Search cameras"))
        self.refresh_ages()

    def set_cameras(self, cameras: Iterable[Camera]) -> None:
        self._pending.clear()
        self.list.clear()
        self._items: dict[str, QListWidgetItem] = {}
        now = self.clock()
        self.list.setUpdatesEnabled(False)  # one layout for thousands of lines, not one each
        for camera in sorted(cameras, key=lambda c: (natural_key(c.name), natural_key(c.camera_id))):
            item = QListWidgetItem()
            item.setData(_CAMERA_ROLE, camera)
            self._show(item, camera, now)
            self.list.addItem(item)
            self._items[camera.camera_id] = item
        self.list.setUpdatesEnabled(True)
        if self.search.text():
            self._apply_filter(self.search.text())

    def camera_ids(self):
        """The ids of the cameras listed (a set-like view)."""
        return self._items.keys()

    def update_states(self, records: Iterable[dict]) -> None:
        """New observations of cameras the list holds (the state's camera records): their lines change a
        slice at a time (a replay's seek changes thousands; all at once held the GUI for tens of ms)."""
        for record in records:
            self._pending[str(record["camera_id"])] = record
        if self._pending and not self._slices.isActive():
            self._slices.start()

    def _update_slice(self) -> None:
        now = self.clock()
        for _ in range(min(UPDATE_SLICE, len(self._pending))):
            camera_id, record = self._pending.popitem()
            item = self._items.get(camera_id)
            if item is not None:
                camera = Camera.from_dict(record)
                item.setData(_CAMERA_ROLE, camera)
                self._show(item, camera, now)
        if self._pending:
            self._slices.start()

    @property
    def updating(self) -> bool:
        """Lines are still waiting for their new states."""
        return bool(self._pending)

    def refresh_ages(self) -> None:
        now = self.clock()
        for row in range(self.list.count()):
            item = self.list.item(row)
            self._show(item, item.data(_CAMERA_ROLE), now)

    def _show(self, item: QListWidgetItem, camera: Camera, now: float) -> None:
        item.setText(f"{feature_name(camera.name)}  ·  {self._state_text(camera, now)}")
        item.setToolTip(self.tr("{0} · grid cell {1} · id {2}").format(
            camera.name, camera.grid_id or "-", camera.camera_id))

    def _state_text(self, camera: Camera, now: float) -> str:
        """The state and how long it has held: "online 12 min", "offline 0 min", "unknown"."""
        since = camera.state_since()
        if camera.state == "unknown" or since is None:
            return self.tr("unknown")
        state = self.tr("online") if camera.state == "online" else self.tr("offline")
        return f"{state} {format_age(now - since)}"

    def visible_cameras(self) -> list[Camera]:
        """The cameras the current search shows, in list order."""
        items = (self.list.item(row) for row in range(self.list.count()))
        return [item.data(_CAMERA_ROLE) for item in items if not item.isHidden()]

    def _apply_filter(self, text: str) -> None:
        needle = text.strip().casefold()
        for row in range(self.list.count()):
            item = self.list.item(row)
            camera: Camera = item.data(_CAMERA_ROLE)
            names = (camera.name, feature_name(camera.name), camera.grid_id or "")  # as shown, or as in the pack
            item.setHidden(bool(needle) and not any(needle in name.casefold() for name in names))

    def _activate(self, item: QListWidgetItem) -> None:
        self.activated.emit(item.data(_CAMERA_ROLE).camera_id)


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
