"""Loading a city pack: the folder of map layers one city ships with (see docs/city-pack.md).

Every layer is validated and converted to WGS84 (EPSG:4326) on load, so the rest of OneMap never meets
another coordinate system. A bad pack fails at once with a CityPackError that names the file, the row
or feature (both 1-based) and the problem.
"""
from __future__ import annotations

import copy
import csv
import json
import math
import re
import zoneinfo
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from dispatch.procedures import DEFAULT_CARD, DEFAULT_DISPOSITIONS, DEFAULT_RUN_CARDS
from dispatch.work_calendar import CalendarError, Limit, WorkCalendar, parse_calendar
from layers import crs as crs_lib

CITIES_DIR = Path(__file__).resolve().parent.parent / "resources" / "cities"
CITY_JSON = "city.json"
WGS84 = crs_lib.WGS84


_CENTRE_CODE = re.compile(r"[A-Z0-9]{1,12}")


class CityPackError(ValueError):
    """A city pack that cannot be used. str() reads e.g. "cameras.csv row 12: lat 91.0 is outside [-90, 90]"."""

    def __init__(self, file: str, problem: str, where: str | None = None):
        self.file = file
        self.where = where
        self.problem = problem
        super().__init__(f"{file} {where}: {problem}" if where else f"{file}: {problem}")


@dataclass(frozen=True)
class _Schema:
    geometry: str  # "point", "line" or "polygon"
    id_column: str | None
    required: tuple[str, ...]
    optional: dict = field(default_factory=dict)  # column -> default; None means "the row's id"
    allowed_kinds: tuple[str, ...] | None = None


_NAN = float("nan")
SCHEMAS: dict[str, _Schema] = {
    "units": _Schema("point", "unit_id", ("unit_id", "kind"), {"callsign": None, "station": ""}),
    "cameras": _Schema(
        "point",
        "camera_id",
        ("camera_id",),
        {"name": None, "kind": "camera", "stream_url": "", "online": True, "direction_deg": _NAN, "fov_deg": _NAN},
    ),
    "checkpoints": _Schema(
        "point", "checkpoint_id", ("checkpoint_id", "kind"), {"name": None}, allowed_kinds=("bayonet", "checkpoint")
    ),
    "grids": _Schema("polygon", "grid_id", ("grid_id",), {"name": None, "level": "cell", "parent": ""}),
    "streets": _Schema("line", None, ("u", "v"), {"name": "", "highway": "", "length_m": _NAN, "oneway": False}),
    "stations": _Schema("point", "station_id", ("station_id", "kind"), {"name": None}),
    "areas": _Schema("polygon", None, (), {"name": "", "kind": ""}),
    # What the geocoder finds (layers/geocode.py): addresses (street + housenumber) and named places.
    "places": _Schema(
        "point", None, ("kind",), {"name": "", "name_en": "", "name_zh": "", "street": "", "housenumber": ""},
        allowed_kinds=("address", "place"),
    ),
}
# A pack without one of these is a mistake unless city.json says "layers": {"<layer>": null}.
REQUIRED_LAYERS = ("units", "cameras", "checkpoints", "grids", "streets", "stations")
_EXTENSIONS = (".geojson", ".gpkg", ".csv")
_GEOMETRY_TYPES = {
    "point": ("Point",),
    "line": ("LineString",),
    "polygon": ("Polygon", "MultiPolygon"),
}
_TRUE = {"true", "1", "yes", "y", "t"}
_FALSE = {"false", "0", "no", "n", "f"}
_GEOD = None  # pyproj.Geod, made on first use: only packs without street lengths need it
_DISPOSITION_CODE = re.compile(r"[A-Z][A-Z0-9_]{0,31}")
MAX_UNITS_PER_NEED = 50
# The grid's hierarchy (网格: 单元网格 ⊂ 社区/村 ⊂ 街道/镇 ⊂ 区 ⊂ 市), finest first: a grid polygon or an area
# belongs to a parent of a coarser level (communities and villages are of one rank).
GRID_LEVELS = ("cell", "community", "village", "town", "district", "city")
_LEVEL_RANK = {"cell": 0, "community": 1, "village": 1, "town": 2, "district": 3, "city": 4}
# The grid cases' tables (docs/city-pack.md): the areas above the grid polygons, the departments that handle
# cases, the catalogue of case categories with their time limits, and the work calendar those run on.
GRID_AREAS_FILE = "grid_areas.csv"
CASE_DEPARTMENTS_FILE = "case_departments.csv"
CASE_CATEGORIES_FILE = "case_categories.csv"
WORK_CALENDAR_FILE = "work_calendar.json"
HOLIDAYS_FILE = "holidays.csv"
_CATEGORY_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,31}")


