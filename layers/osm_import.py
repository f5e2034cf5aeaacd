"""Build a city pack from any OpenStreetMap .osm.pbf extract (docs/city-pack.md, "from-osm").

OSM gives the streets, cameras (man_made=surveillance), police and fire stations and outlines. It has no
dispatch units, no grid cells (网格) and no checkpoints (卡口/卡点): those are PLACED here, deterministically
(fixed rules, fixed seed), and city.json "placed" says how, so nobody mistakes them for real data.
"""
from __future__ import annotations

import functools
import hashlib
import json
import math
import re
import warnings
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely

from layers import crs as crs_lib
from dispatch.procedures import DEFAULT_DISPOSITIONS, DEFAULT_RUN_CARDS
from layers.citypack import CITY_JSON, SCHEMAS, CityPackError

PLACEMENT_SEED = 20240601
STREAM_URL_PATTERN = "http://127.0.0.1:8090/cam/{camera_id}"
ODBL_ATTRIBUTION = (
    "© OpenStreetMap contributors, available under the Open Database License (ODbL) 1.0, "
    "https://www.openstreetmap.org/copyright"
)

UNIT_COUNT = 40
FIRE_ENGINES = 4
AMBULANCES = 4
PATROLS_AT_STATIONS = 6
TRAFFIC_UNITS = 6

GRID_CELL_M = (300.0, 500.0)  # smallest and usual largest cell side
GRID_TARGET_CELLS = 40  # small extracts get about this many cells, never smaller than 300 m
GRID_MAX_CELLS = 2500  # large extracts get bigger cells rather than more
GRID_MARGIN_M = 100.0  # the grid reaches this far beyond the outermost street, station or camera
SLIVER_SHARE = 0.25  # clipped cells smaller than this share of a full cell join a neighbour

BAYONET_INSET_M = 120.0  # bayonets sit where main roads cross the street hull moved this far inwards
BAYONET_SPACING_M = 200.0
MAX_BAYONETS = 16
CHECKPOINT_SPACING_M = 400.0
MAX_CHECKPOINTS = 6

PLACE_MERGE_M = 150.0  # one name repeated this close is one place (a station's node and its building)
_NOT_PLACES = {"route", "route_master", "public_transport"}  # relation types that name lines, not places

OUTLINES_MAX_PBF_BYTES = 20_000_000  # buildings and land use only for extracts up to this size
OUTLINES_MAX_FEATURES = 20_000

COORDINATE_DECIMALS = 6  # about 0.1 m

ROAD_RANK = {"motorway": 1, "trunk": 2, "primary": 3, "secondary": 4, "tertiary": 5}
_ONEWAY_FORWARD = {"yes", "true", "1"}
_ONEWAY_REVERSE = {"-1", "reverse"}
_CARDINALS = {
    name: index * 22.5
    for index, name in enumerate("N NNE NE ENE E ESE SE SSE S SSW SW WSW W WNW NW NNW".split())
}
_PACK_FILE_STEMS = tuple(SCHEMAS)


