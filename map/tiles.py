"""Cached tiles for layers that change rarely (streets, grid cells, cameras, checkpoints, incidents).

A tiled layer is drawn at discrete zoom levels, half a power of two apart: at level L a Web Mercator
metre is 2**(L/2) pixels, and tile (tx, ty) covers [tx, tx+1) x [ty, ty+1) tile widths of TILE_PX
pixels. A frame at any scale uses the nearest level and stretches its tiles by at most 2**(1/4)
(about 19 %). Panning therefore only blits cached images and renders the few tiles that scroll into
view; a change to a few features drops only the tiles around them.
"""
from __future__ import annotations

import math
import time
from collections import OrderedDict
from typing import Protocol

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui

from layers.model import Change

TILE_PX = 256
# Rendering missing tiles stops after this long in one paint; the rest follow in the next frames, so a
# zoom into a dense area never freezes the window.
RENDER_BUDGET_S = 0.120
# All tile groups together keep at most this many tiles (256 KB each).
MAX_CACHED_TILES = 480
# Between frames, tiles around the view are rendered ahead in slices this long, PREFETCH_RING tiles
# deep, so a pan usually finds the ground it uncovers already drawn.
PREFETCH_SLICE_S = 0.006
PREFETCH_RING = 2
# Web Mercator's square world: the bounding box of items that draw wherever the view is.
WORLD = QtCore.QRectF(-2.0037508e7, -2.0037508e7, 4.0075016e7, 4.0075016e7)


def level_for_scale(px_per_m: float) -> int:
    return int(round(2.0 * math.log2(px_per_m)))


def level_scale(level: int) -> float:
    """Pixels per Web Mercator metre at a level."""
    return 2.0 ** (level / 2.0)


class TileFrame:
    """Where one tile sits: its level, scale and Web Mercator box; maps metres to tile pixels."""

    __slots__ = ("level", "tx", "ty", "scale", "size_m", "x0", "y1")

    def __init__(self, level: int, tx: int, ty: int):
        self.level, self.tx, self.ty = level, tx, ty
        self.scale = level_scale(level)
        self.size_m = TILE_PX / self.scale
        self.x0 = tx * self.size_m
        self.y1 = (ty + 1) * self.size_m

    def box(self, margin_px: float = 0.0) -> tuple[float, float, float, float]:
        """(xmin, ymin, xmax, ymax) in metres, widened by margin_px pixels on every side."""
        m = margin_px / self.scale
        return self.x0 - m, self.y1 - self.size_m - m, self.x0 + self.size_m + m, self.y1 + m

    def px(self, x: np.ndarray) -> np.ndarray:
        return (x - self.x0) * self.scale

    def py(self, y: np.ndarray) -> np.ndarray:
        return (self.y1 - y) * self.scale


class TileImage:
    """A tile's image, allocated when a renderer first asks for its painter: most layers are empty in
    most tiles, and a tile no layer draws on costs no memory and no blit."""

    def __init__(self, background: QtGui.QColor | None = None):
        self._background = background
        self._image: QtGui.QImage | None = None
        self._painter: QtGui.QPainter | None = None
        self._opacity = 1.0

    def next_layer(self, opacity: float) -> None:
        """Start drawing the next layer up: fresh painter state, this opacity."""
        self._opacity = opacity
        if self._painter is not None:
            self._painter.restore()
            self._painter.save()
            self._painter.setOpacity(opacity)

    @property
    def painter(self) -> QtGui.QPainter:
        if self._painter is None:
            if self._background is None:
                self._image = QtGui.QImage(TILE_PX, TILE_PX, QtGui.QImage.Format.Format_ARGB32_Premultiplied)
                self._image.fill(0)
            else:  # opaque tiles blit as plain copies, about twice as fast as blending
                self._image = QtGui.QImage(TILE_PX, TILE_PX, QtGui.QImage.Format.Format_RGB32)
                self._image.fill(self._background)
            self._painter = QtGui.QPainter(self._image)
            self._painter.save()
            self._painter.setOpacity(self._opacity)
        return self._painter

    def finish(self) -> QtGui.QImage | None:
        if self._painter is not None:
            self._painter.restore()
            self._painter.end()
        return self._image


