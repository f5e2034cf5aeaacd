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
from collections import OrderedDict, deque
from typing import Callable, Protocol

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui

from layers.model import Change

TILE_PX = 256
# Rendering missing tiles stops after this long in one paint; the rest follow in the next frames, so a
# zoom into a dense area never freezes the window. The first paint at a new zoom level shows the last
# level scaled and renders only for FIRST_PAINT_BUDGET_S.
RENDER_BUDGET_S = 0.030
FIRST_PAINT_BUDGET_S = 0.004
# A layer change (a heatmap tick, a choropleth, a visibility) redraws the view a row of tiles at a time,
# nearest the centre first, for this long a frame (at least one row): the whole view at once held a frame
# 20 ms at city scale, a stutter every heatmap tick while units move.
REFRESH_BUDGET_S = 0.005
# A change to at most this many features of a tile layer draws again only the squares around them.
NEAR_MAX_POINTS = 256
# All tile groups together keep at most this many tiles (256 KB each).
MAX_CACHED_TILES = 480
# Between frames, tiles around the view are rendered ahead in slices this long (one slice per turn of
# the event loop for all the composite's groups, so input is never held up for long), PREFETCH_RING
# tiles deep, so a pan usually finds the ground it uncovers already drawn. While the view is moving,
# only the sides it moves towards, as deep as its speed asks: the ground it leaves behind is not needed
# next, and at a fast drag rendering ground that is not needed is what makes frames wait.
PREFETCH_SLICE_S = 0.016
PREFETCH_RING = 2
PREFETCH_FRAMES_AHEAD = 4  # while moving: as deep as the ground the next few frames at this speed uncover
AT_REST_AFTER_S = 0.25  # no pan for this long: the view is at rest, prefetch all around
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


def near_boxes(x: np.ndarray, y: np.ndarray, margin_px: float, level: int) -> np.ndarray:
    """Per point, the tiles of the level within margin_px of it: rows (tx0, tx1, ty0, ty1), inclusive."""
    scale = level_scale(level)
    reach, size = margin_px / scale, TILE_PX / scale
    return np.floor(np.stack([x - reach, x + reach, y - reach, y + reach], axis=1) / size).astype(np.int64)


class TileImage:
    """A tile's image, allocated when a renderer first asks for its painter: most layers are empty in
    most tiles, and a tile no layer draws on costs no memory and no blit."""

    def __init__(self, background: QtGui.QColor | None = None):
        self._background = background
        self._image: QtGui.QImage | None = None
        self._painter: QtGui.QPainter | None = None
        self._opacity = 1.0
        self.labels: list[tuple[str, object, tuple[float, float, float, float]]] = []  # drawn: (layer, key, level-pixel rect)

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

    def drop_level(self, group: int, level: int) -> None:
        for key in [k for k in self._tiles if k[0] == group and k[1] == level]:
            del self._tiles[key]

    def drop_near(self, group: int, x: np.ndarray, y: np.ndarray, margin_px: float) -> None:
        """Drop the group's tiles within margin_px of any of the points."""
        boxes: dict[int, np.ndarray] = {}
        for key in [k for k in self._tiles if k[0] == group]:
            _, level, tx, ty = key
            if level not in boxes:
                boxes[level] = near_boxes(x, y, margin_px, level)
            b = boxes[level]
            if ((b[:, 0] <= tx) & (tx <= b[:, 1]) & (b[:, 2] <= ty) & (ty <= b[:, 3])).any():
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