def build_city_from_osm(
    pbf: Path,
    out_dir: Path,
    name: str | None = None,
    progress=print,
    *,
    title: str | None = None,
    title_zh: str | None = None,
) -> Path:
    """Build a city pack in `out_dir` from the extract `pbf`; returns `out_dir`.

    Rebuilding into an existing pack keeps its city.json title and title_zh unless new ones are given, and
    its dispositions and run cards (a city's own procedures); a new pack gets the default ones.
    """
    pbf, out_dir = Path(pbf), Path(out_dir)
    _check_pbf(pbf)
    name = name or _name_from_file(pbf)
    if not re.fullmatch(r"[a-z0-9][a-z0-9_-]*", name):
        raise ValueError(f"city name {name!r} must be lower-case letters, digits, '-' or '_'")
    old_meta = _existing_pack_meta(out_dir)
    title = title or _text(old_meta.get("title")) or f"{name} (OpenStreetMap)"
    title_zh = title_zh or _text(old_meta.get("title_zh")) or f"{name}（OpenStreetMap）"

    from pyrosm import OSM  # pyrosm is slow to import; only building packs needs it

    progress(f"Reading {pbf.name} ({pbf.stat().st_size / 1e6:.1f} MB)")
    osm = OSM(str(pbf))

    progress("Streets: extracting the drivable network")
    streets, node_lon_lat = _streets(osm, pbf)
    centre = _centre(streets)
    local = _LocalMetres(*centre)
    graph = _directed_graph(streets)
    routable_nodes = max(nx.strongly_connected_components(graph), key=len)
    progress(
        f"Streets: {len(streets)} edges, {graph.number_of_nodes()} nodes "
        f"({len(routable_nodes)} mutually reachable)"
    )

    cameras = _cameras(osm)
    progress(f"Cameras: {len(cameras)} man_made=surveillance nodes")

    stations, stations_placed = _stations(osm, node_lon_lat, routable_nodes, local, streets)
    progress(f"Stations: {len(stations)} ({stations_placed or 'all from OSM'})")

    areas, areas_note = _areas(osm, pbf)
    progress(f"Areas: {len(areas)} outlines ({areas_note})")

    places = _places(osm, local)
    kinds = places["kind"].value_counts()
    progress(f"Places: {kinds.get('address', 0)} addresses, {kinds.get('place', 0)} named places")

    units, units_placed = _place_units(stations, streets, node_lon_lat, routable_nodes, local)
    progress(f"Units: placed {len(units)}")

    checkpoints, checkpoints_placed = _place_checkpoints(streets, node_lon_lat, local)
    progress(f"Checkpoints: placed {len(checkpoints)}")

    covered = np.vstack([shapely.get_coordinates(streets.geometry.values)] + [
        shapely.get_coordinates(layer.geometry.values) for layer in (stations, units, cameras, checkpoints)
    ])
    grids, grids_placed = _place_grids(covered, local)
    progress(f"Grids: placed {len(grids)} cells")

    bounds = [float(v) for v in shapely.MultiPoint(covered).bounds]
    meta = {
        "name": name,
        "title": title,
        "title_zh": title_zh,
        "center": [
            round((bounds[0] + bounds[2]) / 2, COORDINATE_DECIMALS),
            round((bounds[1] + bounds[3]) / 2, COORDINATE_DECIMALS),
        ],
        "zoom_extent": [round(v, COORDINATE_DECIMALS) for v in bounds],
        "source": (
            f"{ODBL_ATTRIBUTION}. Built from the extract {pbf.name} (sha256 {_sha256(pbf)[:16]}…) by "
            "layers.osm_import.build_city_from_osm: streets (highway=*, drivable), cameras (man_made=surveillance), "
            "stations (amenity=police|fire_station), areas (boundaries, buildings, land use) and places (addr:street + "
            "addr:housenumber, name) come from OSM."
        ),
        "placed": {
            "units": units_placed,
            "grids": grids_placed,
            "checkpoints": checkpoints_placed,
            "stations": stations_placed or "none: every station is from OSM",
            "cameras": (
                "positions, names and camera:direction/direction tags are from OSM; cameras without a name are "
                "'Camera <n>' in OSM id order; kind is the camera:type tag, else 'camera'; every camera is online; "
                f"stream_url follows {STREAM_URL_PATTERN!r}, a loopback test server the demo can run"
            ),
            "seed": PLACEMENT_SEED,
        },
        "dispositions": old_meta.get("dispositions") or [dict(d) for d in DEFAULT_DISPOSITIONS],
        "run_cards": old_meta.get("run_cards") or DEFAULT_RUN_CARDS,
    }

    progress(f"Writing the pack to {out_dir}")
    out_dir.mkdir(parents=True, exist_ok=True)
    _clear_layer_files(out_dir)  # only now: a build that fails leaves the old pack whole
    _write_csv(out_dir / "units.csv", units, ["unit_id", "callsign", "kind", "station"])
    _write_csv(
        out_dir / "cameras.csv",
        cameras,
        ["camera_id", "name", "kind", "stream_url", "crs", "direction_deg", "fov_deg", "online"],
    )
    _write_geojson(out_dir / "checkpoints.geojson", checkpoints)
    _write_geojson(out_dir / "grids.geojson", grids)
    _write_geojson(out_dir / "streets.geojson", streets)
    _write_geojson(out_dir / "stations.geojson", stations)
    _write_geojson(out_dir / "areas.geojson", areas)
    _write_csv(out_dir / "places.csv", places, ["kind", "name", "name_en", "name_zh", "street", "housenumber"])
    (out_dir / CITY_JSON).write_text(json.dumps(meta, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    size = sum(p.stat().st_size for p in out_dir.iterdir() if p.is_file())
    progress(f"Done: {out_dir} ({size / 1e6:.2f} MB)")
    return out_dir


# --- input and output folder -----------------------------------------------------------------------


def _check_pbf(pbf: Path) -> None:
    if not pbf.is_file():
        raise CityPackError(str(pbf), "missing: no such OpenStreetMap extract")
    with pbf.open("rb") as handle:
        head = handle.read(64)
    # A PBF starts with a 4-byte length and a BlobHeader whose type is "OSMHeader".
    if b"OSMHeader" not in head:
        raise CityPackError(
            str(pbf), "not an OpenStreetMap PBF file (.osm.pbf): it does not start with an OSMHeader block"
        )


def _text(value) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _name_from_file(pbf: Path) -> str:
    stem = pbf.name.split(".")[0].lower().removesuffix("-latest")
    return re.sub(r"[^a-z0-9_-]+", "-", stem).strip("-") or "city"


def _existing_pack_meta(out_dir: Path) -> dict:
    """The city.json of a pack being rebuilt in `out_dir`, {} for a new or empty folder; refuses other folders."""
    if out_dir.exists() and not out_dir.is_dir():
        raise CityPackError(str(out_dir), "exists and is not a folder")
    meta_path = out_dir / CITY_JSON
    if not meta_path.is_file():
        if out_dir.is_dir() and any(out_dir.iterdir()):
            raise CityPackError(str(out_dir), "is not empty and holds no city.json: refusing to write a pack into it")
        return {}
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return {}
    return meta if isinstance(meta, dict) else {}


def _clear_layer_files(out_dir: Path) -> None:
    """Remove the old pack's layer files, so a stale cameras.geojson cannot shadow the new cameras.csv."""
    for path in out_dir.iterdir():
        if path.is_file() and path.stem in _PACK_FILE_STEMS and path.suffix in (".csv", ".geojson", ".gpkg"):
            path.unlink()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# --- what OSM has ---------------------------------------------------------------------------------


def _absence_is_not_a_warning(read):
    """pyrosm warns "Could not find any ..." for a missing layer; the builder reports absences itself."""

    @functools.wraps(read)
    def quiet(*args, **kwargs):
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Could not find any", category=UserWarning)
            return read(*args, **kwargs)

    return quiet


@_absence_is_not_a_warning
def _streets(osm, pbf: Path) -> tuple[gpd.GeoDataFrame, dict[str, tuple[float, float]]]:
    network = osm.get_network(network_type="driving", nodes=True)
    if network is None or network[1] is None or len(network[1]) == 0:
        raise CityPackError(str(pbf), "has no drivable streets: a city pack needs a routable street network")
    edges = network[1]  # nodes=True splits ways into node-to-node edges with u and v
    oneway = edges["oneway"].fillna("").astype(str).str.strip().str.lower()
    reverse = oneway.isin(_ONEWAY_REVERSE).to_numpy()
    # OSM leaves oneway implied on motorways and roundabouts; routing must not drive them backwards.
    highway = edges["highway"].fillna("").astype(str)
    roundabout = edges["tags"].fillna("").astype(str).str.contains(r'"junction":\s*"(?:roundabout|circular)"')
    implied = (highway.isin(["motorway", "motorway_link"]) | roundabout) & (oneway == "")
    forward = oneway.isin(_ONEWAY_FORWARD).to_numpy() | implied.to_numpy()
    u = edges["u"].to_numpy(dtype=np.int64)
    v = edges["v"].to_numpy(dtype=np.int64)
    geometry = edges.geometry.values.to_numpy().copy()
    geometry[reverse] = shapely.reverse(geometry[reverse])  # oneway=-1: store it as a forward one-way u -> v
    streets = gpd.GeoDataFrame(
        {
            "u": np.where(reverse, v, u).astype(str),
            "v": np.where(reverse, u, v).astype(str),
            "name": edges["name"].fillna("").astype(str).to_numpy(),
            "highway": highway.to_numpy(),
            "length_m": np.round(edges["length"].to_numpy(dtype=np.float64), 1),
            "oneway": forward | reverse,
        },
        geometry=geometry,
        crs=crs_lib.WGS84,
    )
    streets = streets.sort_values(["u", "v", "length_m"], kind="stable").reset_index(drop=True)
    # Node positions from the edge ends, so a unit "on a node" sits exactly on the pack's street geometry.
    node_lon_lat = {}
    first, last = shapely.get_point(streets.geometry.values, 0), shapely.get_point(streets.geometry.values, -1)
    for node_ids, points in ((streets["u"], first), (streets["v"], last)):
        for node_id, point in zip(node_ids, points):
            node_lon_lat.setdefault(node_id, (point.x, point.y))
    return streets, node_lon_lat


def _centre(streets: gpd.GeoDataFrame) -> tuple[float, float]:
    minlon, minlat, maxlon, maxlat = streets.total_bounds
    return (minlon + maxlon) / 2.0, (minlat + maxlat) / 2.0


class _LocalMetres:
    """An azimuthal equidistant projection at the city centre: metres good to well under 1% across a city."""

    def __init__(self, lon0: float, lat0: float):
        self.crs = f"+proj=aeqd +lat_0={lat0:.6f} +lon_0={lon0:.6f} +datum=WGS84 +units=m +no_defs"

    def xy(self, lon, lat) -> tuple[np.ndarray, np.ndarray]:
        return crs_lib.from_wgs84(np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64), self.crs)

    def lon_lat(self, x, y) -> tuple[np.ndarray, np.ndarray]:
        return crs_lib.to_wgs84(np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64), self.crs)

    def to_local(self, geoms):
        return shapely.transform(geoms, lambda c: np.column_stack(self.xy(c[:, 0], c[:, 1])))

    def to_wgs84(self, geoms):
        return shapely.transform(geoms, lambda c: np.column_stack(self.lon_lat(c[:, 0], c[:, 1])))


