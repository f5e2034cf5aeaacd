"""Replay at scale: a day of a big city's log, seeks, scrubbing, playing at 1000x, and its report.

The workload is deterministic: `bench/replay_state.py` generates (and caches under out/bench/) a log of
1,000,000 and one of 5,000,000 events (500 units reporting every 10 s, incidents with their dispatches,
status changes and closings, camera observations), written through the server's own keyframe writer.

Prints `name value unit` lines:
  seek_1m_state_p95_ms, seek_5m_state_p95_ms, keyframes_mb_per_m_events, log_mb_per_m_events,
  density_day_ms                          (from bench/replay_state.py: the Qt-free history core)
  open_replay_ms          a replay window from its creation to the first frame showing the log's state
  seek_5m_frame_p95_ms    a seek to a random instant until the map's frame shows that instant's state
  scrub_frame_p95_ms      the GUI's frames while the timeline is dragged across the day (60 seeks/s)
  play_1000x_frame_p95_ms the GUI's frames while playing at 1000x
  report_day_s            the after-action report of one day of the 5 M log
  rss_mb                  the replay process's peak resident memory
"""
from __future__ import annotations

import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path


ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tests"))
from support.measure import percentile  # noqa: E402 (the path first)

SEEKS = 60
SCRUB_S = 5.0
PLAY_S = 5.0


def _pump_until(app, condition, timeout: float = 30.0) -> None:
    deadline = time.perf_counter() + timeout
    while not condition():
        if time.perf_counter() > deadline:
            raise TimeoutError("the replay window did not get there in time")
        app.processEvents()
        time.sleep(0.0005)


def window_figures(log: Path) -> dict[str, float]:
    from support.xvfb import on_xvfb

    with on_xvfb():
        from console.app import application
        from console.replay import LogReader
        from console.replay_window import ReplayWindow

        from layers.synthetic import make_city
        from replay_state import CAMERAS, UNITS

        app = application()
        # The log names the synthetic city, which is generated, not shipped: the window is given it.
        pack = make_city(cameras=CAMERAS, grids=300, units=UNITS, incidents=0).pack
        started = time.perf_counter()
        window = ReplayWindow(LogReader(log))
        window.city_requested = "synthetic"  # before its welcome names it: not looked for among the packs
        window.canvas.set_city(pack)
        window.canvas.cityLoaded.emit(pack)
        window.setGeometry(0, 0, 1600, 1000)
        window.show()
        frames = window.canvas.view

        _pump_until(app, lambda: window.city is not None and window.info is not None and window.live.seq > 0
                    and frames.frames > 0, timeout=60)
        opened_ms = (time.perf_counter() - started) * 1000
        clock = window.clock
        rng = random.Random(7)

        seek_ms = []
        for _ in range(SEEKS):
            instant = rng.uniform(clock.start, clock.end)
            expected = window.replay.reader.seq_at(instant)
            painted = frames.frames
            begun = time.perf_counter()
            clock.seek(instant)
            _pump_until(app, lambda: window.live.seq == expected and frames.frames > painted)
            seek_ms.append((time.perf_counter() - begun) * 1000)

        def frame_times(seconds: float, each_frame) -> list[float]:
            """Milliseconds between painted frames while `each_frame(k)` runs once per pass of the loop."""
            times, last_count, last = [], frames.frames, time.perf_counter()
            end = last + seconds
            k = 0
            while time.perf_counter() < end:
                each_frame(k)
                k += 1
                app.processEvents()
                if frames.frames != last_count:
                    now = time.perf_counter()
                    times.append((now - last) * 1000)
                    last, last_count = now, frames.frames
            return times

        span = clock.end - clock.start
        scrub_from = clock.start + span * 0.3
        scrub = frame_times(SCRUB_S, lambda k: clock.seek(scrub_from + (k % 600) * span / 2000)
                            if k % 8 == 0 else None)
        clock.seek(clock.start + span * 0.5)
        _pump_until(app, lambda: window.live.seq >= window.replay.reader.seq_at(clock.start + span * 0.5))
        clock.set_speed(1000)
        clock.play()
        play = frame_times(PLAY_S, lambda k: None)
        clock.pause()
        window.close()
    return {"open_replay_ms": opened_ms, "seek_5m_frame_p95_ms": percentile(seek_ms, 95),
            "scrub_frame_p95_ms": percentile(scrub, 95), "play_1000x_frame_p95_ms": percentile(play, 95)}


def report_seconds(log: Path) -> float:
    from dispatch.history import History
    from dispatch.store import EventStore
    from reports.export import write_report

    bounds = History(EventStore(log)).bounds()
    with tempfile.TemporaryDirectory() as folder:
        begun = time.perf_counter()
        write_report(log, "live", bounds.first_ts, min(bounds.last_ts, bounds.first_ts + 86400),
                     Path(folder) / "report")
        return time.perf_counter() - begun


def main() -> None:
    import replay_state

    for line in replay_state.figures():
        print(line, flush=True)
    log = replay_state.generate_log(replay_state.cached_path(5_000_000), 5_000_000)
    print(f"report_day_s {report_seconds(log):.2f} s", flush=True)
    figures = window_figures(log)
    print(f"open_replay_ms {figures['open_replay_ms']:.0f} ms")
    for name in ("seek_5m_frame_p95_ms", "scrub_frame_p95_ms", "play_1000x_frame_p95_ms"):
        print(f"{name} {figures[name]:.1f} ms")
    print(f"rss_mb {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    os.environ.setdefault("LANGUAGE", "en")
    main()
