"""Point symbols drawn once into an atlas, then stamped in thousands with QPainter.drawPixmapFragments.

One drawPixmapFragments call with a numpy-filled fragment array draws 5,000 symbols in about 3 ms;
a Python loop of drawPixmap calls is about five times slower.
"""
from __future__ import annotations

import math
from typing import Callable

import numpy as np
from PySide6 import QtCore, QtGui
from pyqtgraph.Qt import internals

SymbolPainter = Callable[[QtGui.QPainter, float], None]
OUTLINE = QtGui.QColor(12, 14, 18)


def qcolor(rgb, alpha: int = 255) -> QtGui.QColor:
    return QtGui.QColor(int(rgb[0]), int(rgb[1]), int(rgb[2]), alpha)


class SymbolAtlas:
    """Symbols in one pixmap, each in a cell of cell_px, drawn centred on the points given."""

    def __init__(self, cell_px: int, symbols: list[SymbolPainter]):
        self.cell_px = cell_px
        self.count = len(symbols)
        self.pixmap = QtGui.QPixmap(cell_px * len(symbols), cell_px)
        self.pixmap.fill(QtCore.Qt.GlobalColor.transparent)
        painter = QtGui.QPainter(self.pixmap)
        painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
        for k, draw in enumerate(symbols):
            painter.save()
            painter.translate(k * cell_px + cell_px / 2, cell_px / 2)
            draw(painter, cell_px)
            painter.restore()
        painter.end()
        self._fragments = internals.PrimitiveArray(QtGui.QPainter.PixmapFragment, 10)

    def draw(self, painter: QtGui.QPainter, px: np.ndarray, py: np.ndarray, symbol: np.ndarray | int,
             opacity: float = 1.0) -> None:
        """Stamp symbol[i] centred at (px[i], py[i]) in the painter's current coordinates."""
        n = len(px)
        if n == 0:
            return
        self._fragments.resize(n)
        f = self._fragments.ndarray()
        f[:, 0] = px
        f[:, 1] = py
        f[:, 2] = np.asarray(symbol) * self.cell_px
        f[:, 3] = 0
        f[:, 4] = self.cell_px
        f[:, 5] = self.cell_px
        f[:, 6] = 1.0
        f[:, 7] = 1.0
        f[:, 8] = 0.0
        f[:, 9] = opacity
        painter.drawPixmapFragments(*self._fragments.drawargs(), self.pixmap)


# --- symbol shapes (each draws centred at 0, 0 into a cell of `cell` pixels) ----------------------


def disc(fill, diameter: float, outline=OUTLINE, ring=None) -> SymbolPainter:
    def draw(p: QtGui.QPainter, cell: float) -> None:
        r = diameter / 2
        if ring is not None:
            p.setPen(QtGui.QPen(qcolor(ring), 2.0))
            p.setBrush(QtCore.Qt.BrushStyle.NoBrush)
            p.drawEllipse(QtCore.QPointF(0, 0), r + 2.5, r + 2.5)
        p.setPen(QtGui.QPen(outline, 1.2))
        p.setBrush(qcolor(fill))
        p.drawEllipse(QtCore.QPointF(0, 0), r, r)
    return draw


def square(fill, side: float, rotate45: bool = False, outline=OUTLINE, ring=None) -> SymbolPainter:
    """`ring`: a colour to circle it in (an overdue grid case)."""
    def draw(p: QtGui.QPainter, cell: float) -> None:
        if ring is not None:
            p.setPen(QtGui.QPen(qcolor(ring), 2.5))
            p.setBrush(QtCore.Qt.BrushStyle.NoBrush)
            p.drawEllipse(QtCore.QPointF(0, 0), side * 0.85, side * 0.85)
        if rotate45:
            p.rotate(45)
        p.setPen(QtGui.QPen(outline, 1.2))
        p.setBrush(qcolor(fill))
        p.drawRect(QtCore.QRectF(-side / 2, -side / 2, side, side))
    return draw


def triangle(fill, side: float, outline=QtGui.QColor(255, 255, 255), ring=None) -> SymbolPainter:
    """An upward warning triangle; `ring` circles it (new incidents)."""
    def draw(p: QtGui.QPainter, cell: float) -> None:
        h = side * math.sqrt(3) / 2
        if ring is not None:
            p.setPen(QtGui.QPen(qcolor(ring), 2.0))
            p.setBrush(QtCore.Qt.BrushStyle.NoBrush)
            p.drawEllipse(QtCore.QPointF(0, 0), side * 0.72, side * 0.72)
        poly = QtGui.QPolygonF([QtCore.QPointF(0, -h * 0.62), QtCore.QPointF(side / 2, h * 0.38),
                                QtCore.QPointF(-side / 2, h * 0.38)])
        p.setPen(QtGui.QPen(outline, 1.3))
        p.setBrush(qcolor(fill))
        p.drawPolygon(poly)
    return draw