@dataclass(eq=False, repr=False)
class CityPack:
    """A loaded pack: every layer in WGS84. Treat it as read-only (the grid index is built once)."""

    name: str
    root: Path
    meta: dict
    units: gpd.GeoDataFrame
    cameras: gpd.GeoDataFrame
    checkpoints: gpd.GeoDataFrame
    grids: gpd.GeoDataFrame
    streets: gpd.GeoDataFrame
    stations: gpd.GeoDataFrame
    areas: gpd.GeoDataFrame
    places: gpd.GeoDataFrame
    # The areas above the grid polygons: area_id -> {area_id, level, parent, name, name_zh}.
    grid_areas: dict[str, dict] = field(default_factory=dict)
    # Grid cases (dispatch/grid_cases.py): code -> {code, name, name_zh}, and code -> {code, name, name_zh,
    # department, limit}; the work calendar their limits run on (None: the pack has none).
    case_departments: dict[str, dict] = field(default_factory=dict)
    case_categories: dict[str, dict] = field(default_factory=dict)
    work_calendar: WorkCalendar | None = None

    def __post_init__(self):
        self._grid_tree  # built now so the first incident does not pay for it

    def __repr__(self) -> str:
        counts = ", ".join(f"{name}={len(layer)}" for name, layer in self.layers().items())
        return f"CityPack({self.name!r}, {counts})"

    @cached_property
    def _grid_tree(self) -> shapely.STRtree:
        return shapely.STRtree(self.grids.geometry.values)

    @cached_property
    def _grid_ids(self) -> np.ndarray:
        return self.grids["grid_id"].to_numpy(dtype=object)

    def grid_at(self, lon: float, lat: float) -> str | None:
        """The id of the grid cell containing (lon, lat), or None outside every cell.

        A point on a border shared by two cells belongs to the one listed first.
        """
        hits = self._grid_tree.query(shapely.Point(lon, lat), predicate="intersects")
        return str(self._grid_ids[hits.min()]) if len(hits) else None

    @cached_property
    def _grid_chains(self) -> dict[str, dict[str, str]]:
        parents = dict(zip(self.grids["grid_id"], self.grids["parent"]))
        levels = dict(zip(self.grids["grid_id"], self.grids["level"]))
        chains = {}
        for grid_id in self.grids["grid_id"]:
            chain = {levels[grid_id]: grid_id}
            parent = parents[grid_id]
            while parent:  # levels rise at each step (checked at load), so this ends
                area = self.grid_areas[parent]
                chain[area["level"]] = parent
                parent = area["parent"]
            chains[grid_id] = chain
        return chains

    def areas_of(self, grid_id: str) -> dict[str, str]:
        """The grid polygon and the areas it lies in, by level: {"cell": "G013", "community": "C02",
        "town": "T1", "city": "HEL"} (only the polygon's own level for a pack without a hierarchy)."""
        return dict(self._grid_chains[grid_id])

    def grid_ids_at(self, lon, lat) -> np.ndarray:
        """grid_at for arrays of points: an object array of grid ids, None where no cell holds the point."""
        lon = np.atleast_1d(np.asarray(lon, dtype=np.float64))
        points = shapely.points(lon, np.atleast_1d(np.asarray(lat, dtype=np.float64)))
        first = np.full(len(points), len(self._grid_ids), dtype=np.int64)
        point_index, cell_index = self._grid_tree.query(points, predicate="intersects")
        np.minimum.at(first, point_index, cell_index)
        ids = np.append(self._grid_ids, None)
        return ids[first]

    def bounds(self) -> tuple[float, float, float, float]:
        """(minlon, minlat, maxlon, maxlat) of every feature in the pack; city.json's zoom_extent if it has none."""
        boxes = [layer.total_bounds for layer in self.layers().values() if len(layer)]
        if not boxes:
            return tuple(self.meta["zoom_extent"])
        stacked = np.vstack(boxes)
        return (
            float(stacked[:, 0].min()),
            float(stacked[:, 1].min()),
            float(stacked[:, 2].max()),
            float(stacked[:, 3].max()),
        )

    def layers(self) -> dict[str, gpd.GeoDataFrame]:
        return {name: getattr(self, name) for name in SCHEMAS}


def shipped_cities() -> list[str]:
    """Names of the packs under resources/cities (folders holding a city.json)."""
    if not CITIES_DIR.is_dir():
        return []
    return sorted(p.name for p in CITIES_DIR.iterdir() if (p / CITY_JSON).is_file())


def load_city(name_or_path: str | Path) -> CityPack:
    """Load a shipped pack by name (e.g. "demo") or any pack folder by path."""
    root = _find_pack(name_or_path)
    meta = _read_meta(root)
    layers = {layer: _load_layer(root, meta, layer) for layer in SCHEMAS}
    grid_areas = _grid_areas(root)
    _check_grid_parents(layers["grids"], grid_areas)
    departments = _case_departments(root)
    calendar = _work_calendar(root, meta)
    pack = CityPack(name=meta["name"], root=root, meta=meta, **layers, grid_areas=grid_areas,
                    case_departments=departments, case_categories=_case_categories(root, departments, calendar),
                    work_calendar=calendar)
    _complete_view(pack)
    return pack


# --- finding and reading city.json ---------------------------------------------------------------


def pack_folder(name_or_path: str | Path) -> Path:
    """The folder of a city pack (a path, or a shipped city's name), without loading its layers."""
    return _find_pack(name_or_path)


