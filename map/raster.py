"""Raster basemap tiles (XYZ / slippy map): from a URL template with a disk cache, or a local MBTiles file.

Optional: the map starts and works with no tiles and no network (the vector basemap is drawn anyway).
Downloads are asynchronous (QNetworkAccessManager); the GUI thread never waits on the network.
"""
from __future__ import annotations

import hashlib
import math
import sqlite3
from collections import OrderedDict
from pathlib import Path

import numpy as np
from PySide6 import QtCore, QtGui, QtNetwork

from layers.model import Change, LayerModel
from map.tiles import TileFrame, TileImage

WORLD_M = 40075016.68557849  # Web Mercator world width
HALF_WORLD_M = WORLD_M / 2
XYZ_PX = 256
MEMORY_TILES = 256
DEFAULT_CACHE = Path.home() / ".cache" / "onemap" / "tiles"


def xyz_zoom(px_per_m: float, max_zoom: int) -> int:
    """The XYZ zoom whose pixels are nearest in size to the map's."""
    return int(np.clip(round(math.log2(px_per_m * WORLD_M / XYZ_PX)), 0, max_zoom))


def xyz_box(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    """(xmin, ymin, xmax, ymax) of an XYZ tile in Web Mercator metres (y counts down from the north)."""
    size = WORLD_M / 2 ** z
    return x * size - HALF_WORLD_M, HALF_WORLD_M - (y + 1) * size, (x + 1) * size - HALF_WORLD_M, HALF_WORLD_M - y * size


class RasterTiles(LayerModel):
    """A source of XYZ tiles; says which area changed when a tile arrives."""

    name = "raster"
    title = "Raster tiles"

    def __init__(self, max_zoom: int = 19):
        super().__init__()
        self.max_zoom = max_zoom
        self._memory: OrderedDict[tuple[int, int, int], QtGui.QImage | None] = OrderedDict()

    def tile(self, z: int, x: int, y: int) -> QtGui.QImage | None:
        """The tile if it is at hand; None if missing or still on its way (it is then asked for)."""
        key = (z, x, y)
        if key in self._memory:
            self._memory.move_to_end(key)
            return self._memory[key]
        image = self._load(z, x, y)
        if image is not None:
            self._remember(key, image)
        return image

    def _remember(self, key, image) -> None:
        self._memory[key] = image
        while len(self._memory) > MEMORY_TILES:
            self._memory.popitem(last=False)

    def _arrived(self, z: int, x: int, y: int, image: QtGui.QImage) -> None:
        self._remember((z, x, y), image)
        x0, y0, x1, y1 = xyz_box(z, x, y)
        gx, gy = np.meshgrid(np.linspace(x0, x1, 5), np.linspace(y0, y1, 5))
        self._changed(Change.at(gx.ravel(), gy.ravel()))  # dense enough to hit every map tile it covers

    def _load(self, z: int, x: int, y: int) -> QtGui.QImage | None:
        raise NotImplementedError


_NETWORK: QtNetwork.QNetworkAccessManager | None = None


def _network() -> QtNetwork.QNetworkAccessManager:
    """One manager for every tile source, alive as long as the application: replies in flight never
    outlive the manager that owns them."""
    global _NETWORK
    if _NETWORK is None:
        _NETWORK = QtNetwork.QNetworkAccessManager(QtCore.QCoreApplication.instance())
    return _NETWORK


class XyzTiles(RasterTiles):
    """Tiles from a URL template such as https://tile.example/{z}/{x}/{y}.png (file:// works too),
    kept on disk under cache_dir so they are there the next time, network or not."""

    def __init__(self, url_template: str, cache_dir: Path | None = None, max_zoom: int = 19,
                 user_agent: str = "OneMap/0.1"):
        super().__init__(max_zoom)
        self.url_template = url_template
        key = hashlib.sha1(url_template.encode()).hexdigest()[:16]
        self.cache_dir = Path(cache_dir or DEFAULT_CACHE) / key
        self.user_agent = user_agent
        self._asked: set[tuple[int, int, int]] = set()

    def _path(self, z: int, x: int, y: int) -> Path:
        return self.cache_dir / str(z) / str(x) / f"{y}.png"

    def _load(self, z, x, y):
        path = self._path(z, x, y)
        if path.is_file():
            image = QtGui.QImage(str(path))
            if not image.isNull():
                return image
        if (z, x, y) not in self._asked:
            self._asked.add((z, x, y))
            url = self.url_template.format(z=z, x=x, y=y)
            request = QtNetwork.QNetworkRequest(QtCore.QUrl(url))
            request.setHeader(QtNetwork.QNetworkRequest.KnownHeaders.UserAgentHeader, self.user_agent)
            reply = _network().get(request)
            reply.finished.connect(lambda: self._received(reply, z, x, y))
        return None

    def _received(self, reply: QtNetwork.QNetworkReply, z: int, x: int, y: int) -> None:
        data = bytes(reply.readAll())
        failed = reply.error() != QtNetwork.QNetworkReply.NetworkError.NoError
        reply.deleteLater()
        self._asked.discard((z, x, y))  # asked again next time it is needed (e.g. back online)
        image = QtGui.QImage.fromData(data) if not failed else QtGui.QImage()
        if image.isNull():
            return
        path = self._path(z, x, y)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        self._arrived(z, x, y, image)


class MbTiles(RasterTiles):
    """Tiles from a local MBTiles file (SQLite; rows are TMS, counted from the south)."""

    def __init__(self, path: Path | str):
        self.path = Path(path)
        self._db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)
        row = self._db.execute("SELECT value FROM metadata WHERE name = 'maxzoom'").fetchone()
        super().__init__(int(row[0]) if row else 19)

    def _load(self, z, x, y):
        row = self._db.execute(
            "SELECT tile_data FROM tiles WHERE zoom_level = ? AND tile_column = ? AND tile_row = ?",
            (z, x, (1 << z) - 1 - y)).fetchone()
        if row is None:
            return None
        image = QtGui.QImage.fromData(bytes(row[0]))
        return None if image.isNull() else image


class RasterRenderer:
    """Draws the XYZ tiles under a map tile, stretched smoothly to the map's level."""

    margin_px = 0.0

    def __init__(self, tiles: RasterTiles):
        self.tiles = tiles

    def bounds(self):
        return -HALF_WORLD_M, -HALF_WORLD_M, HALF_WORLD_M, HALF_WORLD_M

    def render_tile(self, tile: TileImage, frame: TileFrame) -> None:
        z = xyz_zoom(frame.scale, self.tiles.max_zoom)
        size = WORLD_M / 2 ** z
        x0, y0, x1, y1 = frame.box()
        for ty in range(int((HALF_WORLD_M - y1) // size), int((HALF_WORLD_M - y0) // size) + 1):
            for tx in range(int((x0 + HALF_WORLD_M) // size), int((x1 + HALF_WORLD_M) // size) + 1):
                if not (0 <= tx < 2 ** z and 0 <= ty < 2 ** z):
                    continue
                image = self.tiles.tile(z, tx, ty)
                if image is None:
                    continue
                bx0, by0, bx1, by1 = xyz_box(z, tx, ty)
                left, top = float(frame.px(bx0)), float(frame.py(by1))
                painter = tile.painter
                painter.setRenderHint(QtGui.QPainter.RenderHint.SmoothPixmapTransform)
                painter.drawImage(QtCore.QRectF(left, top, float(frame.px(bx1)) - left, float(frame.py(by0)) - top), image)