def _directed_graph(streets: gpd.GeoDataFrame) -> nx.DiGraph:
    graph = nx.DiGraph()
    graph.add_edges_from(zip(streets["u"], streets["v"]))
    two_way = ~streets["oneway"].to_numpy()
    graph.add_edges_from(zip(streets["v"][two_way], streets["u"][two_way]))
    return graph


def _tags(row: pd.Series) -> dict:
    """All tags of a pyrosm row: its promoted columns plus the JSON `tags` column."""
    tags = {k: v for k, v in row.items() if k not in ("geometry", "tags") and isinstance(v, str) and v}
    extra = row.get("tags")
    if isinstance(extra, str) and extra:
        extra = json.loads(extra)
    if isinstance(extra, dict):
        tags.update({k: str(v) for k, v in extra.items() if v is not None})
    return tags


def _direction(tags: dict) -> float:
    """Degrees clockwise from north from camera:direction / direction (numbers or N, NE, ...), else NaN."""
    for key in ("camera:direction", "direction"):
        text = tags.get(key, "").strip().upper()
        if text in _CARDINALS:
            return _CARDINALS[text]
        try:
            value = float(text)
        except ValueError:
            continue
        if math.isfinite(value):
            return value % 360.0
    return float("nan")


@_absence_is_not_a_warning
def _cameras(osm) -> gpd.GeoDataFrame:
    found = osm.get_data_by_custom_criteria(
        custom_filter={"man_made": ["surveillance"]},
        filter_type="keep",
        keep_nodes=True,
        keep_ways=False,
        keep_relations=False,
    )
    columns = {"camera_id": [], "name": [], "kind": [], "stream_url": [], "crs": [], "direction_deg": [],
               "fov_deg": [], "online": []}
    if found is None or len(found) == 0:
        return gpd.GeoDataFrame(columns, geometry=[], crs=crs_lib.WGS84)
    found = found.sort_values("id", kind="stable").reset_index(drop=True)
    for number, (_, row) in enumerate(found.iterrows(), start=1):
        tags = _tags(row)
        camera_id = f"osm-{int(row['id'])}"
        columns["camera_id"].append(camera_id)
        columns["name"].append(tags.get("name") or f"Camera {number}")
        columns["kind"].append(tags.get("camera:type") or "camera")
        columns["stream_url"].append(STREAM_URL_PATTERN.format(camera_id=camera_id))
        columns["crs"].append(crs_lib.WGS84)
        columns["direction_deg"].append(_direction(tags))
        columns["fov_deg"].append(float("nan"))
        columns["online"].append(True)
    return gpd.GeoDataFrame(columns, geometry=found.geometry.values, crs=crs_lib.WGS84)


