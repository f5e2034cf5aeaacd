"""The base of every layer model: a name, listeners, and a description of each change.

Layer models hold features as numpy columns and never import Qt; the map subscribes to them and
decides when to redraw (it coalesces changes into at most one frame per display refresh).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

_EMPTY = np.empty(0, dtype=np.float64)


@dataclass(frozen=True)
class Change:
    """What a layer change touched: everything, or only the features at these Web Mercator positions.

    Positions include where moved features were before the move, so a cached picture of the old place
    can be dropped too.
    """

    everything: bool
    x: np.ndarray = field(default_factory=lambda: _EMPTY)
    y: np.ndarray = field(default_factory=lambda: _EMPTY)

    @staticmethod
    def at(x, y) -> "Change":
        return Change(False, np.atleast_1d(np.asarray(x, dtype=np.float64)), np.atleast_1d(np.asarray(y, dtype=np.float64)))


Listener = Callable[[Change], None]


class LayerModel:
    """A named map layer model that tells its listeners what changed."""

    #: the layer's key in the map (e.g. "cameras"); subclasses set it.
    name = ""
    #: a human title for the layer panel and legends.
    title = ""

    def __init__(self):
        self._listeners: list[Listener] = []

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def unsubscribe(self, listener: Listener) -> None:
        self._listeners.remove(listener)

    def _changed(self, change: Change) -> None:
        for listener in list(self._listeners):
            listener(change)

    def legend(self) -> list[tuple[str, tuple[int, int, int]]]:
        """(label, RGB colour) pairs describing the layer's symbols."""
        return []
