"""Test session set-up: every GUI test runs in real windows on a two-monitor Xvfb display."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from support.xvfb import start_xvfb  # noqa: E402

_xvfb = None


def pytest_configure(config):
    global _xvfb
    # Before any QApplication exists: Qt picks its platform once per process.
    if os.environ.get("ONEMAP_TEST_DISPLAY"):
        os.environ["DISPLAY"] = os.environ["ONEMAP_TEST_DISPLAY"]
    else:
        display, _xvfb = start_xvfb(two_monitors=True)
        os.environ["DISPLAY"] = display
    os.environ["QT_QPA_PLATFORM"] = "xcb"
    os.environ.setdefault("LANGUAGE", "en")


def pytest_unconfigure(config):
    if _xvfb is not None:
        _xvfb.terminate()
        _xvfb.wait(timeout=10)


SCREENSHOTS = Path(__file__).resolve().parents[1] / "out" / "screenshots"


@pytest.fixture
def screenshot(qapp):
    """screenshot(name, screen=0) -> path of a PNG of that whole monitor, under out/screenshots/."""

    def take(name: str, screen: int = 0) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        target = qapp.screens()[screen]
        size = target.size()
        path = SCREENSHOTS / f"{name}.png"
        # Window 0 is the X root; the rectangle is relative to the monitor. Native children are included.
        if not target.grabWindow(0, 0, 0, size.width(), size.height()).save(str(path)):
            raise OSError(f"could not save {path}")
        return path

    return take
