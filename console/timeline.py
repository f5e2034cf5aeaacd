"""The replay's timeline, for a dock: the replayed span left to right, with how busy each minute was
(stacked per kind of event), where incidents were created and closed, the bookmarks, a selection to loop
over, and the playhead at the clock's time.

Drawing: everything but the playhead and the selection is painted once into a pixmap, again only when
the data, the size or the zoom change. A tick repaints the strips the playhead leaves and enters, so
playing at 60 frames a second costs two narrow blits, never the histogram.

Input: a click or drag scrubs (the clock seeks as the pointer moves; play pauses while scrubbing and goes
on after); Shift+drag, or a drag on the strip under the bars, selects a span; the wheel zooms around the
pointer, Shift+wheel, a horizontal wheel or a middle-button drag pans; right-click offers a bookmark at
that instant.
"""
from __future__ import annotations

import bisect
import math
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

import numpy as np
from PySide6.QtCore import QEvent, QPoint, QPointF, QRect, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPen, QPixmap, QPolygonF
from PySide6.QtWidgets import QHBoxLayout, QMenu, QSizePolicy, QToolButton, QToolTip, QVBoxLayout, QWidget

from console.clock import ReplayClock

# The kinds the histogram stacks, bottom first. Positions are drawn behind, dimmer and on their own
# scale: thousands a minute would flatten every other kind to nothing.
INCIDENTS, UNIT_STATUS, CAMERAS, OTHER, POSITIONS = range(5)
STACKED = (INCIDENTS, UNIT_STATUS, CAMERAS, OTHER)
KIND_COLOURS = {
    INCIDENTS: QColor("#dc2626"),
    UNIT_STATUS: QColor("#2563eb"),
    CAMERAS: QColor("#7c3aed"),
    OTHER: QColor("#6b7280"),
    POSITIONS: QColor(100, 116, 139, 70),
}
CREATED_COLOUR, CLOSED_COLOUR = QColor("#dc2626"), QColor("#16a34a")
BOOKMARK_COLOUR = QColor("#d97706")
PLAYHEAD_COLOUR = QColor("#b91c1c")
SELECTION_FILL, SELECTION_TINT, LOOP_EDGE = QColor("#facc15"), QColor(250, 204, 21, 40), QColor("#ca8a04")

# Rows, top to bottom, in pixels; the histogram takes what is left.
AXIS_H, FLAG_H, MARK_H, STRIP_H = 18, 16, 12, 14
SIDE_PX = 8  # room left and right so the first and last minute are not under the border
MIN_BAR_PX = 3  # narrower bars are summed with their neighbours: a day of minutes on 1,800 px is noise
MIN_VIEW_S = 120.0  # the closest zoom: two minutes across the widget
ZOOM_STEP = 0.8  # one wheel notch shows 80 % of the span (in) or 125 % (out)
PLAYHEAD_HALF_PX = 6  # the playhead's handle reaches this far either side of its line
HIT_PX = 5  # how near the pointer must be to a mark or flag to name it
TICK_STEPS_S = (5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400)
MIN_TICK_PX = 70  # axis labels at least this far apart


@dataclass(frozen=True)
class Bars:
    start: float  # the first bar's start, epoch seconds
    bar_s: float  # how long a bar stands for
    tops: np.ndarray  # per bar, the cumulative pixel height of each stacked kind, bottom first
    positions: np.ndarray  # per bar, the pixel height of the positions behind
    peak: float  # the stacked count a full-height bar stands for
    position_peak: float


def kind_of(event_type: str) -> int:
    """Which stack of the histogram an event type counts in."""
    if event_type == "unit.moved":
        return POSITIONS
    if event_type.startswith("incident."):
        return INCIDENTS
    if event_type.startswith("unit."):
        return UNIT_STATUS
    if event_type.startswith("camera."):
        return CAMERAS
    return OTHER


