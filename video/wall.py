"""A video wall: tiles in a layout, one wall per monitor, with tours, nearest-camera fill and save/restore.

Layouts: "1", "2x2", "3x3", "4x4" and "1+5" (one large tile over 2x2 cells of a 3x3 grid, five small ones).
Double-clicking a tile enlarges it to the whole wall; double-clicking again restores the layout.
"""
from __future__ import annotations

from typing import Iterable

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QScreen
from PySide6.QtWidgets import QGridLayout, QWidget

from video.camera import Camera, nearest_cameras
from video.tile import EXERCISE_BORDER, EXERCISE_COLOR, VideoTile

# Each layout is a list of (row, column, row span, column span), one per tile.
_Cells = tuple[tuple[int, int, int, int], ...]


def _grid(side: int) -> _Cells:
    return tuple((row, col, 1, 1) for row in range(side) for col in range(side))


LAYOUTS: dict[str, _Cells] = {
    "1": _grid(1),
    "2x2": _grid(2),
    "3x3": _grid(3),
    "4x4": _grid(4),
    "1+5": ((0, 0, 2, 2), (0, 2, 1, 1), (1, 2, 1, 1), (2, 0, 1, 1), (2, 1, 1, 1), (2, 2, 1, 1)),
}


def _camera_ref(camera: Camera) -> dict:
    """What a saved workspace keeps of a camera: the same three fields a camera drag carries."""
    return {"camera_id": camera.camera_id, "name": camera.name, "stream_url": camera.stream_url}


class Tour(QObject):
    """Cycles one tile through a list of cameras, `dwell_s` seconds each."""

    def __init__(self, tile: VideoTile, cameras: Iterable[Camera], dwell_s: float, parent: QObject | None = None):
        super().__init__(parent)
        self.cameras = list(cameras)
        if not self.cameras:
            raise ValueError("a tour needs at least one camera")
        if dwell_s <= 0:
            raise ValueError(f"a tour's dwell time must be positive, not {dwell_s}")
        self.tile = tile
        self.dwell_s = float(dwell_s)
        self.position = 0
        self._timer = QTimer(self)
        self._timer.setInterval(round(self.dwell_s * 1000))
        self._timer.timeout.connect(self._advance)

    def start(self) -> None:
        self.tile.set_camera(self.cameras[self.position])
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def to_dict(self, tile_index: int) -> dict:
        return {"tile": tile_index, "cameras": [_camera_ref(c) for c in self.cameras], "dwell_s": self.dwell_s}

    def _advance(self) -> None:
        self.position = (self.position + 1) % len(self.cameras)
        self.tile.set_camera(self.cameras[self.position])


