"""A virtual X display with two side-by-side monitors, for tests and screenshot scripts.

Xvfb's +xinerama puts both heads at 0,0, so one wide screen is split into two RandR monitors instead
(../shared/STACK-NOTES.md); -noreset keeps the monitors alive when the last client disconnects.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import time
from pathlib import Path

MONITOR_W, MONITOR_H = 1920, 1080


class XvfbError(RuntimeError):
    pass


def _free_display() -> int:
    for n in range(90, 200):
        if not Path(f"/tmp/.X{n}-lock").exists() and not Path(f"/tmp/.X11-unix/X{n}").exists():
            return n
    raise XvfbError("no free X display number between :90 and :199")


def start_xvfb(two_monitors: bool = True, timeout: float = 10.0) -> tuple[str, subprocess.Popen]:
    """Start Xvfb and return (DISPLAY, process). The caller terminates the process."""
    if shutil.which("Xvfb") is None:
        raise XvfbError("Xvfb is not installed: run scripts/install.sh")
    n = _free_display()
    display = f":{n}"
    width = MONITOR_W * (2 if two_monitors else 1)
    proc = subprocess.Popen(
        ["Xvfb", display, "-screen", "0", f"{width}x{MONITOR_H}x24", "-nolisten", "tcp", "-noreset"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    socket = Path(f"/tmp/.X11-unix/X{n}")
    deadline = time.monotonic() + timeout
    while not socket.exists():
        if proc.poll() is not None:
            raise XvfbError(f"Xvfb {display} exited with code {proc.returncode}")
        if time.monotonic() > deadline:
            proc.kill()
            raise XvfbError(f"Xvfb {display} did not start within {timeout} s")
        time.sleep(0.02)
    if two_monitors:
        env = {**os.environ, "DISPLAY": display}
        mm_w, mm_h = 508, 286
        for name, x, output in (("LEFT", 0, "screen"), ("RIGHT", MONITOR_W, "none")):
            subprocess.run(
                ["xrandr", "--setmonitor", name, f"{MONITOR_W}/{mm_w}x{MONITOR_H}/{mm_h}+{x}+0", output],
                env=env, check=True, capture_output=True,
            )
    return display, proc


@contextlib.contextmanager
def on_xvfb(two_monitors: bool = False):
    """Run the block's Qt windows on a fresh Xvfb (for scripts: tests get theirs from conftest.py)."""
    display, proc = start_xvfb(two_monitors=two_monitors)
    os.environ["DISPLAY"] = display
    os.environ["QT_QPA_PLATFORM"] = "xcb"
    try:
        yield display
    finally:
        proc.terminate()
        proc.wait(timeout=10)