def arrow(fill, length: float, heading_deg: float, outline=OUTLINE) -> SymbolPainter:
    """A unit: a disc with a pointer towards the heading (degrees clockwise from north)."""
    def draw(p: QtGui.QPainter, cell: float) -> None:
        p.rotate(heading_deg)
        r = length * 0.34
        poly = QtGui.QPolygonF([QtCore.QPointF(0, -length / 2), QtCore.QPointF(r * 0.95, -r * 0.35),
                                QtCore.QPointF(-r * 0.95, -r * 0.35)])
        p.setPen(QtGui.QPen(outline, 1.2))
        p.setBrush(qcolor(fill))
        p.drawPolygon(poly)
        p.drawEllipse(QtCore.QPointF(0, 0), r, r)
    return draw


def ring(color, diameter: float, width: float = 2.5) -> SymbolPainter:
    def draw(p: QtGui.QPainter, cell: float) -> None:
        p.setPen(QtGui.QPen(qcolor(color), width))
        p.setBrush(QtCore.Qt.BrushStyle.NoBrush)
        p.drawEllipse(QtCore.QPointF(0, 0), diameter / 2, diameter / 2)
    return draw


def struck_ring(color, diameter: float, width: float = 2.0) -> SymbolPainter:
    """A ring struck through: a position that is no longer current (a TAK device's stale time passed)."""
    def draw(p: QtGui.QPainter, cell: float) -> None:
        r = diameter / 2
        p.setPen(QtGui.QPen(qcolor(color), width))
        p.setBrush(QtCore.Qt.BrushStyle.NoBrush)
        p.drawEllipse(QtCore.QPointF(0, 0), r, r)
        p.drawLine(QtCore.QPointF(-r * 0.7, r * 0.7), QtCore.QPointF(r * 0.7, -r * 0.7))
    return draw


def house(fill, side: float) -> SymbolPainter:
    """A police station."""
    def draw(p: QtGui.QPainter, cell: float) -> None:
        s = side / 2
        poly = QtGui.QPolygonF([QtCore.QPointF(-s, s), QtCore.QPointF(-s, -s * 0.2), QtCore.QPointF(0, -s),
                                QtCore.QPointF(s, -s * 0.2), QtCore.QPointF(s, s)])
        p.setPen(QtGui.QPen(QtGui.QColor(255, 255, 255), 1.3))
        p.setBrush(qcolor(fill))
        p.drawPolygon(poly)
    return draw


class TextCache:
    """Labels rendered once with a dark halo into small images: stamping a label is then one blit
    instead of five text draws (the halo makes it readable on any background)."""

    MAX_LABELS = 6000
    HALO = 1

    def __init__(self, pixel_size: int, bold: bool = False):
        self.font = QtGui.QFont()
        self.font.setPixelSize(pixel_size)
        self.font.setBold(bold)
        self.metrics = QtGui.QFontMetricsF(self.font)
        self._images: dict[tuple[str, int], QtGui.QImage] = {}

    def width(self, text: str) -> float:
        return self.metrics.horizontalAdvance(text) + 2 * self.HALO

    def has(self, text: str, color: QtGui.QColor) -> bool:
        return (text, color.rgba()) in self._images

    def image(self, text: str, color: QtGui.QColor) -> QtGui.QImage:
        key = (text, color.rgba())
        image = self._images.get(key)
        if image is None:
            if len(self._images) >= self.MAX_LABELS:
                self._images.clear()
            image = self._render(text, color)
            self._images[key] = image
        return image

    def _render(self, text: str, color: QtGui.QColor) -> QtGui.QImage:
        h = self.HALO
        image = QtGui.QImage(math.ceil(self.metrics.horizontalAdvance(text)) + 2 * h + 1,
                             math.ceil(self.metrics.height()) + 2 * h, QtGui.QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(0)
        p = QtGui.QPainter(image)
        p.setFont(self.font)
        baseline = h + self.metrics.ascent()
        p.setPen(OUTLINE)
        for ox, oy in ((-h, 0), (h, 0), (0, -h), (0, h)):
            p.drawText(QtCore.QPointF(h + ox, baseline + oy), text)
        p.setPen(color)
        p.drawText(QtCore.QPointF(h, baseline), text)
        p.end()
        return image

    def draw_haloed(self, painter: QtGui.QPainter, x: float, y: float, text: str, color: QtGui.QColor) -> None:
        """The label with its top-left corner at (x, y)."""
        painter.drawImage(QtCore.QPointF(round(x) - self.HALO, round(y) - self.HALO), self.image(text, color))

    def draw_centred(self, painter: QtGui.QPainter, x: float, y: float, text: str, color: QtGui.QColor) -> None:
        image = self.image(text, color)
        painter.drawImage(QtCore.QPointF(round(x - image.width() / 2), round(y - image.height() / 2)), image)
