"""Camera view cones are blitted from pre-rendered images: they match drawPie within a bucket's error."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6 import QtCore, QtGui

from layers.points import CAMERA_STATE_CODE
from map.renderers import AA, CameraStyle


class _Cameras:
    def __init__(self, direction, fov):
        self.data = {"direction_deg": np.array(direction, dtype=np.float64),
                     "fov_deg": np.array(fov, dtype=np.float64),
                     "state": np.full(len(direction), CAMERA_STATE_CODE["online"], dtype=np.int8)}


def _image():
    image = QtGui.QImage(256, 256, QtGui.QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(QtCore.Qt.GlobalColor.transparent)
    return image


def _alpha(image):
    ptr = image.constBits()
    return np.frombuffer(ptr, dtype=np.uint8).reshape(image.height(), image.width(), 4)[:, :, 3].astype(int)


@pytest.mark.parametrize("direction,fov", [(0.0, 60.0), (135.0, 90.0), (270.0, 50.0), (350.0, 60.0)])
def test_blitted_cone_matches_draw_pie(qapp, direction, fov):
    style = CameraStyle()
    scale = 2.0  # radius 90 px
    radius = float(np.clip(style.cone_radius_m * scale, 18, 110))
    got = _image()
    painter = QtGui.QPainter(got)
    style.draw_below(painter, _Cameras([direction], [fov]), np.array([0]), np.array([128.0]), np.array([128.0]), scale)
    painter.end()
    want = _image()
    painter = QtGui.QPainter(want)
    painter.setRenderHint(AA)
    painter.setPen(style._cone_pen)
    painter.setBrush(style._cone_brush)
    painter.drawPie(QtCore.QRectF(128 - radius, 128 - radius, 2 * radius, 2 * radius),
                    int((90 - direction - fov / 2) * 16), int(fov * 16))
    painter.end()
    a, b = _alpha(got), _alpha(want)
    assert (a > 0).sum() == pytest.approx((b > 0).sum(), rel=0.1)
    # Same place: pixels covered by one and not the other are only along the edges.
    assert ((a > 30) != (b > 30)).sum() <= 0.1 * (b > 30).sum()


def test_cones_skip_unknown_direction_and_offline(qapp):
    style = CameraStyle()
    cams = _Cameras([np.nan, 90.0], [60.0, 60.0])
    cams.data["state"][1] = CAMERA_STATE_CODE["offline"]
    image = _image()
    painter = QtGui.QPainter(image)
    style.draw_below(painter, cams, np.array([0, 1]), np.array([128.0, 128.0]), np.array([128.0, 128.0]), 2.0)
    painter.end()
    assert _alpha(image).sum() == 0