@_absence_is_not_a_warning
def _stations(osm, node_lon_lat, routable_nodes, local: _LocalMetres, streets) -> tuple[gpd.GeoDataFrame, str]:
    found = osm.get_pois(custom_filter={"amenity": ["police", "fire_station"]})
    rows = []
    if found is not None and len(found):
        found = found[found.geometry.notna() & ~found.geometry.is_empty]
        found = found.sort_values(["amenity", "osm_type", "id"], kind="stable")
        counters = {"police": 0, "fire": 0}
        for _, row in found.iterrows():
            kind = "police" if row["amenity"] == "police" else "fire"
            counters[kind] += 1
            tags = _tags(row)
            rows.append({
                "station_id": f"osm-{row['osm_type']}-{int(row['id'])}",
                "name": tags.get("name") or f"{kind.title()} station {counters[kind]}",
                "kind": kind,
                "geometry": row.geometry.centroid,  # polygons (station grounds) become their centroid
            })
    have = {row["kind"] for row in rows}
    placed = []
    # With no station of a kind, one is placed on a routable street node so every unit has a home.
    targets = {"police": (0.5, 0.5), "fire": (0.3, 0.7)}  # fractions across the street extent
    minlon, minlat, maxlon, maxlat = streets.total_bounds
    for kind, (fx, fy) in targets.items():
        if kind in have:
            continue
        target = (minlon + fx * (maxlon - minlon), minlat + fy * (maxlat - minlat))
        node = _nearest_node(target, sorted(routable_nodes), node_lon_lat, local)
        rows.append({
            "station_id": f"placed-{kind}-1",
            "name": f"{kind.title()} station (placed)",
            "kind": kind,
            "geometry": shapely.Point(node_lon_lat[node]),
        })
        placed.append(
            f"OSM has no {'police station' if kind == 'police' else 'fire station'}: 'placed-{kind}-1' was placed "
            f"at the routable street node nearest the point {fx:.0%} across and {fy:.0%} up the street extent"
        )
    frame = gpd.GeoDataFrame(rows, geometry="geometry", crs=crs_lib.WGS84)
    return frame[["station_id", "name", "kind", "geometry"]], "; ".join(placed)


def _nearest_node(lon_lat, candidates: list[str], node_lon_lat, local: _LocalMetres) -> str:
    x, y = _node_xy(candidates, node_lon_lat, local)
    tx, ty = local.xy(*lon_lat)
    return candidates[int(np.argmin((x - tx) ** 2 + (y - ty) ** 2))]


def _node_xy(nodes: list[str], node_lon_lat, local: _LocalMetres) -> tuple[np.ndarray, np.ndarray]:
    lon_lat = np.array([node_lon_lat[n] for n in nodes], dtype=np.float64).reshape(-1, 2)
    return local.xy(lon_lat[:, 0], lon_lat[:, 1])


@_absence_is_not_a_warning
def _areas(osm, pbf: Path) -> tuple[gpd.GeoDataFrame, str]:
    parts = []
    notes = []
    boundaries = osm.get_boundaries()
    if boundaries is not None and len(boundaries):
        parts.append(_outlines(boundaries, "admin", "admin_level"))
    else:
        notes.append("no administrative boundaries in the extract")
    if pbf.stat().st_size <= OUTLINES_MAX_PBF_BYTES:
        for kind, reader, class_column in (("building", osm.get_buildings, "building"),
                                           ("landuse", osm.get_landuse, "landuse")):
            found = reader()
            if found is None or len(found) == 0:
                continue
            if len(found) > OUTLINES_MAX_FEATURES:
                notes.append(f"{len(found)} {kind} outlines left out (more than {OUTLINES_MAX_FEATURES})")
                continue
            parts.append(_outlines(found, kind, class_column))
    else:
        notes.append(f"buildings and land use left out (extract larger than {OUTLINES_MAX_PBF_BYTES / 1e6:.0f} MB)")
    parts = [p for p in parts if len(p)]
    if not parts:
        empty = gpd.GeoDataFrame({"name": [], "kind": [], "class": []}, geometry=[], crs=crs_lib.WGS84)
        return empty, "; ".join(notes) or "none"
    areas = pd.concat(parts, ignore_index=True)
    counts = areas["kind"].value_counts()
    summary = ", ".join(f"{counts[k]} {k}" for k in ("admin", "building", "landuse") if k in counts)
    return gpd.GeoDataFrame(areas, geometry="geometry", crs=crs_lib.WGS84), "; ".join([summary] + notes)


