"""What a pulsing alarm costs the map: offscreen, 1920x1080, the demo city with its units, 5 raised alarms in
view at street scale (1.5 km across).

Prints `name value unit` lines:
- pulse_frame_p{50,95}_ms: one pulse step (the alarm item's update, then the repaint Qt does of that
  region only), of 100 steps.
- pulse_painted_share: the part of the view a pulse step repaints, on average.
- full_frame_p95_ms: the same view repainted whole, for comparison (20 frames).
- pulse_cpu_percent: the process's CPU while the event loop runs the pulse alone for 5 s (25 frames a
  second), as a share of one core.
- idle_cpu_percent: the same 5 s once every alarm is acknowledged (the pulse stops).

Run: .venv/bin/python bench/alarm_pulse.py
"""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

os.environ["QT_QPA_PLATFORM"] = "offscreen"
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from PySide6 import QtCore, QtWidgets  # noqa: E402

from dispatch.city_state import initial_state  # noqa: E402
from layers.citypack import load_city  # noqa: E402
from map.canvas import MapCanvas, _MapView  # noqa: E402
from support.measure import cpu_seconds, percentile  # noqa: E402

CENTRE = (24.9413, 60.1699)
ALARMS = 5
STEPS = 100
RUN_S = 5.0


PAINTED: list = []  # the regions the map view repaints
_paint = _MapView.paintEvent


def _recorded_paint(view, event) -> None:
    PAINTED.append(event.region().boundingRect())
    _paint(view, event)


_MapView.paintEvent = _recorded_paint  # before any view exists: Qt calls the Python override it finds then


def ms(seconds: float) -> float:
    return seconds * 1000.0


def run_loop(app: QtWidgets.QApplication, seconds: float) -> float:
    """Run the event loop for `seconds`; the process's CPU share of one core meanwhile, in percent."""
    began_cpu, began = cpu_seconds(os.getpid()), time.perf_counter()
    QtCore.QTimer.singleShot(int(seconds * 1000), app.quit)
    app.exec()
    return 100.0 * (cpu_seconds(os.getpid()) - began_cpu) / (time.perf_counter() - began)


def main() -> None:
    app = QtWidgets.QApplication([])
    city = load_city("demo")
    canvas = MapCanvas()
    canvas.resize(1920, 1080)
    canvas.show()
    canvas.set_city(city)
    canvas.units_layer.set_records(list(initial_state(city)["units"].values()))
    alarms = [{"alarm_id": f"A{n}", "lon": CENTRE[0] + 0.002 * (n - 2), "lat": CENTRE[1] + 0.001 * (n % 2),
               "kind": "panic", "device_id": f"APP-{n}", "status": "raised"} for n in range(ALARMS)]
    canvas.alarms_layer.set_records(alarms)
    canvas.center_on(*CENTRE, 1500)
    canvas.render_now()
    item = canvas.layers["alarms"].item
    assert item.pulse.isActive()
    item.pulse.stop()  # stepped by hand below, then by its timer
    for _ in range(10):  # what the set-up left to paint (whole frames) is not the pulse's
        app.processEvents()
    pulse = []
    PAINTED.clear()
    for _ in range(STEPS):
        began = time.perf_counter()
        item.update()
        QtCore.QCoreApplication.sendPostedEvents(canvas.view.scene())
        app.processEvents()
        pulse.append(time.perf_counter() - began)
    painted = list(PAINTED)
    full = []
    for _ in range(20):
        began = time.perf_counter()
        canvas.view.viewport().repaint()
        full.append(time.perf_counter() - began)
    print(f"pulse_frame_p50_ms {ms(percentile(pulse, 50)):.2f} ms")
    print(f"pulse_frame_p95_ms {ms(percentile(pulse, 95)):.2f} ms")
    area = sum(r.width() * r.height() for r in painted) / max(1, len(painted))
    print(f"pulse_painted_share {100.0 * area / (canvas.view.width() * canvas.view.height()):.2f} %")
    print(f"full_frame_p95_ms {ms(percentile(full, 95)):.2f} ms")
    item.refit()
    print(f"pulse_cpu_percent {run_loop(app, RUN_S):.1f} %")
    canvas.alarms_layer.upsert([{**a, "status": "acknowledged"} for a in alarms])
    assert not item.pulse.isActive()
    print(f"idle_cpu_percent {run_loop(app, RUN_S):.1f} %")


if __name__ == "__main__":
    main()
