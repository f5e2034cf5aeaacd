"""Which checkpoint an ANPR camera reads at: (agent, camera) -> checkpoint (TOML, in a city pack as
`anpr_cameras.toml` or a file of its own; docs/anpr.md).

    [[camera]]
    agent_uid = "OA-2f1e..."   # the OpenALPR agent's uid, as its posts say it
    camera_id = 1642170416     # the agent's camera id (a number or text)
    checkpoint_id = "B02"      # the city pack's checkpoint (卡口)
"""
from __future__ import annotations

from pathlib import Path

from layers.tables import read_rows


class CameraTableError(ValueError):
    pass


class CameraTable:
    def __init__(self, checkpoints: dict[tuple[str, str], str] | None = None):
        self.checkpoints = checkpoints or {}

    def checkpoint(self, agent_uid: str, camera_id: str) -> str | None:
        return self.checkpoints.get((agent_uid, camera_id))

    @classmethod
    def load(cls, path: str | Path) -> "CameraTable":
        checkpoints: dict[tuple[str, str], str] = {}
        for where, row in read_rows(path, "camera", CameraTableError):
            if set(row) != {"agent_uid", "camera_id", "checkpoint_id"}:
                raise CameraTableError(f"{where}: give agent_uid, camera_id and checkpoint_id")
            agent, camera, checkpoint = row["agent_uid"], row["camera_id"], row["checkpoint_id"]
            if not isinstance(agent, str) or not agent or isinstance(camera, bool) \
                    or not isinstance(camera, (int, str)) or not isinstance(checkpoint, str) or not checkpoint:
                raise CameraTableError(f"{where}: agent_uid and checkpoint_id are text, camera_id a number or text")
            key = (agent, str(camera))
            if key in checkpoints:
                raise CameraTableError(f"{where}: agent {agent} camera {camera} is listed twice")
            checkpoints[key] = checkpoint
        return cls(checkpoints)
