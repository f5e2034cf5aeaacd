"""What is near a point of the city: its nearest police station and the cameras around it (for alarms).

Positions are fixed by the city pack, so they are held as arrays once; a camera's state lives in the
dispatch state and is the rules' business (dispatch/commands.py), not this module's. Distances are on a
local flat earth around the point asked about (equirectangular): within a few kilometres they are off by
far less than a metre, and a query over 150,000 cameras is a few numpy operations.
"""
from __future__ import annotations

import math

import numpy as np

EARTH_RADIUS_M = 6_371_008.8
POLICE = "police"


def _distances_m(lon: np.ndarray, lat: np.ndarray, at_lon: float, at_lat: float) -> np.ndarray:
    k = math.radians(1.0) * EARTH_RADIUS_M
    return np.hypot((lon - at_lon) * k * math.cos(math.radians(at_lat)), (lat - at_lat) * k)


class Nearby:
    def __init__(self, station_ids, station_lon, station_lat, camera_ids, camera_lon, camera_lat):
        """The police stations and the cameras of a city: ids and WGS84 positions, in the same order."""
        self._stations = (np.asarray(station_ids, dtype=object), np.asarray(station_lon, dtype=np.float64),
                          np.asarray(station_lat, dtype=np.float64))
        self._cameras = (np.asarray(camera_ids, dtype=object), np.asarray(camera_lon, dtype=np.float64),
                         np.asarray(camera_lat, dtype=np.float64))

    @classmethod
    def of_city(cls, city) -> "Nearby":
        """`city` is a layers.citypack.CityPack: its stations of kind police, and all its cameras."""
        police = city.stations[city.stations["kind"] == POLICE]
        return cls(police["station_id"], police.geometry.x, police.geometry.y,
                   city.cameras["camera_id"], city.cameras.geometry.x, city.cameras.geometry.y)

    def station(self, lon: float, lat: float) -> str | None:
        """The id of the police station nearest (lon, lat); None for a city without one."""
        ids, slon, slat = self._stations
        if not len(ids):
            return None
        return str(ids[int(np.argmin(_distances_m(slon, slat, lon, lat)))])

    def cameras(self, lon: float, lat: float, radius_m: float) -> list[str]:
        """The ids of the cameras within `radius_m` of (lon, lat), nearest first (ties by id)."""
        ids, clon, clat = self._cameras
        if not len(ids):
            return []
        distances = _distances_m(clon, clat, lon, lat)
        inside = np.flatnonzero(distances <= radius_m)
        return [str(ids[i]) for i in sorted(inside, key=lambda i: (distances[i], str(ids[i])))]
