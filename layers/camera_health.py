"""Camera online rates, overall and per grid cell, from the live state the video walls report. No Qt.

The console keeps each camera's online flag (the city pack's value, then every `cameraOnlineChanged` from a
wall) and its grid cell, and feeds the pairs here; `by_cell` is ready for `GridLayer.set_values`.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Iterable


@dataclass(frozen=True)
class OnlineRates:
    online: int
    total: int
    overall: float | None                    # online / total; None when there are no cameras
    by_cell: dict[str, float] = field(default_factory=dict)  # grid_id -> online / total in that cell


def online_rates(cameras: Iterable[tuple[str | None, bool]]) -> OnlineRates:
    """Rates from (grid_id, online) pairs, one per camera; cameras outside every cell count only overall."""
    online = total = 0
    cell_online: dict[str, int] = defaultdict(int)
    cell_total: dict[str, int] = defaultdict(int)
    for grid_id, is_online in cameras:
        total += 1
        online += bool(is_online)
        if grid_id is not None:
            cell_total[grid_id] += 1
            cell_online[grid_id] += bool(is_online)
    return OnlineRates(
        online=online,
        total=total,
        overall=online / total if total else None,
        by_cell={cell: cell_online[cell] / count for cell, count in cell_total.items()},
    )
