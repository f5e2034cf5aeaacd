"""A map canvas in a real window with a handful of features in central Helsinki."""
from __future__ import annotations

import pytest
from PySide6 import QtCore, QtGui

from map.canvas import MapCanvas

CENTER = (24.9410, 60.1690)
NOW = 1_750_000_000.0


@pytest.fixture
def canvas(qtbot):
    canvas = MapCanvas()
    canvas.clock = lambda: NOW
    qtbot.addWidget(canvas)
    canvas.resize(1000, 700)
    with qtbot.waitExposed(canvas):
        canvas.show()
    lon, lat = CENTER
    canvas.set_extent((lon - 0.02, lat - 0.01, lon + 0.02, lat + 0.01))
    canvas.center_on(lon, lat, 600)
    return canvas


def pixel(canvas: MapCanvas, pos: QtCore.QPointF) -> QtGui.QColor:
    """The colour of the finished frame at a view position."""
    canvas.render_now()
    image = canvas.view.viewport().grab().toImage()
    return image.pixelColor(pos.toPoint())


def near(color: QtGui.QColor, rgb, tolerance: int = 40) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip((color.red(), color.green(), color.blue()), rgb))
