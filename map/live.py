"""Layers drawn fresh every frame because they change many times a second: units, their trails,
and the selection marks. Each culls to the view and draws with a handful of bulk Qt calls."""
from __future__ import annotations

import time

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets
from pyqtgraph.Qt import internals

from dispatch.domain import UNIT_STATUSES
from layers import style
from layers.alarms import AlarmLayer
from layers.labels import LabelPlan, Occupancy
from layers.units import UnitLayer
from map import symbols
from map.renderers import LABEL_COLOR, label_sizes
from map.symbols import SymbolAtlas, TextCache, qcolor
from map.tiles import level_for_scale, level_scale

HEADINGS = 16
# Fewer units than this in view are drawn as arrows with their heading, more as small dots.
ARROWS_BELOW = 1500
LABELS_BELOW = 250
TRAILS_BELOW = 300
# New callsign images (about 0.25 ms each, with their halo) are made, and blocks of the label plan not
# planned yet are planned, for at most this long a frame.
NEW_LABELS_BUDGET_S = 0.002
# Where a callsign may go, in order of preference: its top-left from its unit in pixels, as
# (x, y) + (width, height) * (kx, ky): right of the unit, left of it, the four corners, above, below
# (units waiting together at a station share one spot).
CALLSIGN_PLACES = ((11, -8, 0.0, 0.0), (-11, -8, -1.0, 0.0), (11, -25, 0.0, 0.0), (11, 9, 0.0, 0.0),
                   (-11, -25, -1.0, 0.0), (-11, 9, -1.0, 0.0), (0, -12, -0.5, -1.0), (0, 12, -0.5, 0.0))
VIEW_MARGIN_PX = 24
# A unit whose position went stale (CoT's stale time passed) is drawn faded under a struck grey ring.
STALE_UNIT_OPACITY = 0.4
STALE_MARK_COLOR = (90, 90, 90)


class _ViewItem(pg.GraphicsObject):
    """An item that paints in device pixels over whatever part of the map is in view."""

    def __init__(self):
        super().__init__()
        self._bounds = QtCore.QRectF()

    def set_bounds(self, bounds) -> None:
        rect = QtCore.QRectF() if bounds is None else QtCore.QRectF(
            bounds[0], bounds[1], max(bounds[2] - bounds[0], 1.0), max(bounds[3] - bounds[1], 1.0))
        if rect != self._bounds:
            self.prepareGeometryChange()
            self._bounds = rect

    def boundingRect(self) -> QtCore.QRectF:
        return self._bounds

    def visible_unit_rows(self, units, scale: float) -> np.ndarray:
        """Rows of the units in view (with a margin for their symbols); empty when nothing can be drawn."""
        view = self.viewRect()
        if view is None or scale <= 0 or not len(units):
            return np.empty(0, dtype=np.int64)
        return self.visible_rows(units.x, units.y, view, VIEW_MARGIN_PX / scale)

    @staticmethod
    def visible_rows(x: np.ndarray, y: np.ndarray, view: QtCore.QRectF, margin_m: float) -> np.ndarray:
        return np.flatnonzero((x >= view.left() - margin_m) & (x <= view.right() + margin_m)
                              & (y >= view.top() - margin_m) & (y <= view.bottom() + margin_m))


