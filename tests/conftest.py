"""Test session set-up: every GUI test runs in real windows on a two-monitor Xvfb display."""
from __future__ import annotations

import os
import sys
from pathlib import Path

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
