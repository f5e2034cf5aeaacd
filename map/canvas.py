"""MapCanvas: the dispatcher's map. One pyqtgraph ViewBox in Web Mercator metres, layers drawn by
cached tiles (static layers) or per frame (live layers), picking, selection, drag and drop.

Model changes never paint directly: they mark the map dirty and one timer paints at most one frame per
FRAME_MS, however many thousands of updates arrive in between. docs/map.md describes the public API.
"""
from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets
from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QDrag

from layers import crs as crs_lib
from layers import style
from layers.alarms import AlarmLayer
from layers.basemap import Basemap
from layers.cases import CaseLayer
from layers.grids import GridLayer
from layers.heatmap import HeatmapLayer
from layers.incidents import IncidentLayer
from layers.model import Change, LayerModel
from layers.points import CameraLayer, CheckpointLayer, PointLayer, StationLayer, set_from_frame
from layers.spatial import cell_clusters
from layers.units import STATUS_CODE as UNIT_STATUS_CODE
from layers.units import UnitLayer
from map import i18n
from layers.labels import LabelPlan
from map.glide import Glide
from map.live import AlarmsItem, MarksItem, TrailsItem, UnitsItem
from map.overlays import CursorLabel, LoadingPanel, ScaleBar, StaleNotice
from map.raster import RasterRenderer, RasterTiles
from map.renderers import (CELL_PX, BasemapRenderer, GridRenderer, HeatImage, PointRenderer, bubble_radius,
                           format_age, style_for)
from map.symbols import qcolor
from map.tiles import (MAX_CACHED_TILES, CompositeItem, TileCache, TileGroup, TileLayer, TileRenderer, level_for_scale,
                       level_scale)

FRAME_MS = 16
HEAT_INTERVAL_S = 1.0          # live heatmaps are recomputed at most this often
AGE_REFRESH_MS = 60_000        # incident ages on the map are redrawn once a minute
PICK_RADIUS_PX = 10
STALE_LAYERS = ("units", "trails", "cameras")  # what the server keeps current; drawn dimmed while it is away
STALE_DIMMING = 0.35
KEY_PAN_FRACTION = 0.2
ZOOM_STEP = math.sqrt(2)       # one key press: one tile level
# Zoom stays on tile levels (tiles are then blitted 1:1, four times faster than stretched) within:
MIN_LEVEL, MAX_LEVEL = -24, 6  # about 4 km to 0.125 m per pixel
DEFAULT_INCIDENT_WINDOW_S = 24 * 3600
MIME_UNIT = "application/x-onemap-unit"  # {"unit_ids": [...]}: one or more units dragged together
MIME_CAMERA = "application/x-onemap-camera"
# Names drawn into tiles, highest priority first (unit callsigns, drawn each frame, give way to all).
LABEL_PRIORITY = ("incidents", "stations", "checkpoints", "cameras", "grids")


def units_mime(unit_ids: list[str], callsigns: list[str]) -> QtCore.QMimeData:
    """The drag payload of one or more units (the map's and the unit board's)."""
    mime = QtCore.QMimeData()
    mime.setData(MIME_UNIT, json.dumps({"unit_ids": list(unit_ids)}).encode())
    mime.setText(" + ".join(callsigns))
    return mime


def units_from_mime(mime: QtCore.QMimeData) -> list[str]:
    """The units a drag carries; [] for anything else or a malformed payload."""
    if not mime.hasFormat(MIME_UNIT):
        return []
    try:
        unit_ids = json.loads(bytes(mime.data(MIME_UNIT)).decode())["unit_ids"]
    except (ValueError, KeyError, TypeError):
        return []
    return [str(u) for u in unit_ids] if isinstance(unit_ids, list) else []


@dataclass
class MapLayer:
    """A layer as the map shows it: its model (None for raster tiles) and how it is drawn: into cached
    tiles (`tiles`), or fresh every frame by its own item (`item`: units and trails)."""

    name: str
    title: str
    model: LayerModel | None
    tiles: TileLayer | None = None
    item: QtWidgets.QGraphicsItem | None = None
    image: HeatImage | None = None  # one picture stretched over the map by the composite (heatmaps)
    renderer: PointRenderer | None = None  # how a point layer draws (picking asks it about clusters)


@dataclass(frozen=True)
class Hit:
    """What lies under a point of the map: a feature (row, feature_id) or a cluster bubble (count, box)."""

    layer: str
    x: float
    y: float
    row: int | None = None
    feature_id: str | None = None
    count: int = 1
    box: tuple[float, float, float, float] | None = None


class MapViewBox(pg.ViewBox):
    """Pan by left drag, box zoom by Shift+left drag, zoom by wheel; clicks, wheel steps and zoom boxes
    go to the canvas, which keeps the scale on a tile level."""

    sigClicked = Signal(object)
    sigWheel = Signal(int, float, float)   # zoom steps (+ in), Web Mercator anchor
    sigBoxZoom = Signal(QtCore.QRectF)

    def __init__(self):
        super().__init__(lockAspect=1.0, enableMenu=False, invertY=False, defaultPadding=0.02)
        self.disableAutoRange()
        # The box fills the whole view (no axes), so nothing a child draws can stray outside it; clipping
        # every child to the box's shape cost 0.7 ms of each frame.
        self.setFlag(self.GraphicsItemFlag.ItemClipsChildrenToShape, False)

    def mouseDragEvent(self, ev, axis=None):
        if ev.button() != Qt.MouseButton.LeftButton:
            ev.ignore()
            return
        box_zoom = bool(ev.modifiers() & Qt.KeyboardModifier.ShiftModifier)
        self.state["mouseMode"] = pg.ViewBox.RectMode if box_zoom else pg.ViewBox.PanMode
        super().mouseDragEvent(ev, axis)

    def mouseClickEvent(self, ev):
        ev.accept()
        self.sigClicked.emit(ev)

    def wheelEvent(self, ev, axis=None):
        ev.accept()
        self._wheel = getattr(self, "_wheel", 0) + ev.delta()
        steps = int(self._wheel / 120)  # one notch of a mouse wheel; touchpads send smaller deltas
        if steps:
            self._wheel -= steps * 120
            anchor = self.mapToView(ev.pos())
            self.sigWheel.emit(steps, anchor.x(), anchor.y())

    def showAxRect(self, ax, **kwargs):
        self.sigBoxZoom.emit(QtCore.QRectF(ax))


