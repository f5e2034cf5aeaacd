"""Camera online rates, overall and per grid cell, counting only what was observed. No Qt.

The console keeps each camera's last observed state ("online", "offline" or "unknown", from the server's
`camera.status_changed` events, which the prober and the video walls cause) and its grid cell, and feeds
the pairs here. A camera nobody has observed is not offline, and not online either: it is counted apart
and left out of every rate. `by_cell` is ready for `GridLayer.set_values`.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Iterable

from dispatch.domain import CAMERA_STATES


@dataclass(frozen=True)
class OnlineRates:
    online: int
    offline: int
    unknown: int
    overall: float | None                    # online / observed; None when no camera was observed
    by_cell: dict[str, float] = field(default_factory=dict)  # grid_id -> online / observed, observed cells only

    @property
    def observed(self) -> int:
        return self.online + self.offline

    @property
    def total(self) -> int:
        return self.observed + self.unknown


def online_rates(cameras: Iterable[tuple[str | None, str]]) -> OnlineRates:
    """Rates from (grid_id, state) pairs, one per camera; cameras outside every cell count only overall."""
    counts = dict.fromkeys(CAMERA_STATES, 0)
    cell_online: dict[str, int] = defaultdict(int)
    cell_observed: dict[str, int] = defaultdict(int)
    for grid_id, state in cameras:
        if state not in counts:
            raise ValueError(f"camera state {state!r} is not one of {', '.join(CAMERA_STATES)}")
        counts[state] += 1
        if grid_id is not None and state != "unknown":
            cell_observed[grid_id] += 1
            cell_online[grid_id] += state == "online"
    observed = counts["online"] + counts["offline"]
    return OnlineRates(
        online=counts["online"],
        offline=counts["offline"],
        unknown=counts["unknown"],
        overall=counts["online"] / observed if observed else None,
        by_cell={cell: cell_online[cell] / count for cell, count in cell_observed.items()},
    )
