"""Video wall benchmark: CPU and displayed frame rate for 4, 9 and 16 tiles of 640x360 at 25 fps.

Runs its own Xvfb (one 1920x1080 monitor) and its own loopback VLC stream server, plays a full-screen wall
of each size, and prints only `name value unit` lines on stdout:

    tiles4_cpu_pct, tiles4_min_fps, tiles9_cpu_pct, tiles9_min_fps, tiles16_cpu_pct, tiles16_min_fps

CPU is this process's user + system time (every thread, libvlc's decoders included) over the measuring
window, as a percentage of one core. A tile's fps is the frames its player displayed (libvlc's counter)
between the first and the last time that counter moved inside the window, so the counter's ~0.3 s update
period does not round the figure. Target: 16 tiles at or under 100% of one core, every tile >= 24 fps.
"""
from __future__ import annotations

import os
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The Xvfb helper lives with the tests; add its folder by name only (tests/ itself holds a `video` folder
# that would shadow the video package).
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "support")]

from video.loopback_streams import StreamServer, make_media_dir, make_test_clip  # noqa: E402
from xvfb import start_xvfb  # noqa: E402

WALLS = ((4, "2x2"), (9, "3x3"), (16, "4x4"))
LIVE_DEADLINE_S = 30.0
WARM_UP_S = 3.0
MEASURE_S = 10.0
SAMPLE_MS = 40


def process_cpu_seconds() -> float:
    """User + system CPU seconds of this process, all threads, from /proc/self/stat."""
    with open("/proc/self/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class CounterWatch:
    """When a frame counter moved first and last within the window, and its values then."""

    def __init__(self):
        self.previous: int | None = None
        self.first: tuple[float, int] | None = None
        self.last: tuple[float, int] | None = None

    def sample(self, now: float, count: int) -> None:
        if self.previous is not None and count != self.previous:
            self.first = self.first or (now, count)
            self.last = (now, count)
        self.previous = count

    def fps(self) -> float:
        if self.first is None or self.last[0] <= self.first[0]:
            return 0.0
        return (self.last[1] - self.first[1]) / (self.last[0] - self.first[0])


def run_until(app, seconds: float, tick=None) -> None:
    """Run the Qt event loop for `seconds`, calling `tick()` every SAMPLE_MS."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    stop = QTimer(singleShot=True, interval=int(seconds * 1000))
    stop.timeout.connect(loop.quit)
    sampler = QTimer(interval=SAMPLE_MS)
    if tick is not None:
        sampler.timeout.connect(tick)
        sampler.start()
    stop.start()
    loop.exec()
    sampler.stop()


def measure(app, screen, clip: Path, tiles: int, layout: str) -> tuple[float, float]:
    from video.camera import Camera
    from video.tile import TileState
    from video.wall import Wall

    server = StreamServer(clip, "http", tuple(f"cam{i + 1}" for i in range(tiles)))
    server.start()
    wall = Wall(layout)
    try:
        wall.show_on_screen(screen)
        wall.fill(Camera(f"cam-{i + 1}", f"Camera {i + 1}", url) for i, url in enumerate(server.urls))
        deadline = time.monotonic() + LIVE_DEADLINE_S
        while not all(t.state == TileState.LIVE for t in wall.tiles):
            if time.monotonic() > deadline:
                raise RuntimeError(f"{layout}: not every tile went live within {LIVE_DEADLINE_S} s")
            run_until(app, 0.1)
        run_until(app, WARM_UP_S)

        watches = [CounterWatch() for _ in wall.tiles]

        def tick() -> None:
            now = time.monotonic()
            for watch, tile in zip(watches, wall.tiles):
                watch.sample(now, tile.backend.frames_displayed())

        cpu0, t0 = process_cpu_seconds(), time.monotonic()
        run_until(app, MEASURE_S, tick)
        cpu_pct = 100.0 * (process_cpu_seconds() - cpu0) / (time.monotonic() - t0)
        return cpu_pct, min(watch.fps() for watch in watches)
    finally:
        wall.close()
        run_until(app, 0.2)  # let the players stop before the server goes
        server.close()


def main() -> int:
    display, xvfb = start_xvfb(two_monitors=False)
    os.environ["DISPLAY"] = display
    os.environ["QT_QPA_PLATFORM"] = "xcb"
    media = make_media_dir()
    try:
        from PySide6.QtWidgets import QApplication

        app = QApplication([sys.argv[0]])
        clip = make_test_clip(media, seconds=60)
        for tiles, layout in WALLS:
            cpu_pct, min_fps = measure(app, app.primaryScreen(), clip, tiles, layout)
            print(f"tiles{tiles}_cpu_pct {cpu_pct:.1f} %", flush=True)
            print(f"tiles{tiles}_min_fps {min_fps:.1f} fps", flush=True)
        return 0
    finally:
        shutil.rmtree(media, ignore_errors=True)
        xvfb.terminate()
        xvfb.wait(timeout=10)


if __name__ == "__main__":
    raise SystemExit(main())
