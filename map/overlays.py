"""Small widgets floating over the map: the scale bar, the cursor coordinates, the loading progress.

They are child widgets of the view, so updating one repaints only its own few pixels, not the map.
"""
from __future__ import annotations

import math
import time

from PySide6 import QtCore, QtGui, QtWidgets

_PANEL = "background: rgba(16, 19, 24, 200); color: #e2e6ec; border-radius: 3px; padding: 2px 6px;"


def nice_length(max_m: float) -> float:
    """The largest 1, 2 or 5 times a power of ten not above max_m."""
    if max_m <= 0:
        return 0.0
    power = 10 ** math.floor(math.log10(max_m))
    for step in (5, 2, 1):
        if step * power <= max_m:
            return step * power
    return power


def format_distance(metres: float) -> str:
    if metres >= 1000:
        return QtCore.QCoreApplication.translate("map", "{n} km").format(n=f"{metres / 1000:g}")
    return QtCore.QCoreApplication.translate("map", "{n} m").format(n=f"{metres:g}")


class ScaleBar(QtWidgets.QWidget):
    """A bar of a round ground length. Web Mercator stretches by 1/cos(latitude), so it is corrected."""

    MAX_PX = 140

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setAttribute(QtCore.Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.resize(self.MAX_PX + 24, 34)
        self.length_m = 0.0
        self.bar_px = 0.0

    def set_scale(self, px_per_mercator_m: float, latitude: float) -> None:
        ground_m_per_px = math.cos(math.radians(latitude)) / px_per_mercator_m if px_per_mercator_m > 0 else 0.0
        self.length_m = nice_length(self.MAX_PX * ground_m_per_px)
        self.bar_px = self.length_m / ground_m_per_px if ground_m_per_px else 0.0
        self.update()

    def paintEvent(self, event) -> None:
        if not self.bar_px:
            return
        p = QtGui.QPainter(self)
        p.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
        p.setPen(QtCore.Qt.PenStyle.NoPen)
        p.setBrush(QtGui.QColor(16, 19, 24, 200))
        p.drawRoundedRect(QtCore.QRectF(0, 0, self.bar_px + 20, 32), 3, 3)
        p.setPen(QtGui.QPen(QtGui.QColor(226, 230, 236), 2))
        x0, x1, y = 10, 10 + self.bar_px, 24
        p.drawPolyline([QtCore.QPointF(x0, y - 6), QtCore.QPointF(x0, y), QtCore.QPointF(x1, y),
                        QtCore.QPointF(x1, y - 6)])
        font = p.font()
        font.setPixelSize(11)
        p.setFont(font)
        p.drawText(QtCore.QRectF(x0, 2, self.bar_px, 16), QtCore.Qt.AlignmentFlag.AlignCenter,
                   format_distance(self.length_m))
        p.end()


class CursorLabel(QtWidgets.QLabel):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setAttribute(QtCore.Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setStyleSheet(_PANEL + "font-family: monospace; font-size: 11px;")
        self.hide()

    def set_position(self, lon: float, lat: float) -> None:
        self.setText(f"{lat:.6f}°{'N' if lat >= 0 else 'S'}  {lon:.6f}°{'E' if lon >= 0 else 'W'}")
        self.adjustSize()
        self.show()


class StaleNotice(QtWidgets.QLabel):
    """Across the top of the map while the console has lost its server: what is drawn is old, and how old."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("stale-notice")
        self.setAttribute(QtCore.Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setStyleSheet("background: rgba(127, 29, 29, 225); color: white; border-radius: 4px; "
                           "padding: 4px 10px; font-weight: bold;")
        self.hide()

    def show_age(self, since_ts: float, now_ts: float) -> None:
        age_s = max(0, int(now_ts - since_ts))
        self.setText(QtCore.QCoreApplication.translate(
            "map", "Last known state at {time} ({age} old): units and cameras are not being updated").format(
            time=time.strftime("%H:%M:%S", time.localtime(since_ts)), age=f"{age_s // 60}:{age_s % 60:02d}"))
        self.adjustSize()
        self.show()


class LoadingPanel(QtWidgets.QFrame):
    """What is loading and how far it got; busy (no fraction) while a file is read."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setStyleSheet("QFrame {" + _PANEL + "}")
        layout = QtWidgets.QVBoxLayout(self)
        self.label = QtWidgets.QLabel()
        self.bar = QtWidgets.QProgressBar()
        self.bar.setTextVisible(False)
        self.bar.setFixedWidth(280)
        layout.addWidget(self.label)
        layout.addWidget(self.bar)
        self.hide()

    def set_progress(self, fraction: float | None, text: str) -> None:
        self.label.setText(text)
        if fraction is None:
            self.bar.setRange(0, 0)
        else:
            self.bar.setRange(0, 1000)
            self.bar.setValue(int(fraction * 1000))
        self.adjustSize()
        self.show()
        self.raise_()
