"""Tile renderers: how the basemap, the grid choropleth and the point layers draw one tile.

Each works in tile pixels computed with numpy (never a QTransform over 1e7-metre coordinates), culls
with its model's spatial index, and picks its level of detail from the tile's scale.
"""
from __future__ import annotations

import math
import time
from collections import OrderedDict
from typing import Callable

import numpy as np
import pyqtgraph.functions as fn
from PySide6 import QtCore, QtGui
from pyqtgraph.Qt import internals

from dispatch.domain import DEFAULT_CAMERA_FOV_DEG
from dispatch.grid_cases import CASE_STATUSES
from layers import style
from layers.basemap import Basemap
from layers.cases import CaseLayer
from layers.grids import GridLayer
from layers.heatmap import HeatmapLayer
from layers.incidents import IncidentLayer
from layers.labels import Candidates, LabelPlan
from layers.points import CAMERA_STATE_CODE, CameraLayer, CheckpointLayer, PointLayer, StationLayer
from layers.polygons import PolygonSet
from layers.spatial import cell_clusters, concat_ranges
from map import i18n, symbols
from map.symbols import SymbolAtlas, TextCache, qcolor
from map.tiles import TILE_PX, TileFrame, TileImage, level_scale

AA = QtGui.QPainter.RenderHint.Antialiasing
NO_PEN = QtCore.Qt.PenStyle.NoPen
LABEL_COLOR = QtGui.QColor(226, 230, 236)


