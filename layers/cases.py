"""Grid cases (网格事件) on the map: every case of the state, the open ones drawn, coloured by status; an
overdue mark the console sets from its clock (overdue is a reading of the clock, never a field of a case)."""
from __future__ import annotations

from typing import Iterable

import numpy as np

from dispatch.grid_cases import CASE_STATUSES, FINAL_CASE_STATUSES
from layers import style
from layers.model import Change
from layers.points import PointLayer

CASE_STATUS_CODE = {status: code for code, status in enumerate(CASE_STATUSES)}
_FINAL_CODES = [CASE_STATUS_CODE[s] for s in FINAL_CASE_STATUSES]


class CaseLayer(PointLayer):
    """Cases keyed by case_id; closed and rejected ones stay in the model, undrawn."""

    name = "cases"
    title = "Grid cases"
    id_field = "case_id"
    columns = {"category": (object, ""), "grid_id": (object, None), "status": (np.int8, CASE_STATUS_CODE["reported"]),
               "overdue": (np.bool_, False)}

    def _convert(self, column, value):
        if column == "status":
            return CASE_STATUS_CODE[value] if isinstance(value, str) else value
        return value

    def record(self, row: int) -> dict:
        out = super().record(row)
        out["status"] = CASE_STATUSES[out["status"]]
        return out

    def drawn(self) -> np.ndarray:
        return ~np.isin(self.data["status"], _FINAL_CODES)

    def set_overdue(self, case_ids: Iterable[str]) -> bool:
        """Mark exactly these cases overdue; True (and listeners told where) when a mark changed."""
        wanted = np.zeros(len(self.ids), dtype=bool)
        rows = [r for r in (self.row(c) for c in case_ids) if r is not None]
        wanted[rows] = True
        flipped = np.flatnonzero(wanted != self.data["overdue"])
        if not len(flipped):
            return False
        self.data["overdue"] = wanted
        self._changed(Change.at(self.x[flipped], self.y[flipped]))
        return True

    def legend(self):
        return [(status, style.CASE_STATUS_COLORS[status]) for status in CASE_STATUSES
                if status not in FINAL_CASE_STATUSES] + [("overdue", style.CASE_OVERDUE)]
