"""OpenALPR agent webhooks (HTTP POSTs of JSON) read into plate reads.

The shapes, as documented by OpenALPR (openalpr/doc, source/app_integration.include, "JSON Group Results" and
"JSON Heartbeat"; https://doc.openalpr.com/):
- `alpr_group`: one vehicle seen by one camera: `agent_uid`, `camera_id`, `best_plate_number`,
  `best_confidence` (percent), `epoch_start` / `epoch_end` (milliseconds), `best_uuid` (the agent serves the
  image at http://AGENT:8355/img/{best_uuid}.jpg), `travel_direction` (degrees), `candidates`, `best_plate`, ...
- `heartbeat`: the agent's health once a minute: no read.
- `alpr_alert`: a group that hit one of the agent's own alert lists: `plate_number`, `epoch_time`,
  `agent_uid`, `camera_number`, `alert_list`, `list_type`, `description`, and the whole group under `group`.
  OpenALPR's documentation found here does not show this shape; the fields are as a receiver of Rekor Scout
  posts stores them (mibs510/OpenALPR-Webhook, apps/alpr/models/alpr_alert.py).
A read's time is when the vehicle was first seen (the group's `epoch_start`), not when the alert was raised.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, replace
from typing import Any

AGENT_IMAGE_PORT = 8355  # the agent's own web server, where images are fetched by uuid


@dataclass(frozen=True)
class PlateRead:
    agent_uid: str
    camera_id: str
    plate: str                # as read (anpr.plates.normalise makes its key)
    confidence: float         # 0-100
    time: float               # epoch seconds
    direction: float | None   # degrees, if the agent gives one
    image_url: str | None     # if the agent's address is known


def parse_webhook(body: bytes | str | dict, agent_host: str | None = None) -> PlateRead | None:
    """The plate read in an OpenALPR webhook body; None for a heartbeat; ValueError naming what is missing or
    wrong for anything else. With `agent_host` (the agent's address), the read carries its image's URL."""
    if isinstance(body, (bytes, str)):
        try:
            body = json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as error:
            raise ValueError(f"the body is not JSON: {error}") from None
    if not isinstance(body, dict):
        raise ValueError(f"the body is a JSON {type(body).__name__}, not an object")
    data_type = body.get("data_type")
    if data_type == "heartbeat":
        return None
    if data_type == "alpr_group":
        return _group_read(body, "", agent_host)
    if data_type == "alpr_alert":
        group = body.get("group")
        if not isinstance(group, dict):
            raise ValueError("alpr_alert: 'group' is missing or not an object")
        read = _group_read(group, "alpr_alert group: ", agent_host)
        if body.get("plate_number") is None:
            return read
        return replace(read, plate=_text(body, "plate_number", "alpr_alert: "))
    raise ValueError(f"data_type {data_type!r} is not alpr_group, alpr_alert or heartbeat")


def _group_read(group: dict, where: str, agent_host: str | None) -> PlateRead:
    agent_uid = _text(group, "agent_uid", where)
    camera_id = group.get("camera_id")
    if isinstance(camera_id, bool) or not isinstance(camera_id, (int, str)) or camera_id == "":
        raise ValueError(f"{where}'camera_id' is missing or not a number or text: {camera_id!r}")
    plate = _text(group, "best_plate_number", where)
    confidence = _number(group, "best_confidence", where)
    if not 0 <= confidence <= 100:
        raise ValueError(f"{where}'best_confidence' {confidence} is not a percentage (0-100)")
    epoch_ms = _number(group, "epoch_start", where)
    if epoch_ms <= 0:
        raise ValueError(f"{where}'epoch_start' {epoch_ms} is not a time in epoch milliseconds")
    direction = None
    if group.get("travel_direction") is not None:
        direction = _number(group, "travel_direction", where)
    image_url = None
    if agent_host is not None and group.get("best_uuid") is not None:
        image_url = f"http://{agent_host}:{AGENT_IMAGE_PORT}/img/{_text(group, 'best_uuid', where)}.jpg"
    return PlateRead(agent_uid, str(camera_id), plate, float(confidence), epoch_ms / 1000, direction, image_url)


def _text(body: dict, name: str, where: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{where}{name!r} is missing or not text: {value!r}")
    return value


def _number(body: dict, name: str, where: str) -> float:
    value: Any = body.get(name)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"{where}{name!r} is missing or not a number: {value!r}")
    return value
