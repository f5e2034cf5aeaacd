"""The camera drag-and-drop format shared by the map canvas, the camera list and the wall tiles.

MIME type `application/x-onemap-camera`, payload UTF-8 JSON {"camera_id", "name", "stream_url"}.
"""
from __future__ import annotations

import json

from PySide6.QtCore import QMimeData

from video.camera import Camera

CAMERA_MIME = "application/x-onemap-camera"


def camera_mime_data(camera: Camera) -> QMimeData:
    payload = {"camera_id": camera.camera_id, "name": camera.name, "stream_url": camera.stream_url}
    mime = QMimeData()
    mime.setData(CAMERA_MIME, json.dumps(payload).encode("utf-8"))
    mime.setText(camera.name)  # a readable fallback for drop targets that only take text
    return mime


def camera_from_mime(mime: QMimeData) -> Camera | None:
    """The camera a drag carries, or None when it carries no usable camera."""
    if not mime.hasFormat(CAMERA_MIME):
        return None
    try:
        camera = Camera.from_dict(json.loads(bytes(mime.data(CAMERA_MIME)).decode("utf-8")))
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
    return camera if camera.stream_url else None
