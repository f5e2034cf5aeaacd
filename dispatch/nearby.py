"""What is near a point of the city: its nearest police station and the cameras around it (for alarms).

Positions are fixed by the city pack, so they are held as arrays once; a camera's state lives in the
dispatch state and is the rules' business (dispatch/commands.py), not this module's. Distances are on a
local flat earth of the sphere's radius around the point asked about (equirectangular): within a few
kilometres they are off the ellipsoid's by under 0.5 % (1.2 m in 300 m at Helsinki's 60° N), and a query
over 150,000 cameras is a few numpy operations.
"""
from __future__ import annotations

import math

import numpy as np

from dispatch.domain import DEFAULT_CAMERA_FOV_DEG

EARTH_RADIUS_M = 6_371_008.8
POLICE = "police"


def _offsets_m(lon: np.ndarray, lat: np.ndarray, at_lon: float, at_lat: float) -> tuple[np.ndarray, np.ndarray]:
    """(east, north) in metres of each point from (at_lon, at_lat)."""
    k = math.radians(1.0) * EARTH_RADIUS_M
    return (lon - at_lon) * k * math.cos(math.radians(at_lat)), (lat - at_lat) * k


def _distances_m(lon: np.ndarray, lat: np.ndarray, at_lon: float, at_lat: float) -> np.ndarray:
    return np.hypot(*_offsets_m(lon, lat, at_lon, at_lat))


def _nearest_first(ids: np.ndarray, distances: np.ndarray, chosen: np.ndarray) -> list[str]:
    """The chosen ids, nearest first (ties by id)."""
    return [str(ids[i]) for i in sorted(np.flatnonzero(chosen), key=lambda i: (distances[i], str(ids[i])))]


class Nearby:
    def __init__(self, station_ids, station_lon, station_lat, camera_ids, camera_lon, camera_lat,
                 camera_direction_deg=None, camera_fov_deg=None):
        """The police stations and the cameras of a city: ids and WGS84 positions, in the same order; where
        each camera faces and how wide it sees (degrees, NaN where the city pack does not say)."""
        self._stations = (np.asarray(station_ids, dtype=object), np.asarray(station_lon, dtype=np.float64),
                          np.asarray(station_lat, dtype=np.float64))
        self._cameras = (np.asarray(camera_ids, dtype=object), np.asarray(camera_lon, dtype=np.float64),
                         np.asarray(camera_lat, dtype=np.float64))
        unknown = np.full(len(self._cameras[0]), np.nan)
        self._direction = unknown if camera_direction_deg is None else np.asarray(camera_direction_deg, np.float64)
        fov = unknown if camera_fov_deg is None else np.asarray(camera_fov_deg, dtype=np.float64)
        self._half_fov = np.nan_to_num(fov, nan=DEFAULT_CAMERA_FOV_DEG) / 2

    @classmethod
    def of_city(cls, city) -> "Nearby":
        """`city` is a layers.citypack.CityPack: its stations of kind police, and all its cameras."""
        police = city.stations[city.stations["kind"] == POLICE]
        cameras = city.cameras
        return cls(police["station_id"], police.geometry.x, police.geometry.y,
                   cameras["camera_id"], cameras.geometry.x, cameras.geometry.y,
                   cameras["direction_deg"], cameras["fov_deg"])

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
        return _nearest_first(ids, distances, distances <= radius_m)

    def cameras_viewing(self, lon: float, lat: float, range_m: float) -> list[str]:
        """The ids of the cameras whose view covers (lon, lat), nearest first (ties by id): within `range_m`
        and, for a camera whose direction the city pack gives, facing it (within half its field of view;
        DEFAULT_CAMERA_FOV_DEG where the pack gives none). A camera facing no known way (a dome, or not
        surveyed) is taken to see all around."""
        ids, clon, clat = self._cameras
        if not len(ids):
            return []
        camera_east, camera_north = _offsets_m(clon, clat, lon, lat)  # each camera seen from the point
        distances = np.hypot(camera_east, camera_north)
        bearings = np.degrees(np.arctan2(-camera_east, -camera_north)) % 360  # the point seen from each camera
        off_axis = np.abs((bearings - self._direction + 180) % 360 - 180)
        facing = np.isnan(self._direction) | (off_axis <= self._half_fov) | (distances == 0)
        return _nearest_first(ids, distances, (distances <= range_m) & facing)


class AvailableUnits:
    """The available units nearest a point, straight-line on a local flat earth (ties by unit id), over a
    state's units held as arrays. The arrays follow the state by record identity: records are values, so a
    unit that changed is a new dict, and a query costs one identity pass over the units, not a Python
    distance per unit. One per namespace (the ledger's); a new one answers the same, only slower at first."""

    def __init__(self):
        self._records: list[dict] = []
        self._ids = np.empty(0, dtype=object)
        self._lon = np.empty(0)
        self._lat = np.empty(0)
        self._usable = np.empty(0, dtype=bool)  # available, with a position

    def nearest(self, units: dict[str, dict], lon: float, lat: float, count: int) -> list[str]:
        items = list(units.items())
        if len(items) != len(self._records):
            self._records = [None] * len(items)
            self._ids = np.empty(len(items), dtype=object)
            self._lon, self._lat = np.zeros(len(items)), np.zeros(len(items))
            self._usable = np.zeros(len(items), dtype=bool)
        records = self._records
        for row, (unit_id, unit) in enumerate(items):
            if unit is not records[row]:
                records[row] = unit
                self._ids[row] = unit_id
                usable = unit.get("status") == "available" and unit.get("lon") is not None and unit.get("lat") is not None
                self._usable[row] = usable
                self._lon[row], self._lat[row] = (unit["lon"], unit["lat"]) if usable else (0.0, 0.0)
        rows = np.flatnonzero(self._usable)
        if not len(rows) or count <= 0:
            return []
        scale = math.cos(math.radians(lat))
        squared = ((self._lon[rows] - lon) * scale) ** 2 + (self._lat[rows] - lat) ** 2
        if len(rows) > count:
            # every unit as near as the count-th nearest, so that ties at the edge go by id
            edge = np.partition(squared, count - 1)[count - 1]
            keep = squared <= edge
            rows, squared = rows[keep], squared[keep]
        order = sorted(range(len(rows)), key=lambda i: (squared[i], self._ids[rows[i]]))
        return [str(self._ids[rows[i]]) for i in order[:count]]