class UnitsItem(_ViewItem):
    """Units: status-coloured dots at city scale, heading arrows and callsigns closer in."""

    def __init__(self, units: UnitLayer, labels: LabelPlan | None = None, clock=time.time):
        super().__init__()
        self.units = units
        self.clock = clock  # the console's one clock: a replay shows what was stale at its instant
        self._stale_repaint = QtCore.QTimer(self, singleShot=True)
        self._stale_repaint.timeout.connect(self.update)
        self.labels = labels or LabelPlan()  # the names in tiles, which callsigns keep clear of
        self.drawn_labels: list[tuple[str, tuple[float, float, float, float]]] = []  # last frame's, view pixels
        colors = [style.UNIT_STATUS_COLORS[s] for s in UNIT_STATUSES]
        self._dots = SymbolAtlas(12, [symbols.disc(c, 7) for c in colors])
        arrows = [symbols.disc(c, 11) for c in colors]  # heading unknown
        for c in colors:
            arrows.extend(symbols.arrow(c, 19, k * 360 / HEADINGS) for k in range(HEADINGS))
        self._arrows = SymbolAtlas(24, arrows)
        self._halo = SymbolAtlas(32, [symbols.ring((255, 255, 255), 24, 3.0)])
        self._stale_mark = SymbolAtlas(32, [symbols.struck_ring(STALE_MARK_COLOR, 20)])
        self._text = TextCache(11, bold=True)

    def paint(self, painter: QtGui.QPainter, option, widget=None) -> None:
        world = painter.worldTransform()
        scale = world.m11()
        u = self.units
        rows = self.visible_unit_rows(u, scale)
        if not len(rows):
            return
        px = u.x[rows] * scale + world.dx()
        py = u.y[rows] * world.m22() + world.dy()
        status = u.data["status"][rows].astype(np.int64)
        self.drawn_labels = []
        painter.save()
        painter.resetTransform()
        marked = u.highlighted[rows]
        if marked.any():
            self._halo.draw(painter, px[marked], py[marked], 0)
        if len(rows) >= ARROWS_BELOW:
            atlas, symbol = self._dots, status
        else:
            heading = u.data["heading"][rows]
            bucket = np.round(np.nan_to_num(heading) / (360 / HEADINGS)).astype(np.int64) % HEADINGS
            atlas = self._arrows
            symbol = np.where(np.isnan(heading), status, len(UNIT_STATUSES) + status * HEADINGS + bucket)
        now = self.clock()
        stale = u.stale(rows, now)
        if stale.any():
            fresh = ~stale
            atlas.draw(painter, px[fresh], py[fresh], symbol[fresh])
            painter.setOpacity(STALE_UNIT_OPACITY)
            atlas.draw(painter, px[stale], py[stale], symbol[stale])
            painter.setOpacity(1.0)
            self._stale_mark.draw(painter, px[stale], py[stale], 0)
        else:
            atlas.draw(painter, px, py, symbol)
        self._repaint_when_stale(rows, now)
        if len(rows) < LABELS_BELOW:
            self._labels(painter, rows, px, py, world)
        painter.restore()

    def _repaint_when_stale(self, rows: np.ndarray, now: float) -> None:
        """Paint again when the next of these positions goes stale: nothing else changes then."""
        coming = self.units.data["pos_stale"][rows]
        coming = coming[coming > now]
        if len(coming):
            self._stale_repaint.start(max(1, int((float(coming.min()) - now) * 1000) + 1))
        else:
            self._stale_repaint.stop()

    def _labels(self, painter: QtGui.QPainter, rows: np.ndarray, px: np.ndarray, py: np.ndarray,
                world: QtGui.QTransform) -> None:
        """Callsigns, in row order, each where no callsign drawn before it in this frame and no name in the
        tiles is (the label plan of the level the tiles are drawn at). New label images are made, and
        missing blocks of the plan planned, for at most NEW_LABELS_BUDGET_S a frame (then the next frame
        adds more), so panning or zooming onto many units never stalls a frame."""
        scale = world.m11()
        level = level_for_scale(scale)
        ratio = scale / level_scale(level)  # view pixels per level pixel
        texts = [str(t) for t in self.units.data["callsign"][rows]]
        width, height = label_sizes(self._text, texts)
        taken = Occupancy()
        deadline = time.perf_counter() + NEW_LABELS_BUDGET_S
        late = False
        for i, text in enumerate(texts):
            if not text:
                continue
            w, h = float(width[i]), float(height[i])
            for ox, oy, kx, ky in CALLSIGN_PLACES:
                x, y = float(px[i]) + ox + kx * w - TextCache.HALO, float(py[i]) + oy + ky * h - TextCache.HALO
                r = (x, y, x + w, y + h)
                if not taken.free(r):
                    continue
                in_level = ((r[0] - world.dx()) / ratio, (r[1] - world.dy()) / ratio,
                            (r[2] - world.dx()) / ratio, (r[3] - world.dy()) / ratio)
                clear = self.labels.free(level, level_scale(level), in_level, compute=time.perf_counter() < deadline)
                if clear is None or (not self._text.has(text, LABEL_COLOR) and time.perf_counter() > deadline):
                    late = True  # the next frame draws it
                    break
                if clear:
                    taken.add(r)
                    self._text.draw_haloed(painter, x + TextCache.HALO, y + TextCache.HALO, text, LABEL_COLOR)
                    self.drawn_labels.append((text, r))
                    break
        if late:
            QtCore.QTimer.singleShot(0, self.update)