def label_sizes(text: TextCache, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Widths and heights in pixels of the haloed images TextCache makes of these texts (without making
    them: most candidates of a label plan are never drawn)."""
    halo = TextCache.HALO
    widths = np.array([math.ceil(text.metrics.horizontalAdvance(t)) + 2 * halo + 1 for t in texts], dtype=np.float64)
    return widths, np.full(len(texts), math.ceil(text.metrics.height()) + 2 * halo, dtype=np.float64)


def tile_origin(frame: TileFrame) -> tuple[int, int]:
    """The tile's top-left corner in level pixels (x * scale, -y * scale), where label plans live."""
    return frame.tx * TILE_PX, -(frame.ty + 1) * TILE_PX


def own_plan(name: str, source) -> LabelPlan:
    """A plan of one layer's labels, for a renderer used without a map's shared plan."""
    plan = LabelPlan()
    plan.add_source(name, source)
    return plan


def zoom_width_factor(scale: float) -> float:
    """Line widths grow with zoom: thin at city scale, full at street scale (scale: px per metre)."""
    return float(np.clip(0.45 + 0.2 * (math.log2(scale) + 4.7), 0.45, 1.6))


# Segments are cut this far outside a tile: beyond the widest pen's reach and its round cap.
CLIP_MARGIN_PX = 16.0


def clip_segments(x0, y0, x1, y1, low: float, high: float):
    """Segments cut to the square [low, high]^2 (Liang-Barsky, all at once); those outside it dropped.
    Qt rasterises an antialiased line along its whole length, inside the tile or not: at street scale a
    grid cell's edge runs ~700 px, and drawing ten of them cost half a millisecond a tile."""
    dx, dy = x1 - x0, y1 - y0
    t0, t1 = np.zeros(len(x0)), np.ones(len(x0))
    keep = np.ones(len(x0), dtype=bool)
    with np.errstate(divide="ignore", invalid="ignore"):
        for p, q in ((-dx, x0 - low), (dx, high - x0), (-dy, y0 - low), (dy, high - y0)):
            keep &= ~((p == 0) & (q < 0))  # parallel to this edge and outside it
            r = q / p
            t0 = np.where(p < 0, np.maximum(t0, r), t0)
            t1 = np.where(p > 0, np.minimum(t1, r), t1)
    keep &= t0 <= t1
    t0, t1, x0, y0, dx, dy = t0[keep], t1[keep], x0[keep], y0[keep], dx[keep], dy[keep]
    return x0 + t0 * dx, y0 + t0 * dy, x0 + t1 * dx, y0 + t1 * dy


def draw_lines(painter: QtGui.QPainter, lines: internals.PrimitiveArray, x0, y0, x1, y1) -> None:
    """Many separate segments of one tile in one call (drawLines is ~5x faster than one big
    QPainterPath), cut to the tile first."""
    x0, y0, x1, y1 = clip_segments(x0, y0, x1, y1, -CLIP_MARGIN_PX, TILE_PX + CLIP_MARGIN_PX)
    lines.resize(len(x0))
    if len(x0):
        a = lines.ndarray()
        a[:, 0], a[:, 1], a[:, 2], a[:, 3] = x0, y0, x1, y1
        painter.drawLines(*lines.drawargs())


def polygon_shapes(polygons: PolygonSet, rows: np.ndarray, frame: TileFrame):
    """(row, shape) per polygon in tile pixels: a QPolygonF, or a QPainterPath when it has holes or parts."""
    out = []
    for row in rows:
        first, last = polygons.feature_rings[row], polygons.feature_rings[row + 1]
        rings = []
        for r in range(first, last):
            xy = polygons.coords[polygons.offsets[r]:polygons.offsets[r + 1]]
            ring = fn.create_qpolygonf(len(xy))
            view = fn.ndarray_from_qpolygonf(ring)
            view[:, 0] = frame.px(xy[:, 0])
            view[:, 1] = frame.py(xy[:, 1])
            rings.append(ring)
        if len(rings) == 1:
            out.append((row, rings[0]))
        elif rings:
            path = QtGui.QPainterPath()
            path.setFillRule(QtCore.Qt.FillRule.OddEvenFill)
            for ring in rings:
                path.addPolygon(ring)
            out.append((row, path))
    return out


def fill_shape(painter: QtGui.QPainter, shape) -> None:
    if isinstance(shape, QtGui.QPainterPath):
        painter.drawPath(shape)
    else:
        painter.drawPolygon(shape)


# --- basemap ---------------------------------------------------------------------------------------

# Street classes appear as one zooms in: log2(px per metre) at which each class is first drawn.
STREET_MIN_ZOOM = [-99.0, -99.0, -6.0, -4.6, -3.6, -2.2]
STREET_LABEL_MIN_ZOOM = -1.6
LABEL_BLOCK_TILES = 4


class BasemapRenderer:
    """Areas, then streets from minor to major, then street names along the streets."""

    margin_px = 4.0

    def __init__(self, basemap: Basemap):
        self.basemap = basemap
        self._lines = internals.PrimitiveArray(QtCore.QLineF, 4)
        self._text = TextCache(11)
        self._label_blocks: OrderedDict[tuple, list] = OrderedDict()
        basemap.subscribe(lambda change: self._label_blocks.clear())

    def bounds(self):
        return self.basemap.bounds()

    def render_tile(self, tile: TileImage, frame: TileFrame) -> None:
        self._areas(tile, frame)
        zoom = math.log2(frame.scale)
        b = self.basemap
        segments = b.segments_in(*frame.box(self.margin_px))
        if len(segments):
            painter = tile.painter
            painter.setRenderHint(AA)
            widen = zoom_width_factor(frame.scale)
            classes = b.segment_class[segments]
            for cls in range(len(style.STREET_CLASSES) - 1, -1, -1):
                if zoom < STREET_MIN_ZOOM[cls]:
                    continue
                chosen = segments[classes == cls]
                if not len(chosen):
                    continue
                _, rgb, width = style.STREET_CLASSES[cls]
                pen = QtGui.QPen(qcolor(rgb), max(width * widen, 1.0))
                pen.setCapStyle(QtCore.Qt.PenCapStyle.RoundCap)
                painter.setPen(pen)
                draw_lines(painter, self._lines, frame.px(b.sx0[chosen]), frame.py(b.sy0[chosen]),
                           frame.px(b.sx1[chosen]), frame.py(b.sy1[chosen]))
        if zoom >= STREET_LABEL_MIN_ZOOM:
            self._labels(tile, frame)

    def _areas(self, tile: TileImage, frame: TileFrame) -> None:
        areas = self.basemap.areas
        rows = areas.in_box(*frame.box())
        if not len(rows):
            return
        painter = tile.painter
        painter.setPen(NO_PEN)
        for row, shape in polygon_shapes(areas, rows, frame):
            painter.setBrush(qcolor(style.AREA_COLORS.get(self.basemap.area_kinds[row], style.AREA_DEFAULT)))
            fill_shape(painter, shape)

    def _labels(self, tile: TileImage, frame: TileFrame) -> None:
        reach = 160.0  # pixels: the longest label drawn, from its centre
        x0, y0, x1, y1 = frame.box(reach)
        block_m = frame.size_m * LABEL_BLOCK_TILES
        placed = []
        for by in range(math.floor(y0 / block_m), math.floor(y1 / block_m) + 1):
            for bx in range(math.floor(x0 / block_m), math.floor(x1 / block_m) + 1):
                placed.extend(self._label_block(frame.level, frame.scale, bx, by, block_m))
        for x, y, angle, text in placed:
            px, py = float(frame.px(x)), float(frame.py(y))
            if -reach <= px <= TILE_PX + reach and -reach <= py <= TILE_PX + reach:
                painter = tile.painter
                painter.save()
                painter.setRenderHint(QtGui.QPainter.RenderHint.SmoothPixmapTransform)
                painter.translate(px, py)
                painter.rotate(angle)
                image = self._text.image(text, LABEL_COLOR)
                painter.drawImage(QtCore.QPointF(-image.width() / 2, -image.height() / 2), image)
                painter.restore()

    def _label_block(self, level: int, scale: float, bx: int, by: int, block_m: float) -> list:
        """Street names placed in one block of tiles: one per name, longest streets first, no overlaps.

        Placing per block (not per tile) keeps a label that crosses a tile edge identical in both tiles.
        """
        key = (level, bx, by)
        if key in self._label_blocks:
            self._label_blocks.move_to_end(key)
            return self._label_blocks[key]
        b = self.basemap
        zoom = math.log2(scale)
        in_block = np.flatnonzero((b.label_x >= bx * block_m) & (b.label_x < (bx + 1) * block_m)
                                  & (b.label_y >= by * block_m) & (b.label_y < (by + 1) * block_m))
        visible = np.array([zoom >= STREET_MIN_ZOOM[c] for c in b.label_class[in_block]], dtype=bool)
        candidates = in_block[visible] if len(in_block) else in_block
        order = candidates[np.lexsort((-b.label_length[candidates], b.label_class[candidates]))]
        placed, boxes, names = [], [], set()
        for i in order:
            text = b.label_text[i]
            if text in names:
                continue
            width, height = self._text.width(text), self._text.metrics.height()
            if b.label_length[i] * scale < width + 12:
                continue
            angle = -math.degrees(b.label_angle[i])  # screen y points down
            if angle > 90:
                angle -= 180
            elif angle < -90:
                angle += 180
            c, s = abs(math.cos(math.radians(angle))), abs(math.sin(math.radians(angle)))
            half_w = (width * c + height * s) / 2 + 3
            half_h = (width * s + height * c) / 2 + 3
            cx, cy = b.label_x[i] * scale, -b.label_y[i] * scale
            if any(abs(cx - ox) < half_w + ow and abs(cy - oy) < half_h + oh for ox, oy, ow, oh in boxes):
                continue
            boxes.append((cx, cy, half_w, half_h))
            names.add(text)
            placed.append((b.label_x[i], b.label_y[i], angle, text))
        self._label_blocks[key] = placed
        while len(self._label_blocks) > 512:
            self._label_blocks.popitem(last=False)
        return placed


# --- heatmaps --------------------------------------------------------------------------------------


class HeatImage:
    """A heatmap as ONE picture: its density grid coloured through a lookup table, stretched smoothly over
    the map by the composite that shows it. A new grid costs one recolour (no tiles to render again)."""

    # Grid cells drawn beyond the part asked for, so smoothing never clamps at a strip's edge (a pan
    # draws the uncovered strips only: they must match the picture around them).
    PAD_CELLS = 2
    # Where a grid cell spans at least BLOCK_MIN_PX_PER_CELL screen pixels, the picture is smoothed in
    # squares of BLOCK x BLOCK pixels: a quarter of a cell at most, which does not show in a field that
    # is smooth over several cells, for a sixteenth of the smoothing (street-level pans drew heat 3x faster).
    BLOCK_MIN_PX_PER_CELL = 16.0
    BLOCK = 4

    def __init__(self, heatmap: HeatmapLayer, lut: np.ndarray):
        self.heatmap = heatmap
        self.name = heatmap.name
        self.lut = lut
        self.visible = True
        self.opacity = 1.0
        self._image: QtGui.QImage | None = None
        self._pixels: np.ndarray | None = None  # the QImage's buffer, kept alive with it
        heatmap.subscribe(lambda change: self._recolour())

    def _recolour(self) -> None:
        h = self.heatmap
        if h.values is None:
            self._image = None
            return
        top = float(h.values.max())
        if top <= 0:
            self._image = None
            return
        index = np.clip(h.values[::-1] * (255.0 / top), 0, 255).astype(np.uint8)
        self._pixels = np.ascontiguousarray(self.lut[index])
        ny, nx = self._pixels.shape
        self._image = QtGui.QImage(self._pixels.data, nx, ny, nx * 4, QtGui.QImage.Format.Format_ARGB32_Premultiplied)

    def paint_rect(self, painter: QtGui.QPainter, level: int, dx: int, dy: int, rect: QtCore.QRect) -> None:
        """Draw over `rect` of a composite whose pixel (i, j) is Web Mercator (i - dx, dy - j) / level scale."""
        if self._image is None or self.heatmap.grid is None:
            return
        grid = self.heatmap.grid
        gx0, _, _, gy1 = grid.extent
        ls = level_scale(level)
        k = grid.cell * ls  # composite pixels per grid cell
        left, top = gx0 * ls + dx, -gy1 * ls + dy
        pad = self.PAD_CELLS
        sx0 = max(math.floor((rect.left() - left) / k) - pad, 0)
        sx1 = min(math.ceil((rect.right() + 1 - left) / k) + pad, grid.nx)
        sy0 = max(math.floor((rect.top() - top) / k) - pad, 0)
        sy1 = min(math.ceil((rect.bottom() + 1 - top) / k) + pad, grid.ny)
        if sx1 <= sx0 or sy1 <= sy0:
            return
        target = QtCore.QRectF(left + sx0 * k, top + sy0 * k, (sx1 - sx0) * k, (sy1 - sy0) * k)
        source = QtCore.QRectF(sx0, sy0, sx1 - sx0, sy1 - sy0)
        if k < self.BLOCK_MIN_PX_PER_CELL:
            painter.setRenderHint(QtGui.QPainter.RenderHint.SmoothPixmapTransform)
            painter.drawImage(target, self._image, source)
            return
        # Smoothing (bilinear stretching) is what costs: smooth onto a grid of block x block pixel squares
        # fixed to the map, so a strip matches the picture around it, then enlarge without smoothing.
        block = self.BLOCK
        bx0, by0 = dx + block * ((rect.left() - dx) // block), dy + block * ((rect.top() - dy) // block)
        w, h = (rect.right() + block - bx0) // block, (rect.bottom() + block - by0) // block
        small = QtGui.QImage(w, h, QtGui.QImage.Format.Format_ARGB32_Premultiplied)
        small.fill(0)
        p = QtGui.QPainter(small)
        p.setRenderHint(QtGui.QPainter.RenderHint.SmoothPixmapTransform)
        p.drawImage(QtCore.QRectF((target.x() - bx0) / block, (target.y() - by0) / block,
                                  target.width() / block, target.height() / block), self._image, source)
        p.end()
        painter.setRenderHint(QtGui.QPainter.RenderHint.SmoothPixmapTransform, False)
        painter.drawImage(QtCore.QRect(bx0, by0, w * block, h * block), small)


# --- grid cells ------------------------------------------------------------------------------------

GRID_FILL_ALPHA = 90
# Opaque: Qt's raster engine draws translucent antialiased lines ~20x slower than opaque ones (0.38 vs
# 0.017 ms for three short lines here). This is (150, 165, 185) at 55% over the map background.
GRID_OUTLINE = QtGui.QColor(92, 102, 116)
GRID_LABEL_COLOR = QtGui.QColor(200, 210, 225)


GRID_SHAPE_LEVELS = 4  # levels whose grid cell shapes are kept


class _LevelPixels:
    """Web Mercator to pixels of a whole level (x * scale, -y * scale): shapes that any tile can use."""

    def __init__(self, scale: float):
        self.scale = scale

    def px(self, x):
        return x * self.scale

    def py(self, y):
        return -y * self.scale


class GridRenderer:
    """Grid cells filled by choropleth class, outlined, and named when a cell is wide enough on screen."""

    margin_px = 2.0

    def __init__(self, grids: GridLayer, labels: LabelPlan | None = None):
        self.grids = grids
        self._text = TextCache(11)
        self.labels = labels or own_plan(grids.name, self.label_candidates)
        self._lines = internals.PrimitiveArray(QtCore.QLineF, 4)
        self._brushes = [QtGui.QBrush(qcolor(rgb, GRID_FILL_ALPHA)) for rgb in style.CHOROPLETH_RAMP]
        self._shapes_of = None  # the PolygonSet the cached shapes are of
        self._shapes: OrderedDict[int, dict] = OrderedDict()  # level -> {row: shape in level pixels}

    def _level_shapes(self, frame, rows: np.ndarray) -> list:
        """Each row's fill shape in level pixels (x * scale, -y * scale), built once per level."""
        polygons = self.grids.polygons
        if polygons is not self._shapes_of:
            self._shapes_of = polygons
            self._shapes.clear()
        level = frame.level
        cache = self._shapes.get(level)
        if cache is None:
            cache = self._shapes[level] = {}
            while len(self._shapes) > GRID_SHAPE_LEVELS:
                self._shapes.popitem(last=False)
        else:
            self._shapes.move_to_end(level)
        missing = [r for r in rows.tolist() if r not in cache]
        if missing:
            for row, shape in polygon_shapes(polygons, missing, _LevelPixels(frame.scale)):
                cache[row] = shape
        return [cache.get(r) for r in rows.tolist()]

    def bounds(self):
        return self.grids.bounds()

    def render_tile(self, tile: TileImage, frame: TileFrame) -> None:
        g = self.grids
        rows = g.polygons.in_box(*frame.box(self.margin_px))
        if len(rows):
            self._cells(tile.painter, frame, rows)
        self._names(tile, frame)

    def _cells(self, painter: QtGui.QPainter, frame: TileFrame, rows: np.ndarray) -> None:
        g = self.grids
        filled = rows[g.classes[rows] >= 0]
        painter.save()
        # Fainter as one zooms in: at street scale the fill is a hint; streets and labels come first.
        painter.setOpacity(painter.opacity() * float(np.clip(1.0 - 0.25 * (math.log2(frame.scale) + 3), 0.35, 1.0)))
        painter.setPen(NO_PEN)
        # Shapes built once per level in level pixels (x * scale, -y * scale), moved into place by the
        # painter: a tile costs the fills, not building polygons in a Python loop.
        painter.translate(float(frame.px(0.0)), float(frame.py(0.0)))
        brushes, classes = self._brushes, g.classes
        for row, shape in zip(filled.tolist(), self._level_shapes(frame, filled)):
            if shape is not None:
                painter.setBrush(brushes[classes[row]])
                fill_shape(painter, shape)
        painter.restore()
        # Outlines as one batch of segments: 1-pixel antialiased lines are Qt's fast path.
        p = g.polygons
        rings = concat_ranges(p.feature_rings[rows], p.feature_rings[rows + 1])
        points = concat_ranges(p.offsets[rings], p.offsets[rings + 1])
        x, y = frame.px(p.coords[points, 0]), frame.py(p.coords[points, 1])
        last_of_ring = np.cumsum(p.offsets[rings + 1] - p.offsets[rings]) - 1
        joined = np.ones(len(points) - 1, dtype=bool)
        joined[last_of_ring[:-1]] = False
        painter.setRenderHint(AA)
        painter.setPen(QtGui.QPen(GRID_OUTLINE, 1.0))
        draw_lines(painter, self._lines, x[:-1][joined], y[:-1][joined], x[1:][joined], y[1:][joined])

    def _label(self, row: int) -> str:
        g = self.grids
        text = i18n.feature_name(str(g.names[row]))
        value = g.values[row]
        return f"{text} · {value:.0f}" if value > 0 else text

    def label_candidates(self, scale: float, box) -> Candidates | None:
        """Names of the cells wide enough on screen for them, centred on each cell's label point."""
        p = self.grids.polygons
        rows = p.in_box(*box)
        rows = rows[(p.xmax[rows] - p.xmin[rows]) * scale > 90] if len(rows) else rows
        if not len(rows):
            return None
        texts = [self._label(row) for row in rows.tolist()]
        width, height = label_sizes(self._text, texts)
        fits = (p.xmax[rows] - p.xmin[rows]) * scale >= width + 16
        rows, width, height = rows[fits], width[fits], height[fits]
        return Candidates(rows, p.label_x[rows], p.label_y[rows], -width / 2, -height / 2, height,
                          lambda i: float(width[i]))

    def _names(self, tile: TileImage, frame: TileFrame) -> None:
        """The names the label plan placed that reach into this tile."""
        ox, oy = tile_origin(frame)
        placed = self.labels.placed(self.grids.name, frame.level, frame.scale, ox, oy, ox + TILE_PX, oy + TILE_PX)
        for row, r in placed:
            image = self._text.image(self._label(row), GRID_LABEL_COLOR)
            tile.painter.drawImage(QtCore.QPointF(round(r[0] - ox), round(r[1] - oy)), image)
            tile.labels.append((self.grids.name, row, r))


# --- point layers ----------------------------------------------------------------------------------

CELL_PX = 64  # cluster cells: TILE_PX is a whole number of cells, so tiles cluster without seams
LABEL_REACH_PX = 150  # how far a name reaches right of its point
BUBBLE_REACH_PX = 32  # the largest cluster bubble's radius
LABEL_RAISE_PX = 7  # a name's top sits this far above its point


BUBBLE_SIZES_PER_DECADE = 2
BUBBLE_SIZES = 12  # up to a million points in one bubble


def bubble_radius(count: float) -> float:
    """Radius in pixels of a cluster bubble: grows with the order of magnitude of its count."""
    return 9.0 + 3.5 * math.log10(max(count, 1.0))


def bubble(rgb, radius: float):
    def draw(p: QtGui.QPainter, cell: float) -> None:
        p.setPen(QtGui.QPen(qcolor(rgb), 2.0))
        p.setBrush(qcolor(rgb, 150))
        p.drawEllipse(QtCore.QPointF(0, 0), radius, radius)
    return draw


def count_text(n: int) -> str:
    if n < 1000:
        return str(n)
    if n < 10000:
        return f"{n / 1000:.1f}k"
    return f"{n // 1000}k"


class PointStyle:
    """How a point layer looks at each scale. Scales are pixels per Web Mercator metre."""

    #: a cell holding at least this many points is drawn as one bubble with a count
    cluster_min = 8
    #: at and above this scale every point is drawn on its own
    no_clusters_from = 0.6
    #: names are drawn next to symbols from this scale on
    labels_from = 1.2
    #: above this scale the "detailed" symbols are used
    detail_from = 0.8

    def __init__(self, atlas: SymbolAtlas):
        self.atlas = atlas

    def symbols(self, layer: PointLayer, rows: np.ndarray, detailed: bool) -> np.ndarray:
        raise NotImplementedError

    #: colours of cluster bubbles; cluster_colors picks one per cluster
    bubble_palette: list[tuple[int, int, int]] = []

    def cluster_colors(self, layer: PointLayer, rows: np.ndarray, inverse: np.ndarray, counts: np.ndarray) -> np.ndarray:
        """An index into bubble_palette per cluster."""
        return np.zeros(len(counts), dtype=np.int64)

    def label(self, layer: PointLayer, row: int) -> str:
        return i18n.feature_name(str(layer.data["name"][row]))

    def label_room(self, layer: PointLayer, row: int) -> str:
        """The text whose size the label plan keeps for this label: the label itself, unless it changes
        by the minute (a plan must not change with the clock)."""
        return self.label(layer, row)

    def draw_below(self, painter, layer: PointLayer, rows: np.ndarray, px, py, scale: float) -> None:
        """Anything under the symbols (camera view cones)."""

    def draw_order(self, layer: PointLayer, rows: np.ndarray) -> np.ndarray:
        return rows


CONE_DIRECTION_STEP = 5  # degrees per pre-rendered cone direction
CONE_DIRECTIONS = 360 // CONE_DIRECTION_STEP
CONE_FOV_STEP = 10  # degrees per pre-rendered field of view
CONE_CACHE_SIZE = 1024  # at most ~50 MB at the largest radius


class ConeCache:
    """Camera view cones drawn once per (radius, direction bucket, field-of-view bucket), antialiased,
    cropped to the cone; blitted with their top-left offset from the camera's pixel."""

    def __init__(self, brush: QtGui.QBrush, pen: QtGui.QPen):
        self.brush, self.pen = brush, pen
        self._cache: OrderedDict[tuple, tuple[QtGui.QImage, int, int]] = OrderedDict()

    def get(self, radius: float, direction_bucket: int, fov_bucket: int) -> tuple[QtGui.QImage, int, int]:
        key = (radius, direction_bucket, fov_bucket)
        hit = self._cache.get(key)
        if hit is not None:
            self._cache.move_to_end(key)
            return hit
        d, f = direction_bucket * CONE_DIRECTION_STEP, fov_bucket * CONE_FOV_STEP
        path = QtGui.QPainterPath()
        path.moveTo(0.0, 0.0)
        # Qt angles run counter-clockwise from east; compass directions clockwise from north.
        path.arcTo(QtCore.QRectF(-radius, -radius, 2 * radius, 2 * radius), 90 - d - f / 2, f)
        path.closeSubpath()
        box = path.boundingRect().adjusted(-2, -2, 2, 2)
        ox, oy = math.floor(box.left()), math.floor(box.top())
        w, h = math.ceil(box.right()) - ox, math.ceil(box.bottom()) - oy
        image = QtGui.QImage(max(w, 1), max(h, 1), QtGui.QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(QtCore.Qt.GlobalColor.transparent)
        painter = QtGui.QPainter(image)
        painter.setRenderHint(AA)
        painter.translate(-ox, -oy)
        painter.setPen(self.pen)
        painter.setBrush(self.brush)
        painter.drawPath(path)
        painter.end()
        self._cache[key] = hit = (image, ox, oy)
        if len(self._cache) > CONE_CACHE_SIZE:
            self._cache.popitem(last=False)
        return hit


class CameraStyle(PointStyle):
    labels_from = 1.0
    cone_from = 0.7
    cone_radius_m = 45.0

    def __init__(self):
        # One symbol per camera state (in CAMERA_STATE_CODE order), small then detailed.
        super().__init__(SymbolAtlas(18, [symbols.disc(colour, diameter) for diameter in (7, 11)
                                          for colour in self.bubble_palette]))
        self._cone_brush = QtGui.QBrush(qcolor(style.CAMERA_ONLINE, 46))
        self._cone_pen = QtGui.QPen(qcolor(style.CAMERA_ONLINE, 110), 1.0)
        self._cones = ConeCache(self._cone_brush, self._cone_pen)

    def symbols(self, layer, rows, detailed):
        return layer.data["state"][rows].astype(np.int64) + (len(CAMERA_STATE_CODE) if detailed else 0)

    bubble_palette = [style.CAMERA_ONLINE, style.CAMERA_OFFLINE, style.CAMERA_UNKNOWN]  # in CAMERA_STATE_CODE order

    def cluster_colors(self, layer, rows, inverse, counts):
        # The state most of the cluster's cameras are in (ties: online, then offline).
        per_state = [np.bincount(inverse, weights=layer.data["state"][rows] == code, minlength=len(counts))
                     for code in range(len(CAMERA_STATE_CODE))]
        return np.argmax(np.vstack(per_state), axis=0).astype(np.int64)

    def draw_below(self, painter, layer, rows, px, py, scale):
        if scale < self.cone_from:
            return
        direction = layer.data["direction_deg"][rows]
        fov = np.nan_to_num(layer.data["fov_deg"][rows], nan=DEFAULT_CAMERA_FOV_DEG)
        known = ~np.isnan(direction) & (layer.data["state"][rows] == CAMERA_STATE_CODE["online"])
        if not known.any():
            return
        radius = float(np.clip(self.cone_radius_m * scale, 18, 110))
        # Cones pre-rendered (antialiased) per direction and field-of-view bucket, then blitted: a blit
        # costs a fraction of drawPie.
        d_bucket = np.round(direction[known] / CONE_DIRECTION_STEP).astype(np.int64) % CONE_DIRECTIONS
        f_bucket = np.clip(np.round(fov[known] / CONE_FOV_STEP), 1, 360 // CONE_FOV_STEP).astype(np.int64)
        xs, ys = np.round(px[known]).astype(np.int64), np.round(py[known]).astype(np.int64)
        cones = self._cones
        for x, y, d, f in zip(xs.tolist(), ys.tolist(), d_bucket.tolist(), f_bucket.tolist()):
            image, ox, oy = cones.get(radius, d, f)
            painter.drawImage(x + ox, y + oy, image)


class CheckpointStyle(PointStyle):
    cluster_min = 6
    no_clusters_from = 0.3
    labels_from = 0.6

    KINDS = ("bayonet", "checkpoint")

    def __init__(self):
        super().__init__(SymbolAtlas(18, [
            symbols.square(style.CHECKPOINT_COLORS["bayonet"], 9, rotate45=True),
            symbols.square(style.CHECKPOINT_COLORS["checkpoint"], 9),
            symbols.square(style.CHECKPOINT_COLORS["bayonet"], 12, rotate45=True),
            symbols.square(style.CHECKPOINT_COLORS["checkpoint"], 12),
        ]))

    def symbols(self, layer, rows, detailed):
        return (layer.data["kind"][rows] != "bayonet").astype(np.int64) + (2 if detailed else 0)

    bubble_palette = [style.CHECKPOINT_COLORS["bayonet"]]


class StationStyle(PointStyle):
    cluster_min = 1 << 30  # a city has few stations: never cluster
    labels_from = 0.15

    def __init__(self):
        super().__init__(SymbolAtlas(20, [symbols.house(style.STATION_COLOR, 14)]))

    def symbols(self, layer, rows, detailed):
        return np.zeros(len(rows), dtype=np.int64)

    bubble_palette = [style.STATION_COLOR]


class IncidentStyle(PointStyle):
    """Triangles coloured and sized by priority; a ring marks an incident younger than FRESH_S."""

    cluster_min = 10
    no_clusters_from = 0.25
    labels_from = 0.5
    FRESH_S = 600.0

    def __init__(self, clock: Callable[[], float] = time.time):
        self.clock = clock
        sizes = {1: 17, 2: 15, 3: 13, 4: 12, 5: 11}
        shapes = []
        for fresh in (False, True):
            for p, rgb in style.INCIDENT_PRIORITY_COLORS.items():
                shapes.append(symbols.triangle(rgb, sizes[p], ring=(255, 255, 255) if fresh else None))
        super().__init__(SymbolAtlas(30, shapes))

    def symbols(self, layer, rows, detailed):
        priority = np.clip(layer.data["priority"][rows], 1, 5).astype(np.int64) - 1
        fresh = (self.clock() - layer.data["created_ts"][rows]) < self.FRESH_S
        return priority + 5 * fresh

    def draw_order(self, layer, rows):
        return rows[np.argsort(-layer.data["priority"][rows], kind="stable")]  # most urgent on top

    bubble_palette = list(style.INCIDENT_PRIORITY_COLORS.values())

    def cluster_colors(self, layer, rows, inverse, counts):
        most_urgent = np.full(len(counts), 5, dtype=np.int64)
        np.minimum.at(most_urgent, inverse, np.clip(layer.data["priority"][rows], 1, 5))
        return most_urgent - 1

    def label(self, layer, row):
        age = self.clock() - layer.data["created_ts"][row]
        age_text = "" if np.isnan(age) else f" · {format_age(age)}"
        kind = QtCore.QCoreApplication.translate("words", str(layer.data['kind'][row]))
        return f"P{layer.data['priority'][row]} {kind}{age_text}".strip()

    def label_room(self, layer, row):
        # Room for the widest age the label can show, so the minute's new ages never move other labels.
        kind = QtCore.QCoreApplication.translate("words", str(layer.data['kind'][row]))
        widest_age = max(format_age(119 * 60), format_age(99999 * 3600), key=len)
        return f"P{layer.data['priority'][row]} {kind} · {widest_age}"


class CaseStyle(PointStyle):
    """Grid cases: squares coloured by status; an overdue case circled in red, and drawn on top."""

    cluster_min = 12
    no_clusters_from = 0.25
    labels_from = math.inf  # the queue and the tooltip name a case: the map keeps its room for the streets'

    def __init__(self):
        shapes = [symbols.square(style.CASE_STATUS_COLORS[status], 11, outline=QtGui.QColor(255, 255, 255),
                                 ring=style.CASE_OVERDUE if overdue else None)
                  for overdue in (False, True) for status in CASE_STATUSES]
        super().__init__(SymbolAtlas(26, shapes))

    def symbols(self, layer, rows, detailed):
        return layer.data["status"][rows].astype(np.int64) + len(CASE_STATUSES) * layer.data["overdue"][rows]

    def draw_order(self, layer, rows):
        return rows[np.argsort(layer.data["overdue"][rows], kind="stable")]

    bubble_palette = [style.CASE_STATUS_COLORS["registered"], style.CASE_OVERDUE]

    def cluster_colors(self, layer, rows, inverse, counts):
        any_overdue = np.zeros(len(counts), dtype=np.int64)
        np.maximum.at(any_overdue, inverse, layer.data["overdue"][rows].astype(np.int64))
        return any_overdue


def format_age(seconds: float) -> str:
    minutes = max(int(seconds // 60), 0)
    if minutes < 120:
        return QtCore.QCoreApplication.translate("map", "{n} min").format(n=minutes)
    return QtCore.QCoreApplication.translate("map", "{n} h").format(n=minutes // 60)


def style_for(layer: PointLayer, clock: Callable[[], float] = time.time) -> PointStyle:
    if isinstance(layer, CameraLayer):
        return CameraStyle()
    if isinstance(layer, CheckpointLayer):
        return CheckpointStyle()
    if isinstance(layer, StationLayer):
        return StationStyle()
    if isinstance(layer, IncidentLayer):
        return IncidentStyle(clock)
    if isinstance(layer, CaseLayer):
        return CaseStyle()
    raise TypeError(f"no point style for {type(layer).__name__}")


class PointRenderer:
    """Point symbols with level of detail: count bubbles where a cell is crowded, symbols elsewhere,
    names when zoomed in. Cells are anchored at the Mercator origin so adjacent tiles agree."""

    margin_px = LABEL_REACH_PX

    def __init__(self, layer: PointLayer, point_style: PointStyle | None = None, labels: LabelPlan | None = None):
        self.layer = layer
        self.style = point_style or style_for(layer)
        self.labels = labels or own_plan(layer.name, self.label_candidates)
        self._text = TextCache(11)
        self._count_text = TextCache(11, bold=True)
        self._bubble_atlas = SymbolAtlas(2 * BUBBLE_REACH_PX, [
            bubble(rgb, bubble_radius(10 ** (k / BUBBLE_SIZES_PER_DECADE)))
            for rgb in self.style.bubble_palette for k in range(BUBBLE_SIZES)])

    def bounds(self):
        return self.layer.bounds()

    def clusters_at(self, scale: float) -> bool:
        return scale < self.style.no_clusters_from

    def label_candidates(self, scale: float, box) -> Candidates | None:
        """Names right of the symbols, where names are drawn and every point is drawn on its own; the
        symbol drawn on top names itself first."""
        layer, st = self.layer, self.style
        if scale < st.labels_from or self.clusters_at(scale) or not len(layer):
            return None
        rows = layer.index.query(*box)
        rows = rows[layer.drawn()[rows]] if len(rows) else rows
        if not len(rows):
            return None
        rows = st.draw_order(layer, rows)[::-1]
        _, height = label_sizes(self._text, [""])

        def width(i: int) -> float | None:
            text = st.label_room(layer, int(rows[i]))
            return float(label_sizes(self._text, [text])[0][0]) if text else None

        n = len(rows)
        return Candidates(rows, layer.x[rows], layer.y[rows], np.full(n, st.atlas.cell_px / 2 - TextCache.HALO),
                          np.full(n, -LABEL_RAISE_PX - TextCache.HALO), np.full(n, height[0]), width)

    def render_tile(self, tile: TileImage, frame: TileFrame) -> None:
        self._symbols(tile, frame)
        if frame.scale >= self.style.labels_from:
            self._names(tile, frame)

    def _names(self, tile: TileImage, frame: TileFrame) -> None:
        """The names the label plan placed that reach into this tile."""
        name = self.layer.name
        ox, oy = tile_origin(frame)
        for row, r in self.labels.placed(name, frame.level, frame.scale, ox, oy, ox + TILE_PX, oy + TILE_PX):
            self._text.draw_haloed(tile.painter, r[0] + TextCache.HALO - ox, r[1] + TextCache.HALO - oy,
                                   self.style.label(self.layer, row), LABEL_COLOR)
            tile.labels.append((name, row, r))

    def _symbols(self, tile: TileImage, frame: TileFrame) -> None:
        layer, st = self.layer, self.style
        cell = CELL_PX / frame.scale
        # Near enough for the widest symbol drawn at this scale (a cone where names show).
        x0, y0, x1, y1 = frame.box(LABEL_REACH_PX if frame.scale >= st.labels_from else BUBBLE_REACH_PX)
        # Whole cells only, so every tile sees the same count in a cell it shares with a neighbour.
        x0, y0 = math.floor(x0 / cell) * cell, math.floor(y0 / cell) * cell
        x1, y1 = math.ceil(x1 / cell) * cell, math.ceil(y1 / cell) * cell
        rows = layer.index.query(x0, y0, x1 - 1e-6 * cell, y1 - 1e-6 * cell)
        rows = rows[layer.drawn()[rows]] if len(rows) else rows
        if not len(rows):
            return
        painter = tile.painter
        singles = rows
        bubbles = None
        if self.clusters_at(frame.scale):
            inverse, counts, mx, my = cell_clusters(layer.x[rows], layer.y[rows], cell, 0.0, 0.0)
            crowded = counts >= st.cluster_min
            singles = rows[~crowded[inverse]]
            if crowded.any():
                bubbles = (counts[crowded], mx[crowded], my[crowded],
                           st.cluster_colors(layer, rows, inverse, counts)[crowded])
        singles = st.draw_order(layer, singles)
        px, py = frame.px(layer.x[singles]), frame.py(layer.y[singles])
        st.draw_below(painter, layer, singles, px, py, frame.scale)
        st.atlas.draw(painter, px, py, st.symbols(layer, singles, frame.scale >= st.detail_from))
        if bubbles is not None:
            self._bubbles(painter, frame, *bubbles)

    def _bubbles(self, painter, frame: TileFrame, counts, mx, my, colors) -> None:
        px, py = frame.px(mx), frame.py(my)
        size = np.clip(np.round(np.log10(counts) * BUBBLE_SIZES_PER_DECADE), 0, BUBBLE_SIZES - 1).astype(np.int64)
        self._bubble_atlas.draw(painter, px, py, colors * BUBBLE_SIZES + size)
        white = QtGui.QColor(255, 255, 255)
        for n, x, y in zip(counts, px, py):
            self._count_text.draw_centred(painter, x, y, count_text(int(n)), white)
