"""Plain camera records for the video module, and the nearest-camera search. No Qt, no GeoDataFrames.

The console builds these from the server's camera objects (camera_id, name, stream_url, a WGS84 point, the
grid cell it lies in, and its last observed state and since when), so the video module never depends on
geopandas. `online` is "last observed online"; `state` is "online", "offline" or "unknown" (never observed),
`state_ts` the RFC 3339 time of the observation that set it.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Iterable
from urllib.parse import urlsplit

EARTH_RADIUS_M = 6_371_008.8


@dataclass(frozen=True)
class Camera:
    camera_id: str
    name: str
    stream_url: str
    lon: float | None = None
    lat: float | None = None
    grid_id: str | None = None
    online: bool = True
    state: str = "unknown"
    state_ts: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, record: dict) -> "Camera":
        """Accepts any mapping with at least camera_id and stream_url; unknown keys are ignored."""
        return cls(
            camera_id=str(record["camera_id"]),
            name=str(record.get("name") or record["camera_id"]),
            stream_url=str(record["stream_url"]),
            lon=_optional_float(record.get("lon")),
            lat=_optional_float(record.get("lat")),
            grid_id=None if record.get("grid_id") is None else str(record["grid_id"]),
            online=bool(record.get("online", True)),
            state=str(record.get("state") or "unknown"),
            state_ts=None if record.get("state_ts") is None else str(record["state_ts"]),
        )

    def state_since(self) -> float | None:
        """When the current state was observed, in epoch seconds; None for a camera never observed."""
        if self.state_ts is None:
            return None
        return datetime.fromisoformat(self.state_ts.replace("Z", "+00:00")).timestamp()


def camera_for_source(source: str, index: int) -> Camera:
    """A camera record for a bare SOURCE given on the command line: a URL, or a path to a media file."""
    url = source if urlsplit(source).scheme else Path(source).resolve().as_uri()
    name = Path(urlsplit(url).path).name or url
    return Camera(camera_id=f"source-{index + 1}", name=name, stream_url=url)


def distance_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle (haversine) distance in metres between two WGS84 points."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlam = phi2 - phi1, math.radians(lon2 - lon1)
    h = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlam / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def nearest_cameras(cameras: Iterable[Camera], lon: float, lat: float, count: int) -> list[Camera]:
    """The `count` cameras nearest to (lon, lat), nearest first; cameras without a position are skipped.

    Ties are broken by camera_id so the same incident always fills a wall the same way.
    """
    placed = [c for c in cameras if c.lon is not None and c.lat is not None]
    placed.sort(key=lambda c: (distance_m(lon, lat, c.lon, c.lat), c.camera_id))
    return placed[:max(0, count)]


def _optional_float(value) -> float | None:
    if value is None:
        return None
    number = float(value)
    return None if math.isnan(number) else number