class _MapView(pg.GraphicsView):
    """The widget: routes presses on units/cameras to drag and drop, keys to navigation."""

    def __init__(self, canvas: "MapCanvas"):
        super().__init__(canvas, background=qcolor(style.BACKGROUND))
        # No cached background pixmap and no fill of the viewport before each frame: when the bottom layer
        # is a composite it paints every pixel itself, and the two full-window copies under it cost 1.5 ms
        # of every frame (static repaint 2.9 -> 1.4 ms). _regroup sets the brush for the other case.
        self.setCacheMode(QtWidgets.QGraphicsView.CacheModeFlag.CacheNone)
        self.viewport().setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent, True)
        self.canvas = canvas
        self.setAcceptDrops(True)
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._press: tuple[QtCore.QPointF, Hit] | None = None
        self.frames = 0  # frames painted

    def paintEvent(self, ev):
        self.frames += 1
        super().paintEvent(ev)

    def mousePressEvent(self, ev):
        self.canvas.stop_glide()  # the hand takes over from the keys
        if ev.button() == Qt.MouseButton.LeftButton and not ev.modifiers() and self.canvas.draggable:
            hit = self.canvas.feature_at(ev.position(), layers=("units", "cameras"))
            if hit is not None and hit.feature_id is not None:
                self._press = (ev.position(), hit)
                ev.accept()
                return
        super().mousePressEvent(ev)

    def mouseMoveEvent(self, ev):
        if self._press is not None:
            start, hit = self._press
            if (ev.position() - start).manhattanLength() >= QtWidgets.QApplication.startDragDistance():
                self._press = None
                self.canvas.start_drag(hit)
            return
        super().mouseMoveEvent(ev)
        self.canvas._hover(ev.position(), ev.globalPosition().toPoint())

    def mouseReleaseEvent(self, ev):
        if self._press is not None:
            _, hit = self._press
            self._press = None
            self.canvas.select(hit.layer, hit.feature_id)
            return
        super().mouseReleaseEvent(ev)

    def leaveEvent(self, ev):
        self.canvas._hover(None, None)
        super().leaveEvent(ev)

    def keyPressEvent(self, ev):
        if not self.canvas._key(ev):
            super().keyPressEvent(ev)

    def dragEnterEvent(self, ev):
        if ev.mimeData().hasFormat(MIME_UNIT):
            ev.acceptProposedAction()
        else:
            ev.ignore()

    def dragMoveEvent(self, ev):
        incident = self.canvas._drag_over(ev.mimeData(), ev.position())
        if incident:
            ev.acceptProposedAction()
        else:
            ev.ignore()

    def dragLeaveEvent(self, ev):
        self.canvas._drag_left()

    def dropEvent(self, ev):
        if self.canvas._drop(ev.mimeData(), ev.position()):
            ev.acceptProposedAction()
        else:
            ev.ignore()