class Wall(QWidget):
    """Tiles in one of `LAYOUTS`. Forwards every tile's liveness as `cameraOnlineChanged`."""

    cameraOnlineChanged = Signal(str, bool)  # camera_id, online

    def __init__(self, layout: str = "2x2", parent: QWidget | None = None):
        super().__init__(parent)
        self.setStyleSheet("background: #101010;")
        self._grid = QGridLayout(self)
        self._grid.setContentsMargins(0, 0, 0, 0)
        self._grid.setSpacing(2)
        self._tiles: list[VideoTile] = []
        self._tours: dict[int, Tour] = {}
        self._online: dict[str, bool] = {}
        self._layout_name = ""
        self._enlarged: int | None = None
        self._exercise: str | None = None
        self.set_layout(layout)

    # -- layout ------------------------------------------------------------------------------------------

    @property
    def layout_name(self) -> str:
        return self._layout_name

    @property
    def tiles(self) -> list[VideoTile]:
        return list(self._tiles)

    @property
    def enlarged_index(self) -> int | None:
        return self._enlarged

    def set_layout(self, name: str) -> None:
        """Switch layout; tiles that remain keep their cameras and tours, the others are freed."""
        if name not in LAYOUTS:
            raise ValueError(f"unknown wall layout {name!r}; choose one of {', '.join(LAYOUTS)}")
        count = len(LAYOUTS[name])
        for index in range(count, len(self._tiles)):
            self.stop_tour(index)
            self._tiles[index].release()
            self._tiles[index].deleteLater()
        del self._tiles[count:]
        while len(self._tiles) < count:
            self._tiles.append(self._new_tile())
        self._layout_name = name
        self._enlarged = None
        self._place_tiles()
        self.setWindowTitle(f"OneMap wall · {name}")

    def set_exercise(self, name: str | None) -> None:
        """Mark the wall and every tile it has or gets as exercise NAME's (None: a live wall): a purple frame
        round the wall, and on each tile a frame and an EXERCISE line that the video never covers."""
        self._exercise = name
        for tile in self._tiles:
            tile.set_exercise(name)
        margin = 0 if name is None else EXERCISE_BORDER
        self._grid.setContentsMargins(margin, margin, margin, margin)
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, name is not None)
        self.setStyleSheet("background: #101010;" if name is None
                           else f"* {{ background: #101010; }} Wall {{ background: {EXERCISE_COLOR}; }}")

    def toggle_enlarged(self, index: int) -> None:
        """Enlarge tile `index` to the whole wall, or restore the layout if it is the enlarged one."""
        self._enlarged = None if self._enlarged == index else index
        self._place_tiles()

    def _new_tile(self) -> VideoTile:
        tile = VideoTile(self)
        tile.set_exercise(self._exercise)
        tile.onlineChanged.connect(self._on_online_changed)
        tile.doubleClicked.connect(lambda: self.toggle_enlarged(self._tiles.index(tile)))
        tile.cameraDropped.connect(lambda _camera: self.stop_tour(self._tiles.index(tile)))
        return tile

    def _place_tiles(self) -> None:
        for tile in self._tiles:
            self._grid.removeWidget(tile)
        cells = LAYOUTS[self._layout_name]
        side = max(row + rows for row, _, rows, _ in cells)
        for i in range(4):  # the largest layout has 4 rows and columns; unused ones get no space
            self._grid.setRowStretch(i, 1 if i < side else 0)
            self._grid.setColumnStretch(i, 1 if i < side else 0)
        for index, (tile, cell) in enumerate(zip(self._tiles, cells)):
            if self._enlarged is None:
                self._grid.addWidget(tile, *cell)
                tile.show()
            elif index == self._enlarged:
                self._grid.addWidget(tile, 0, 0, side, side)
                tile.show()
            else:
                tile.hide()  # still playing: its liveness keeps feeding the map

    # -- cameras -----------------------------------------------------------------------------------------

    def cameras(self) -> list[Camera | None]:
        return [tile.camera for tile in self._tiles]

    def assign(self, index: int, camera: Camera | None) -> None:
        """Show `camera` in tile `index` (None empties it); stops that tile's tour."""
        self.stop_tour(index)
        self._tiles[index].set_camera(camera)

    def fill(self, cameras: Iterable[Camera | None]) -> None:
        """Assign cameras to tiles in order; tiles beyond the list are emptied."""
        queue = list(cameras)[:len(self._tiles)]
        queue += [None] * (len(self._tiles) - len(queue))
        for index, camera in enumerate(queue):
            self.assign(index, camera)

    def fill_nearest(self, cameras: Iterable[Camera], lon: float, lat: float) -> list[Camera]:
        """Fill the wall with the cameras nearest (lon, lat) that are online, nearest in the first tile.

        A camera's online state is what this wall has seen of it, else the record's `online` field.
        Returns the cameras placed.
        """
        online = [c for c in cameras if self._online.get(c.camera_id, c.online)]
        chosen = nearest_cameras(online, lon, lat, len(self._tiles))
        self.fill(chosen)
        return chosen

    def online_states(self) -> dict[str, bool]:
        """Every camera this wall has shown, by camera_id: its last observed state (True = frames coming)."""
        return dict(self._online)

    def _on_online_changed(self, camera_id: str, online: bool) -> None:
        self._online[camera_id] = online
        self.cameraOnlineChanged.emit(camera_id, online)

    # -- tours -------------------------------------------------------------------------------------------

    def start_tour(self, index: int, cameras: Iterable[Camera], dwell_s: float) -> Tour:
        """Cycle tile `index` through `cameras`, `dwell_s` seconds each, replacing any tour it had."""
        self.stop_tour(index)
        tour = Tour(self._tiles[index], cameras, dwell_s, self)
        self._tours[index] = tour
        tour.start()
        return tour

    def stop_tour(self, index: int) -> None:
        tour = self._tours.pop(index, None)
        if tour is not None:
            tour.stop()
            tour.deleteLater()

    def tours(self) -> dict[int, Tour]:
        return dict(self._tours)

    # -- screens -----------------------------------------------------------------------------------------

    def show_on_screen(self, screen: QScreen, fullscreen: bool = True) -> None:
        """Show the wall on `screen`: full screen, or a window filling its available area."""
        self.winId()  # the native window must exist to be given a screen
        # Screen first: moving an existing native window to another screen resets its geometry.
        self.windowHandle().setScreen(screen)
        self.setGeometry(screen.geometry() if fullscreen else screen.availableGeometry())
        if fullscreen:
            self.showFullScreen()
        else:
            self.show()

    # -- workspace ---------------------------------------------------------------------------------------

    def to_dict(self) -> dict:
        """The wall as JSON-serialisable data: layout, each tile's camera, tours, the enlarged tile."""
        return {
            "layout": self._layout_name,
            "tiles": [None if camera is None else _camera_ref(camera) for camera in self.cameras()],
            "tours": [tour.to_dict(index) for index, tour in sorted(self._tours.items())],
            "enlarged": self._enlarged,
        }

    @classmethod
    def from_dict(cls, data: dict, parent: QWidget | None = None) -> "Wall":
        """A wall rebuilt from `to_dict` output, its cameras connecting and its tours running."""
        wall = cls(data.get("layout", "2x2"), parent)
        wall.fill(None if ref is None else Camera.from_dict(ref) for ref in data.get("tiles", []))
        for tour in data.get("tours", []):
            wall.start_tour(int(tour["tile"]), [Camera.from_dict(c) for c in tour["cameras"]], tour["dwell_s"])
        if data.get("enlarged") is not None:
            wall.toggle_enlarged(int(data["enlarged"]))
        return wall

    def release(self) -> None:
        """Stop every tour and player; call before the wall is discarded."""
        for index in list(self._tours):
            self.stop_tour(index)
        for tile in self._tiles:
            tile.release()

    def closeEvent(self, event) -> None:
        self.release()
        super().closeEvent(event)