class TrailsItem(_ViewItem):
    """The last positions of each unit in view, as fading status-coloured lines (when few are in view)."""

    def __init__(self, units: UnitLayer):
        super().__init__()
        self.units = units
        self._lines = internals.PrimitiveArray(QtCore.QLineF, 4)
        self._pens = [QtGui.QPen(qcolor(style.UNIT_STATUS_COLORS[s], 150), 1.5) for s in UNIT_STATUSES]

    def paint(self, painter: QtGui.QPainter, option, widget=None) -> None:
        world = painter.worldTransform()
        scale = world.m11()
        u = self.units
        rows = self.visible_unit_rows(u, scale)
        if not len(rows) or len(rows) > TRAILS_BELOW:
            return
        tx, ty = u.trails(rows)
        px = tx * scale + world.dx()
        py = ty * world.m22() + world.dy()
        status = u.data["status"][rows]
        painter.save()
        painter.resetTransform()
        painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
        for code in np.unique(status):
            mine = status == code
            x0, y0, x1, y1 = px[mine, :-1].ravel(), py[mine, :-1].ravel(), px[mine, 1:].ravel(), py[mine, 1:].ravel()
            both = ~(np.isnan(x0) | np.isnan(x1))
            n = int(both.sum())
            if not n:
                continue
            self._lines.resize(n)
            a = self._lines.ndarray()
            a[:, 0], a[:, 1], a[:, 2], a[:, 3] = x0[both], y0[both], x1[both], y1[both]
            painter.setPen(self._pens[int(code)])
            painter.drawLines(*self._lines.drawargs())
        painter.restore()


class MarksItem(_ViewItem):
    """Rings on the selected feature, the feature under the cursor, the incident a drag hovers over, and a
    red ring with a "!" on each overdue incident."""

    def __init__(self):
        super().__init__()
        self.overdue: list[tuple[float, float]] = []
        self.selected: tuple[float, float] | None = None
        self.hovered: tuple[float, float] | None = None
        self.drop_target: tuple[float, float] | None = None
        self.place: tuple[float, float] | None = None  # where a new incident being typed will be
        self._place_pen = QtGui.QPen(QtGui.QColor(34, 211, 238), 3.0)
        self._select_pen = QtGui.QPen(QtGui.QColor(255, 255, 255), 2.5)
        self._hover_pen = QtGui.QPen(QtGui.QColor(255, 255, 255, 140), 1.5)
        self._drop_pen = QtGui.QPen(QtGui.QColor(250, 204, 21), 3.0, QtCore.Qt.PenStyle.DashLine)
        self._overdue_pen = QtGui.QPen(QtGui.QColor(220, 38, 38), 3.0)
        self._overdue_font = QtGui.QFont()
        self._overdue_font.setBold(True)
        self._overdue_font.setPixelSize(13)
        self.set_bounds((-2.1e7, -2.1e7, 2.1e7, 2.1e7))

    def paint(self, painter: QtGui.QPainter, option, widget=None) -> None:
        world = painter.worldTransform()
        painter.save()
        painter.resetTransform()
        painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
        painter.setBrush(QtCore.Qt.BrushStyle.NoBrush)
        painter.setFont(self._overdue_font)
        for where in self.overdue:
            centre = world.map(QtCore.QPointF(*where))
            painter.setPen(self._overdue_pen)
            painter.drawEllipse(centre, 17, 17)
            badge = QtCore.QRectF(centre.x() + 9, centre.y() - 25, 16, 16)
            painter.setBrush(self._overdue_pen.color())
            painter.drawEllipse(badge)
            painter.setPen(QtGui.QColor("white"))
            painter.drawText(badge, QtCore.Qt.AlignmentFlag.AlignCenter, "!")
            painter.setBrush(QtCore.Qt.BrushStyle.NoBrush)
        if self.place is not None:  # a pin: a ring with a cross
            centre = world.map(QtCore.QPointF(*self.place))
            painter.setPen(self._place_pen)
            painter.drawEllipse(centre, 12, 12)
            painter.drawLine(centre + QtCore.QPointF(-18, 0), centre + QtCore.QPointF(18, 0))
            painter.drawLine(centre + QtCore.QPointF(0, -18), centre + QtCore.QPointF(0, 18))
        for where, pen, radius in ((self.hovered, self._hover_pen, 13), (self.selected, self._select_pen, 15),
                                   (self.drop_target, self._drop_pen, 20)):
            if where is not None:
                painter.setPen(pen)
                painter.drawEllipse(world.map(QtCore.QPointF(*where)), radius, radius)
        painter.restore()