class TileRenderer(Protocol):
    """Draws one layer into tiles. `margin_px`: how far a symbol reaches beyond its anchor point."""

    margin_px: float

    def bounds(self) -> tuple[float, float, float, float] | None: ...

    def render_tile(self, tile: TileImage, frame: TileFrame) -> None:
        """Draw the layer's share of one TILE_PX square tile (asking tile.painter only if there is any)."""


class TileCache:
    """Rendered tiles of every tile group under one memory budget, least recently used out first.

    Keys are (group, level, tx, ty); None marks a tile known to be empty (no image kept).
    """

    def __init__(self, max_tiles: int):
        self.max_tiles = max_tiles
        self._tiles: OrderedDict[tuple[int, int, int, int], QtGui.QImage | None] = OrderedDict()

    def __len__(self) -> int:
        return len(self._tiles)

    def __contains__(self, key) -> bool:
        return key in self._tiles

    def get(self, key):
        self._tiles.move_to_end(key)
        return self._tiles[key]

    def put(self, key, image: QtGui.QImage | None) -> None:
        self._tiles[key] = image
        self._tiles.move_to_end(key)
        while len(self._tiles) > self.max_tiles:
            self._tiles.popitem(last=False)

    def clear(self, group: int) -> None:
        for key in [k for k in self._tiles if k[0] == group]:
            del self._tiles[key]

    def drop_near(self, group: int, x: np.ndarray, y: np.ndarray, margin_px: float) -> None:
        """Drop the group's tiles within margin_px of any of the points."""
        for key in [k for k in self._tiles if k[0] == group]:
            _, level, tx, ty = key
            size = TILE_PX / level_scale(level)
            reach = margin_px / level_scale(level)
            near = ((x + reach >= tx * size) & (x - reach < (tx + 1) * size)
                    & (y + reach >= ty * size) & (y - reach < (ty + 1) * size))
            if near.any():
                del self._tiles[key]


class TileLayer:
    """A layer drawn into tiles: its renderer, visibility and opacity.

    A volatile layer (a live heatmap, the grid choropleth) changes everywhere at once: it gets a tile
    group of its own, so its changes never make the other layers be drawn again.
    """

    def __init__(self, name: str, renderer: TileRenderer, volatile: bool = False):
        self.name = name
        self.renderer = renderer
        self.volatile = volatile
        self.visible = True
        self.opacity = 1.0
        self._bounds = renderer.bounds()

    def bounds(self) -> tuple[float, float, float, float] | None:
        return self._bounds

    def refresh_bounds(self) -> None:
        self._bounds = self.renderer.bounds()

    def reaches(self, frame: TileFrame) -> bool:
        """Whether anything of the layer can show in this tile (its box widened by its symbols' reach)."""
        b = self._bounds
        if b is None:
            return False
        x0, y0, x1, y1 = frame.box(self.renderer.margin_px)
        return not (x1 < b[0] or x0 > b[2] or y1 < b[1] or y0 > b[3])