def _outlines(found: gpd.GeoDataFrame, kind: str, class_column: str) -> gpd.GeoDataFrame:
    found = found[found.geometry.notna()]
    found = found[found.geometry.geom_type.isin(["Polygon", "MultiPolygon"]).to_numpy()]
    found = found.sort_values(["id"], kind="stable") if "id" in found.columns else found
    names = found["name"].fillna("").astype(str) if "name" in found.columns else pd.Series("", index=found.index)
    classes = (
        found[class_column].fillna("").astype(str) if class_column in found.columns
        else pd.Series("", index=found.index)
    )
    return gpd.GeoDataFrame(
        {"name": names.to_numpy(), "kind": kind, "class": classes.to_numpy()},
        geometry=found.geometry.values,
        crs=crs_lib.WGS84,
    )


_HOUSE_NUMBER = re.compile(r"(\d+)\s*([A-Za-z])?(?:\s*-\s*(\d+)\s*([A-Za-z])?)?")


def _house_number(text: str) -> str | None:
    """OSM's addr:housenumber as a city writes it ("14B" -> "14 B", "2, 2. krs./Floor 2" -> "2"), else None."""
    match = _HOUSE_NUMBER.fullmatch(text.split(",")[0].strip())
    if match is None:
        return None
    first, letter, last, last_letter = match.groups()
    number = f"{first} {letter.upper()}" if letter else first
    if last:
        number += f"-{last} {last_letter.upper()}" if last_letter else f"-{last}"
    return number


def _natural_key(text: str) -> tuple:
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text))


def _position(geometry) -> tuple[float, float]:
    """Where a feature is: a point as it is, an outline's centroid, the middle of a line."""
    if geometry.geom_type in ("LineString", "MultiLineString"):
        merged = shapely.line_merge(geometry) if geometry.geom_type == "MultiLineString" else geometry
        point = merged.interpolate(0.5, normalized=True) if merged.geom_type == "LineString" else geometry.centroid
    else:
        point = geometry.centroid
    return float(point.x), float(point.y)


def _medoid(points: list[tuple[float, float]], local: _LocalMetres) -> tuple[float, float]:
    """The point nearest the middle of `points`: a real position, never a spot between two buildings."""
    x, y = local.xy(np.array([p[0] for p in points]), np.array([p[1] for p in points]))
    return points[int(np.argmin((x - x.mean()) ** 2 + (y - y.mean()) ** 2))]


@_absence_is_not_a_warning
def _places(osm, local: _LocalMetres) -> gpd.GeoDataFrame:
    """Addresses (one row per street and house number) and named places, for the geocoder (layers/geocode.py)."""

    def features(key: str):
        found = osm.get_data_by_custom_criteria(custom_filter={key: True}, filter_type="keep", keep_nodes=True,
                                                keep_ways=True, keep_relations=True)
        if found is None or len(found) == 0:
            return []
        found = found[found.geometry.notna() & ~found.geometry.is_empty]
        order = {"way": 0, "relation": 1, "node": 2}  # outlines before the nodes inside them
        found = found.assign(_order=found["osm_type"].map(order)).sort_values(["_order", "id"], kind="stable")
        return [(_tags(row), row.geometry, row["osm_type"]) for _, row in found.iterrows()]

    # An address's position: its building's outline first, else an entrance, else the shops and offices there.
    by_address: dict[tuple[str, str], list] = {}
    for tags, geometry, _ in features("addr:housenumber"):
        street = tags.get("addr:street", "").strip()
        number = _house_number(tags.get("addr:housenumber", ""))
        if not street or number is None:
            continue
        rank = 0 if geometry.geom_type in ("Polygon", "MultiPolygon") else 1 if "entrance" in tags else 2
        by_address.setdefault((street, number), []).append((rank, _position(geometry)))
    rows = []
    for (street, number), found in sorted(by_address.items(), key=lambda item: (item[0][0], _natural_key(item[0][1]))):
        best = min(rank for rank, _ in found)
        lon, lat = _medoid([point for rank, point in found if rank == best], local)
        rows.append({"kind": "address", "name": "", "name_en": "", "name_zh": "", "street": street,
                     "housenumber": number, "lon": lon, "lat": lat})

    # Named places; streets come from the street layer, bus routes and stops are not places.
    kept: dict[str, list[dict]] = {}
    for tags, geometry, osm_type in features("name"):
        name = tags.get("name", "").strip()
        if not name or "highway" in tags or (osm_type == "relation" and tags.get("type") in _NOT_PLACES):
            continue
        lon, lat = _position(geometry)
        x, y = (float(v) for v in local.xy(lon, lat))
        same = [p for p in kept.setdefault(name, []) if math.hypot(p["x"] - x, p["y"] - y) <= PLACE_MERGE_M]
        if same:  # the same place mapped twice: it keeps the first position, and any translation or address
            for key, tag in (("name_en", "name:en"), ("name_zh", "name:zh"), ("street", "addr:street")):
                same[0][key] = same[0][key] or tags.get(tag, "").strip()
            same[0]["housenumber"] = same[0]["housenumber"] or (_house_number(tags.get("addr:housenumber", "")) or "")
            continue
        kept[name].append({
            "kind": "place", "name": name, "name_en": tags.get("name:en", "").strip(),
            "name_zh": tags.get("name:zh", "").strip(), "street": tags.get("addr:street", "").strip(),
            "housenumber": _house_number(tags.get("addr:housenumber", "")) or "", "lon": lon, "lat": lat, "x": x, "y": y,
        })
    for name in sorted(kept):
        rows.extend({k: v for k, v in place.items() if k not in ("x", "y")} for place in kept[name])
    frame = pd.DataFrame(rows, columns=["kind", "name", "name_en", "name_zh", "street", "housenumber", "lon", "lat"])
    for column in ("street", "housenumber"):  # a place's address needs both parts
        incomplete = (frame["street"] == "") | (frame["housenumber"] == "")
        frame.loc[incomplete & (frame["kind"] == "place"), column] = ""
    return gpd.GeoDataFrame(frame.drop(columns=["lon", "lat"]), geometry=shapely.points(frame["lon"], frame["lat"]),
                            crs=crs_lib.WGS84)