# A raised alarm's ring grows from PULSE_MIN_PX to PULSE_MAX_PX and fades, once per PULSE_PERIOD_S, repainted
# every PULSE_FRAME_MS: only this item's few pixels, and only while an alarm is raised.
PULSE_MIN_PX, PULSE_MAX_PX = 12.0, 38.0
PULSE_PERIOD_S = 1.2
PULSE_FRAME_MS = 40


class AlarmsItem(_ViewItem):
    """Open alarms: a raised one is a red disc with "!" under a pulsing ring, an acknowledged one a steady
    amber ring. The pulse is a QTimer that repaints this item's bounds (the alarms' box and the pulse's
    reach), and it runs only while some alarm is raised and the layer is shown."""

    def __init__(self, alarms: AlarmLayer):
        super().__init__()
        self.alarms = alarms
        self.pulse = QtCore.QTimer(self, interval=PULSE_FRAME_MS)
        self.pulse.timeout.connect(self.update)
        self._px_per_m = 1.0
        self._raised_pen = QtGui.QPen(qcolor(style.ALARM_RAISED), 3.0)
        self._acknowledged_pen = QtGui.QPen(qcolor(style.ALARM_ACKNOWLEDGED), 3.0)
        self._font = QtGui.QFont()
        self._font.setBold(True)
        self._font.setPixelSize(14)

    def refit(self, px_per_m: float | None = None) -> None:
        """After the alarms or the scale changed: the bounds to repaint, and whether to pulse."""
        if px_per_m:
            self._px_per_m = px_per_m
        drawn = self.alarms.drawn()
        if not drawn.any():
            self.set_bounds(None)
        else:
            margin = (PULSE_MAX_PX + 4) / self._px_per_m
            x, y = self.alarms.x[drawn], self.alarms.y[drawn]
            self.set_bounds((x.min() - margin, y.min() - margin, x.max() + margin, y.max() + margin))
        pulsing = bool(self.alarms.raised().any()) and self.isVisible()
        if pulsing and not self.pulse.isActive():
            self.pulse.start()
        elif not pulsing:
            self.pulse.stop()
        self.update()

    def itemChange(self, change, value):
        if change == QtWidgets.QGraphicsItem.GraphicsItemChange.ItemVisibleHasChanged:  # a hidden layer does not pulse
            if self.isVisible() and self.alarms.raised().any():
                self.pulse.start()
            else:
                self.pulse.stop()
        return super().itemChange(change, value)

    def paint(self, painter: QtGui.QPainter, option, widget=None) -> None:
        a = self.alarms
        drawn = np.flatnonzero(a.drawn())
        if not len(drawn):
            return
        world = painter.worldTransform()
        phase = (time.monotonic() % PULSE_PERIOD_S) / PULSE_PERIOD_S
        raised = a.raised()
        painter.save()
        painter.resetTransform()
        painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
        painter.setFont(self._font)
        for row in drawn:
            centre = world.map(QtCore.QPointF(float(a.x[row]), float(a.y[row])))
            if raised[row]:
                ring = QtGui.QColor(self._raised_pen.color())
                ring.setAlphaF(1.0 - phase)
                painter.setPen(QtGui.QPen(ring, 4.0))
                painter.setBrush(QtCore.Qt.BrushStyle.NoBrush)
                radius = PULSE_MIN_PX + (PULSE_MAX_PX - PULSE_MIN_PX) * phase
                painter.drawEllipse(centre, radius, radius)
                painter.setPen(QtGui.QPen(QtGui.QColor("white"), 2.0))
                painter.setBrush(self._raised_pen.color())
                painter.drawEllipse(centre, 10, 10)
                painter.drawText(QtCore.QRectF(centre.x() - 10, centre.y() - 10, 20, 20),
                                 QtCore.Qt.AlignmentFlag.AlignCenter, "!")
            else:
                painter.setPen(self._acknowledged_pen)
                painter.setBrush(QtCore.Qt.BrushStyle.NoBrush)
                painter.drawEllipse(centre, 14, 14)
                painter.setPen(QtGui.QPen(QtGui.QColor("black"), 1.0))
                painter.setBrush(self._acknowledged_pen.color())
                painter.drawEllipse(centre, 7, 7)
        painter.restore()
