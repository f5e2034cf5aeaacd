"""The one clock every time-dependent view reads: queue ages and overdue marks, details timers, the
incident heatmap's window, incident ages on the map, the status bar's time.

Live, it is the wall clock. In a replay it is the replayed instant: it plays in proportion to real time
(position = where play started + real seconds since x speed, never one event per tick), pauses, seeks,
jumps, steps from event to event, loops over a span, and can skip quiet stretches. Views connect to
`ticked` (time went on smoothly) and `jumped` (time moved at once: a seek, a step, a loop back).
"""
from __future__ import annotations

import bisect
import time
from typing import Callable

from PySide6.QtCore import QObject, QTimer, Signal

SPEEDS = (0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 1000.0)
MIN_SPEED, MAX_SPEED = 0.1, 1000.0
JUMPS_S = (15.0, 60.0, 900.0)
PLAY_FRAME_MS = 16  # a replay redraws at about 60 frames a second while playing
QUIET_S = 120.0  # a stretch this long without an incident or status event is quiet and may be skipped
QUIET_LEAD_S = 5.0  # a skip lands this long before the next event, so it is seen coming


class Clock(QObject):
    ticked = Signal(float)
    jumped = Signal(float)

    def now(self) -> float:
        raise NotImplementedError


class LiveClock(Clock):
    """The wall clock, ticking once a second."""

    def __init__(self, parent: QObject | None = None, interval_ms: int = 1000):
        super().__init__(parent)
        self._timer = QTimer(self, interval=interval_ms)
        self._timer.timeout.connect(lambda: self.ticked.emit(self.now()))
        self._timer.start()

    def now(self) -> float:
        return time.time()


class ReplayClock(Clock):
    """The replayed instant within [start, end]. `marks`: the times of the events worth stepping to
    (incidents, status changes, bookmarks), sorted; `set_marks` replaces them as they are read."""

    playingChanged = Signal(bool)
    speedChanged = Signal(float)
    loopChanged = Signal(object)  # (start, end) or None
    skipQuietChanged = Signal(bool)
    spanChanged = Signal(float, float)  # start, end: once the log says what it holds

    def __init__(self, start: float, end: float, parent: QObject | None = None,
                 monotonic: Callable[[], float] = time.monotonic):
        super().__init__(parent)
        if end < start:
            raise ValueError("a replay's span ends before it starts")
        self.start, self.end = start, end
        self._monotonic = monotonic
        self._position = start
        self._anchor: tuple[float, float] | None = None  # (real, position) when play last started
        self.speed = 1.0
        self.loop: tuple[float, float] | None = None
        self.skip_quiet = False
        self.marks: list[float] = []
        self._timer = QTimer(self, interval=PLAY_FRAME_MS)
        self._timer.timeout.connect(self._advance)

    # ---- reading ---------------------------------------------------------------------------------

    def now(self) -> float:
        if self._anchor is None:
            return self._position
        real, position = self._anchor
        return min(self.end, position + (self._monotonic() - real) * self.speed)

    @property
    def playing(self) -> bool:
        return self._anchor is not None

    def set_span(self, start: float, end: float) -> None:
        """The span replayed, once the log says what it holds; the clock stays within it."""
        if end < start:
            raise ValueError("a replay's span ends before it starts")
        self.start, self.end = start, end
        self.seek(self.now())
        self.spanChanged.emit(start, end)

    # ---- controls --------------------------------------------------------------------------------

    def play(self) -> None:
        if self.playing:
            return
        if self._position >= self.end:  # at the end, play starts again from the span's (or loop's) start
            self.seek(self.loop[0] if self.loop else self.start)
        self._anchor = (self._monotonic(), self._position)
        self._timer.start()
        self.playingChanged.emit(True)

    def pause(self) -> None:
        if not self.playing:
            return
        self._position = self.now()
        self._anchor = None
        self._timer.stop()
        self.playingChanged.emit(False)
        self.ticked.emit(self._position)

    def toggle(self) -> None:
        self.pause() if self.playing else self.play()

    def set_speed(self, speed: float) -> None:
        speed = min(MAX_SPEED, max(MIN_SPEED, float(speed)))
        if self.playing:  # re-anchor, so the change applies from now and time does not jump
            self._position = self.now()
            self._anchor = (self._monotonic(), self._position)
        self.speed = speed
        self.speedChanged.emit(speed)

    def seek(self, instant: float) -> None:
        self._position = min(self.end, max(self.start, float(instant)))
        if self.playing:
            self._anchor = (self._monotonic(), self._position)
        self.jumped.emit(self._position)

    def jump(self, seconds: float) -> None:
        self.seek(self.now() + seconds)

    def step(self, direction: int) -> bool:
        """To the next (1) or previous (-1) mark; False when there is none that way."""
        now = self.now()
        if direction > 0:
            index = bisect.bisect_right(self.marks, now + 1e-3)
            if index >= len(self.marks):
                return False
            target = self.marks[index]
        else:
            index = bisect.bisect_left(self.marks, now - 1e-3) - 1
            if index < 0:
                return False
            target = self.marks[index]
        self.seek(target)
        return True

    def set_marks(self, marks: list[float]) -> None:
        self.marks = sorted(marks)

    def set_loop(self, span: tuple[float, float] | None) -> None:
        """Loop over `span` (clipped to the replay's) or stop looping (None). A loop plays inside itself:
        from a time outside it, the clock goes to its start."""
        if span is not None:
            start, end = sorted(span)
            start, end = max(self.start, start), min(self.end, end)
            if end <= start:
                raise ValueError("a loop must span some time inside the replay")
            span = (start, end)
        self.loop = span
        self.loopChanged.emit(span)
        if span is not None and not span[0] <= self.now() < span[1]:
            self.seek(span[0])

    def set_skip_quiet(self, on: bool) -> None:
        self.skip_quiet = bool(on)
        self.skipQuietChanged.emit(self.skip_quiet)

    # ---- playing ---------------------------------------------------------------------------------

    def _advance(self) -> None:
        now = self.now()
        if self.loop is not None and now >= self.loop[1]:
            self.seek(self.loop[0])
            return
        if now >= self.end:
            self._position = self.end
            self._anchor = None
            self._timer.stop()
            self.ticked.emit(self.end)
            self.playingChanged.emit(False)
            return
        if self.skip_quiet:
            ahead = bisect.bisect_right(self.marks, now)
            following = self.marks[ahead] if ahead < len(self.marks) else self.end
            previous = self.marks[ahead - 1] if ahead > 0 else self.start
            if following - previous > QUIET_S and following - now > QUIET_LEAD_S + 1:
                self.seek(following - QUIET_LEAD_S)
                return
        self.ticked.emit(now)
