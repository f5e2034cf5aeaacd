"""Grid cell shapes are built once per level and reused by every tile of it; tiles look the same."""
from __future__ import annotations

import numpy as np
import shapely

from layers import crs as crs_lib
from layers.grids import GridLayer
from map import renderers
from map.tiles import TILE_PX, TileFrame, TileImage, level_scale


def _grids() -> GridLayer:
    g = GridLayer()
    cells, names = [], []
    for i in range(6):
        for j in range(4):
            lon, lat = 24.93 + i * 0.004, 60.165 + j * 0.002
            cells.append(shapely.box(lon, lat, lon + 0.004, lat + 0.002))
            names.append(f"G{i}{j}")
    # one cell with a hole (drawn as a path)
    cells[0] = shapely.Polygon(cells[0].exterior.coords, [shapely.box(24.931, 60.1655, 24.932, 60.166).exterior.coords])
    g.set_polygons(names, cells, names)
    g.set_values({n: float(k % 5) for k, n in enumerate(names)}, "x")
    return g


def _render(renderer, frame):
    tile = TileImage()
    renderer.render_tile(tile, frame)
    image = tile.finish()
    return np.frombuffer(image.constBits(), dtype=np.uint8).copy()


def test_grid_shapes_built_once_per_level_and_tiles_match(qapp, monkeypatch):
    g = _grids()
    built = []
    original = renderers.polygon_shapes
    monkeypatch.setattr(renderers, "polygon_shapes",
                        lambda polygons, rows, frame: (built.extend(rows), original(polygons, rows, frame))[1])
    level = -6
    s = level_scale(level)
    x, y = crs_lib.wgs84_to_mercator(24.94, 60.168)
    tx, ty = int(x * s // TILE_PX), int(y * s // TILE_PX)
    cold = renderers.GridRenderer(g)
    first = _render(cold, TileFrame(level, tx, ty))
    n_first = len(built)
    assert n_first > 0
    again = _render(cold, TileFrame(level, tx, ty))
    assert len(built) == n_first  # nothing built again
    assert np.array_equal(first, again)
    # A neighbour first, then the tile: the same picture as from a cold cache.
    warm = renderers.GridRenderer(g)
    before = len(built)
    _render(warm, TileFrame(level, tx + 1, ty))
    assert np.array_equal(_render(warm, TileFrame(level, tx, ty)), first)
    assert len(built[before:]) == len(set(built[before:]))  # each cell built once for the level
    # New geometry drops the cached shapes.
    g.set_polygons(["a"], [shapely.box(24.93, 60.165, 24.96, 60.175)], ["a"])
    assert not np.array_equal(_render(warm, TileFrame(level, tx, ty)), first)


def test_segments_are_cut_to_the_tile_as_shapely_cuts_them():
    rng = np.random.default_rng(5)
    n = 2000
    x0, y0, x1, y1 = (rng.uniform(-800, 1000, n) for _ in range(4))
    x0[:50], x1[:50] = 100.0, 100.0  # vertical
    y0[50:100], y1[50:100] = -30.0, -30.0  # horizontal, outside
    cx0, cy0, cx1, cy1 = renderers.clip_segments(x0, y0, x1, y1, -16.0, 272.0)
    tile = shapely.box(-16.0, -16.0, 272.0, 272.0)
    expected = []
    for a, b, c, d in zip(x0, y0, x1, y1):
        cut = shapely.LineString([(a, b), (c, d)]).intersection(tile)
        if not cut.is_empty and cut.geom_type == "LineString" and cut.length > 1e-9:
            expected.append(cut)
    assert len(cx0) == len(expected)
    for got, want in zip(zip(cx0, cy0, cx1, cy1), expected):
        (a, b), (c, d) = want.coords
        assert sorted([(round(got[0], 6), round(got[1], 6)), (round(got[2], 6), round(got[3], 6))]) == \
            sorted([(round(a, 6), round(b, 6)), (round(c, 6), round(d, 6))])