class TimelineCanvas(QWidget):
    """The drawn part of the timeline; `Timeline` wraps it with its buttons and carries its signals."""

    bookmarkRequested = Signal(float)
    scrubbing = Signal(bool)
    selectionChanged = Signal(object)

    def __init__(self, clock: ReplayClock, zone: tzinfo, parent: QWidget | None = None):
        super().__init__(parent)
        self.clock = clock
        self.zone = zone
        self.view = (clock.start, max(clock.end, clock.start + 1.0))
        self.density_start, self.bucket_s = clock.start, 60.0
        self.kind_counts = np.zeros((0, 5))  # per bucket, a count per kind
        self.incident_marks: list[tuple[float, str, str]] = []  # (epoch, "created"|"closed", id), by time
        self.bookmarks: list[dict] = []  # by time
        self.bookmarks_enabled, self.bookmarks_reason = True, ""
        self.selection: tuple[float, float] | None = None
        self.cache_builds = 0  # how often the static picture was painted (tests check ticks do not)
        self._cache: QPixmap | None = None
        self._playhead_x = self.x_of(clock.now())
        self._drag: str | None = None  # "scrub", "select" or "pan" while a button is held
        clock.spanChanged.connect(self.set_view)  # the whole replay, once it is known
        self._drag_anchor: tuple[float, tuple[float, float]] = (0.0, self.view)  # (time or x, view)
        self._resume_after_scrub = False
        self.setMinimumHeight(AXIS_H + FLAG_H + MARK_H + 40 + STRIP_H)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMouseTracking(True)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        clock.ticked.connect(self._follow)
        clock.jumped.connect(self._follow)
        clock.loopChanged.connect(lambda _span: self.update())

    # ---- data ------------------------------------------------------------------------------------

    def set_density(self, start_epoch: float, bucket_s: float, types: list[str], counts: list[list[int]]) -> None:
        if bucket_s <= 0:
            raise ValueError("a density bucket must last some time")
        table = np.asarray(counts, dtype=float).reshape(len(counts), len(types))
        if table.size and (not np.isfinite(table).all() or (table < 0).any()):
            raise ValueError("density counts must be finite and not negative")
        to_kind = np.zeros((len(types), 5))
        for column, event_type in enumerate(types):
            to_kind[column, kind_of(event_type)] = 1.0
        self.density_start, self.bucket_s = float(start_epoch), float(bucket_s)
        self.kind_counts = table @ to_kind
        self._invalidate()

    def set_incident_marks(self, marks: list[tuple[float, str, str]]) -> None:
        for _, what, _ in marks:
            if what not in ("created", "closed"):
                raise ValueError(f"an incident mark is 'created' or 'closed', not {what!r}")
        self.incident_marks = sorted((float(at), what, str(incident)) for at, what, incident in marks)
        self._invalidate()

    def set_bookmarks(self, bookmarks: list[dict]) -> None:
        for bookmark in bookmarks:
            if not isinstance(bookmark.get("at"), (int, float)) or not math.isfinite(bookmark["at"]):
                raise ValueError(f"a bookmark needs a time ('at', epoch seconds): {bookmark!r}")
        self.bookmarks = sorted(bookmarks, key=lambda b: b["at"])
        self._invalidate()

    def set_bookmarks_enabled(self, enabled: bool, reason: str = "") -> None:
        self.bookmarks_enabled, self.bookmarks_reason = enabled, reason

    def set_selection(self, span: tuple[float, float] | None) -> None:
        self.selection = None if span is None else tuple(sorted(span))
        self.update()
        self.selectionChanged.emit(self.selection)

    # ---- time and pixels -------------------------------------------------------------------------

    def _track(self) -> tuple[int, int]:
        return SIDE_PX, max(1, self.width() - 2 * SIDE_PX)

    def x_of(self, t: float) -> float:
        left, width = self._track()
        v0, v1 = self.view
        return left + (t - v0) / (v1 - v0) * width

    def time_at(self, x: float) -> float:
        left, width = self._track()
        v0, v1 = self.view
        t = v0 + (x - left) / width * (v1 - v0)
        return min(self.clock.end, max(self.clock.start, t))

    def histogram_rect(self) -> QRect:
        top = AXIS_H + FLAG_H + MARK_H
        left, width = self._track()
        return QRect(left, top, width, max(1, self.height() - top - STRIP_H))

    def set_view(self, start: float, end: float) -> None:
        """Show [start, end] across the widget (kept inside the replay, at least MIN_VIEW_S long)."""
        full = max(self.clock.end - self.clock.start, 1.0)
        span = min(full, max(min(MIN_VIEW_S, full), end - start))
        start = min(max(self.clock.start, start), self.clock.start + full - span)
        if (start, start + span) != self.view:
            self.view = (start, start + span)
            self._invalidate()

    def zoom(self, factor: float, around: float) -> None:
        v0, v1 = self.view
        span = min(max(self.clock.end - self.clock.start, 1.0), max(MIN_VIEW_S, (v1 - v0) * factor))
        share = (around - v0) / (v1 - v0)
        self.set_view(around - share * span, around - share * span + span)

    def pan(self, seconds: float) -> None:
        self.set_view(self.view[0] + seconds, self.view[1] + seconds)

    # ---- following the clock ---------------------------------------------------------------------

    def _follow(self, t: float) -> None:
        v0, v1 = self.view
        if self._drag is None and not v0 <= t <= v1:  # zoomed in and the playhead left the view: page on
            span = v1 - v0
            self.set_view(t - 0.1 * span, t + 0.9 * span)
        x = self.x_of(t)
        if round(x) != round(self._playhead_x):
            self.update(self._playhead_rect(self._playhead_x))
            self.update(self._playhead_rect(x))
        self._playhead_x = x

    def _playhead_rect(self, x: float) -> QRect:
        x = min(max(x, -PLAYHEAD_HALF_PX), self.width() + PLAYHEAD_HALF_PX)  # off the view: at its edge
        return QRect(int(x) - PLAYHEAD_HALF_PX, 0, 2 * PLAYHEAD_HALF_PX + 2, self.height())

    # ---- painting --------------------------------------------------------------------------------

    def _invalidate(self) -> None:
        self._cache = None
        self._playhead_x = self.x_of(self.clock.now())
        self.update()

    def resizeEvent(self, event) -> None:
        self._invalidate()
        super().resizeEvent(event)

    def changeEvent(self, event) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self._invalidate()
        super().changeEvent(event)

    def paintEvent(self, event) -> None:
        if self._cache is None or self._cache.size() != self.size() * self.devicePixelRatioF():
            self._cache = self._paint_static()
        painter = QPainter(self)
        painter.drawPixmap(0, 0, self._cache)
        hist = self.histogram_rect()
        for span, edge in ((self.clock.loop, LOOP_EDGE), (self.selection, None)):
            if span is None:
                continue
            x0, x1 = round(self.x_of(span[0])), round(self.x_of(span[1]))
            if edge is None:  # a faint tint over the bars (a strong one would change their colours), solid below
                painter.fillRect(QRect(x0, hist.top(), max(1, x1 - x0), hist.height()), SELECTION_TINT)
                painter.fillRect(QRect(x0, hist.bottom() + 1, max(1, x1 - x0), STRIP_H), SELECTION_FILL)
            else:
                painter.setPen(QPen(edge, 2))
                painter.drawLine(x0, hist.top(), x0, self.height())
                painter.drawLine(x1, hist.top(), x1, self.height())
        x = round(self._playhead_x)
        painter.setPen(QPen(PLAYHEAD_COLOUR, 2))
        painter.drawLine(x, AXIS_H - 4, x, self.height())
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(PLAYHEAD_COLOUR)
        painter.drawPolygon(QPolygonF([QPointF(x - PLAYHEAD_HALF_PX, 0), QPointF(x + PLAYHEAD_HALF_PX, 0),
                                       QPointF(x, AXIS_H - 4)]))
        painter.end()

    def _paint_static(self) -> QPixmap:
        self.cache_builds += 1
        ratio = self.devicePixelRatioF()
        pixmap = QPixmap(self.size() * ratio)
        pixmap.setDevicePixelRatio(ratio)
        pixmap.fill(QColor("#f8fafc"))
        painter = QPainter(pixmap)
        hist = self.histogram_rect()
        painter.fillRect(QRect(0, hist.top(), self.width(), hist.height()), QColor("#ffffff"))
        painter.fillRect(QRect(0, hist.bottom() + 1, self.width(), STRIP_H), QColor("#e2e8f0"))
        self._paint_axis(painter, hist)
        self._paint_histogram(painter, hist)
        self._paint_marks(painter)
        self._paint_bookmarks(painter, hist)
        painter.setPen(QColor("#64748b"))
        painter.drawText(QRect(hist.left() + 4, hist.bottom() + 1, hist.width(), STRIP_H),
                         Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                         self.tr("Drag here (or Shift+drag above) to select a span"))
        painter.end()
        return pixmap

    def axis_ticks(self) -> list[tuple[float, str]]:
        """(epoch, label) of the axis: round local times in the zone, at least MIN_TICK_PX apart; the date
        at local midnight."""
        v0, v1 = self.view
        width = self._track()[1]
        step = next((s for s in TICK_STEPS_S if s / (v1 - v0) * width >= MIN_TICK_PX), TICK_STEPS_S[-1])
        label_format = "%H:%M:%S" if step < 60 else "%H:%M"
        ticks = []
        offset = (datetime.fromtimestamp(v0, self.zone).utcoffset() or timedelta(0)).total_seconds()
        tick = math.ceil((v0 + offset) / step) * step - offset
        while tick <= v1:
            local = datetime.fromtimestamp(tick, self.zone)
            midnight = (local.hour, local.minute, local.second) == (0, 0, 0)
            ticks.append((tick, local.strftime("%m-%d") if midnight else local.strftime(label_format)))
            tick += step
        return ticks

    def _paint_axis(self, painter: QPainter, hist: QRect) -> None:
        grid, text = QPen(QColor("#e2e8f0")), QColor("#334155")
        for tick, label in self.axis_ticks():
            x = round(self.x_of(tick))
            painter.setPen(grid)
            painter.drawLine(x, hist.top(), x, hist.bottom())
            painter.setPen(text)
            painter.drawLine(x, AXIS_H - 4, x, AXIS_H)
            left = min(max(0, x - 40), self.width() - 80)  # the first and last labels stay whole
            painter.drawText(QRect(left, 0, 80, AXIS_H - 4), Qt.AlignmentFlag.AlignCenter, label)

    def bars(self, hist: QRect) -> Bars:
        """The visible bars: buckets summed in groups wide enough to see (at least MIN_BAR_PX), each kind's
        cumulative pixel top (bottom first) and the positions' height behind them. The scale is the
        busiest visible bar's, so zooming into a quiet hour shows it in detail."""
        v0, v1 = self.view
        per_bucket_px = self.bucket_s / (v1 - v0) * hist.width()
        group = max(1, math.ceil(MIN_BAR_PX / per_bucket_px))
        first = max(0, int((v0 - self.density_start) // (self.bucket_s * group)) * group)
        last = min(len(self.kind_counts), math.ceil((v1 - self.density_start) / self.bucket_s))
        shown = self.kind_counts[first:max(first, last)]
        padded = np.zeros((math.ceil(len(shown) / group) * group, 5))
        padded[:len(shown)] = shown
        counts = padded.reshape(-1, group, 5).sum(axis=1)
        stacked = np.cumsum(counts[:, STACKED], axis=1)
        peak = float(stacked[:, -1].max()) if len(counts) else 0.0
        position_peak = float(counts[:, POSITIONS].max()) if len(counts) else 0.0
        tops = np.rint(stacked / peak * hist.height()) if peak else np.zeros_like(stacked)
        positions = np.rint(counts[:, POSITIONS] / position_peak * hist.height()) if position_peak \
            else np.zeros(len(counts))
        return Bars(self.density_start + first * self.bucket_s, self.bucket_s * group, tops.astype(int),
                    positions.astype(int), peak, position_peak)

    def _paint_histogram(self, painter: QPainter, hist: QRect) -> None:
        bars = self.bars(hist)
        painter.setClipRect(hist)
        bottom = hist.bottom() + 1
        for i in range(len(bars.tops)):
            x0 = round(self.x_of(bars.start + i * bars.bar_s))
            x1 = round(self.x_of(bars.start + (i + 1) * bars.bar_s))
            width = max(1, x1 - x0 - (1 if x1 - x0 >= 4 else 0))  # a gap between bars wide enough to show one
            if bars.positions[i]:
                painter.fillRect(x0, bottom - bars.positions[i], width, bars.positions[i], KIND_COLOURS[POSITIONS])
            below = 0
            for column, kind in enumerate(STACKED):
                top = bars.tops[i, column]
                if top > below:
                    painter.fillRect(x0, bottom - top, width, top - below, KIND_COLOURS[kind])
                below = top
        painter.setClipping(False)
        self._paint_legend(painter, hist, bars)

    def _paint_legend(self, painter: QPainter, hist: QRect, bars: Bars) -> None:
        names = {INCIDENTS: self.tr("Incidents"), UNIT_STATUS: self.tr("Unit status"),
                 CAMERAS: self.tr("Cameras"), OTHER: self.tr("Other"),
                 POSITIONS: self.tr("Positions (own scale, peak {0})").format(int(bars.position_peak))}
        metrics = painter.fontMetrics()
        scale = self.tr("A bar: {0} s; peak {1} events").format(f"{bars.bar_s:g}", int(bars.peak))
        width = metrics.horizontalAdvance(scale) + 16 + sum(26 + metrics.horizontalAdvance(n) for n in names.values())
        x, y = hist.left() + 4, hist.top() + 2
        painter.fillRect(x - 2, y, width, metrics.height() + 2, QColor(255, 255, 255, 210))  # readable over bars
        painter.setPen(QColor("#334155"))
        painter.drawText(x, y + metrics.ascent(), scale)
        x += metrics.horizontalAdvance(scale) + 16
        for kind in (*STACKED, POSITIONS):
            painter.fillRect(x, y + 2, 10, 10, KIND_COLOURS[kind])
            painter.setPen(QColor("#334155"))
            painter.drawText(x + 14, y + metrics.ascent(), names[kind])
            x += 14 + metrics.horizontalAdvance(names[kind]) + 12

    def _paint_marks(self, painter: QPainter) -> None:
        top = AXIS_H + FLAG_H
        painter.setPen(Qt.PenStyle.NoPen)
        for at, what, _ in self.incident_marks:
            x = self.x_of(at)
            if what == "created":  # pointing down into the bars: something began
                painter.setBrush(CREATED_COLOUR)
                shape = [QPointF(x - 4, top + 1), QPointF(x + 4, top + 1), QPointF(x, top + MARK_H - 1)]
            else:
                painter.setBrush(CLOSED_COLOUR)
                shape = [QPointF(x - 4, top + MARK_H - 1), QPointF(x + 4, top + MARK_H - 1), QPointF(x, top + 1)]
            painter.drawPolygon(QPolygonF(shape))

    def _paint_bookmarks(self, painter: QPainter, hist: QRect) -> None:
        for bookmark in self.bookmarks:
            x = round(self.x_of(bookmark["at"]))
            painter.setPen(QPen(BOOKMARK_COLOUR, 1, Qt.PenStyle.DashLine))
            painter.drawLine(x, AXIS_H, x, hist.bottom())
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(BOOKMARK_COLOUR)
            painter.drawPolygon(QPolygonF([QPointF(x, AXIS_H + 1), QPointF(x + 10, AXIS_H + 5),
                                           QPointF(x, AXIS_H + 9)]))

    # ---- hover -----------------------------------------------------------------------------------

    def tooltip_at(self, pos: QPoint) -> str:
        """What the pointer at `pos` is on: a bookmark, an incident's mark, or a minute of the bars."""
        y = pos.y()
        if AXIS_H <= y < AXIS_H + FLAG_H:
            bookmark = self._nearest(self.bookmarks, lambda b: b["at"], pos.x())
            if bookmark is not None:
                return self.tr("Bookmark at {0}: {1} ({2})").format(
                    self._clock_time(bookmark["at"]), bookmark.get("note", ""), bookmark.get("actor", ""))
        if AXIS_H + FLAG_H <= y < AXIS_H + FLAG_H + MARK_H:
            mark = self._nearest(self.incident_marks, lambda m: m[0], pos.x())
            if mark is not None:
                at, what, incident = mark
                template = self.tr("Incident {0} created at {1}") if what == "created" \
                    else self.tr("Incident {0} closed at {1}")
                return template.format(incident, self._clock_time(at))
        hist = self.histogram_rect()
        if hist.top() <= y <= hist.bottom() and len(self.kind_counts):
            bucket = int((self.time_at(pos.x()) - self.density_start) // self.bucket_s)
            if 0 <= bucket < len(self.kind_counts):
                counts = self.kind_counts[bucket].astype(int)
                return self.tr("{0}: incidents {1}, unit status {2}, cameras {3}, other {4}, positions {5}").format(
                    self._clock_time(self.density_start + bucket * self.bucket_s), counts[INCIDENTS],
                    counts[UNIT_STATUS], counts[CAMERAS], counts[OTHER], counts[POSITIONS])
        return ""

    def _nearest(self, items: list, at, x: float):
        """The item drawn nearest to x within HIT_PX (items sorted by time)."""
        times = [at(item) for item in items]
        middle = bisect.bisect_left(times, self.time_at(x))
        near = [i for i in (middle - 1, middle) if 0 <= i < len(items) and abs(self.x_of(times[i]) - x) <= HIT_PX]
        return items[min(near, key=lambda i: abs(self.x_of(times[i]) - x))] if near else None

    def _clock_time(self, t: float) -> str:
        return datetime.fromtimestamp(t, self.zone).strftime("%H:%M:%S")

    def event(self, event) -> bool:
        if event.type() == QEvent.Type.ToolTip:
            text = self.tooltip_at(event.pos())
            if text:
                QToolTip.showText(event.globalPos(), text, self)
            else:
                QToolTip.hideText()
                event.ignore()
            return True
        return super().event(event)

    # ---- input -----------------------------------------------------------------------------------

    def mousePressEvent(self, event) -> None:
        x = event.position().x()
        if event.button() == Qt.MouseButton.LeftButton:
            in_strip = event.position().y() > self.histogram_rect().bottom()
            if in_strip or event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
                self._drag = "select"
                self._drag_anchor = (self.time_at(x), self.view)
            else:
                self._drag = "scrub"
                self._resume_after_scrub = self.clock.playing
                self.clock.pause()
                self.scrubbing.emit(True)
                self.clock.seek(self.time_at(x))
        elif event.button() == Qt.MouseButton.MiddleButton:
            self._drag = "pan"
            self._drag_anchor = (x, self.view)
        else:
            super().mousePressEvent(event)

    def mouseMoveEvent(self, event) -> None:
        x = event.position().x()
        if self._drag == "scrub":
            self.clock.seek(self.time_at(x))
        elif self._drag == "select":
            anchor = self._drag_anchor[0]
            self.selection = tuple(sorted((anchor, self.time_at(x))))
            self.update()
        elif self._drag == "pan":
            start_x, (v0, v1) = self._drag_anchor
            self.set_view(v0 - (x - start_x) / self._track()[1] * (v1 - v0),
                          v1 - (x - start_x) / self._track()[1] * (v1 - v0))

    def mouseReleaseEvent(self, event) -> None:
        drag, self._drag = self._drag, None
        if drag == "scrub":
            self.clock.seek(self.time_at(event.position().x()))
            self.scrubbing.emit(False)
            if self._resume_after_scrub:
                self.clock.play()
        elif drag == "select":
            anchor = self._drag_anchor[0]
            span = tuple(sorted((anchor, self.time_at(event.position().x()))))
            too_short = abs(self.x_of(span[1]) - self.x_of(span[0])) < 3  # a click, not a drag: clears
            self.set_selection(None if too_short else span)

    def wheelEvent(self, event) -> None:
        delta = event.angleDelta()
        v0, v1 = self.view
        if delta.x() or event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
            notches = (delta.x() or delta.y()) / 120
            self.pan(-notches * 0.1 * (v1 - v0))
        elif delta.y():
            self.zoom(ZOOM_STEP ** (delta.y() / 120), self.time_at(event.position().x()))
        event.accept()

    def contextMenuEvent(self, event) -> None:
        at = self.time_at(event.pos().x())
        menu = QMenu(self)
        menu.setToolTipsVisible(True)
        bookmark = menu.addAction(self.tr("Bookmark at {0}…").format(self._clock_time(at)))
        bookmark.setEnabled(self.bookmarks_enabled)
        bookmark.setToolTip(self.bookmarks_reason)
        bookmark.triggered.connect(lambda: self.bookmarkRequested.emit(at))
        clear = menu.addAction(self.tr("Clear the selection"))
        clear.setEnabled(self.selection is not None)
        clear.triggered.connect(lambda: self.set_selection(None))
        whole = menu.addAction(self.tr("Show the whole replay"))
        whole.triggered.connect(lambda: self.set_view(self.clock.start, self.clock.end))
        menu.popup(event.globalPos())


class Timeline(QWidget):
    """The timeline dock's contents: a Bookmark button and a zoom-out button over the canvas.

    The window feeds it `set_density`, `set_incident_marks`, `set_bookmarks`; it emits
    `bookmarkRequested(at)` (the clock's time, or where right-clicked), `scrubbing(bool)` at the start and
    end of a scrub, and `selectionChanged((start, end) | None)`.
    """

    bookmarkRequested = Signal(float)
    scrubbing = Signal(bool)
    selectionChanged = Signal(object)

    def __init__(self, clock: ReplayClock, zone: tzinfo, parent: QWidget | None = None):
        super().__init__(parent)
        self.clock = clock
        self.canvas = TimelineCanvas(clock, zone, self)
        self.canvas.setObjectName("timeline-canvas")
        self.bookmark_button = QToolButton(self)
        self.bookmark_button.setObjectName("timeline-bookmark")
        self.bookmark_button.clicked.connect(lambda: self.bookmarkRequested.emit(self.clock.now()))
        self.whole_button = QToolButton(self)
        self.whole_button.setObjectName("timeline-whole")
        self.whole_button.clicked.connect(lambda: self.canvas.set_view(clock.start, clock.end))
        self.canvas.bookmarkRequested.connect(self.bookmarkRequested)
        self.canvas.scrubbing.connect(self.scrubbing)
        self.canvas.selectionChanged.connect(self.selectionChanged)
        buttons = QHBoxLayout()
        buttons.setContentsMargins(0, 0, 0, 0)
        buttons.addStretch(1)
        buttons.addWidget(self.whole_button)
        buttons.addWidget(self.bookmark_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.setSpacing(2)
        layout.addLayout(buttons)
        layout.addWidget(self.canvas, 1)
        self.retranslate()

    def retranslate(self) -> None:
        self.bookmark_button.setText(self.tr("Bookmark…"))
        self.whole_button.setText(self.tr("Whole replay"))
        self.whole_button.setToolTip(self.tr("Zoom out to the whole replay (the wheel zooms, Shift+wheel pans)"))
        self._bookmark_tip()

    def _bookmark_tip(self) -> None:
        self.bookmark_button.setToolTip(self.tr("Bookmark the replayed time") if self.canvas.bookmarks_enabled
                                        else self.canvas.bookmarks_reason)

    def changeEvent(self, event) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def set_density(self, start_epoch: float, bucket_s: float, types: list[str], counts: list[list[int]]) -> None:
        """Events per bucket of `bucket_s` from `start_epoch`: counts[bucket][i] of types[i]."""
        self.canvas.set_density(start_epoch, bucket_s, types, counts)

    def set_incident_marks(self, marks: list[tuple[float, str, str]]) -> None:
        """[(epoch, "created" | "closed", incident_id)]."""
        self.canvas.set_incident_marks(marks)

    def set_bookmarks(self, bookmarks: list[dict]) -> None:
        """[{"bookmark_id", "at": epoch, "note", "actor"}]."""
        self.canvas.set_bookmarks(bookmarks)

    def set_bookmarks_enabled(self, enabled: bool, reason: str = "") -> None:
        """Off (with the reason as the button's tooltip) where a replay cannot keep bookmarks."""
        self.canvas.set_bookmarks_enabled(enabled, reason)
        self.bookmark_button.setEnabled(enabled)
        self._bookmark_tip()

    def set_selection(self, span: tuple[float, float] | None) -> None:
        self.canvas.set_selection(span)

    @property
    def selection(self) -> tuple[float, float] | None:
        return self.canvas.selection
