"""Layer visibility, opacity and order take effect in the picture; the panel drives them."""
from __future__ import annotations

from PySide6 import QtWidgets
from PySide6.QtCore import Qt

from layers import style

from .conftest import CENTER, near, pixel


def same_place_camera_and_unit(canvas):
    """A camera and a unit at the centre; the patrol heatmap (which the unit feeds) off."""
    canvas.set_layer_visible("patrol_heat", False)
    lon, lat = CENTER
    canvas.cameras_layer.set_records([{"camera_id": "cam", "lon": lon, "lat": lat, "state": "online"}])
    canvas.units_layer.set_records([{"unit_id": "u", "lon": lon, "lat": lat, "status": "onscene"}])
    return canvas.lonlat_to_screen(lon, lat)


def test_toggle_hides_and_shows(canvas):
    where = same_place_camera_and_unit(canvas)
    assert near(pixel(canvas, where), style.UNIT_STATUS_COLORS["onscene"])  # units draw above cameras
    canvas.set_layer_visible("units", False)
    assert near(pixel(canvas, where), style.CAMERA_ONLINE)
    canvas.set_layer_visible("cameras", False)
    assert near(pixel(canvas, where), style.BACKGROUND, tolerance=12)
    canvas.set_layer_visible("cameras", True)
    assert near(pixel(canvas, where), style.CAMERA_ONLINE)


def test_order_changes_what_is_on_top(canvas):
    where = same_place_camera_and_unit(canvas)
    order = canvas.layer_order
    order.remove("cameras")
    order.append("cameras")  # cameras above units now
    canvas.set_layer_order(order)
    assert canvas.layer_order[-1] == "cameras"
    assert near(pixel(canvas, where), style.CAMERA_ONLINE)


def test_opacity_blends_with_what_is_below(canvas):
    where = same_place_camera_and_unit(canvas)
    canvas.set_layer_visible("units", False)
    canvas.set_layer_opacity("cameras", 0.5)
    color = pixel(canvas, where)
    half = [(c + b) / 2 for c, b in zip(style.CAMERA_ONLINE, style.BACKGROUND)]
    assert near(color, half, tolerance=20)


def test_panel_checkbox_and_order_buttons(canvas, qtbot):
    panel = canvas.layer_panel()
    qtbot.addWidget(panel)
    panel.show()
    where = same_place_camera_and_unit(canvas)
    panel.item("units").setCheckState(Qt.CheckState.Unchecked)
    assert not canvas.layer_visible("units")
    assert near(pixel(canvas, where), style.CAMERA_ONLINE)
    panel.set_current("cameras")
    before = canvas.layer_order.index("cameras")
    panel.move_up()
    assert canvas.layer_order.index("cameras") == before + 1
    assert panel.list.row(panel.item("cameras")) < panel.list.row(panel.item("incidents"))  # top of list is on top
    assert isinstance(panel.legend, QtWidgets.QLabel) and "online" in panel.legend.text()
