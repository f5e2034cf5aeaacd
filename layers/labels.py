"""Map labels that never overlap: a greedy plan by priority, decided per block of the map at each level.

Labels are rectangles in *level pixels* (Web Mercator x * scale, -y * scale at a zoom level's scale).
Sources (layers) are asked in priority order; a label is placed only where no placed label is, so a
label of lower priority gives way to one of higher priority, and, within a layer, to the ones the layer
lists first. The map is cut into blocks of BLOCK_PX level pixels (a whole number of tiles); each block
is planned on its own from the labels anchored in it, and a label that would reach out of its block is
not placed. A block's plan depends only on the features in it, so every tile of the block (and every
tile its labels cross) reads the same plan: a label crossing a tile border is drawn in both or neither.
Zooming in to another level makes new blocks with room for the labels hidden before.

Cost: a label considered costs one occupancy test of the OCCUPANCY_CELL_PX cells its rectangle covers
(a few cells, each holding a few rectangles), O(1) a label; only labels of sources that draw names at
the level's scale are considered, once per block and level (cached), never per frame.
Qt-free: the map's renderers supply candidates with their text sizes.
"""
from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass
from typing import Callable

import numpy as np

BLOCK_PX = 1024  # four tiles of 256 pixels
OCCUPANCY_CELL_PX = 32
# Rectangles are kept this far apart: a drawn label is rounded to whole pixels (up to half a pixel off).
GAP_PX = 2.0
MIN_WIDTH_PX = 3.0  # no label is narrower (its halo and a pixel)
# Plans are kept for this many levels (the most recently used); a level dropped is reported to the map,
# which drops its labelled tiles at that level, so no cached tile outlives the plan it was drawn from.
PLAN_LEVELS = 6

Rect = tuple[float, float, float, float]  # (x0, y0, x1, y1) in level pixels, y down


@dataclass(frozen=True)
class Candidates:
    """Labels a source would like to draw, in its priority order: anchors in Web Mercator metres, and
    each rectangle's offset from its anchor's pixel (left, top) and height, in pixels. Widths are asked
    (`width(i)`, None: no label) only of labels whose first MIN_WIDTH_PX are free: measuring a text is
    most of a label's cost, and where names are dense most candidates start on a placed label."""

    keys: np.ndarray  # what the source draws the label from (e.g. its row)
    x: np.ndarray
    y: np.ndarray
    left: np.ndarray
    top: np.ndarray
    height: np.ndarray
    width: Callable[[int], "float | None"]


# A source: (scale in pixels per metre, box (xmin, ymin, xmax, ymax) in metres) -> candidates anchored in
# the box, or None when it draws no labels at that scale.
Source = Callable[[float, tuple[float, float, float, float]], "Candidates | None"]


def intersects(a: Rect, b: Rect) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


class Occupancy:
    """Rectangles placed so far, each listed in every OCCUPANCY_CELL_PX cell it covers."""

    def __init__(self, cell_px: float = OCCUPANCY_CELL_PX):
        self.cell = cell_px
        self._cells: dict[tuple[int, int], list[Rect]] = {}

    def _cells_of(self, r: Rect):
        c = self.cell
        for cy in range(math.floor(r[1] / c), math.floor(r[3] / c) + 1):
            for cx in range(math.floor(r[0] / c), math.floor(r[2] / c) + 1):
                yield cx, cy

    def free(self, r: Rect) -> bool:
        """No placed rectangle comes within GAP_PX of r."""
        g, c = GAP_PX, self.cell
        x0, y0, x1, y1 = r[0] - g, r[1] - g, r[2] + g, r[3] + g
        cells = self._cells
        for cy in range(math.floor(y0 / c), math.floor(y1 / c) + 1):
            for cx in range(math.floor(x0 / c), math.floor(x1 / c) + 1):
                for o in cells.get((cx, cy), ()):
                    if x0 < o[2] and o[0] < x1 and y0 < o[3] and o[1] < y1:
                        return False
        return True

    def add(self, r: Rect) -> None:
        for key in self._cells_of(r):
            self._cells.setdefault(key, []).append(r)

    def place(self, r: Rect) -> bool:
        """Add r if it is free; whether it was."""
        if not self.free(r):
            return False
        self.add(r)
        return True


class Block:
    """The plan of one block: what each source places in it, and the room they take."""

    __slots__ = ("occupancy", "placed")

    def __init__(self):
        self.occupancy = Occupancy()
        self.placed: dict[str, list[tuple[object, Rect]]] = {}  # source -> [(key, rect)], in placing order


