"""Coordinate systems a command centre meets, converted to and from WGS84 (EPSG:4326).

PROJ knows EPSG codes (WGS84, CGCS2000 = EPSG:4490, UTM, ...) but not the two Chinese offset systems
in every Chinese web map: GCJ-02 ("Mars coordinates", AutoNavi/Tencent/Google China) and BD-09 (Baidu).
Those are implemented here from the published algorithms (the formulas in the widely circulated
`Wgs84ToGcj02` code, as used by coordtransform, eviltransform and PRCoords). Their inverses have no
closed form, so they are inverted by fixed-point iteration to well under a millimetre.

Every function takes numpy arrays or scalars and returns the same shape (scalars come back as
numpy float64, which is a float). Longitude comes first everywhere (x, y order).
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

WGS84 = "EPSG:4326"
CGCS2000 = "EPSG:4490"
GCJ02 = "GCJ-02"
BD09 = "BD-09"

_ALIASES = {
    "EPSG:4326": WGS84,
    "OGC:CRS84": WGS84,  # GeoJSON's own name for WGS84 lon/lat
    "WGS84": WGS84,
    "WGS-84": WGS84,
    "EPSG:4490": CGCS2000,
    "CGCS2000": CGCS2000,
    "GCJ-02": GCJ02,
    "GCJ02": GCJ02,
    "BD-09": BD09,
    "BD09": BD09,
}

# Krasovsky 1940 ellipsoid, as the GCJ-02 algorithm uses it.
_KRASOVSKY_A = 6378245.0
_KRASOVSKY_EE = 0.00669342162296594323
_BD_X_PI = np.pi * 3000.0 / 180.0

# The rectangle the published algorithm treats as "China"; outside it GCJ-02 is WGS84 unchanged.
_CHINA_LON = (72.004, 137.8347)
_CHINA_LAT = (0.8293, 55.8271)

# Inversion stops when a step moves less than this (degrees, about 0.01 mm).
_INVERSE_TOLERANCE_DEG = 1e-10
_INVERSE_MAX_ITERATIONS = 30

_KNOWN_HINT = "use EPSG:4326, EPSG:4490, GCJ-02, BD-09 or any CRS PROJ knows"

_MERCATOR_RADIUS = 6378137.0
MERCATOR_MAX_LAT = 85.05112878


def canonical_crs(crs: str) -> str:
    """The canonical spelling of `crs`: one of the constants above, or the string as given for PROJ.

    Raises ValueError naming `crs` when neither the aliases nor pyproj know it.
    """
    if not isinstance(crs, str) or not crs.strip():
        raise ValueError(f"unknown coordinate system {crs!r} ({_KNOWN_HINT})")
    key = crs.strip().upper()
    if key in _ALIASES:
        return _ALIASES[key]
    _pyproj_crs(crs.strip())  # raises ValueError if PROJ does not know it
    return crs.strip()


def is_geographic(crs: str) -> bool:
    """True when `crs` gives longitude/latitude in degrees (so values must lie in [-180, 180] x [-90, 90])."""
    crs = canonical_crs(crs)
    return crs in (WGS84, CGCS2000, GCJ02, BD09) or _pyproj_crs(crs).is_geographic


def to_wgs84(x, y, crs: str):
    """Convert coordinates given in `crs` to WGS84 (lon, lat)."""
    crs = canonical_crs(crs)
    x, y, scalar = _as_arrays(x, y)
    if crs == WGS84:
        lon, lat = x.copy(), y.copy()
    elif crs == GCJ02:
        lon, lat = _gcj02_to_wgs84(x, y)
    elif crs == BD09:
        lon, lat = _gcj02_to_wgs84(*_bd09_to_gcj02(x, y))
    else:
        lon, lat = _transformer(crs, WGS84).transform(x, y)
    return _shaped(lon, lat, scalar)


def from_wgs84(lon, lat, crs: str):
    """Convert WGS84 (lon, lat) to coordinates in `crs`."""
    crs = canonical_crs(crs)
    lon, lat, scalar = _as_arrays(lon, lat)
    if crs == WGS84:
        x, y = lon.copy(), lat.copy()
    elif crs == GCJ02:
        x, y = _wgs84_to_gcj02(lon, lat)
    elif crs == BD09:
        x, y = _gcj02_to_bd09(*_wgs84_to_gcj02(lon, lat))
    else:
        x, y = _transformer(WGS84, crs).transform(lon, lat)
    return _shaped(x, y, scalar)


def wgs84_to_mercator(lon, lat):
    """WGS84 to Web Mercator (EPSG:3857) metres; latitude is clamped to the square world."""
    lon, lat, scalar = _as_arrays(lon, lat)
    lat = np.clip(lat, -MERCATOR_MAX_LAT, MERCATOR_MAX_LAT)
    x = _MERCATOR_RADIUS * np.radians(lon)
    y = _MERCATOR_RADIUS * np.log(np.tan(np.pi / 4.0 + np.radians(lat) / 2.0))
    return _shaped(x, y, scalar)


def mercator_to_wgs84(x, y):
    """Web Mercator (EPSG:3857) metres to WGS84 (lon, lat)."""
    x, y, scalar = _as_arrays(x, y)
    lon = np.degrees(x / _MERCATOR_RADIUS)
    lat = np.degrees(2.0 * np.arctan(np.exp(y / _MERCATOR_RADIUS)) - np.pi / 2.0)
    lat = np.clip(lat, -MERCATOR_MAX_LAT, MERCATOR_MAX_LAT)
    return _shaped(lon, lat, scalar)


def in_china(lon, lat) -> np.ndarray:
    """True where the GCJ-02 algorithm applies an offset."""
    lon = np.asarray(lon, dtype=np.float64)
    lat = np.asarray(lat, dtype=np.float64)
    return (
        (lon >= _CHINA_LON[0]) & (lon <= _CHINA_LON[1]) & (lat >= _CHINA_LAT[0]) & (lat <= _CHINA_LAT[1])
    )


# --- GCJ-02 and BD-09 -------------------------------------------------------------------------


def _offset_lat(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    ret += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    ret += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    ret += (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    return ret


def _offset_lon(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    ret += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    ret += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    ret += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    return ret


def _wgs84_to_gcj02(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    dlat = _offset_lat(lon - 105.0, lat - 35.0)
    dlon = _offset_lon(lon - 105.0, lat - 35.0)
    rad_lat = np.radians(lat)
    magic = 1.0 - _KRASOVSKY_EE * np.sin(rad_lat) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_KRASOVSKY_A * (1.0 - _KRASOVSKY_EE)) / (magic * sqrt_magic) * np.pi)
    dlon = (dlon * 180.0) / (_KRASOVSKY_A / sqrt_magic * np.cos(rad_lat) * np.pi)
    china = in_china(lon, lat)
    return np.where(china, lon + dlon, lon), np.where(china, lat + dlat, lat)


def _gcj02_to_wgs84(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return _invert(_wgs84_to_gcj02, lon, lat, start=(lon, lat))


def _gcj02_to_bd09(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    z = np.hypot(lon, lat) + 0.00002 * np.sin(lat * _BD_X_PI)
    theta = np.arctan2(lat, lon) + 0.000003 * np.cos(lon * _BD_X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def _bd09_to_gcj02(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    # The published closed-form inverse is off by up to ~1e-6 degrees; refine it by iteration.
    x, y = lon - 0.0065, lat - 0.006
    z = np.hypot(x, y) - 0.00002 * np.sin(y * _BD_X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _BD_X_PI)
    return _invert(_gcj02_to_bd09, lon, lat, start=(z * np.cos(theta), z * np.sin(theta)))


def _invert(forward, lon: np.ndarray, lat: np.ndarray, start) -> tuple[np.ndarray, np.ndarray]:
    """Solve forward(x, y) == (lon, lat) by fixed-point iteration; the offsets vary slowly, so it converges."""
    x, y = np.array(start[0], dtype=np.float64), np.array(start[1], dtype=np.float64)
    for _ in range(_INVERSE_MAX_ITERATIONS):
        fx, fy = forward(x, y)
        dx, dy = fx - lon, fy - lat
        x -= dx
        y -= dy
        if not (np.nanmax(np.abs(dx), initial=0.0) > _INVERSE_TOLERANCE_DEG
                or np.nanmax(np.abs(dy), initial=0.0) > _INVERSE_TOLERANCE_DEG):
            break
    return x, y


# --- PROJ -------------------------------------------------------------------------------------


@lru_cache(maxsize=64)
def _pyproj_crs(crs: str):
    import pyproj  # imported on first use: the offset systems and mercator never need it

    try:
        return pyproj.CRS.from_user_input(crs)
    except pyproj.exceptions.CRSError:
        raise ValueError(f"unknown coordinate system {crs!r} ({_KNOWN_HINT})") from None


@lru_cache(maxsize=64)
def _transformer(source: str, target: str):
    import pyproj

    return pyproj.Transformer.from_crs(_pyproj_crs(source), _pyproj_crs(target), always_xy=True)


# --- shapes -----------------------------------------------------------------------------------


def _as_arrays(x, y) -> tuple[np.ndarray, np.ndarray, bool]:
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if x.shape != y.shape:
        raise ValueError(f"x and y differ in shape: {x.shape} and {y.shape}")
    return x, y, x.ndim == 0


def _shaped(x, y, scalar: bool):
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if scalar:
        return np.float64(x.reshape(())), np.float64(y.reshape(()))
    return x, y
