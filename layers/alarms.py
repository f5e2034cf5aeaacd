"""Alarms on the map: every alarm of the state, the open ones drawn (raised ones pulse, map/live.py)."""
from __future__ import annotations

import numpy as np

from dispatch.domain import ALARM_STATUSES, OPEN_ALARM_STATUSES
from layers import style
from layers.points import PointLayer

ALARM_STATUS_CODE = {status: code for code, status in enumerate(ALARM_STATUSES)}
RAISED = ALARM_STATUS_CODE["raised"]
_OPEN_CODES = [ALARM_STATUS_CODE[s] for s in OPEN_ALARM_STATUSES]


class AlarmLayer(PointLayer):
    """Alarms keyed by alarm_id; those ended (an incident, a false alarm) stay in the model, undrawn."""

    name = "alarms"
    title = "Alarms"
    id_field = "alarm_id"
    columns = {"kind": (object, ""), "device_id": (object, ""), "status": (np.int8, RAISED)}

    def _convert(self, column, value):
        if column == "status":
            return ALARM_STATUS_CODE[value] if isinstance(value, str) else value
        return value

    def record(self, row: int) -> dict:
        out = super().record(row)
        out["status"] = ALARM_STATUSES[out["status"]]
        return out

    def drawn(self) -> np.ndarray:
        return np.isin(self.data["status"], _OPEN_CODES)

    def raised(self) -> np.ndarray:
        """Mask of the alarms nobody has acknowledged yet: the ones that pulse."""
        return self.data["status"] == RAISED

    def legend(self):
        return [("raised", style.ALARM_RAISED), ("acknowledged", style.ALARM_ACKNOWLEDGED)]