class MapCanvas(QtWidgets.QWidget):
    """The map widget. See docs/map.md for the API the console uses."""

    selectionChanged = Signal(str, str)              # layer, feature_id ("", "" when cleared)
    contextMenuRequested = Signal(float, float, QtCore.QPoint)  # lon, lat, global position
    cursorMoved = Signal(float, float)               # lon, lat
    unitDroppedOnIncident = Signal(str, str)         # unit_id, incident_id
    unitDragOverIncident = Signal(str, str)          # unit_id, incident_id ("" when it leaves)
    layersChanged = Signal()                         # visibility, opacity or order changed
    cityLoaded = Signal(object)                      # the CityPack, after open_city finished

    def __init__(self, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.city = None
        self.bookmarks: dict[str, tuple[float, float, float]] = {}
        self.incident_window: tuple[float, float] | None = None
        self.clock: Callable[[], float] = time.time
        self.draggable = True  # units and cameras can be dragged off the map (not in a replay)

        self.basemap = Basemap()
        self.grids_layer = GridLayer()
        self.stations_layer = StationLayer()
        self.checkpoints_layer = CheckpointLayer()
        self.cameras_layer = CameraLayer()
        self.incidents_layer = IncidentLayer()
        self.units_layer = UnitLayer()
        self.alarms_layer = AlarmLayer()
        self.cases_layer = CaseLayer()
        self.patrol_heat = HeatmapLayer("patrol_heat", "Patrol strength", radius_m=400.0)
        self.incident_heat = HeatmapLayer("incident_heat", "Incident density", radius_m=300.0)

        self.view = _MapView(self)
        self.viewbox = MapViewBox()
        self.view.setCentralItem(self.viewbox)
        self.viewbox.sigRangeChanged.connect(self._range_changed)
        self.viewbox.sigClicked.connect(self._clicked)
        self.viewbox.sigWheel.connect(lambda steps, x, y: self.zoom(ZOOM_STEP ** steps, (x, y)))
        self.viewbox.sigBoxZoom.connect(lambda r: self.set_view(r.left(), r.top(), r.right(), r.bottom()))
        self._snap_timer = QtCore.QTimer(self, singleShot=True, interval=0)
        self._snap_timer.timeout.connect(self._snap_to_level)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view)

        self.scale_bar = ScaleBar(self.view)
        self.cursor_label = CursorLabel(self.view)
        self.loading = LoadingPanel(self.view)
        self.stale_notice = StaleNotice(self.view)
        self.stale_since: float | None = None
        self._chosen_opacity: dict[str, float] = {}  # the dispatcher's, before any dimming of stale layers
        self._stale_clock = QtCore.QTimer(self, interval=1000)
        self._stale_clock.timeout.connect(self._show_stale_age)

        self.layers: dict[str, MapLayer] = {}
        self._order: list[str] = []  # bottom to top
        self._listeners: dict[str, Callable[[Change], None]] = {}
        self._composites: list[CompositeItem] = []
        self._tile_cache = TileCache(MAX_CACHED_TILES)
        self._group_of: dict[str, TileGroup] = {}
        self._composite_of: dict[str, CompositeItem] = {}
        # One plan of the names drawn into tiles, by priority: no two overlap (layers/labels.py).
        self.labels = LabelPlan()
        self.labels.level_dropped = self._labels_dropped
        self._add_tiled("basemap", "Streets", self.basemap, BasemapRenderer(self.basemap))
        self._add_tiled("grids", "Grid cells", self.grids_layer, GridRenderer(self.grids_layer, self.labels),
                        volatile=True)
        self._add(MapLayer("incident_heat", "Incident heatmap", self.incident_heat,
                           image=HeatImage(self.incident_heat, style.INCIDENT_HEAT_LUT)))
        self._add(MapLayer("patrol_heat", "Patrol strength heatmap", self.patrol_heat,
                           image=HeatImage(self.patrol_heat, style.PATROL_HEAT_LUT)))
        for model in (self.stations_layer, self.checkpoints_layer, self.cameras_layer):
            self._add_tiled(model.name, model.title, model, PointRenderer(model, style_for(model), self.labels))
        # Incidents change often and show their age (in minutes): tiles of their own, so a change or the
        # minute's new ages draw incidents again, never the cameras under them.
        incidents = PointRenderer(self.incidents_layer, style_for(self.incidents_layer, clock=lambda: self.clock()),
                                  self.labels)
        self._add_tiled("incidents", self.incidents_layer.title, self.incidents_layer, incidents, volatile=True)
        # Grid cases change with every step and every minute's overdue marks: tiles of their own too.
        self._add_tiled("cases", self.cases_layer.title, self.cases_layer,
                        PointRenderer(self.cases_layer, style_for(self.cases_layer)), volatile=True)
        self._add(MapLayer("trails", "Unit trails", self.units_layer, item=TrailsItem(self.units_layer)))
        for name in LABEL_PRIORITY:
            self.labels.add_source(name, self.layers[name].renderer.label_candidates)
        self._add(MapLayer("units", "Units", self.units_layer, item=UnitsItem(self.units_layer, self.labels,
                                                                         clock=lambda: self.clock())))
        self._add(MapLayer("alarms", "Alarms", self.alarms_layer, item=AlarmsItem(self.alarms_layer)))
        self.marks = MarksItem()
        self.marks.setZValue(1000)
        self.viewbox.addItem(self.marks, ignoreBounds=True)
        self.layers["incident_heat"].image.visible = False
        self.layers["trails"].item.setVisible(False)

        self.selection: tuple[str, str] | None = None
        self._hovered: Hit | None = None
        self._drag_target: tuple[str, str] | None = None  # (unit_id, incident_id) under a unit drag
        self._heat_dirty = {"patrol_heat": False, "incident_heat": False}
        self._heat_time = {"patrol_heat": 0.0, "incident_heat": 0.0}
        self._frame_timer = QtCore.QTimer(self, singleShot=True, interval=FRAME_MS)
        self._frame_timer.timeout.connect(self._frame)
        # Live heatmaps are recomputed on a tick of their own (its own frame), never inside a frame that
        # draws live layers: a unit update's frame stays short, the heatmap follows within HEAT_INTERVAL_S.
        self._heat_timer = QtCore.QTimer(self, singleShot=True)
        self._heat_timer.timeout.connect(self._heat_tick)
        self._age_timer = QtCore.QTimer(self, interval=AGE_REFRESH_MS)
        self._age_timer.timeout.connect(self._incident_ages)
        self._age_timer.start()
        self._glide = Glide()
        self._glide_timer = QtCore.QTimer(self, interval=FRAME_MS, timerType=Qt.TimerType.PreciseTimer)
        self._glide_timer.timeout.connect(self._glide_frame)
        self._loader = None
        self._regroup()
        self.viewbox.setRange(xRange=(-2e7, 2e7), yRange=(-2e7, 2e7), padding=0)

    # --- layers ------------------------------------------------------------------------------------

    def _add(self, layer: MapLayer) -> None:
        self.layers[layer.name] = layer
        self._order.append(layer.name)
        if layer.item is not None:
            self.viewbox.addItem(layer.item, ignoreBounds=True)
        if layer.model is not None and layer.name != "trails":
            listener = self._listeners[layer.name] = lambda change, name=layer.name: self._layer_changed(name, change)
            layer.model.subscribe(listener)

    def _add_tiled(self, name: str, title: str, model: LayerModel | None, renderer: TileRenderer,
                   volatile: bool = False) -> None:
        self._add(MapLayer(name, title, model, tiles=TileLayer(name, renderer, volatile=volatile), renderer=renderer))

    def set_raster_tiles(self, tiles: RasterTiles | None) -> None:
        """Show raster tiles (XyzTiles or MbTiles from map.raster) under the streets; None removes them."""
        old = self.layers.pop("raster", None)
        if old is not None:
            old.model.unsubscribe(self._listeners.pop("raster"))
            self._order.remove("raster")
        if tiles is not None:
            self._add(MapLayer("raster", tiles.title, tiles, tiles=TileLayer("raster", RasterRenderer(tiles))))
            self._order.insert(0, self._order.pop())
        self._regroup()
        self.layersChanged.emit()

    def _regroup(self) -> None:
        """One composite item per run of consecutive cached layers (tile groups and heatmap pictures);
        live items between them. In a run, consecutive tile layers share tiles; a volatile one (the
        choropleth), which changes everywhere at once, gets tiles of its own."""
        for composite in self._composites:
            self.viewbox.removeItem(composite)
            for group in composite.groups:
                self._tile_cache.clear(id(group))
        self._composites, self._group_of, self._composite_of = [], {}, {}
        parts: list = []
        names: list[str] = []
        tiles: list[TileLayer] = []
        start = 1

        def close_tiles() -> None:
            if tiles:
                group = TileGroup(list(tiles), self._tile_cache)
                parts.append(group)
                self._group_of.update({member.name: group for member in tiles})
                tiles.clear()

        def close_run() -> None:
            close_tiles()
            if parts:
                composite = CompositeItem(list(parts), self._tile_cache, qcolor(style.BACKGROUND) if start == 1 else None)
                composite.setZValue(start)
                self.viewbox.addItem(composite, ignoreBounds=True)
                self._composites.append(composite)
                self._composite_of.update({name: composite for name in names})
                parts.clear()
                names.clear()

        for z, name in enumerate(self._order, start=1):
            layer = self.layers[name]
            if layer.item is not None:
                close_run()
                layer.item.setZValue(z)
                start = z + 1
                continue
            names.append(name)
            if layer.image is not None:
                close_tiles()
                parts.append(layer.image)
            elif layer.tiles.volatile:
                close_tiles()
                tiles.append(layer.tiles)
                close_tiles()
            else:
                tiles.append(layer.tiles)
        close_run()
        bottom_fills = bool(self._composites) and self._composites[0].background is not None
        self.view.setBackground(None if bottom_fills else qcolor(style.BACKGROUND))
        self._schedule_frame()

    @property
    def layer_order(self) -> list[str]:
        """Layer names from the bottom of the drawing order to the top."""
        return list(self._order)

    def set_layer_order(self, names: list[str]) -> None:
        if sorted(names) != sorted(self._order):
            raise ValueError(f"layer order must name each of {sorted(self._order)} once")
        self._order = list(names)
        self._regroup()
        self.layersChanged.emit()

    def set_layer_visible(self, name: str, visible: bool) -> None:
        layer = self.layers[name]
        if layer.tiles is not None:
            layer.tiles.visible = visible
            self._group_of[name].restyle()
            self._labels_active(name)
        elif layer.image is not None:
            layer.image.visible = visible
            self._composite_of[name].changed()
        else:
            layer.item.setVisible(visible)
        if visible and name in self._heat_dirty:
            self._heat_dirty[name] = True
        self._schedule_frame()
        self.layersChanged.emit()

    def layer_visible(self, name: str) -> bool:
        layer = self.layers[name]
        if layer.tiles is not None:
            return layer.tiles.visible
        return layer.image.visible if layer.image is not None else layer.item.isVisible()

    def set_layer_opacity(self, name: str, opacity: float) -> None:
        self._chosen_opacity[name] = float(np.clip(opacity, 0.0, 1.0))
        self._apply_opacity(name)
        self.layersChanged.emit()

    def layer_opacity(self, name: str) -> float:
        """The opacity the dispatcher chose (a stale layer is drawn dimmer than this)."""
        return self._chosen_opacity.get(name, self._drawn_opacity(name))

    def _drawn_opacity(self, name: str) -> float:
        layer = self.layers[name]
        if layer.tiles is not None:
            return layer.tiles.opacity
        return layer.image.opacity if layer.image is not None else layer.item.opacity()

    def _apply_opacity(self, name: str) -> None:
        layer = self.layers[name]
        opacity = self.layer_opacity(name)
        if self.stale_since is not None and name in STALE_LAYERS:
            opacity *= STALE_DIMMING
        if layer.tiles is not None:
            layer.tiles.opacity = opacity
            self._group_of[name].restyle()
            self._labels_active(name)
        elif layer.image is not None:
            layer.image.opacity = opacity
            self._composite_of[name].changed()
        else:
            layer.item.setOpacity(opacity)
        self._schedule_frame()

    def set_stale(self, since_ts: float | None) -> None:
        """Mark what the map shows of units and cameras as old (the console lost its server at `since_ts`):
        those layers are drawn dimmed, and a notice says since when; None marks them current again."""
        if (since_ts is None) == (self.stale_since is None):
            return
        for name in STALE_LAYERS:  # the dispatcher's opacity, read before it is dimmed
            self._chosen_opacity.setdefault(name, self._drawn_opacity(name))
        self.stale_since = since_ts
        for name in STALE_LAYERS:
            self._apply_opacity(name)
        if since_ts is None:
            self._stale_clock.stop()
            self.stale_notice.hide()
        else:
            self._show_stale_age()
            self._stale_clock.start()

    def _show_stale_age(self) -> None:
        self.stale_notice.show_age(self.stale_since, self.clock())
        self._place_overlays()

    def changeEvent(self, event) -> None:
        if event.type() == QEvent.Type.LanguageChange:  # names and labels are drawn into the cached tiles
            self.labels.forget_all()  # their sizes changed
            for group in set(self._group_of.values()):
                group.restyle()
            self._schedule_frame()
        super().changeEvent(event)

    def layer_title(self, name: str) -> str:
        """The layer's title in the current language (for the layer panel and legends)."""
        return i18n.layer_title(name, self.layers[name].title)

    def layer_panel(self) -> QtWidgets.QWidget:
        """A widget listing the layers (visibility, opacity, order, legend), for a dock."""
        from map.layer_panel import LayerPanel
        return LayerPanel(self)

    def _layer_changed(self, name: str, change: Change) -> None:
        layer = self.layers[name]
        if layer.tiles is not None:
            self._group_of[name].invalidate(layer.tiles, change)
            if name in LABEL_PRIORITY:
                self._labels_changed(name, change)
        elif layer.image is not None:
            self._composite_of[name].changed()
        if name == "units":
            self._heat_dirty["patrol_heat"] = True
            for live in ("units", "trails"):
                self.layers[live].item.set_bounds(self.units_layer.bounds())
        elif name == "incidents":
            self._heat_dirty["incident_heat"] = True
        elif name == "alarms":
            layer.item.refit(self.scale())
        self._schedule_frame()

    def _labels_changed(self, name: str, change: Change) -> None:
        """A labelled layer changed: plan its blocks again, and draw again the tiles whose labels moved.
        Labels of higher priority never depend on it; a few features re-plan only the blocks they are in."""
        if change.everything:
            self.labels.forget_all()
            self._restyle_labels(self.labels.names_below(name))
            return
        reach = self.labels.block_px / 2 + 1  # from a block's centre: the whole block, where its labels stay
        for changed, centres in self.labels.forget_near(change.x, change.y).items():
            group = self._group_of[changed]
            x = np.array([c[1] for c in centres])
            y = np.array([c[2] for c in centres])
            group.cache.drop_near(id(group), x, y, reach)
            group.changed(Change.at(x, y), reach)

    def _labels_active(self, name: str) -> None:
        """A labelled layer shown or hidden: only shown labels take room from those below them."""
        if name in LABEL_PRIORITY:
            tiles = self.layers[name].tiles
            if self.labels.set_active(name, tiles.visible and tiles.opacity > 0):
                self._restyle_labels(self.labels.names_below(name))

    def _restyle_labels(self, names) -> None:
        for group in {id(self._group_of[n]): self._group_of[n] for n in names}.values():
            group.restyle()

    def _labels_dropped(self, level: int) -> None:
        """The label plan forgot a level: tiles drawn from it go too (a new plan may differ after a change)."""
        for group in {id(self._group_of[n]): self._group_of[n] for n in LABEL_PRIORITY if n in self._group_of}.values():
            self._tile_cache.drop_level(id(group), level)

    def _incident_ages(self) -> None:
        """Once a minute: ages on incident labels and the "new" rings; only the incidents' tiles are
        drawn again."""
        if self.layer_visible("incidents") and len(self.incidents_layer):
            self._group_of["incidents"].restyle()

    # --- data --------------------------------------------------------------------------------------

    def set_city(self, pack, progress: Callable[[float, str], None] | None = None) -> None:
        """Show a city pack: basemap streets and areas, grids, stations, checkpoints, cameras, units."""
        steps = [
            ("streets", lambda: self.basemap.set_streets(pack.streets.geometry.values, pack.streets["name"].to_numpy(),
                                                         pack.streets["highway"].to_numpy())),
            ("areas", lambda: self.basemap.set_areas(pack.areas.geometry.values,
                                                     pack.areas["kind"].to_numpy() if "kind" in pack.areas else [])),
            ("grid cells", lambda: self.grids_layer.set_polygons(pack.grids["grid_id"].to_numpy(),
                                                                 pack.grids.geometry.values, pack.grids["name"].to_numpy())),
            ("stations", lambda: set_from_frame(self.stations_layer, pack.stations)),
            ("checkpoints", lambda: set_from_frame(self.checkpoints_layer, pack.checkpoints)),
            ("cameras", lambda: set_from_frame(self.cameras_layer, pack.cameras)),
            ("units", lambda: set_from_frame(self.units_layer, pack.units)),
        ]
        for k, (what, step) in enumerate(steps):
            if progress is not None:
                progress(k / len(steps), QtCore.QCoreApplication.translate("map", "Building {what}…").format(what=i18n.tr(i18n.BUILD_STEPS[what])))
            step()
        self.city = pack
        self.set_extent(pack.bounds())
        self.fit_city()

    def set_extent(self, lonlat_bounds: tuple[float, float, float, float]) -> None:
        """The area heatmaps cover (WGS84 box); set_city sets it from the pack."""
        x0, y0 = crs_lib.wgs84_to_mercator(lonlat_bounds[0], lonlat_bounds[1])
        x1, y1 = crs_lib.wgs84_to_mercator(lonlat_bounds[2], lonlat_bounds[3])
        box = (float(x0), float(y0), float(x1), float(y1))
        for heat in (self.patrol_heat, self.incident_heat):
            heat.set_bounds(box)
            self._heat_dirty[heat.name] = True
        self._schedule_frame()

    def open_city(self, name_or_path) -> None:
        """Load a city pack without freezing the window: files are read in a thread, with a progress panel;
        `cityLoaded` is emitted when the map shows it."""
        from map.loading import CityLoader
        self.loading.set_progress(None, QtCore.QCoreApplication.translate("map", "Reading {name}…").format(name=name_or_path))
        self._place_overlays()
        self._loader = CityLoader(name_or_path, self)
        self._loader.loaded.connect(self._city_read)
        self._loader.failed.connect(
            lambda message: self.loading.set_progress(0.0, QtCore.QCoreApplication.translate("map", "Could not load: {message}").format(message=message)))
        self._loader.start()

    def _city_read(self, pack) -> None:
        def progress(fraction: float, text: str) -> None:
            self.loading.set_progress(fraction, text)
            QtWidgets.QApplication.processEvents(QtCore.QEventLoop.ProcessEventsFlag.ExcludeUserInputEvents)
        self.set_city(pack, progress)
        self.loading.hide()
        self.cityLoaded.emit(pack)

    def set_incident_window(self, start_ts: float | None, end_ts: float | None = None) -> None:
        """The time window (epoch seconds) of the incident heatmap; None: the last 24 hours."""
        self.incident_window = None if start_ts is None else (start_ts, end_ts if end_ts is not None else self.clock())
        self._heat_dirty["incident_heat"] = True
        self._schedule_frame()

    def set_overdue_incidents(self, incident_ids) -> None:
        """Mark these incidents as overdue (a red ring with "!"); [] clears. Redraws only on a change."""
        model = self.incidents_layer
        rows = [r for r in (model.row(i) for i in incident_ids) if r is not None]
        overdue = [(float(model.x[r]), float(model.y[r])) for r in rows]
        if overdue != self.marks.overdue:
            self.marks.overdue = overdue
            self._schedule_frame()

    def highlight_units(self, unit_ids) -> None:
        """Ring these units (e.g. recommended for the incident a unit drag hovers over); [] clears."""
        self.units_layer.highlight(unit_ids)

    # --- frames ------------------------------------------------------------------------------------

    def _schedule_frame(self) -> None:
        if not self._frame_timer.isActive():
            self._frame_timer.start()
        self._schedule_heat()

    def _frame(self) -> None:
        self.view.viewport().update()

    def _schedule_heat(self) -> None:
        """Start the heatmap tick for the next visible heatmap with new data, when its interval is over."""
        due = [self._heat_time[name] + HEAT_INTERVAL_S for name, dirty in self._heat_dirty.items()
               if dirty and self.layer_visible(name)]
        if not due:
            return
        delay = max(0, math.ceil((min(due) - time.perf_counter()) * 1000))
        if not self._heat_timer.isActive() or self._heat_timer.remainingTime() > delay:
            self._heat_timer.start(delay)

    def _heat_tick(self) -> None:
        """Recompute the heatmaps that are due and show them in a frame of their own."""
        before = dict(self._heat_time)
        self.update_heatmaps()
        if self._heat_time != before:
            # Painted now, not merely asked for: a posted update could be folded into the next frame,
            # which then paid for the heatmap's full redraw on top of its own work.
            self.view.viewport().repaint()
        self._schedule_heat()

    def update_heatmaps(self, force: bool = False) -> bool:
        """Recompute visible heatmaps whose data changed (at most every HEAT_INTERVAL_S unless forced);
        True if one is still waiting for its interval."""
        waiting = False
        now = time.perf_counter()
        for name, dirty in self._heat_dirty.items():
            if not dirty or not self.layer_visible(name):
                continue
            if not force and now - self._heat_time[name] < HEAT_INTERVAL_S:
                waiting = True
                continue
            self._heat_dirty[name] = False
            self._heat_time[name] = now
            if name == "patrol_heat":
                u = self.units_layer
                on_duty = u.data["status"] != UNIT_STATUS_CODE["offduty"]
                self.patrol_heat.compute(u.x[on_duty], u.y[on_duty])
            else:
                start, end = self.incident_window or (self.clock() - DEFAULT_INCIDENT_WINDOW_S, self.clock())
                inc = self.incidents_layer
                recent = inc.created_between(start, end)
                self.incident_heat.compute(inc.x[recent], inc.y[recent])
        return waiting

    def render_now(self) -> None:
        """Paint a finished frame synchronously (benchmarks and tests): every tile in view. Heatmaps are
        recomputed on their own tick (within HEAT_INTERVAL_S of a change), not here; update_heatmaps(force=True)
        first to show new heatmap data in this frame."""
        self._frame_timer.stop()
        self._schedule_heat()
        # A view change leaves the scene's item updates queued; handled, they paint the frame, as in the
        # event loop. Painting before them would paint the same frame twice.
        frames = self.view.frames
        QtCore.QCoreApplication.sendPostedEvents(self.view.scene())
        if self.view.frames == frames:
            self.view.viewport().repaint()
        while any(composite.pending for composite in self._composites):
            self.view.viewport().repaint()

    # --- view --------------------------------------------------------------------------------------

    def scale(self) -> float:
        """Screen pixels per Web Mercator metre."""
        # From the box's width in pixels (it fills the view, aspect locked): pyqtgraph's viewPixelSize()
        # maps points through its item transforms in Python, 0.45 ms after every view change.
        width_m = self.viewbox.viewRect().width()
        return self.viewbox.width() / width_m if width_m > 0 and self.viewbox.width() > 0 else 1.0

    def view_box(self) -> tuple[float, float, float, float]:
        """The visible Web Mercator box (xmin, ymin, xmax, ymax)."""
        r = self.viewbox.viewRect()
        return r.left(), r.top(), r.right(), r.bottom()

    def set_view(self, xmin: float, ymin: float, xmax: float, ymax: float, padding: float = 0.0) -> None:
        """Show at least this Web Mercator box, centred, at the largest tile level where it fits."""
        w, h = self._view_px()
        pad_x, pad_y = (xmax - xmin) * padding, (ymax - ymin) * padding
        xmin, xmax, ymin, ymax = xmin - pad_x, xmax + pad_x, ymin - pad_y, ymax + pad_y
        if w < 2 or h < 2:  # not laid out yet: _snap_to_level follows the first resize
            self.viewbox.setRange(xRange=(xmin, xmax), yRange=(ymin, ymax), padding=0)
            return
        fit = min(w / max(xmax - xmin, 1e-9), h / max(ymax - ymin, 1e-9))
        level = int(np.clip(math.floor(2.0 * math.log2(fit) + 1e-9), MIN_LEVEL, MAX_LEVEL))
        self._show((xmin + xmax) / 2, (ymin + ymax) / 2, level_scale(level))

    def _view_px(self) -> tuple[float, float]:
        size = self.viewbox.size()
        return size.width(), size.height()

    def _show(self, cx: float, cy: float, scale: float) -> None:
        """Centre on (cx, cy) at `scale` pixels per metre."""
        self.stop_glide()  # a zoom or a jump to a place supersedes the rest of a key pan
        w, h = self._view_px()
        half_w, half_h = w / scale / 2, h / scale / 2
        self.viewbox.setRange(xRange=(cx - half_w, cx + half_w), yRange=(cy - half_h, cy + half_h), padding=0)

    def _snap_to_level(self) -> None:
        scale = self.scale()
        level = int(np.clip(level_for_scale(scale), MIN_LEVEL, MAX_LEVEL))
        if abs(scale / level_scale(level) - 1.0) > 1e-9:
            x0, y0, x1, y1 = self.view_box()
            self._show((x0 + x1) / 2, (y0 + y1) / 2, level_scale(level))

    def center_on(self, lon: float, lat: float, extent_m: float | None = None) -> None:
        """Centre on a WGS84 point; extent_m: ground metres to show across the smaller side."""
        x, y = crs_lib.wgs84_to_mercator(lon, lat)
        if extent_m is None:
            x0, y0, x1, y1 = self.view_box()
            half = min(x1 - x0, y1 - y0) / 2
        else:
            half = extent_m / 2 / math.cos(math.radians(lat))
        self.set_view(float(x) - half, float(y) - half, float(x) + half, float(y) + half)

    def show_place(self, lon: float | None, lat: float | None = None) -> None:
        """Pin a WGS84 point (where a new incident being typed will be; None takes the pin away), and bring
        it into view if it is outside."""
        if lon is None:
            self.marks.place = None
        else:
            x, y = (float(v) for v in crs_lib.wgs84_to_mercator(lon, lat))
            self.marks.place = (x, y)
            x0, y0, x1, y1 = self.view_box()
            if not (x0 <= x <= x1 and y0 <= y <= y1):
                self.center_on(lon, lat)
        self._schedule_frame()

    def fit_city(self) -> None:
        if self.city is not None:
            minlon, minlat, maxlon, maxlat = self.city.meta.get("zoom_extent") or self.city.bounds()
            x0, y0 = crs_lib.wgs84_to_mercator(minlon, minlat)
            x1, y1 = crs_lib.wgs84_to_mercator(maxlon, maxlat)
            self.set_view(float(x0), float(y0), float(x1), float(y1), padding=0.02)
        else:
            self.fit_layer("basemap")

    def fit_layer(self, name: str) -> None:
        bounds = self.layers[name].model.bounds() if self.layers[name].model is not None else None
        if bounds is not None:
            self.set_view(*bounds, padding=0.05)

    def zoom(self, factor: float, anchor: tuple[float, float] | None = None) -> None:
        """Zoom in by about `factor` (>1 in, <1 out; rounded to whole tile levels, sqrt(2) apart),
        keeping a Web Mercator point still on screen (the view centre by default)."""
        scale = self.scale()
        level = level_for_scale(scale) + int(round(2.0 * math.log2(factor)))
        new_scale = level_scale(int(np.clip(level, MIN_LEVEL, MAX_LEVEL)))
        x0, y0, x1, y1 = self.view_box()
        ax, ay = anchor if anchor is not None else ((x0 + x1) / 2, (y0 + y1) / 2)
        shrink = scale / new_scale
        cx = ax + ((x0 + x1) / 2 - ax) * shrink
        cy = ay + ((y0 + y1) / 2 - ay) * shrink
        self._show(cx, cy, new_scale)

    def pan(self, fx: float, fy: float) -> None:
        """Move the view by fractions of its width and height (east and north positive)."""
        x0, y0, x1, y1 = self.view_box()
        self.viewbox.translateBy(x=fx * (x1 - x0), y=fy * (y1 - y0))

    def glide(self, fx: float, fy: float) -> None:
        """Pan like `pan`, spread over the next frames (map.glide): an arrow key's pan."""
        self._glide.push(fx, fy, time.perf_counter())
        if not self._glide_timer.isActive():
            self._glide_timer.start()

    @property
    def gliding(self) -> bool:
        return self._glide.active

    def stop_glide(self) -> None:
        self._glide.stop()
        self._glide_timer.stop()

    def _glide_frame(self) -> None:
        fx, fy = self._glide.step(time.perf_counter())
        if not self._glide.active:
            self._glide_timer.stop()
        self.pan(fx, fy)

    def add_bookmark(self, name: str) -> None:
        """Remember the current view under `name` (centre lon/lat and ground width)."""
        x0, y0, x1, y1 = self.view_box()
        lon, lat = crs_lib.mercator_to_wgs84((x0 + x1) / 2, (y0 + y1) / 2)
        extent = min(x1 - x0, y1 - y0) * math.cos(math.radians(float(lat)))
        self.bookmarks[name] = (float(lon), float(lat), float(extent))

    def go_to_bookmark(self, name: str) -> None:
        self.center_on(*self.bookmarks[name])

    def _range_changed(self, *args) -> None:
        scale = self.scale()
        if abs(scale / level_scale(level_for_scale(scale)) - 1.0) > 1e-9:
            self._snap_timer.start()  # e.g. after a resize; zooms and fits arrive on a level already
        x0, y0, x1, y1 = self.view_box()
        _, lat = crs_lib.mercator_to_wgs84((x0 + x1) / 2, (y0 + y1) / 2)
        self.scale_bar.set_scale(self.scale(), float(lat))
        if "alarms" in self.layers:  # the pulse's reach in metres changes with the scale
            self.layers["alarms"].item.refit(scale)

    def resizeEvent(self, ev) -> None:
        super().resizeEvent(ev)
        self._place_overlays()

    def _place_overlays(self) -> None:
        h = self.view.height()
        self.scale_bar.move(10, h - self.scale_bar.height() - 10)
        self.cursor_label.move(self.view.width() - self.cursor_label.width() - 10, h - self.cursor_label.height() - 10)
        self.loading.move((self.view.width() - self.loading.width()) // 2, (h - self.loading.height()) // 2)
        self.stale_notice.move((self.view.width() - self.stale_notice.width()) // 2, 10)

    def _key(self, ev: QtGui.QKeyEvent) -> bool:
        key, mods = ev.key(), ev.modifiers()
        pans = {Qt.Key.Key_Left: (-1, 0), Qt.Key.Key_Right: (1, 0), Qt.Key.Key_Up: (0, 1), Qt.Key.Key_Down: (0, -1)}
        if key in pans:
            fx, fy = pans[key]
            self.glide(fx * KEY_PAN_FRACTION, fy * KEY_PAN_FRACTION)
        elif key in (Qt.Key.Key_Plus, Qt.Key.Key_Equal):
            self.zoom(ZOOM_STEP)
        elif key == Qt.Key.Key_Minus:
            self.zoom(1 / ZOOM_STEP)
        elif key == Qt.Key.Key_Home:
            self.fit_city()
        elif Qt.Key.Key_1 <= key <= Qt.Key.Key_9 and mods & Qt.KeyboardModifier.ControlModifier:
            names = list(self.bookmarks)
            k = key - Qt.Key.Key_1
            if k < len(names):
                self.go_to_bookmark(names[k])
        else:
            return False
        return True

    # --- coordinates -------------------------------------------------------------------------------

    def to_map(self, pos: QtCore.QPointF) -> tuple[float, float]:
        """A widget position (of the view) to Web Mercator metres."""
        p = self.viewbox.mapSceneToView(self.view.mapToScene(pos.toPoint()))
        return p.x(), p.y()

    def to_screen(self, x: float, y: float) -> QtCore.QPointF:
        """Web Mercator metres to a widget position (of the view)."""
        return QtCore.QPointF(self.view.mapFromScene(self.viewbox.mapViewToScene(QtCore.QPointF(x, y))))

    def lonlat_to_screen(self, lon: float, lat: float) -> QtCore.QPointF:
        x, y = crs_lib.wgs84_to_mercator(lon, lat)
        return self.to_screen(float(x), float(y))

    # --- picking and selection ---------------------------------------------------------------------

    def feature_at(self, pos: QtCore.QPointF, layers: tuple[str, ...] | None = None) -> Hit | None:
        """The topmost visible feature or cluster drawn at a widget position."""
        x, y = self.to_map(pos)
        scale = self.scale()
        radius = PICK_RADIUS_PX / scale
        for name in reversed(self._order):
            layer = self.layers[name]
            if (layers is not None and name not in layers) or not self.layer_visible(name) or name == "trails":
                continue
            hit = None
            if isinstance(layer.model, (UnitLayer, AlarmLayer)):
                row = layer.model.nearest(x, y, radius)
                hit = None if row is None else self._feature_hit(name, layer.model, row)
            elif isinstance(layer.model, PointLayer):
                hit = self._point_hit(name, layer.model, layer.renderer, x, y, scale)
            elif isinstance(layer.model, GridLayer):
                row = layer.model.at(x, y)
                if row is not None:
                    hit = Hit(name, x, y, row=row, feature_id=str(layer.model.ids[row]))
            if hit is not None:
                return hit
        return None

    def _feature_hit(self, name: str, model: PointLayer, row: int) -> Hit:
        return Hit(name, float(model.x[row]), float(model.y[row]), row=row, feature_id=str(model.ids[row]))

    def _point_hit(self, name: str, model: PointLayer, renderer: PointRenderer, x, y, scale) -> Hit | None:
        """Pick what the tiles drew: at cluster scales a crowded cell is one bubble, not its points."""
        level_px_per_m = level_scale(level_for_scale(scale))
        radius = PICK_RADIUS_PX / scale
        if not renderer.clusters_at(level_px_per_m):
            row = model.nearest(x, y, radius)
            return None if row is None else self._feature_hit(name, model, row)
        cell = CELL_PX / level_px_per_m
        cx, cy = math.floor(x / cell) * cell, math.floor(y / cell) * cell
        rows = model.index.query(cx - cell, cy - cell, cx + 2 * cell - 1e-6 * cell, cy + 2 * cell - 1e-6 * cell)
        rows = rows[model.drawn()[rows]]
        if not len(rows):
            return None
        inverse, counts, mx, my = cell_clusters(model.x[rows], model.y[rows], cell, 0.0, 0.0)
        crowded = counts >= renderer.style.cluster_min
        bubble_radius_m = np.array([bubble_radius(n) for n in counts]) / level_px_per_m
        d = np.hypot(mx - x, my - y)
        on_bubble = crowded & (d <= bubble_radius_m)
        if on_bubble.any():
            k = int(np.argmin(np.where(on_bubble, d, np.inf)))
            members = rows[inverse == k]
            box = (model.x[members].min(), model.y[members].min(), model.x[members].max(), model.y[members].max())
            return Hit(name, float(mx[k]), float(my[k]), count=int(counts[k]), box=tuple(map(float, box)))
        singles = rows[~crowded[inverse]]
        if not len(singles):
            return None
        d2 = (model.x[singles] - x) ** 2 + (model.y[singles] - y) ** 2
        best = int(np.argmin(d2))
        return self._feature_hit(name, model, int(singles[best])) if d2[best] <= radius * radius else None

    def select(self, layer: str | None, feature_id: str | None) -> None:
        """Select a feature (and emit selectionChanged); select(None, None) clears."""
        if not layer or feature_id is None:
            self.selection = None
            self.marks.selected = None
            self.selectionChanged.emit("", "")
        else:
            model = self.layers[layer].model
            row = model.row(feature_id)
            if row is None:
                raise KeyError(f"{layer}: no feature {feature_id!r}")
            self.selection = (layer, str(feature_id))
            if isinstance(model, GridLayer):
                self.marks.selected = None
            else:
                self.marks.selected = (float(model.x[row]), float(model.y[row]))
            self.selectionChanged.emit(layer, str(feature_id))
        self._schedule_frame()

    def describe(self, hit: Hit) -> str:
        """The tooltip text of a hit."""
        model = self.layers[hit.layer].model
        if hit.feature_id is None:
            return QtCore.QCoreApplication.translate("map", "{count} {layer} — click to zoom in").format(
                count=hit.count, layer=i18n.layer_title(hit.layer, model.title).lower())
        r = model.record(hit.row)
        if hit.layer == "units":
            extra = f" · {r['incident_id']}" if r.get("incident_id") else ""
            return f"{r['callsign'] or r['unit_id']} · {i18n.word(r['status'])}{extra}"
        if hit.layer == "cameras":
            state = i18n.tr(i18n.CAMERA_STATE_WORDS[r["state"]])
            return f"{r['name'] or r['camera_id']} · {state}"
        if hit.layer == "incidents":
            age = self.clock() - r["created_ts"]
            age_text = "" if np.isnan(age) else f" · {format_age(age)}"
            return f"P{r['priority']} {i18n.word(r['kind'])} · {i18n.word(r['status'])}{age_text}\n{r['address']}".strip()
        if hit.layer == "cases":
            overdue = QtCore.QCoreApplication.translate("map", " · OVERDUE") if r["overdue"] else ""
            return f"{r['case_id']} · {r['category']} · {i18n.word(r['status'].replace('_', ' '))}{overdue}"
        if hit.layer == "alarms":
            return f"{i18n.word(r['kind'])} · {r['device_id']} · {i18n.legend_label('alarms', r['status'])}"
        if hit.layer == "grids":
            return i18n.feature_name(r["name"]) + (f" · {r['value']:g} {model.value_title}" if r["value"] is not None else "")
        return f"{i18n.feature_name(r.get('name') or hit.feature_id)} ({i18n.feature_noun(hit.layer)})"

    def _clicked(self, ev) -> None:
        pos = self.view.mapFromScene(ev.scenePos())
        posf = QtCore.QPointF(pos)
        if ev.button() == Qt.MouseButton.RightButton:
            lon, lat = crs_lib.mercator_to_wgs84(*self.to_map(posf))
            self.contextMenuRequested.emit(float(lon), float(lat), self.view.mapToGlobal(pos))
            return
        if ev.button() != Qt.MouseButton.LeftButton:
            return
        hit = self.feature_at(posf)
        if hit is None:
            self.select(None, None)
        elif hit.feature_id is None:  # a cluster: zoom to its members
            x0, y0, x1, y1 = hit.box
            pad = max(x1 - x0, y1 - y0, CELL_PX / self.scale()) * 0.6
            self.set_view(x0 - pad, y0 - pad, x1 + pad, y1 + pad)
        else:
            self.select(hit.layer, hit.feature_id)

    def _hover(self, pos: QtCore.QPointF | None, global_pos: QtCore.QPoint | None) -> None:
        hit = None
        if pos is not None:
            x, y = self.to_map(pos)
            lon, lat = crs_lib.mercator_to_wgs84(x, y)
            self.cursor_label.set_position(float(lon), float(lat))
            self._place_overlays()
            self.cursorMoved.emit(float(lon), float(lat))
            hit = self.feature_at(pos)
        else:
            self.cursor_label.hide()
        if hit != self._hovered:
            self._hovered = hit
            self.marks.hovered = None if hit is None or hit.layer == "grids" else (hit.x, hit.y)
            if hit is None or global_pos is None:
                QtWidgets.QToolTip.hideText()
            else:
                QtWidgets.QToolTip.showText(global_pos, self.describe(hit), self.view)
            self._schedule_frame()

    # --- drag and drop -----------------------------------------------------------------------------

    def mime_for(self, layer: str, feature_id: str) -> QtCore.QMimeData:
        """The drag payload of a unit or camera."""
        model = self.layers[layer].model
        record = model.record(model.row(feature_id))
        mime = QtCore.QMimeData()
        if layer == "units":
            return units_mime([record["unit_id"]], [record["callsign"] or record["unit_id"]])
        elif layer == "cameras":
            payload = {"camera_id": record["camera_id"], "name": record["name"], "stream_url": record["stream_url"]}
            mime.setData(MIME_CAMERA, json.dumps(payload, ensure_ascii=False).encode())
            mime.setText(record["name"] or record["camera_id"])
        else:
            raise ValueError(f"features of {layer!r} cannot be dragged")
        return mime

    def start_drag(self, hit: Hit) -> None:
        drag = QDrag(self.view)
        drag.setMimeData(self.mime_for(hit.layer, hit.feature_id))
        label = QtGui.QPixmap(120, 22)
        label.fill(QtGui.QColor(16, 19, 24, 220))
        painter = QtGui.QPainter(label)
        painter.setPen(QtGui.QColor(255, 255, 255))
        painter.drawText(label.rect(), Qt.AlignmentFlag.AlignCenter, drag.mimeData().text())
        painter.end()
        drag.setPixmap(label)
        drag.exec(Qt.DropAction.CopyAction)

    def _drag_over(self, mime: QtCore.QMimeData, pos: QtCore.QPointF) -> str:
        """Track which incident a unit drag is over; returns its id or ""."""
        dragged = units_from_mime(mime)
        unit_id = dragged[0] if dragged else None  # the first stands for the group while it is dragged
        hit = self.feature_at(pos, layers=("incidents",)) if unit_id else None
        incident_id = hit.feature_id if hit is not None and hit.feature_id else ""
        target = (unit_id, incident_id) if unit_id else None
        if target != self._drag_target:
            if self._drag_target and self._drag_target[1] and not incident_id:
                self.unitDragOverIncident.emit(self._drag_target[0], "")
            self._drag_target = target
            if incident_id:
                self.unitDragOverIncident.emit(unit_id, incident_id)
            self.marks.drop_target = (hit.x, hit.y) if incident_id else None
            self._schedule_frame()
        return incident_id

    def _drag_left(self) -> None:
        if self._drag_target and self._drag_target[1]:
            self.unitDragOverIncident.emit(self._drag_target[0], "")
        self._drag_target = None
        self.marks.drop_target = None
        self._schedule_frame()

    def _drop(self, mime: QtCore.QMimeData, pos: QtCore.QPointF) -> bool:
        incident_id = self._drag_over(mime, pos)
        self._drag_left()
        if not incident_id:
            return False
        for unit_id in units_from_mime(mime):  # each assignment is judged on its own by the server
            self.unitDroppedOnIncident.emit(unit_id, incident_id)
        return bool(units_from_mime(mime))