class TileGroupItem(pg.GraphicsObject):
    """Consecutive tile layers drawn together into one image per tile: a frame blits one picture per
    tile however many layers are on, and a tile costs one image, not one per layer."""

    def __init__(self, layers: list[TileLayer], cache: TileCache, background: QtGui.QColor | None = None):
        """`background`: fill tiles with this colour and make them opaque (for the bottom group only)."""
        super().__init__()
        self.layers = layers
        self.cache = cache
        self.background = background
        self.pending = False  # tiles were left for the next frame by the time budget
        self._ahead: list[tuple[int, int, int]] = []  # tiles to prefetch, nearest to the view first
        self._prefetch_timer = QtCore.QTimer(self, singleShot=True, interval=0)
        self._prefetch_timer.timeout.connect(self._prefetch)

    def invalidate(self, layer: TileLayer, change: Change) -> None:
        """Drop the tiles `change` to `layer` made stale."""
        layer.refresh_bounds()
        if change.everything:
            self.cache.clear(id(self))
        else:
            self.cache.drop_near(id(self), change.x, change.y, layer.renderer.margin_px)
        self.update()

    def restyle(self) -> None:
        """Visibility or opacity of a member changed: draw the tiles again."""
        self.cache.clear(id(self))
        self.update()

    def boundingRect(self) -> QtCore.QRectF:
        return WORLD

    def _data_rect(self, scale: float) -> QtCore.QRectF:
        """Where the members have anything to draw at this scale (their boxes widened by their margins)."""
        rect = QtCore.QRectF()
        for layer in self.layers:
            b = layer.bounds() if layer.visible else None
            if b is not None:
                m = layer.renderer.margin_px / scale
                rect = rect.united(QtCore.QRectF(b[0] - m, b[1] - m, b[2] - b[0] + 2 * m, b[3] - b[1] + 2 * m))
        return rect

    def paint(self, painter: QtGui.QPainter, option, widget=None) -> None:
        view = self.viewRect()
        world = painter.worldTransform()
        scale = world.m11()
        if view is None or scale <= 0:
            return
        visible = view.intersected(self._data_rect(scale))
        if visible.isEmpty():
            return
        level = level_for_scale(scale)
        size = TILE_PX / level_scale(level)
        tx0, tx1 = math.floor(visible.left() / size), math.floor(visible.right() / size)
        ty0, ty1 = math.floor(visible.top() / size), math.floor(visible.bottom() / size)
        dx, dy, sy = world.dx(), world.dy(), world.m22()
        deadline = time.perf_counter() + RENDER_BUDGET_S
        self.pending = False
        painter.save()
        painter.resetTransform()
        for ty in range(ty0, ty1 + 1):
            top = round(sy * (ty + 1) * size + dy)
            bottom = round(sy * ty * size + dy)
            for tx in range(tx0, tx1 + 1):
                key = (id(self), level, tx, ty)
                if key not in self.cache:
                    if time.perf_counter() > deadline:
                        self.pending = True
                        continue
                    self.cache.put(key, self._composite(TileFrame(level, tx, ty)))
                image = self.cache.get(key)
                if image is not None:
                    left = round(scale * tx * size + dx)
                    right = round(scale * (tx + 1) * size + dx)
                    painter.drawImage(QtCore.QRect(left, top, right - left, bottom - top), image)
        painter.restore()
        if self.pending:
            QtCore.QTimer.singleShot(0, self.update)
        self._plan_prefetch(level, tx0, tx1, ty0, ty1)

    def _plan_prefetch(self, level: int, tx0: int, tx1: int, ty0: int, ty1: int) -> None:
        r = PREFETCH_RING
        cx, cy = (tx0 + tx1) / 2, (ty0 + ty1) / 2
        me = id(self)
        ring = [(me, level, tx, ty) for ty in range(ty0 - r, ty1 + r + 1) for tx in range(tx0 - r, tx1 + r + 1)
                if not (tx0 <= tx <= tx1 and ty0 <= ty <= ty1)]
        ring.sort(key=lambda key: max(abs(key[2] - cx) - (tx1 - tx0) / 2, abs(key[3] - cy) - (ty1 - ty0) / 2))
        self._ahead = [key for key in ring if key not in self.cache]
        if self._ahead:
            self._prefetch_timer.start()

    def _prefetch(self) -> None:
        deadline = time.perf_counter() + PREFETCH_SLICE_S
        while self._ahead and time.perf_counter() < deadline:
            key = self._ahead.pop(0)
            if key not in self.cache:
                self.cache.put(key, self._composite(TileFrame(*key[1:])))
        if self._ahead:
            self._prefetch_timer.start()

    def _composite(self, frame: TileFrame) -> QtGui.QImage | None:
        tile = TileImage(self.background)
        try:
            for layer in self.layers:
                if layer.visible and layer.opacity > 0 and layer.reaches(frame):
                    tile.next_layer(layer.opacity)
                    layer.renderer.render_tile(tile, frame)
        finally:
            image = tile.finish()
        return image