class LabelPlan:
    """Which labels are drawn, per (level, block), from sources in priority order (first = highest)."""

    def __init__(self, block_px: int = BLOCK_PX, levels: int = PLAN_LEVELS):
        self.block_px = block_px
        self.max_levels = levels
        self.sources: list[tuple[str, Source]] = []
        self.inactive: set[str] = set()  # sources whose layer is hidden: their labels take no room
        self._levels: OrderedDict[int, tuple[float, dict[tuple[int, int], Block]]] = OrderedDict()
        #: called with a level whose plans were dropped (to drop the tiles drawn from them)
        self.level_dropped: Callable[[int], None] = lambda level: None

    def add_source(self, name: str, source: Source) -> None:
        """The next source, below the ones added before it in priority."""
        self.sources.append((name, source))

    def names_below(self, name: str) -> list[str]:
        names = [n for n, _ in self.sources]
        return names[names.index(name) + 1:]

    def set_active(self, name: str, active: bool) -> bool:
        """Whether the source's labels take part; True when that changed (the plan is then forgotten)."""
        if (name not in self.inactive) == active:
            return False
        (self.inactive.discard if active else self.inactive.add)(name)
        self.forget_all()
        return True

    # --- reading ---------------------------------------------------------------------------------

    def cached(self, level: int, bx: int, by: int) -> bool:
        entry = self._levels.get(level)
        return entry is not None and (bx, by) in entry[1]

    def block(self, level: int, scale: float, bx: int, by: int) -> Block:
        """The block's plan (computed on first use at a level, then kept)."""
        entry = self._levels.get(level)
        if entry is None:
            entry = self._levels[level] = (scale, {})
            while len(self._levels) > self.max_levels:
                dropped, _ = self._levels.popitem(last=False)
                self.level_dropped(dropped)
        else:
            self._levels.move_to_end(level)
        blocks = entry[1]
        found = blocks.get((bx, by))
        if found is None:
            found = blocks[(bx, by)] = self._plan(scale, bx, by)
        return found

    def placed(self, name: str, level: int, scale: float, x0: float, y0: float, x1: float, y1: float):
        """(key, rect) of the source's labels that reach into the level-pixel box [x0, x1) x [y0, y1)."""
        b = self.block_px
        out = []
        box = (x0, y0, x1, y1)
        for by in range(math.floor(y0 / b), math.floor((y1 - 1e-9) / b) + 1):
            for bx in range(math.floor(x0 / b), math.floor((x1 - 1e-9) / b) + 1):
                out.extend(kr for kr in self.block(level, scale, bx, by).placed.get(name, ()) if intersects(kr[1], box))
        return out

    def free(self, level: int, scale: float, r: Rect, compute: bool = True) -> bool | None:
        """Whether r (level pixels) keeps clear of every placed label; None when a block it touches is not
        planned yet and compute is False."""
        b = self.block_px
        for by in range(math.floor((r[1] - GAP_PX) / b), math.floor((r[3] + GAP_PX) / b) + 1):
            for bx in range(math.floor((r[0] - GAP_PX) / b), math.floor((r[2] + GAP_PX) / b) + 1):
                if not compute and not self.cached(level, bx, by):
                    return None
                if not self.block(level, scale, bx, by).occupancy.free(r):
                    return False
        return True

    # --- changes ---------------------------------------------------------------------------------

    def forget_all(self) -> None:
        self._levels.clear()

    def forget_near(self, x: np.ndarray, y: np.ndarray) -> dict[str, list[tuple[int, float, float]]]:
        """Plan again the kept blocks holding these positions (metres). Returns, per source whose labels
        changed there, (level, block centre x, y in metres) of each such block: its tiles need drawing again."""
        changed: dict[str, list[tuple[int, float, float]]] = {}
        b = self.block_px
        for level, (scale, blocks) in self._levels.items():
            keys = set(zip(np.floor(x * scale / b).astype(np.int64).tolist(),
                           np.floor(-y * scale / b).astype(np.int64).tolist()))
            for key in keys:
                old = blocks.get(key)
                if old is None:
                    continue
                new = blocks[key] = self._plan(scale, *key)
                centre = (level, (key[0] + 0.5) * b / scale, -(key[1] + 0.5) * b / scale)
                for name, _ in self.sources:
                    if old.placed.get(name, []) != new.placed.get(name, []):
                        changed.setdefault(name, []).append(centre)
        return changed

    def _plan(self, scale: float, bx: int, by: int) -> Block:
        b = self.block_px
        bx0, by0, bx1, by1 = bx * b, by * b, (bx + 1) * b, (by + 1) * b
        box_m = (bx0 / scale, -by1 / scale, bx1 / scale, -by0 / scale)
        block = Block()
        for name, source in self.sources:
            if name in self.inactive:
                continue
            c = source(scale, box_m)
            if c is None or not len(c.keys):
                continue
            px, py = c.x * scale, -c.y * scale
            # Anchored in this block (a box's edge belongs to one block only), and starting inside it.
            left, top = px + c.left, py + c.top
            bottom = top + c.height
            mine = ((np.floor(px / b) == bx) & (np.floor(py / b) == by)
                    & (left >= bx0) & (top >= by0) & (left + MIN_WIDTH_PX <= bx1) & (bottom <= by1))
            placed = []
            occupancy = block.occupancy
            chosen = np.flatnonzero(mine)
            for i, x0, y0, y1 in zip(chosen.tolist(), left[chosen].tolist(), top[chosen].tolist(), bottom[chosen].tolist()):
                if not occupancy.free((x0, y0, x0 + MIN_WIDTH_PX, y1)):
                    continue
                width = c.width(i)
                if width is None or x0 + width > bx1:  # no label, or one reaching out of its block
                    continue
                r = (x0, y0, x0 + width, y1)
                if occupancy.place(r):
                    placed.append((c.keys[i], r))
            block.placed[name] = placed
        return block
