"""A deterministic synthetic city at the scale of a large Chinese prefecture (Dongguan-like extent),
for the map benchmark, screenshots and tests: towns with street grids, cameras crowded around them,
a tessellation of grid cells, units and incidents. Same seed, same city.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from dispatch.domain import UNIT_STATUSES
from layers.citypack import CityPack, empty_layer

CENTER = (113.75, 23.02)
HALF_WIDTH_DEG = (0.26, 0.19)  # about 53 km x 42 km
STREET_NAMES = ["东城", "莞太", "南城", "石龙", "虎门", "厚街", "长安", "塘厦", "松山湖", "常平", "樟木头", "寮步"]


@dataclass
class SyntheticCity:
    pack: CityPack
    incidents: dict[str, np.ndarray]   # columns for IncidentLayer.set_arrays
    units: dict[str, np.ndarray]       # unit_id, lon, lat, status, heading, callsign


def _frame(columns: dict, geometry) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(columns, geometry=geometry, crs="EPSG:4326")


def make_city(cameras: int = 150_000, grids: int = 3_000, units: int = 5_000, incidents: int = 10_000,
              towns: int = 24, seed: int = 7, now: float = 1_750_000_000.0) -> SyntheticCity:
    rng = np.random.default_rng(seed)
    cx, cy = CENTER
    wx, wy = HALF_WIDTH_DEG
    lon0, lat0, lon1, lat1 = cx - wx, cy - wy, cx + wx, cy + wy
    town_lon = rng.uniform(lon0 + 0.03, lon1 - 0.03, towns)
    town_lat = rng.uniform(lat0 + 0.03, lat1 - 0.03, towns)
    town_r = rng.uniform(0.012, 0.022, towns)  # degrees, 1.2-2.3 km

    def near_towns(n: int, spread: float = 0.6):
        t = rng.integers(0, towns, n)
        return (town_lon[t] + rng.normal(0, 1, n) * town_r[t] * spread,
                town_lat[t] + rng.normal(0, 1, n) * town_r[t] * spread)

    streets = _streets(rng, (lon0, lat0, lon1, lat1), town_lon, town_lat, town_r)
    # Cameras: 80 % around towns, the rest anywhere.
    n_town = int(cameras * 0.8)
    clon, clat = near_towns(n_town)
    clon = np.concatenate([clon, rng.uniform(lon0, lon1, cameras - n_town)])
    clat = np.concatenate([clat, rng.uniform(lat0, lat1, cameras - n_town)])
    camera_ids = np.array([f"C{i:06d}" for i in range(cameras)], dtype=object)
    camera_frame = _frame({
        "camera_id": camera_ids,
        "name": np.array([f"摄像头 {i}" for i in range(cameras)], dtype=object),
        "kind": "camera", "stream_url": np.array([f"rtsp://cams.example/{i}" for i in range(cameras)], dtype=object),
        "online": rng.random(cameras) > 0.08,
        "direction_deg": rng.uniform(0, 360, cameras), "fov_deg": rng.uniform(50, 90, cameras),
    }, shapely.points(clon, clat))
    glon, glat = near_towns(600, 1.2)
    checkpoint_frame = _frame({
        "checkpoint_id": [f"K{i:04d}" for i in range(600)], "name": [f"卡口 {i}" for i in range(600)],
        "kind": np.where(rng.random(600) < 0.5, "bayonet", "checkpoint"),
    }, shapely.points(glon, glat))
    station_frame = _frame({
        "station_id": [f"S{i:02d}" for i in range(towns)], "name": [f"{STREET_NAMES[i % 12]}派出所" for i in range(towns)],
        "kind": "station",
    }, shapely.points(town_lon, town_lat))
    grid_frame, grid_areas = _grids(rng, (lon0, lat0, lon1, lat1), grids)
    ulon, ulat = near_towns(units, 1.0)
    unit_ids = np.array([f"U{i:04d}" for i in range(units)], dtype=object)
    unit_frame = _frame({"unit_id": unit_ids, "callsign": [f"粤S-{i:04d}" for i in range(units)],
                         "kind": "patrol_car", "station": ""}, shapely.points(ulon, ulat))
    areas = _areas(rng, (lon0, lat0, lon1, lat1), town_lon, town_lat)
    meta = {"name": "synthetic", "title": "Synthetic city", "title_zh": "合成城市",
            "center": [cx, cy], "zoom_extent": [lon0, lat0, lon1, lat1]}
    pack = CityPack(name="synthetic", root=Path("."), meta=meta, units=unit_frame, cameras=camera_frame,
                    checkpoints=checkpoint_frame, grids=grid_frame, streets=streets, stations=station_frame,
                    areas=areas, places=empty_layer("places"), grid_areas=grid_areas)
    ilon, ilat = near_towns(incidents, 0.8)
    incident_columns = {
        "ids": np.array([f"I{i:05d}" for i in range(incidents)], dtype=object), "lon": ilon, "lat": ilat,
        "kind": rng.choice(np.array(["theft", "traffic", "assault", "fire", "noise", "fraud"], dtype=object), incidents),
        "priority": rng.choice(np.arange(1, 6), incidents, p=[0.05, 0.15, 0.35, 0.3, 0.15]),
        "status": rng.choice(np.array(["new", "dispatched", "onscene"], dtype=object), incidents, p=[0.4, 0.3, 0.3]),
        "created_ts": now - rng.uniform(0, 24 * 3600, incidents),
    }
    status = rng.choice(np.array(UNIT_STATUSES, dtype=object), units, p=[0.45, 0.1, 0.12, 0.13, 0.1, 0.1])
    unit_columns = {"ids": unit_ids, "lon": ulon, "lat": ulat, "status": status,
                    "heading": rng.uniform(0, 360, units), "callsign": unit_frame["callsign"].to_numpy()}
    return SyntheticCity(pack, incident_columns, unit_columns)


def _streets(rng, box, town_lon, town_lat, town_r) -> gpd.GeoDataFrame:
    lon0, lat0, lon1, lat1 = box
    lines, names, highways = [], [], []

    def add_line(x, y, name, highway):
        lines.append(shapely.linestrings(np.column_stack([x, y])))
        names.append(name)
        highways.append(highway)

    # Arterials across the whole city, split at every crossing so each edge is one block.
    for spacing, highway in ((0.04, "primary"), (0.02, "secondary")):
        for k, lon in enumerate(np.arange(lon0 + spacing / 2, lon1, spacing)):
            ys = np.arange(lat0, lat1 + 1e-9, spacing / 4)
            xs = lon + np.cumsum(rng.normal(0, spacing * 0.01, len(ys)))
            for i in range(len(ys) - 1):
                add_line(xs[i:i + 2], ys[i:i + 2], f"{STREET_NAMES[k % 12]}{k}路", highway)
        for k, lat in enumerate(np.arange(lat0 + spacing / 2, lat1, spacing)):
            xs = np.arange(lon0, lon1 + 1e-9, spacing / 4)
            ys = lat + np.cumsum(rng.normal(0, spacing * 0.01, len(xs)))
            for i in range(len(xs) - 1):
                add_line(xs[i:i + 2], ys[i:i + 2], f"{STREET_NAMES[(k + 5) % 12]}{k}大道", highway)
    # Town street grids, slightly rotated, 150 m blocks, each block edge a street segment.
    step = 0.0015
    for t, (tx, ty, r) in enumerate(zip(town_lon, town_lat, town_r)):
        angle = rng.uniform(-0.4, 0.4)
        c, s = np.cos(angle), np.sin(angle)
        ticks = np.arange(-r, r + 1e-12, step)
        for i, a in enumerate(ticks):
            for j in range(len(ticks) - 1):
                b0, b1 = ticks[j], ticks[j + 1]
                for (u0, v0, u1, v1, axis) in ((a, b0, a, b1, "x"), (b0, a, b1, a, "y")):
                    if max(u0 * u0 + v0 * v0, u1 * u1 + v1 * v1) > r * r:
                        continue
                    x = tx + np.array([u0, u1]) * c - np.array([v0, v1]) * s
                    y = ty + np.array([u0, u1]) * s + np.array([v0, v1]) * c
                    highway = "tertiary" if i % 5 == 0 else "residential"
                    add_line(x, y, f"{STREET_NAMES[t % 12]}{'东西'[axis == 'y']}{i}街", highway)
    return gpd.GeoDataFrame({"u": np.arange(len(lines)), "v": np.arange(len(lines)) + 1, "name": names,
                             "highway": highways, "length_m": np.nan, "oneway": False},
                            geometry=lines, crs="EPSG:4326")


# The synthetic grid's hierarchy: blocks of cells are a community (社区), blocks of communities a town (镇).
CELLS_PER_COMMUNITY_SIDE = 4
COMMUNITIES_PER_TOWN_SIDE = 4


def _grids(rng, box, count: int) -> tuple[gpd.GeoDataFrame, dict[str, dict]]:
    """A jittered lattice of quadrilaterals that tile the box (neighbours share their corners), each cell in
    a community of the 4 x 4 cells around it, in a town of 4 x 4 communities, in the city; and those areas."""
    lon0, lat0, lon1, lat1 = box
    aspect = (lon1 - lon0) / (lat1 - lat0)
    ny = max(int(round(np.sqrt(count / aspect))), 1)
    nx = max(int(round(count / ny)), 1)
    gx = np.linspace(lon0, lon1, nx + 1)
    gy = np.linspace(lat0, lat1, ny + 1)
    X, Y = np.meshgrid(gx, gy)
    jitter = 0.3 * (gx[1] - gx[0])
    X[1:-1, 1:-1] += rng.uniform(-jitter, jitter, (ny - 1, nx - 1))
    Y[1:-1, 1:-1] += rng.uniform(-jitter, jitter, (ny - 1, nx - 1))
    rings = np.stack([np.stack([X[:-1, :-1], Y[:-1, :-1]], -1), np.stack([X[:-1, 1:], Y[:-1, 1:]], -1),
                      np.stack([X[1:, 1:], Y[1:, 1:]], -1), np.stack([X[1:, :-1], Y[1:, :-1]], -1),
                      np.stack([X[:-1, :-1], Y[:-1, :-1]], -1)], axis=2).reshape(-1, 5, 2)
    polygons = shapely.polygons(rings)
    ids = [f"G{i:04d}" for i in range(len(polygons))]
    rows, columns = np.divmod(np.arange(len(polygons)), nx)
    community_rows, community_columns = rows // CELLS_PER_COMMUNITY_SIDE, columns // CELLS_PER_COMMUNITY_SIDE
    communities = [f"S{r:02d}{c:02d}" for r, c in zip(community_rows, community_columns)]
    areas = {"DG": {"area_id": "DG", "level": "city", "parent": "", "name": "Synthetic city", "name_zh": "合成市"}}
    for community, r, c in zip(communities, community_rows, community_columns):
        town = f"Z{r // COMMUNITIES_PER_TOWN_SIDE:02d}{c // COMMUNITIES_PER_TOWN_SIDE:02d}"
        areas.setdefault(town, {"area_id": town, "level": "town", "parent": "DG", "name": f"Town {town}",
                                "name_zh": f"{town}镇"})
        areas.setdefault(community, {"area_id": community, "level": "community", "parent": town,
                                     "name": f"Community {community}", "name_zh": f"{community}社区"})
    frame = gpd.GeoDataFrame({"grid_id": ids, "name": [f"网格{i}" for i in range(len(polygons))], "level": "cell",
                              "parent": communities}, geometry=polygons, crs="EPSG:4326")
    return frame, areas


def _areas(rng, box, town_lon, town_lat) -> gpd.GeoDataFrame:
    lon0, lat0, lon1, lat1 = box
    xs = np.linspace(lon0 - 0.01, lon1 + 0.01, 60)
    ys = lat0 + (lat1 - lat0) * (0.62 + 0.08 * np.sin(np.linspace(0, 5, 60)))
    river = shapely.buffer(shapely.linestrings(np.column_stack([xs, ys])), 0.004)
    parks = shapely.buffer(shapely.points(town_lon + 0.006, town_lat - 0.004), rng.uniform(0.002, 0.004, len(town_lon)))
    urban = shapely.buffer(shapely.points(town_lon, town_lat), 0.024)
    geoms = [*urban, river, *parks]
    kinds = ["residential"] * len(urban) + ["water"] + ["park"] * len(parks)
    return gpd.GeoDataFrame({"name": [""] * len(geoms), "kind": kinds}, geometry=geoms, crs="EPSG:4326")
