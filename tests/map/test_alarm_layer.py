"""The alarm layer: open alarms drawn on top (raised ones pulse, only while one is raised and the layer is
shown), picked and selected like any feature, ended ones kept but not drawn."""
from __future__ import annotations

from PySide6 import QtCore

from layers import style

from .conftest import CENTER, near, pixel


def alarm(alarm_id: str, status: str, dx: float = 0.0) -> dict:
    return {"alarm_id": alarm_id, "lon": CENTER[0] + dx, "lat": CENTER[1], "kind": "panic",
            "device_id": f"APP-{alarm_id}", "status": status}


def test_a_raised_alarm_pulses_until_acknowledged_and_an_ended_one_is_not_drawn(canvas, qtbot):
    layer, item = canvas.alarms_layer, canvas.layers["alarms"].item
    assert canvas.layer_order[-1] == "alarms", "on top of everything"
    layer.set_records([alarm("A1", "raised"), alarm("A2", "acknowledged", 0.002)])
    canvas.render_now()
    assert item.pulse.isActive()
    beside_the_mark = canvas.lonlat_to_screen(*CENTER) + QtCore.QPointF(6, 3)  # in the red disc, off its "!"
    assert near(pixel(canvas, beside_the_mark), style.ALARM_RAISED)
    where = canvas.lonlat_to_screen(CENTER[0] + 0.002, CENTER[1])
    assert near(pixel(canvas, where), style.ALARM_ACKNOWLEDGED)
    canvas.set_layer_visible("alarms", False)
    assert not item.pulse.isActive(), "a hidden layer does not pulse"
    canvas.set_layer_visible("alarms", True)
    assert item.pulse.isActive()
    layer.upsert([alarm("A1", "acknowledged")])
    assert not item.pulse.isActive(), "nothing raised: nothing pulses"
    layer.upsert([alarm("A1", "incident"), alarm("A2", "false", 0.002)])
    assert list(layer.drawn()) == [False, False] and item.boundingRect().isEmpty()


def test_an_alarm_is_picked_selected_and_described(canvas, qtbot):
    canvas.alarms_layer.set_records([alarm("A7", "raised")])
    canvas.render_now()
    hit = canvas.feature_at(canvas.lonlat_to_screen(*CENTER))
    assert (hit.layer, hit.feature_id) == ("alarms", "A7")
    assert canvas.describe(hit) == "panic · APP-A7 · raised"
    chosen = []
    canvas.selectionChanged.connect(lambda layer, feature_id: chosen.append((layer, feature_id)))
    canvas.select("alarms", "A7")
    assert chosen == [("alarms", "A7")]