# --- what the builder places ----------------------------------------------------------------------


def _farthest_points(x: np.ndarray, y: np.ndarray, count: int, start: int, taken_x=(), taken_y=()) -> list[int]:
    """Indices of `count` points spread out greedily: each is the farthest from all chosen and taken so far.

    `start` is the first pick when nothing is taken yet; with points already taken, the first pick is the
    point farthest from them.
    """
    count = min(count, len(x))
    if count <= 0:
        return []
    nearest = np.full(len(x), np.inf)
    for tx, ty in zip(taken_x, taken_y):
        nearest = np.minimum(nearest, np.hypot(x - tx, y - ty))
    chosen = [start] if not len(taken_x) else [int(np.argmax(nearest))]
    while True:
        last = chosen[-1]
        nearest = np.minimum(nearest, np.hypot(x - x[last], y - y[last]))
        if len(chosen) == count:
            return chosen
        chosen.append(int(np.argmax(nearest)))


def _place_units(stations, streets, node_lon_lat, routable_nodes, local: _LocalMetres):
    rng = np.random.default_rng(PLACEMENT_SEED)
    rows = []
    station_xy = local.xy(stations.geometry.x.to_numpy(), stations.geometry.y.to_numpy())

    def by_distance_to_centre(kind: str) -> list[int]:
        at = np.flatnonzero(stations["kind"].to_numpy() == kind)
        return sorted(at, key=lambda i: (np.hypot(station_xy[0][i], station_xy[1][i]), stations["station_id"].iloc[i]))

    def add(prefix: str, kind: str, station: str, lon: float, lat: float) -> None:
        number = sum(1 for r in rows if r["kind"] == kind) + 1
        rows.append({"callsign": f"{prefix}-{number:02d}", "kind": kind, "station": station, "lon": lon, "lat": lat})

    for count, prefix, kind, station_kind in (
        (FIRE_ENGINES, "F", "fire", "fire"),
        (AMBULANCES, "E", "ems", "fire"),
        (PATROLS_AT_STATIONS, "P", "patrol", "police"),
    ):
        homes = by_distance_to_centre(station_kind)
        for i in range(count):
            home = homes[i % len(homes)]  # round robin, nearest the centre first
            point = stations.geometry.iloc[home]
            add(prefix, kind, stations["station_id"].iloc[home], point.x, point.y)

    nodes = sorted(routable_nodes)
    node_x, node_y = _node_xy(nodes, node_lon_lat, local)
    police = by_distance_to_centre("police")

    def home_police_station(x: float, y: float) -> str:
        distances = [(station_xy[0][i] - x) ** 2 + (station_xy[1][i] - y) ** 2 for i in police]
        return stations["station_id"].iloc[police[int(np.argmin(distances))]]

    main = streets[streets["highway"].map(ROAD_RANK).fillna(99).to_numpy() <= 4]
    main_nodes = sorted((set(main["u"]) | set(main["v"])) & routable_nodes) or nodes
    main_x, main_y = _node_xy(main_nodes, node_lon_lat, local)
    for i in _farthest_points(main_x, main_y, TRAFFIC_UNITS, start=int(rng.integers(len(main_nodes)))):
        lon, lat = node_lon_lat[main_nodes[i]]
        add("T", "traffic", home_police_station(main_x[i], main_y[i]), lon, lat)

    street_patrols = UNIT_COUNT - len(rows)
    taken = local.xy(np.array([r["lon"] for r in rows]), np.array([r["lat"] for r in rows]))
    for i in _farthest_points(node_x, node_y, street_patrols, start=0, taken_x=taken[0], taken_y=taken[1]):
        lon, lat = node_lon_lat[nodes[i]]
        add("P", "patrol", home_police_station(node_x[i], node_y[i]), lon, lat)

    for number, row in enumerate(rows, start=1):
        row["unit_id"] = f"U{number:03d}"
    frame = pd.DataFrame(rows)
    units = gpd.GeoDataFrame(
        frame[["unit_id", "callsign", "kind", "station"]],
        geometry=shapely.points(frame["lon"], frame["lat"]),
        crs=crs_lib.WGS84,
    )
    counts = units["kind"].value_counts()
    description = (
        f"{len(units)} units, none from OSM. At stations (round robin over stations nearest the centre first): "
        f"{FIRE_ENGINES} fire engines F-nn and {AMBULANCES} ambulances E-nn at fire stations, "
        f"{PATROLS_AT_STATIONS} patrols P-nn at police stations. On streets: {counts.get('traffic', 0)} traffic units "
        "T-nn on motorway/trunk/primary/secondary nodes and the remaining patrols on street nodes, each node the "
        "farthest from every unit placed before it (farthest-point sampling over the largest set of mutually "
        f"reachable nodes, first traffic node drawn with seed {PLACEMENT_SEED}). A street unit's station is the "
        "nearest police station."
    )
    return units, description


