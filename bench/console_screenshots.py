"""Screenshots of the console under Xvfb: English, Chinese, and a layout across two monitors.

Run: .venv/bin/python bench/console_screenshots.py [OUT_DIR]   (default out/screenshots)
Starts its own two-monitor Xvfb, a demo server with moving patrols, and real console windows.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))


def shoot(out: Path) -> None:
    import tempfile

    from PySide6.QtCore import QEventLoop, QSettings, QTimer
    from PySide6.QtGui import QGuiApplication

    settings_dir = Path(tempfile.mkdtemp())
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(settings_dir))
    from console import i18n
    from console.app import EmbeddedServer, application, open_console
    from console.window import settings

    settings().setValue("overdue/dispatch_s", 1)  # so that the demo's waiting calls show as overdue
    app = application()
    server = EmbeddedServer("demo", Path(tempfile.mkdtemp()) / "demo")
    url = server.start()

    def wait(ms: int) -> None:
        loop = QEventLoop()
        QTimer.singleShot(ms, loop.quit)
        loop.exec()

    def ready(window) -> bool:
        return window.connected and window.city is not None

    def settle(window) -> None:
        for _ in range(300):
            if ready(window):
                break
            wait(100)
        wait(1500)

    screens = QGuiApplication.screens()
    left, right = screens[0].geometry(), screens[-1].geometry()
    try:
        for language in ("en", "zh_CN"):
            window = open_console(url, server.tokens["dispatcher"], "demo", language)
            window.setGeometry(left)
            settle(window)
            incidents = sorted(window.live.state["incidents"])
            window.select_incident(incidents[-1])
            top = window.recommendations(incidents[-1])[0].unit_id
            if window.live.state["units"][top]["status"] == "available":
                window.assign(top, incidents[-1])
                wait(800)
            window.assign(top, incidents[0])  # refused: the unit is already dispatched; the callout says why
            wait(1500)
            window.grab().save(str(out / f"console_{language}.png"))
            window.close()
            i18n.install(app, "en")
        window = open_console(url, server.tokens["supervisor"], "demo", "en")
        window.setGeometry(left)
        settle(window)
        docks = window.docks()
        for offset, name in enumerate(("queue", "units", "details")):
            dock = docks[name]
            dock.setFloating(True)
            dock.setGeometry(right.x() + 40 + offset * 620, right.y() + 60, 600, 900)
        window.showMaximized()
        wait(2000)
        screens[0].grabWindow(0, 0, 0, left.width() + right.width(), left.height()).save(
            str(out / "console_two_monitors.png"))
        window.close()
    finally:
        server.stop()


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "out" / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    if os.environ.get("ONEMAP_SHOT_CHILD"):
        shoot(out)
        return
    from support.xvfb import start_xvfb

    display, xvfb = start_xvfb(two_monitors=True)
    try:
        env = {**os.environ, "DISPLAY": display, "QT_QPA_PLATFORM": "xcb", "ONEMAP_SHOT_CHILD": "1"}
        subprocess.run([sys.executable, __file__, str(out)], env=env, check=True, timeout=300)
    finally:
        xvfb.terminate()
    for name in ("console_en.png", "console_zh_CN.png", "console_two_monitors.png"):
        print(f"screenshot {out / name}")


if __name__ == "__main__":
    main()
