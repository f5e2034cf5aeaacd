"""Frame-based liveness: is a tile really live, at what frame rate, and how old is its newest frame.

Qt-free so the rules can be tested without a display. The tile feeds it the backend's count of displayed
frames a few times a second; a camera is live only while that count keeps rising. A player that says
"playing" but shows no new frames is not live: a frozen frame must never pass for live.
"""
from __future__ import annotations

from collections import deque

# The rule: frames stopped for more than this many seconds means NO SIGNAL.
STALE_AFTER_S = 2.0
# The frame rate is averaged over this window; libvlc publishes its counters about every 0.3 s, so a
# shorter window would make the figure jump.
FPS_WINDOW_S = 2.0


class LivenessMeter:
    """Tracks one camera's displayed-frame counter over time. Call `restart` at every (re)connect.

    The counter starts again at 0 with each connection; the time of the camera's newest frame survives
    reconnections so its age keeps growing while the camera is down. Only a frame on the current
    connection makes the camera live again.
    """

    def __init__(self, stale_after_s: float = STALE_AFTER_S, fps_window_s: float = FPS_WINDOW_S):
        self.stale_after_s = stale_after_s
        self.fps_window_s = fps_window_s
        self._last_frame_at: float | None = None
        self.restart(0.0)

    def restart(self, now: float) -> None:
        self.connected_at = now
        self._last_count = 0
        self._frames_on_connection = False
        self._samples: deque[tuple[float, int]] = deque([(now, 0)])

    def sample(self, now: float, frames_displayed: int) -> None:
        """Record the backend's frame counter (frames displayed since the last restart) at time `now`."""
        if frames_displayed > self._last_count:
            if not self._frames_on_connection:
                self._samples.clear()  # the rate counts from the first frame, not from the connection attempt
            self._last_frame_at = now
            self._frames_on_connection = True
        self._last_count = max(self._last_count, frames_displayed)
        self._samples.append((now, self._last_count))
        while len(self._samples) > 2 and self._samples[1][0] <= now - self.fps_window_s:
            self._samples.popleft()

    def last_frame_age(self, now: float) -> float | None:
        """Seconds since the counter last rose, or None if this camera never showed a frame."""
        return None if self._last_frame_at is None else max(0.0, now - self._last_frame_at)

    def is_live(self, now: float) -> bool:
        age = self.last_frame_age(now)
        return self._frames_on_connection and age is not None and age <= self.stale_after_s

    def fps(self, now: float) -> float | None:
        """Frames per second displayed over the last window; 0 unless live, None until measurable."""
        if not self.is_live(now):
            return 0.0
        (t0, n0), (t1, n1) = self._samples[0], self._samples[-1]
        return (n1 - n0) / (t1 - t0) if t1 > t0 else None