def _place_grids(covered_lon_lat: np.ndarray, local: _LocalMetres):
    x, y = local.xy(covered_lon_lat[:, 0], covered_lon_lat[:, 1])
    region = shapely.MultiPoint(np.column_stack([x, y])).convex_hull.buffer(GRID_MARGIN_M)
    side = min(max(math.sqrt(region.area / GRID_TARGET_CELLS), GRID_CELL_M[0]), GRID_CELL_M[1])
    side = max(side, math.sqrt(region.area / GRID_MAX_CELLS))
    side = math.ceil(side / 10.0) * 10.0
    minx, miny, maxx, maxy = region.bounds
    columns, rows = math.ceil((maxx - minx) / side), math.ceil((maxy - miny) / side)
    # Cells in reading order: rows from the north, west to east within a row.
    boxes = [
        shapely.box(minx + c * side, maxy - (r + 1) * side, minx + (c + 1) * side, maxy - r * side)
        for r in range(rows)
        for c in range(columns)
    ]
    cells = list(shapely.intersection(np.array(boxes), region))
    cells = [cell if cell.area > 0 else None for cell in cells]
    merged = _merge_slivers(cells, columns, side * side)
    kept = [cell for cell in cells if cell is not None]
    width = max(3, len(str(len(kept))))
    numbers = [f"{n:0{width}d}" for n in range(1, len(kept) + 1)]
    grids = gpd.GeoDataFrame(
        {
            "grid_id": [f"G{n}" for n in numbers],
            "name": [f"Grid {n}" for n in numbers],
            "name_zh": [f"网格 {n}" for n in numbers],
        },
        geometry=local.to_wgs84(np.array(kept)),
        crs=crs_lib.WGS84,
    )
    description = (
        f"{len(grids)} square cells of {side:.0f} m (in an azimuthal equidistant projection at the city centre), "
        f"numbered in reading order from the north-west, covering the convex hull of every street, station, unit, "
        f"camera and checkpoint plus {GRID_MARGIN_M:.0f} m; {merged} clipped edge cells smaller than "
        f"{SLIVER_SHARE:.0%} of a full cell were merged into the neighbour sharing the longest border"
    )
    return grids, description


def _merge_slivers(cells: list, columns: int, full_area: float) -> int:
    """Merge clipped cells below SLIVER_SHARE of a full cell into the neighbour sharing the longest border.

    `cells` is the row-major grid (None where nothing is left); it is changed in place. Returns the merge count.
    """
    owner = list(range(len(cells)))  # which cell now holds each original cell's area

    def holder(i: int) -> int:
        while owner[i] != i:
            i = owner[i]
        return i

    small = sorted((i for i, cell in enumerate(cells) if cell is not None and cell.area < SLIVER_SHARE * full_area),
                   key=lambda i: (cells[i].area, i))
    merged = 0
    for i in small:
        row, column = divmod(i, columns)
        around = [(row - 1, column), (row + 1, column), (row, column - 1), (row, column + 1)]
        candidates = sorted({
            holder(r * columns + c) for r, c in around
            if 0 <= c < columns and 0 <= r * columns + c < len(cells) and cells[holder(r * columns + c)] is not None
        } - {i})
        shared = [cells[i].boundary.intersection(cells[j].boundary).length for j in candidates]
        if not shared or max(shared) <= 0:
            continue
        best = candidates[int(np.argmax(shared))]
        cells[best] = shapely.union(cells[best], cells[i]).normalize()
        cells[i] = None
        owner[i] = best
        merged += 1
    return merged