def _find_pack(name_or_path: str | Path) -> Path:
    candidate = Path(name_or_path).expanduser()
    if candidate.is_dir():
        root = candidate
    elif isinstance(name_or_path, str) and (CITIES_DIR / name_or_path).is_dir():
        root = CITIES_DIR / name_or_path
    else:
        shipped = ", ".join(shipped_cities()) or "none"
        raise CityPackError(
            str(name_or_path), f"no such city pack: not a folder, and not a shipped city (shipped: {shipped})"
        )
    if not (root / CITY_JSON).is_file():
        raise CityPackError(str(root / CITY_JSON), "missing: every city pack folder needs a city.json")
    return root.resolve()


def _read_meta(root: Path) -> dict:
    try:
        meta = json.loads((root / CITY_JSON).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CityPackError(CITY_JSON, f"cannot be read: {exc}") from None
    if not isinstance(meta, dict):
        raise CityPackError(CITY_JSON, "must hold a JSON object")
    meta.setdefault("name", root.name)
    meta.setdefault("title", meta["name"])
    meta.setdefault("title_zh", meta["title"])
    meta.setdefault("placed", {})
    if not isinstance(meta["placed"], dict):
        raise CityPackError(CITY_JSON, '"placed" must be an object: layer -> how its features were placed')
    for key in ("name", "title", "title_zh"):
        if not isinstance(meta[key], str) or not meta[key]:
            raise CityPackError(CITY_JSON, f'"{key}" must be a non-empty string')
    _check_centre(meta)
    if "center" in meta:
        _check_lon_lat_list(meta["center"], "center", 2)
    if "zoom_extent" in meta:
        _check_lon_lat_list(meta["zoom_extent"], "zoom_extent", 4)
        minlon, minlat, maxlon, maxlat = meta["zoom_extent"]
        if not (minlon < maxlon and minlat < maxlat):
            raise CityPackError(CITY_JSON, '"zoom_extent" must be [minlon, minlat, maxlon, maxlat] with min < max')
    if "crs" in meta:
        meta["crs"] = _known_crs(meta["crs"], CITY_JSON, None)
    layers = meta.setdefault("layers", {})
    if not isinstance(layers, dict):
        raise CityPackError(CITY_JSON, '"layers" must be an object of per-layer settings')
    for layer, setting in layers.items():
        if layer not in SCHEMAS:
            raise CityPackError(CITY_JSON, f'"layers" names unknown layer {layer!r} (layers: {", ".join(SCHEMAS)})')
        if isinstance(setting, str):
            layers[layer] = {"file": setting}
        elif setting is not None and not isinstance(setting, dict):
            raise CityPackError(CITY_JSON, f'"layers"."{layer}" must be null, a file name or an object')
    meta["dispositions"] = _checked_dispositions(meta.get("dispositions", copy.deepcopy(DEFAULT_DISPOSITIONS)))
    meta["run_cards"] = _checked_run_cards(meta.get("run_cards", copy.deepcopy(DEFAULT_RUN_CARDS)))
    return meta


def _check_centre(meta: dict) -> None:
    """`centre_code` and `timezone` name the incidents the centre numbers (DEMO-261202-0007, docs/protocol.md)."""
    meta.setdefault("centre_code", re.sub(r"[^A-Z0-9]", "", meta["name"].upper())[:12] or "OPS")
    if not isinstance(meta["centre_code"], str) or not _CENTRE_CODE.fullmatch(meta["centre_code"]):
        raise CityPackError(CITY_JSON, '"centre_code" must be 1-12 upper-case letters or digits (A-Z, 0-9)')
    meta.setdefault("timezone", "UTC")
    try:
        zoneinfo.ZoneInfo(meta["timezone"])
    except (TypeError, ValueError, zoneinfo.ZoneInfoNotFoundError):
        raise CityPackError(CITY_JSON, f'"timezone" {meta["timezone"]!r} is not an IANA time zone '
                                       '(e.g. "Europe/Helsinki", "Asia/Shanghai")') from None


def _checked_dispositions(dispositions) -> list[dict]:
    """The codes an incident may be closed with: [{"code", "label", "label_zh"}, ...], codes unique."""
    if not isinstance(dispositions, (list, tuple)) or not dispositions:
        raise CityPackError(CITY_JSON, '"dispositions" must be a non-empty list of {"code", "label", "label_zh"}')
    seen: dict[str, int] = {}
    for number, item in enumerate(dispositions, start=1):
        where = f'"dispositions" item {number}'
        if not isinstance(item, dict) or set(item) != {"code", "label", "label_zh"}:
            raise CityPackError(CITY_JSON, 'must be an object with exactly "code", "label" and "label_zh"', where)
        code = item["code"]
        if not isinstance(code, str) or not _DISPOSITION_CODE.fullmatch(code):
            raise CityPackError(CITY_JSON, f"code {code!r} must be 1-32 capital letters, digits or _, "
                                           "starting with a letter", where)
        if code in seen:
            raise CityPackError(CITY_JSON, f"duplicate code {code!r} (first in item {seen[code]})", where)
        seen[code] = number
        for key in ("label", "label_zh"):
            if not isinstance(item[key], str) or not item[key].strip():
                raise CityPackError(CITY_JSON, f'"{key}" of {code} must be a non-empty string', where)
    return list(dispositions)


def _checked_run_cards(cards) -> dict[str, list[dict]]:
    """Incident kind -> [{"kinds": [unit kind, ...], "count": n}, ...], with a "default" card for other kinds."""
    if not isinstance(cards, dict):
        raise CityPackError(CITY_JSON, '"run_cards" must be an object: incident kind -> list of needs')
    if DEFAULT_CARD not in cards:
        raise CityPackError(CITY_JSON, f'"run_cards" needs a "{DEFAULT_CARD}" card for the incident kinds it '
                                       f'does not name, e.g. "{DEFAULT_CARD}": [{{"kinds": ["patrol"], "count": 1}}]')
    for incident_kind, card in cards.items():
        if not incident_kind.strip():
            raise CityPackError(CITY_JSON, '"run_cards" has an empty incident kind')
        if not isinstance(card, list) or not card:
            raise CityPackError(CITY_JSON, 'must be a non-empty list of {"kinds": [...], "count": n}',
                                f'"run_cards"."{incident_kind}"')
        for number, need in enumerate(card, start=1):
            where = f'"run_cards"."{incident_kind}" need {number}'
            if not isinstance(need, dict) or set(need) != {"kinds", "count"}:
                raise CityPackError(CITY_JSON, 'must be an object with exactly "kinds" and "count"', where)
            kinds, count = need["kinds"], need["count"]
            if (not isinstance(kinds, list) or not kinds
                    or not all(isinstance(k, str) and k.strip() for k in kinds) or len(set(kinds)) != len(kinds)):
                raise CityPackError(CITY_JSON, f'"kinds" {kinds!r} must be a non-empty list of distinct unit kinds '
                                               '(as in units.csv "kind")', where)
            if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_UNITS_PER_NEED:
                raise CityPackError(CITY_JSON, f'"count" {count!r} must be a whole number from 1 to '
                                               f'{MAX_UNITS_PER_NEED}', where)
    return cards


def _check_lon_lat_list(value, key: str, length: int) -> None:
    if not (
        isinstance(value, list)
        and len(value) == length
        and all(isinstance(v, (int, float)) and math.isfinite(v) for v in value)
    ):
        raise CityPackError(CITY_JSON, f'"{key}" must be a list of {length} finite numbers')
    lons, lats = value[0::2], value[1::2]
    if any(abs(v) > 180 for v in lons) or any(abs(v) > 90 for v in lats):
        raise CityPackError(CITY_JSON, f'"{key}" {value} is outside lon [-180, 180], lat [-90, 90]')


def _complete_view(pack: CityPack) -> None:
    """Fill in zoom_extent and center from the data when city.json leaves them out."""
    if "zoom_extent" not in pack.meta:
        if not any(len(layer) for layer in pack.layers().values()):
            raise CityPackError(CITY_JSON, 'the pack has no features and no "zoom_extent"')
        pack.meta["zoom_extent"] = list(pack.bounds())
    if "center" not in pack.meta:
        minlon, minlat, maxlon, maxlat = pack.meta["zoom_extent"]
        pack.meta["center"] = [(minlon + maxlon) / 2.0, (minlat + maxlat) / 2.0]


# --- one layer ------------------------------------------------------------------------------------


def _load_layer(root: Path, meta: dict, layer: str) -> gpd.GeoDataFrame:
    schema = SCHEMAS[layer]
    settings = meta["layers"].get(layer, {})
    if settings is None:  # declared empty in city.json
        return _empty_layer(schema)
    path = _layer_file(root, layer, settings)
    if path is None:
        return _empty_layer(schema)
    label = _file_label(root, path)
    frame, file_crs, where = _read_file(path, label, settings)
    renames = settings.get("columns", {})
    if not isinstance(renames, dict):
        raise CityPackError(CITY_JSON, f'"layers"."{layer}"."columns" must map pack columns to file columns')
    missing_sources = [source for source in renames.values() if source not in frame.columns]
    if missing_sources:
        raise CityPackError(
            label, f"missing column {missing_sources[0]!r} named in city.json (columns: {_column_list(frame)})"
        )
    for target, source in renames.items():  # copies, so one file column may feed two (e.g. id and name)
        frame[target] = frame[source]
    defaults = settings.get("defaults", {})
    if not isinstance(defaults, dict):
        raise CityPackError(CITY_JSON, f'"layers"."{layer}"."defaults" must map columns to values')
    for column, value in defaults.items():
        if column not in frame.columns:
            frame[column] = value
    missing = [column for column in schema.required if column not in frame.columns]
    if missing:
        raise CityPackError(label, f"missing column {missing[0]!r} (columns: {_column_list(frame)})")
    if path.suffix.lower() == ".csv":
        frame = _points_from_lon_lat(frame, label, where)

    if schema.id_column:
        frame[schema.id_column] = _ids(frame[schema.id_column], schema.id_column, label, where)
    if layer == "streets":
        for column in ("u", "v"):
            frame[column] = _ids(frame[column], column, label, where, unique=False)
    _fill_defaults(frame, schema)
    _check_geometry_types(frame, schema, label, where)
    layer_crs = _known_crs(settings.get("crs") or _declared(file_crs) or meta.get("crs") or WGS84, label, None)
    frame = _to_wgs84(frame, layer_crs, label, where)
    _typed_columns(frame, layer, schema, label, where)
    return frame


def _layer_file(root: Path, layer: str, settings: dict) -> Path | None:
    if "file" in settings:
        path = (root / settings["file"]).resolve()  # an absolute "file" stays absolute
        if not path.is_file():
            raise CityPackError(str(settings["file"]), f'missing: city.json names it as the "{layer}" layer')
        return path
    found = [root / f"{layer}{ext}" for ext in _EXTENSIONS if (root / f"{layer}{ext}").is_file()]
    if len(found) > 1:
        names = " and ".join(p.name for p in found)
        raise CityPackError(found[0].name, f'{names} both exist: keep one, or name one in city.json "layers"')
    if found:
        return found[0]
    if layer in REQUIRED_LAYERS:
        raise CityPackError(
            f"{layer}{_EXTENSIONS[0]}",
            f"missing: the pack needs a {layer} layer ({' or '.join(layer + e for e in _EXTENSIONS)}); "
            f'for a deliberately empty layer put "layers": {{"{layer}": null}} in city.json',
        )
    return None


def _file_label(root: Path, path: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def _read_file(path: Path, label: str, settings: dict):
    """Read a CSV (as text) or anything GDAL reads. Returns (frame, the file's CRS or None, row labeller)."""
    if path.suffix.lower() == ".csv":
        try:
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
        except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            raise CityPackError(label, f"cannot be read: {exc}") from None
        frame.columns = [str(c).strip() for c in frame.columns]
        return frame, None, lambda i: f"row {i + 1}"  # 1-based data row, the header not counted

    import pyogrio  # only packs with vector files need it

    try:
        frame = pyogrio.read_dataframe(path, layer=settings.get("layer"))
    except Exception as exc:  # noqa: BLE001 - GDAL raises many kinds; all mean "cannot be read"
        raise CityPackError(label, f"cannot be read: {exc}") from None
    file_crs = frame.crs.to_string() if frame.crs is not None else None
    frame = frame.set_crs(None, allow_override=True)  # the pack's CRS is decided later; keep no stale one
    return frame, file_crs, lambda i: f"feature {i + 1}"


def _points_from_lon_lat(frame: pd.DataFrame, label: str, where) -> gpd.GeoDataFrame:
    for column in ("lon", "lat"):
        if column not in frame.columns:
            raise CityPackError(label, f"missing column {column!r} (columns: {_column_list(frame)})")
    lon = _numbers(frame["lon"], "lon", label, where)
    lat = _numbers(frame["lat"], "lat", label, where)
    return gpd.GeoDataFrame(frame.drop(columns=["lon", "lat"]), geometry=shapely.points(lon, lat))


def _numbers(values: pd.Series, column: str, label: str, where) -> np.ndarray:
    text = values.astype(str).str.strip()
    numbers = pd.to_numeric(text, errors="coerce").to_numpy(dtype=np.float64)
    bad = np.flatnonzero(~np.isfinite(numbers))
    if len(bad):
        row = bad[0]
        shown = text.iloc[row]
        problem = f"{column} is empty" if shown == "" else f"{column} {shown!r} is not a finite number"
        raise CityPackError(label, problem, where(row))
    return numbers


def _ids(values: pd.Series, column: str, label: str, where, unique: bool = True) -> pd.Series:
    if pd.api.types.is_float_dtype(values) and np.all(np.isnan(values) | (values == np.round(values))):
        values = values.astype("Int64")  # ids read as 1.0, 2.0 from a numeric column mean "1", "2"
    text = pd.Series([None if pd.isna(v) else str(v).strip() for v in values], index=values.index, dtype=object)
    empty = np.flatnonzero(text.isna().to_numpy() | (text == "").to_numpy())
    if len(empty):
        raise CityPackError(label, f"{column} is empty", where(empty[0]))
    if unique:
        duplicated = np.flatnonzero(text.duplicated().to_numpy())
        if len(duplicated):
            row = duplicated[0]
            first = np.flatnonzero((text == text.iloc[row]).to_numpy())[0]
            raise CityPackError(label, f"duplicate {column} {text.iloc[row]!r} (first at {where(first)})", where(row))
    return text


def _fill_defaults(frame: pd.DataFrame, schema: _Schema) -> None:
    for column, default in schema.optional.items():
        fallback = frame[schema.id_column] if default is None else default
        if column not in frame.columns:
            frame[column] = fallback
        elif isinstance(default, str) or default is None:
            blank = frame[column].isna() | (frame[column].astype(str).str.strip() == "")
            frame[column] = frame[column].astype(object).where(~blank, fallback)


def _check_geometry_types(frame: gpd.GeoDataFrame, schema: _Schema, label: str, where) -> None:
    geoms = frame.geometry.values
    missing = np.flatnonzero(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    if len(missing):
        raise CityPackError(label, "has no geometry", where(missing[0]))
    expected = _GEOMETRY_TYPES[schema.geometry]
    types = frame.geometry.geom_type.to_numpy()
    wrong = np.flatnonzero(~np.isin(types, expected))
    if len(wrong):
        row = wrong[0]
        raise CityPackError(label, f"geometry is {types[row]}, expected {' or '.join(expected)}", where(row))


def _declared(file_crs: str | None) -> str | None:
    """The file's CRS when it says more than WGS84, which GDAL also reports for GeoJSON that says nothing."""
    if file_crs is None or crs_lib.canonical_crs(file_crs) == WGS84:
        return None
    return file_crs


def _known_crs(value, label: str, where: str | None) -> str:
    try:
        return crs_lib.canonical_crs(value)
    except ValueError as exc:
        raise CityPackError(label, str(exc), where) from None


def _to_wgs84(frame: gpd.GeoDataFrame, layer_crs: str, label: str, where) -> gpd.GeoDataFrame:
    """Convert every coordinate to WGS84; a point layer's `crs` column overrides the layer CRS per row."""
    geoms = frame.geometry.values.to_numpy().copy()
    coords, feature = shapely.get_coordinates(geoms, return_index=True)
    row_crs = np.full(len(frame), layer_crs, dtype=object)
    if "crs" in frame.columns:
        given = frame["crs"].astype(object).where(frame["crs"].notna(), "").astype(str).str.strip().to_numpy(object)
        has_crs = given != ""
        row_crs[has_crs] = given[has_crs]
        for value in pd.unique(row_crs[has_crs]):
            rows = has_crs & (row_crs == value)
            canonical = _known_crs(str(value), label, where(np.flatnonzero(rows)[0]))
            row_crs[rows] = canonical
        frame = frame.drop(columns=["crs"])
    coord_crs = row_crs[feature]
    lon = np.empty(len(coords))
    lat = np.empty(len(coords))
    for system in pd.unique(coord_crs):
        at = coord_crs == system
        x, y = coords[at, 0], coords[at, 1]
        if crs_lib.is_geographic(system):
            _check_lon_lat(x, y, feature[at], label, where)
        lon[at], lat[at] = crs_lib.to_wgs84(x, y, system)
        _check_lon_lat(lon[at], lat[at], feature[at], label, where, f" after conversion from {system}")
    geoms = shapely.set_coordinates(geoms, np.column_stack([lon, lat]))
    return gpd.GeoDataFrame(frame.drop(columns="geometry"), geometry=geoms, crs=WGS84)


def _check_lon_lat(lon: np.ndarray, lat: np.ndarray, feature: np.ndarray, label: str, where, suffix: str = "") -> None:
    for name, values, limit in (("lon", lon, 180.0), ("lat", lat, 90.0)):
        bad = np.flatnonzero(~(np.abs(values) <= limit))  # NaN fails the comparison too
        if len(bad):
            first = bad[0]
            value = float(values[first])
            problem = (
                f"{name} {value!r} is not a finite number"
                if not np.isfinite(value)
                else f"{name} {value!r} is outside [{-limit:g}, {limit:g}]"
            )
            raise CityPackError(label, problem + suffix, where(feature[first]))


def _typed_columns(frame: gpd.GeoDataFrame, layer: str, schema: _Schema, label: str, where) -> None:
    for column in ("callsign", "kind", "station", "name", "stream_url", "highway", "name_en", "name_zh", "street",
                   "housenumber", "level", "parent"):
        if column in schema.optional or column in schema.required:
            frame[column] = frame[column].astype(object).where(frame[column].notna(), "").astype(str).str.strip()
    if schema.allowed_kinds:
        wrong = np.flatnonzero(~frame["kind"].isin(schema.allowed_kinds).to_numpy())
        if len(wrong):
            row = wrong[0]
            allowed = ", ".join(schema.allowed_kinds)
            raise CityPackError(label, f"kind {frame['kind'].iloc[row]!r} is not one of {allowed}", where(row))
    if layer == "places":
        _check_places(frame, label, where)
    if layer == "grids":
        wrong = np.flatnonzero(~frame["level"].isin(GRID_LEVELS).to_numpy())
        if len(wrong):
            raise CityPackError(label, f"level {frame['level'].iloc[wrong[0]]!r} is not one of {', '.join(GRID_LEVELS)}",
                                where(wrong[0]))
    if layer == "cameras":
        frame["online"] = _booleans(frame["online"], "online", True, label, where)
        frame["direction_deg"] = _optional_numbers(frame["direction_deg"], "direction_deg", (0.0, 360.0), label, where)
        frame["fov_deg"] = _optional_numbers(frame["fov_deg"], "fov_deg", (0.0, 360.0), label, where)
    if layer == "streets":
        frame["oneway"] = _booleans(frame["oneway"], "oneway", False, label, where)
        length = _optional_numbers(frame["length_m"], "length_m", (0.0, math.inf), label, where)
        unknown = np.isnan(length)
        if unknown.any():
            length[unknown] = _geodesic_lengths(frame.geometry.values[unknown])
        frame["length_m"] = length


# --- the grid's hierarchy and the grid cases' tables --------------------------------------------


def _read_table(root: Path, name: str, required: tuple[str, ...]) -> list[tuple[str, dict]] | None:
    """The rows of a CSV table of the pack as (where, row), values stripped; None when the pack has no such
    file."""
    path = root / name
    if not path.is_file():
        return None
    try:
        with open(path, encoding="utf-8-sig", newline="") as file:
            reader = csv.DictReader(file)
            columns = reader.fieldnames or []
            rows = [(f"row {n}", {key: (value or "").strip() for key, value in row.items() if key is not None})
                    for n, row in enumerate(reader, start=1)]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise CityPackError(name, f"cannot be read: {exc}") from None
    missing = [column for column in required if column not in columns]
    if missing:
        raise CityPackError(name, f"missing column {missing[0]!r} (columns: {', '.join(columns)})")
    return rows


def _unique_id(seen: dict, value: str, column: str, name: str, where: str) -> str:
    if not value:
        raise CityPackError(name, f"{column} is empty", where)
    if value in seen:
        raise CityPackError(name, f"{column} {value!r} is listed twice", where)
    return value


def _grid_areas(root: Path) -> dict[str, dict]:
    """`grid_areas.csv`: area_id, level, parent ("" at the top), name, name_zh."""
    areas: dict[str, dict] = {}
    wheres = {}
    for where, row in _read_table(root, GRID_AREAS_FILE, ("area_id", "level")) or []:
        area_id = _unique_id(areas, row["area_id"], "area_id", GRID_AREAS_FILE, where)
        if row["level"] not in GRID_LEVELS[1:]:
            raise CityPackError(GRID_AREAS_FILE, f"level {row['level']!r} is not one of {', '.join(GRID_LEVELS[1:])}",
                                where)
        areas[area_id] = {"area_id": area_id, "level": row["level"], "parent": row.get("parent", ""),
                          "name": row.get("name") or area_id, "name_zh": row.get("name_zh") or row.get("name") or area_id}
        wheres[area_id] = where
    for area_id, area in areas.items():
        _check_parent(area["level"], area["parent"], areas, GRID_AREAS_FILE, f"{wheres[area_id]} ({area_id})")
    return areas


def _check_parent(level: str, parent: str, areas: dict[str, dict], name: str, where: str) -> None:
    """A parent is an area of the table, of a coarser level; so a chain of parents always ends."""
    if not parent:
        return
    if parent not in areas:
        raise CityPackError(name, f"parent {parent!r} is not an area of {GRID_AREAS_FILE}", where)
    if _LEVEL_RANK[areas[parent]["level"]] <= _LEVEL_RANK[level]:
        raise CityPackError(name, f"parent {parent!r} is a {areas[parent]['level']}, not coarser than a {level}", where)


def _check_grid_parents(grids: gpd.GeoDataFrame, areas: dict[str, dict]) -> None:
    for index, (grid_id, level, parent) in enumerate(zip(grids["grid_id"], grids["level"], grids["parent"])):
        _check_parent(level, parent, areas, "grids", f"feature {index + 1} ({grid_id})")


def _case_departments(root: Path) -> dict[str, dict]:
    """`case_departments.csv`: code, name, name_zh: who handles grid cases."""
    departments: dict[str, dict] = {}
    for where, row in _read_table(root, CASE_DEPARTMENTS_FILE, ("code", "name")) or []:
        code = _unique_id(departments, row["code"], "code", CASE_DEPARTMENTS_FILE, where)
        if not _DISPOSITION_CODE.fullmatch(code):
            raise CityPackError(CASE_DEPARTMENTS_FILE, f"code {code!r} must be 1-32 capital letters, digits or _, "
                                                       "starting with a letter", where)
        departments[code] = {"code": code, "name": row["name"] or code, "name_zh": row.get("name_zh") or row["name"]}
    return departments


def _work_calendar(root: Path, meta: dict) -> WorkCalendar | None:
    """`work_calendar.json` (hours, weekdays) and `holidays.csv`, on the city's clock (city.json timezone)."""
    if not (root / WORK_CALENDAR_FILE).is_file():
        if (root / HOLIDAYS_FILE).is_file():
            raise CityPackError(HOLIDAYS_FILE, f"needs {WORK_CALENDAR_FILE} beside it (the working hours and weekdays)")
        return None
    calendar_text = _read_text(root, WORK_CALENDAR_FILE)
    holidays_text = _read_text(root, HOLIDAYS_FILE) if (root / HOLIDAYS_FILE).is_file() else None
    try:
        return parse_calendar(calendar_text, holidays_text, zoneinfo.ZoneInfo(meta["timezone"]))
    except CalendarError as exc:
        # the holidays' problems name their line or columns; every other one is the calendar file's
        holidays_problem = str(exc).startswith(("line ", "needs the columns"))
        raise CityPackError(HOLIDAYS_FILE if holidays_problem else WORK_CALENDAR_FILE, str(exc)) from None


def _read_text(root: Path, name: str) -> str:
    try:
        return (root / name).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise CityPackError(name, f"cannot be read: {exc}") from None


def _case_categories(root: Path, departments: dict[str, dict], calendar: WorkCalendar | None) -> dict[str, dict]:
    """`case_categories.csv`: code, name, name_zh, department (its code), limit, limit_unit."""
    rows = _read_table(root, CASE_CATEGORIES_FILE, ("code", "name", "department", "limit", "limit_unit"))
    if rows is None:
        return {}
    if calendar is None:
        raise CityPackError(CASE_CATEGORIES_FILE, f"time limits run on working time: the pack needs {WORK_CALENDAR_FILE}")
    categories: dict[str, dict] = {}
    for where, row in rows:
        code = _unique_id(categories, row["code"], "code", CASE_CATEGORIES_FILE, where)
        if not _CATEGORY_CODE.fullmatch(code):
            raise CityPackError(CASE_CATEGORIES_FILE, f"code {code!r} must be 1-32 letters, digits or _.-", where)
        if row["department"] not in departments:
            known = ", ".join(departments) or f"none: the pack has no {CASE_DEPARTMENTS_FILE}"
            raise CityPackError(CASE_CATEGORIES_FILE, f"department {row['department']!r} is not in "
                                                      f"{CASE_DEPARTMENTS_FILE} ({known})", where)
        try:
            limit = Limit(float(row["limit"]), row["limit_unit"])
        except ValueError as exc:  # float() or the limit's own check
            problem = str(exc) if isinstance(exc, CalendarError) else f"limit {row['limit']!r} is not a number"
            raise CityPackError(CASE_CATEGORIES_FILE, problem, where) from None
        if not math.isfinite(limit.amount):
            raise CityPackError(CASE_CATEGORIES_FILE, f"limit {row['limit']!r} is not a finite number", where)
        categories[code] = {"code": code, "name": row["name"] or code, "name_zh": row.get("name_zh") or row["name"],
                            "department": row["department"], "limit": limit}
    return categories


def _check_places(frame: gpd.GeoDataFrame, label: str, where) -> None:
    """An address needs its street and house number, a place its name: a row without them finds nothing."""
    address = (frame["kind"] == "address").to_numpy()
    for column in ("street", "housenumber"):
        empty = np.flatnonzero(address & (frame[column] == "").to_numpy())
        if len(empty):
            raise CityPackError(label, f"an address needs a {column}; it is empty", where(empty[0]))
    nameless = np.flatnonzero(~address & (frame["name"] == "").to_numpy())
    if len(nameless):
        raise CityPackError(label, "a place needs a name; it is empty", where(nameless[0]))


def _booleans(values: pd.Series, column: str, default: bool, label: str, where) -> np.ndarray:
    if pd.api.types.is_bool_dtype(values):
        return values.to_numpy(dtype=bool)
    text = values.astype(object).where(values.notna(), "").astype(str).str.strip().str.lower()
    text = text.str.removesuffix(".0")  # 1.0 / 0.0 from a numeric column
    meaning = {value: True for value in _TRUE} | {value: False for value in _FALSE} | {"": default}
    unknown = np.flatnonzero(~text.isin(meaning).to_numpy())
    if len(unknown):
        row = unknown[0]
        raise CityPackError(label, f"{column} {values.iloc[row]!r} is not true/false", where(row))
    return text.map(meaning).to_numpy(dtype=bool)


def _optional_numbers(values: pd.Series, column: str, limits: tuple[float, float], label: str, where) -> np.ndarray:
    text = values.astype(object).where(values.notna(), "").astype(str).str.strip()
    numbers = pd.to_numeric(text, errors="coerce").to_numpy(dtype=np.float64, copy=True)
    unparsed = np.flatnonzero(np.isnan(numbers) & ~text.str.lower().isin(["", "nan"]).to_numpy())
    if len(unparsed):
        row = unparsed[0]
        raise CityPackError(label, f"{column} {text.iloc[row]!r} is not a number", where(row))
    low, high = limits
    outside = np.flatnonzero(~np.isnan(numbers) & ~((numbers >= low) & (numbers <= high)))
    if len(outside):
        row = outside[0]
        raise CityPackError(label, f"{column} {float(numbers[row])!r} is outside [{low:g}, {high:g}]", where(row))
    return numbers


def _geodesic_lengths(lines) -> np.ndarray:
    global _GEOD
    if _GEOD is None:
        from pyproj import Geod

        _GEOD = Geod(ellps="WGS84")
    return np.array([_GEOD.geometry_length(line) for line in lines], dtype=np.float64)


def empty_layer(layer: str) -> gpd.GeoDataFrame:
    """A layer with its columns and no features (a pack built in code that has none of it)."""
    return _empty_layer(SCHEMAS[layer])


def _empty_layer(schema: _Schema) -> gpd.GeoDataFrame:
    columns = {c: pd.Series(dtype=object) for c in schema.required}
    for column, default in schema.optional.items():
        dtype = bool if isinstance(default, bool) else np.float64 if isinstance(default, float) else object
        columns.setdefault(column, pd.Series(dtype=dtype))
    return gpd.GeoDataFrame(columns, geometry=[], crs=WGS84)


def _column_list(frame: pd.DataFrame) -> str:
    return ", ".join(str(c) for c in frame.columns if c != "geometry") or "none"
