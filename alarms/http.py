"""What panic apps post to the alarm gateway over HTTP, sans I/O (docs/alarm-gateway.md).

    POST /alarms
    Authorization: Bearer <one of the gateway's app tokens>
    Content-Type: application/json

    {"device_id": "app-13800138000", "kind": "panic", "lon": 113.7518, "lat": 23.0207,
     "ts": "2026-12-04T09:30:00+08:00", "text": "robbery at the bus stop", "media_url": "rtsp://..."}

`device_id`, `kind` (panic, audio, text, video, intrusion), `lon`, `lat` are required; `ts` (RFC 3339 with an
offset) is the gateway's receive time when absent; `text` and `media_url` are optional. The same device
posting again while its alarm is open sends its live location and words (OneMap updates the alarm).
OneMap checks every field as it checks any `alarm.raise` (docs/protocol.md); here only the shape.
"""
from __future__ import annotations

from datetime import datetime, timezone

import orjson

MAX_BODY_BYTES = 16 * 1024
FIELDS = {"device_id", "kind", "lon", "lat", "ts", "text", "media_url"}
REQUIRED = ("device_id", "kind", "lon", "lat")


class BadPost(ValueError):
    """A post that is not an alarm: its message says what is wrong (the HTTP answer is 400)."""


def alarm_command(body: bytes, received_at: float) -> tuple[str, dict]:
    if len(body) > MAX_BODY_BYTES:
        raise BadPost(f"the body is over {MAX_BODY_BYTES} bytes")
    try:
        post = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise BadPost(f"the body is not JSON: {exc}") from None
    if not isinstance(post, dict):
        raise BadPost("the body must be a JSON object")
    unknown = sorted(set(post) - FIELDS)
    if unknown:
        raise BadPost(f"unknown fields {', '.join(unknown)}: the fields are {', '.join(sorted(FIELDS))}")
    missing = [name for name in REQUIRED if post.get(name) is None]
    if missing:
        raise BadPost(f"missing {', '.join(missing)}")
    args = {name: value for name, value in post.items() if value is not None}
    args.setdefault("ts", datetime.fromtimestamp(received_at, timezone.utc).isoformat(timespec="milliseconds"))
    return "alarm.raise", args
