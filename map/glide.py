"""An arrow key's pan, spread over a few frames.

Jumped in one frame, a key pan uncovers a fifth of the view that nothing has drawn ahead (55 ms at street
level, measured) and the eye loses its place. Glided over GLIDE_S it is a run of small pans, each as cheap as
a step of a mouse drag, and the dispatcher sees which way the map went. Held down, the key's repeats keep
the glide going at one key step per GLIDE_S.
"""
from __future__ import annotations

import math

GLIDE_S = 0.15


class Glide:
    """The part of a key pan still to move, in fractions of the view (east and north positive)."""

    def __init__(self):
        self.fx = self.fy = 0.0
        self._last = self._end = 0.0

    @property
    def active(self) -> bool:
        return self.fx != 0.0 or self.fy != 0.0

    def push(self, fx: float, fy: float, now: float) -> None:
        """Add a key step; what is left to move is capped at one step per axis (a held key's repeats
        would otherwise pile up and run on long after the key is let go)."""
        self.fx = _capped(self.fx + fx, abs(fx))
        self.fy = _capped(self.fy + fy, abs(fy))
        self._last, self._end = now, now + GLIDE_S

    def step(self, now: float) -> tuple[float, float]:
        """The move for a frame at `now`: the share of what is left that ends the glide on time."""
        span = self._end - self._last
        share = 1.0 if now >= self._end or span <= 0 else max(0.0, now - self._last) / span
        fx, fy = self.fx * share, self.fy * share
        self.fx, self.fy = self.fx - fx, self.fy - fy
        self._last = max(self._last, now)
        return fx, fy

    def stop(self) -> None:
        self.fx = self.fy = 0.0


def _capped(value: float, cap: float) -> float:
    return math.copysign(min(abs(value), cap), value) if cap > 0 else value