def _place_checkpoints(streets, node_lon_lat, local: _LocalMetres):
    ranks = streets["highway"].map(ROAD_RANK).to_numpy(dtype=np.float64)
    ranks = np.nan_to_num(ranks, nan=99.0)
    main_rank = 4 if (ranks <= 4).any() else np.min(ranks)  # the best roads an extract has
    local_lines = local.to_local(streets.geometry.values.to_numpy())
    hull = shapely.MultiLineString(list(local_lines)).convex_hull
    inset = min(BAYONET_INSET_M, math.sqrt(hull.area) * 0.1)
    inner = hull.buffer(-inset)
    # A hull with no inside (all streets on one line) has no edge to cross.
    ring = inner.exterior if inner.geom_type == "Polygon" and not inner.is_empty else shapely.LineString()

    bayonets = []
    main = np.flatnonzero(ranks <= main_rank)
    for i in sorted(main, key=lambda i: (ranks[i], i)):
        crossing = local_lines[i].intersection(ring)
        for point in shapely.get_parts(crossing):
            if point.geom_type != "Point":
                continue
            if all(math.dist((point.x, point.y), (b[0], b[1])) > BAYONET_SPACING_M for b in bayonets):
                bayonets.append((point.x, point.y, streets["name"].iloc[i] or streets["highway"].iloc[i]))
    bayonets = bayonets[:MAX_BAYONETS]

    # Manned checkpoints: nodes where main roads of different names meet, busiest first.
    roads_at = {}
    for i in main:
        for node in (streets["u"].iloc[i], streets["v"].iloc[i]):
            roads_at.setdefault(node, {}).setdefault(streets["name"].iloc[i], ranks[i])
    junctions = [
        (sum(sorted(names.values())[:2]), -len(names), node, sorted(n for n in names if n))
        for node, names in roads_at.items()
        if len([n for n in names if n]) >= 2
    ]
    checkpoints = []
    for _, _, node, names in sorted(junctions):
        x, y = (float(v) for v in local.xy(*node_lon_lat[node]))
        if all(math.dist((x, y), (c[0], c[1])) > CHECKPOINT_SPACING_M for c in checkpoints):
            checkpoints.append((x, y, " / ".join(names[:2])))
        if len(checkpoints) == MAX_CHECKPOINTS:
            break

    rows = [
        {"checkpoint_id": f"B{n:02d}", "name": f"{road} bayonet", "kind": "bayonet", "x": x, "y": y}
        for n, (x, y, road) in enumerate(bayonets, start=1)
    ] + [
        {"checkpoint_id": f"C{n:02d}", "name": f"{roads} checkpoint", "kind": "checkpoint", "x": x, "y": y}
        for n, (x, y, roads) in enumerate(checkpoints, start=1)
    ]
    frame = pd.DataFrame(rows, columns=["checkpoint_id", "name", "kind", "x", "y"])
    lon, lat = local.lon_lat(frame["x"].to_numpy(), frame["y"].to_numpy())
    result = gpd.GeoDataFrame(frame[["checkpoint_id", "name", "kind"]], geometry=shapely.points(lon, lat),
                              crs=crs_lib.WGS84)
    classes = [k for k, r in ROAD_RANK.items() if r <= main_rank] or ["every highway class"]
    description = (
        f"{len(bayonets)} bayonets (卡口, ANPR) B-nn where {'/'.join(classes)} roads cross the convex hull of the "
        f"streets moved {inset:.0f} m inwards, at least {BAYONET_SPACING_M:.0f} m apart, best roads first; "
        f"{len(checkpoints)} manned checkpoints (卡点) C-nn at nodes where two differently named such roads meet, "
        f"at least {CHECKPOINT_SPACING_M:.0f} m apart, most important roads first"
    )
    return result, description


# --- writing --------------------------------------------------------------------------------------


def _plain(value):
    """A property value as plain JSON: numpy scalars unwrapped, NaN as null."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return None if math.isnan(value) else round(value, 3)
    return value


def _round_coordinates(node):
    if isinstance(node, (list, tuple)):
        if node and isinstance(node[0], (int, float)):
            return [round(float(v), COORDINATE_DECIMALS) for v in node]
        return [_round_coordinates(part) for part in node]
    return node


def _write_geojson(path: Path, frame: gpd.GeoDataFrame) -> None:
    """GeoJSON with 6 decimals and one feature per line: small, and diffs read well."""
    columns = [c for c in frame.columns if c != "geometry"]
    lines = []
    for values, geometry in zip(frame[columns].itertuples(index=False, name=None), frame.geometry.values):
        shape = geometry.__geo_interface__
        feature = {
            "type": "Feature",
            "properties": {c: _plain(v) for c, v in zip(columns, values)},
            "geometry": {"type": shape["type"], "coordinates": _round_coordinates(shape["coordinates"])},
        }
        lines.append(json.dumps(feature, ensure_ascii=False, separators=(",", ":")))
    body = ",\n".join(lines)
    path.write_text('{"type":"FeatureCollection","features":[\n' + body + "\n]}\n", encoding="utf-8")


def _write_csv(path: Path, frame: gpd.GeoDataFrame, columns: list[str]) -> None:
    table = pd.DataFrame({c: frame[c].map(_plain) if len(frame) else [] for c in columns})
    # Python's round, as in the GeoJSON files: np.round can differ in the last digit, and then a unit
    # placed on a street node would sit 0.1 m beside it.
    table["lon"] = [round(float(x), COORDINATE_DECIMALS) for x in frame.geometry.x]
    table["lat"] = [round(float(y), COORDINATE_DECIMALS) for y in frame.geometry.y]
    table.to_csv(path, index=False, lineterminator="\n")