class TileGroup:
    """Consecutive tile layers drawn together into one image per tile: a composite blits one picture per
    tile however many layers are on, and a tile costs one image, not one per layer."""

    def __init__(self, layers: list[TileLayer], cache: TileCache):
        self.layers = layers
        self.cache = cache
        # Set by the composite that shows the group: called with the change and its reach in pixels, or
        # with nothing when every tile changed.
        self.changed: Callable[..., None] = lambda change=None, margin_px=0.0: None

    def invalidate(self, layer: TileLayer, change: Change) -> None:
        """Drop the tiles `change` to `layer` made stale."""
        layer.refresh_bounds()
        if change.everything:
            self.cache.clear(id(self))
            self.changed()
        else:
            self.cache.drop_near(id(self), change.x, change.y, layer.renderer.margin_px)
            self.changed(change, layer.renderer.margin_px)

    def restyle(self) -> None:
        """Visibility or opacity of a member changed: draw the tiles again."""
        self.cache.clear(id(self))
        self.changed()

    def ready(self, level: int, tx: int, ty: int) -> bool:
        return (id(self), level, tx, ty) in self.cache

    def render(self, level: int, tx: int, ty: int) -> None:
        self.cache.put((id(self), level, tx, ty), self._composite(TileFrame(level, tx, ty)))

    def paint_rect(self, painter: QtGui.QPainter, level: int, dx: int, dy: int, rect: QtCore.QRect) -> None:
        """Blit the group's tiles over `rect` (composite pixels; tile (tx, ty) at tx*TILE_PX + dx,
        -(ty+1)*TILE_PX + dy). Tiles not rendered are skipped: the caller clips to rendered squares."""
        tx0, tx1 = (rect.left() - dx) // TILE_PX, (rect.right() - dx) // TILE_PX
        ty0, ty1 = -((rect.bottom() - dy) // TILE_PX) - 1, -((rect.top() - dy) // TILE_PX) - 1
        me = id(self)
        for ty in range(ty0, ty1 + 1):
            top = -(ty + 1) * TILE_PX + dy
            for tx in range(tx0, tx1 + 1):
                key = (me, level, tx, ty)
                if key in self.cache:
                    image = self.cache.get(key)
                    if image is not None:
                        painter.drawImage(QtCore.QPoint(tx * TILE_PX + dx, top), image)

    def _composite(self, frame: TileFrame) -> QtGui.QImage | None:
        tile = TileImage()
        try:
            for layer in self.layers:
                if layer.visible and layer.opacity > 0 and layer.reaches(frame):
                    tile.next_layer(layer.opacity)
                    layer.renderer.render_tile(tile, frame)
        finally:
            image = tile.finish()
        return image


class ImageLayer(Protocol):
    """A layer drawn as one picture stretched over the map (a heatmap): no tiles to render, a change
    costs one redraw of the composite, not one render per tile."""

    name: str
    visible: bool
    opacity: float

    def paint_rect(self, painter: QtGui.QPainter, level: int, dx: int, dy: int, rect: QtCore.QRect) -> None: ...


def _outside(full: QtCore.QRect, kept: QtCore.QRect) -> list[QtCore.QRect]:
    """`full` minus `kept` (a rect inside it, or empty) as at most four rects."""
    if kept.isEmpty():
        return [full]
    out = [QtCore.QRect(full.left(), full.top(), full.width(), kept.top() - full.top()),
           QtCore.QRect(full.left(), kept.bottom() + 1, full.width(), full.bottom() - kept.bottom()),
           QtCore.QRect(full.left(), kept.top(), kept.left() - full.left(), kept.height()),
           QtCore.QRect(kept.right() + 1, kept.top(), full.right() - kept.right(), kept.height())]
    return [r for r in out if not r.isEmpty()]


def _ring_pieces(rect: QtCore.QRect, origin: tuple[int, int], size: QtCore.QSize) -> list[tuple[QtCore.QRect, QtCore.QPoint]]:
    """`rect` of the view cut where a ring image wraps: (view part, its top-left in the image), view pixel
    (x, y) being image pixel ((x + ox) mod w, (y + oy) mod h). At most four parts."""

    def runs(start: int, end: int, o: int, n: int) -> list[tuple[int, int, int]]:
        out = []
        while start < end:
            at = (start + o) % n
            length = min(end - start, n - at)
            out.append((start, at, length))
            start += length
        return out

    xs = runs(rect.left(), rect.right() + 1, origin[0], size.width())
    ys = runs(rect.top(), rect.bottom() + 1, origin[1], size.height())
    return [(QtCore.QRect(x, y, rw, rh), QtCore.QPoint(ix, iy)) for x, ix, rw in xs for y, iy, rh in ys]


def _draw_ring(painter: QtGui.QPainter, image: QtGui.QImage, origin: tuple[int, int]) -> None:
    """Draw a ring image unrolled, its view pixel (0, 0) at the painter's origin."""
    for part, at in _ring_pieces(image.rect(), origin, image.size()):
        painter.drawImage(part.topLeft(), image, QtCore.QRect(at, part.size()))


class CompositeItem(pg.GraphicsObject):
    """A run of cached layers (tile groups and image layers, bottom to top) flattened into one image the
    size of the view, kept between frames.

    - A frame whose view and layers did not change (a unit moved) blits the image once.
    - A pan draws only the uncovered strips: the image is a ring (view pixel (x, y) is image pixel
      ((x + ox) mod w, (y + oy) mod h)), so a pan moves the origin, not the pixels, and the strips go
      where the ground that left the view was. The frame blits it unrolled, in at most four pieces.
    - A zoom to another level first shows the previous image scaled (at once), then draws the new level's
      tiles nearest the centre first within a time budget per frame until the view is finished.
    - A layer change redraws the image from the cached tiles (only stale tiles are rendered again), a
      row of tiles at a time, nearest the centre first, for REFRESH_BUDGET_S a frame.

    Static layers are drawn offset by whole pixels (the view's offset rounded), so strips drawn after a
    pan are pixel for pixel what a fresh image would show there.
    """

    def __init__(self, parts: list, cache: TileCache, background: QtGui.QColor | None = None):
        super().__init__()
        self.parts = parts  # TileGroup or ImageLayer, bottom first
        self.groups = [p for p in parts if isinstance(p, TileGroup)]
        for group in self.groups:
            group.changed = self.changed
        self.cache = cache
        self.background = background
        # Squares of the view still lack their tiles (showing the last level scaled, or the picture before
        # a change), or rows still show the picture before a layer change: the next frame follows at once.
        self.pending = False
        self._image: QtGui.QImage | None = None
        self._spare: QtGui.QImage | None = None  # the image before the last new level, reused at the next
        self._key = None  # (level, width, height) of the image
        self._offset = (0, 0)
        self._origin = (0, 0)  # the image pixel that shows at view pixel (0, 0)
        self._stale = True  # a layer changed since the image was drawn
        self._generation = 0  # layer changes so far
        self._plan = None  # what the render-ahead queue was planned for
        self._missing: set[tuple[int, int]] = set()
        self._motion = (0, 0)  # the last pan in pixels, east and north positive
        self._moved_at = 0.0
        self._ahead: deque[tuple[TileGroup, int, int, int]] = deque()  # (group, level, tx, ty), nearest first
        self._prefetch_timer = QtCore.QTimer(self, singleShot=True, interval=0)
        self._prefetch_timer.timeout.connect(self._prefetch)
        self._due: set[int] = set()  # tile rows of the level still showing the picture before a layer change
        self._row_cost = 0.0  # seconds the last of them took to draw
        self._near: list[tuple[np.ndarray, np.ndarray, float]] = []  # local changes not drawn yet
        self.first_budget_s = FIRST_PAINT_BUDGET_S
        self.budget_s = RENDER_BUDGET_S
        self.refresh_budget_s = REFRESH_BUDGET_S

    def changed(self, change: Change | None = None, margin_px: float = 0.0) -> None:
        """A part changed: everywhere, or (a tile group's few features) only within margin_px of the
        change's positions, where only the squares around them are drawn again."""
        if change is None or len(change.x) > NEAR_MAX_POINTS:
            self._stale = True
        else:
            self._near.append((change.x, change.y, margin_px))
        self._generation += 1
        self.update()

    def boundingRect(self) -> QtCore.QRectF:
        return WORLD

    def _new_image(self, w: int, h: int) -> QtGui.QImage:
        fmt = QtGui.QImage.Format.Format_RGB32 if self.background is not None else \
            QtGui.QImage.Format.Format_ARGB32_Premultiplied
        return QtGui.QImage(w, h, fmt)

    def _clear(self, painter: QtGui.QPainter, rect) -> None:
        if self.background is not None:
            painter.fillRect(rect, self.background)
        else:
            mode = painter.compositionMode()
            painter.setCompositionMode(QtGui.QPainter.CompositionMode.CompositionMode_Source)
            painter.fillRect(rect, QtCore.Qt.GlobalColor.transparent)
            painter.setCompositionMode(mode)

    def paint(self, painter: QtGui.QPainter, option, widget=None) -> None:
        world = painter.worldTransform()
        scale = world.m11()
        device = painter.device()
        if scale <= 0 or device is None:
            return
        level = level_for_scale(scale)
        ratio = scale / level_scale(level)  # 1 on a level; else (a resize before snapping) stretch the image
        w, h = math.ceil(device.width() / ratio), math.ceil(device.height() / ratio)
        if w < 1 or h < 1:
            return
        dx, dy = round(world.dx() / ratio), round(world.dy() / ratio)
        self._update(level, w, h, dx, dy)
        painter.save()
        painter.resetTransform()
        if abs(ratio - 1.0) > 1e-6:
            painter.setRenderHint(QtGui.QPainter.RenderHint.SmoothPixmapTransform)
            painter.scale(ratio, ratio)
        _draw_ring(painter, self._image, self._origin)
        painter.restore()
        if self.pending:
            QtCore.QTimer.singleShot(0, self.update)
        else:
            tx0, tx1 = (0 - dx) // TILE_PX, (w - 1 - dx) // TILE_PX
            ty0, ty1 = -((h - 1 - dy) // TILE_PX) - 1, -((0 - dy) // TILE_PX) - 1
            self._plan_prefetch(level, tx0, tx1, ty0, ty1)

    def _plan_prefetch(self, level: int, tx0: int, tx1: int, ty0: int, ty1: int) -> None:
        east, north = self._motion
        moving = time.perf_counter() - self._moved_at < AT_REST_AFTER_S
        # Frames that change neither the view nor a layer (units moving) keep the plan they have: planning
        # checks every square of the ring (0.4 ms a frame at city scale).
        plan = (level, tx0, tx1, ty0, ty1, self._motion if moving else None, self._generation)
        if plan == self._plan:
            return
        self._plan = plan

        def reach(toward: int) -> int:
            """Ring depth on one side; `toward`: the last pan's pixels towards that side."""
            if not moving:
                return PREFETCH_RING
            if toward <= 0:
                return 0
            return min(PREFETCH_RING, max(1, math.ceil(toward * PREFETCH_FRAMES_AHEAD / TILE_PX)))

        xs = range(tx0 - reach(-east), tx1 + reach(east) + 1)
        ys = range(ty0 - reach(-north), ty1 + reach(north) + 1)
        cx, cy, half_w, half_h = (tx0 + tx1) / 2, (ty0 + ty1) / 2, (tx1 - tx0) / 2, (ty1 - ty0) / 2
        ring = sorted(((tx, ty) for ty in ys for tx in xs if not (tx0 <= tx <= tx1 and ty0 <= ty <= ty1)),
                      key=lambda sq: max(abs(sq[0] - cx) - half_w, abs(sq[1] - cy) - half_h))
        self._ahead = deque((group, level, tx, ty) for tx, ty in ring for group in self.groups
                            if not group.ready(level, tx, ty))
        if self._ahead:
            self._prefetch_timer.start()

    def _prefetch(self) -> None:
        deadline = time.perf_counter() + PREFETCH_SLICE_S
        while self._ahead and time.perf_counter() < deadline:
            group, level, tx, ty = self._ahead.popleft()
            if not group.ready(level, tx, ty):
                group.render(level, tx, ty)
        if self._ahead:
            self._prefetch_timer.start()

    def _update(self, level: int, w: int, h: int, dx: int, dy: int) -> None:
        """Bring the image up to date for this level, size and offset."""
        key = (level, w, h)
        full = QtCore.QRect(0, 0, w, h)
        budget = self.budget_s
        if self._image is None or key != self._key:
            old, old_key, old_offset, old_origin = self._image, self._key, self._offset, self._origin
            # A new level keeps the size: the old picture's memory is reused at the next new level, so a
            # zoom allocates (and page-faults) no 8 MB image.
            reuse = self._spare if self._spare is not None and self._spare.size() == QtCore.QSize(w, h) else None
            self._image = reuse if reuse is not None else self._new_image(w, h)
            self._spare = None
            self._origin = (0, 0)
            p = QtGui.QPainter(self._image)
            self._clear(p, full)
            if old is not None and old_key[0] != level:  # a zoom: the last level, scaled, until refined
                k = level_scale(level) / level_scale(old_key[0])
                p.setRenderHint(QtGui.QPainter.RenderHint.SmoothPixmapTransform)
                p.translate(dx - old_offset[0] * k, dy - old_offset[1] * k)
                p.scale(k, k)
                _draw_ring(p, old, old_origin)
                budget = self.first_budget_s
            p.end()
            if old is not None and old.size() == QtCore.QSize(w, h):
                self._spare = old
            dirty = [full]  # every row: a layer change since is drawn too
            self._missing = set()
            self._due = set()
            self._near = []
            self._stale = False
        else:
            dirty = []
            if (dx, dy) != self._offset:  # a pan: turn the ring, clear the uncovered strips
                sx, sy = dx - self._offset[0], dy - self._offset[1]
                self._motion = (-sx, sy)  # the picture moves against the view
                self._moved_at = time.perf_counter()
                self._origin = ((self._origin[0] - sx) % w, (self._origin[1] - sy) % h)
                dirty = _outside(full, full.intersected(QtCore.QRect(sx, sy, w, h)))
                p = QtGui.QPainter(self._image)
                for rect in dirty:  # what is not drawn below (a tile not ready) shows the background
                    for part, at in _ring_pieces(rect, self._origin, self._image.size()):
                        self._clear(p, QtCore.QRect(at, part.size()))
                p.end()
        top_row, bottom_row = -((0 - dy) // TILE_PX) - 1, -((h - 1 - dy) // TILE_PX) - 1
        if self._stale:  # the current picture stays until each row is drawn again
            self._due = set(range(bottom_row, top_row + 1))
        self._key = key
        self._stale = False
        self._offset = (dx, dy)
        squares = set(self._missing)
        if self._near:
            squares |= self._squares_near(level, (0 - dx) // TILE_PX, (w - 1 - dx) // TILE_PX, bottom_row, top_row)
            self._near = []
        self._missing = self._draw(level, w, h, dx, dy, dirty, squares, budget)
        deadline = time.perf_counter() + self.refresh_budget_s
        rows = sorted((ty for ty in self._due if bottom_row <= ty <= top_row),
                      key=lambda ty: abs(-(ty + 0.5) * TILE_PX + dy - h / 2))
        for n, ty in enumerate(rows):
            started = time.perf_counter()
            if n and started + self._row_cost > deadline:  # a row is not begun that would overrun
                break
            self._due.discard(ty)
            row = QtCore.QRect(0, -(ty + 1) * TILE_PX + dy, w, TILE_PX).intersected(full)
            self._missing |= self._draw(level, w, h, dx, dy, [row], set(), max(deadline - started, 0.0))
            self._row_cost = time.perf_counter() - started
        self._due.intersection_update(rows)
        self.pending = bool(self._missing or self._due)

    def _squares_near(self, level: int, tx0: int, tx1: int, ty0: int, ty1: int) -> set[tuple[int, int]]:
        """Squares of the view (tx0..tx1, ty0..ty1) within reach of the local changes."""
        out = set()
        for x, y, margin_px in self._near:
            for ax0, ax1, ay0, ay1 in near_boxes(x, y, margin_px, level).tolist():
                out.update((tx, ty) for tx in range(max(ax0, tx0), min(ax1, tx1) + 1)
                           for ty in range(max(ay0, ty0), min(ay1, ty1) + 1))
        return out

    def _draw(self, level: int, w: int, h: int, dx: int, dy: int, dirty: list[QtCore.QRect],
              squares: set[tuple[int, int]], budget: float) -> set[tuple[int, int]]:
        """Draw the parts over `dirty` (view pixels) and all of `squares`, nearest the centre first,
        rendering missing tiles for `budget` seconds; returns the squares left undrawn for want of tiles."""
        full = QtCore.QRect(0, 0, w, h)
        # Squares (tiles of the level) to draw, each with the part of it to draw.
        todo: dict[tuple[int, int], QtCore.QRect] = {}

        def square(tx: int, ty: int) -> QtCore.QRect:
            return QtCore.QRect(tx * TILE_PX + dx, -(ty + 1) * TILE_PX + dy, TILE_PX, TILE_PX)

        for rect in dirty:
            for ty in range(-((rect.bottom() - dy) // TILE_PX) - 1, -((rect.top() - dy) // TILE_PX)):
                for tx in range((rect.left() - dx) // TILE_PX, (rect.right() - dx) // TILE_PX + 1):
                    part = square(tx, ty).intersected(rect)
                    todo[(tx, ty)] = todo[(tx, ty)].united(part) if (tx, ty) in todo else part
        for sq in squares:
            todo[sq] = square(*sq).intersected(full)
        cx, cy = (w / 2 - dx) / TILE_PX, (dy - h / 2) / TILE_PX - 1
        order = sorted(todo, key=lambda sq: (sq[0] + 0.5 - cx) ** 2 + (sq[1] + 0.5 - cy) ** 2)
        deadline = time.perf_counter() + budget
        region = QtGui.QRegion()
        missing = set()
        for sq in order:
            if todo[sq].isEmpty():
                continue
            ok = True
            for group in self.groups:
                if not group.ready(level, *sq):
                    if time.perf_counter() > deadline:
                        ok = False
                        break
                    group.render(level, *sq)
            if ok:
                region += todo[sq]
            else:
                missing.add(sq)
        if region.isEmpty():
            return missing
        p = QtGui.QPainter(self._image)
        # Rectangle by rectangle, not the region's bounding box: a pan uncovers an L of two strips, whose
        # bounding box is the whole view, and every part would draw (if clipped) all of it. A rectangle
        # that the ring's seam cuts is drawn whole into a scratch image and copied in pieces: drawn in
        # pieces, a strip costs each layer twice its fixed cost (the heat's smoothing is per line).
        for rect in region:
            pieces = _ring_pieces(rect, self._origin, self._image.size())
            if len(pieces) == 1:
                at = pieces[0][1]
                self._paint_parts(p, level, dx, dy, rect, QtCore.QPoint(at.x() - rect.x(), at.y() - rect.y()))
                continue
            scratch = self._new_image(rect.width(), rect.height())
            s = QtGui.QPainter(scratch)
            self._paint_parts(s, level, dx, dy, rect, QtCore.QPoint(-rect.x(), -rect.y()))
            s.end()
            p.resetTransform()
            p.setClipping(False)
            p.setCompositionMode(QtGui.QPainter.CompositionMode.CompositionMode_Source)
            for piece, at in pieces:
                p.drawImage(at, scratch, piece.translated(-rect.x(), -rect.y()))
            p.setCompositionMode(QtGui.QPainter.CompositionMode.CompositionMode_SourceOver)
        p.end()
        return missing

    def _paint_parts(self, p: QtGui.QPainter, level: int, dx: int, dy: int, rect: QtCore.QRect, shift: QtCore.QPoint) -> None:
        """Draw every part over `rect` (view pixels), moved by `shift` on the painter's device."""
        p.setTransform(QtGui.QTransform.fromTranslate(shift.x(), shift.y()))
        p.setClipRect(rect)
        self._clear(p, rect)
        for part in self.parts:
            if isinstance(part, TileGroup):
                part.paint_rect(p, level, dx, dy, rect)
            elif part.visible and part.opacity > 0:
                p.save()
                p.setOpacity(part.opacity)
                part.paint_rect(p, level, dx, dy, rect)
                p.restore()
