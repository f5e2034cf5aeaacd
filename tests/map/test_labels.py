"""Labels never overlap: names in tiles are placed by a plan per level and block, by priority; callsigns,
drawn each frame, keep clear of them and of each other. The demo city on a real canvas."""
from __future__ import annotations

import math
import time

import numpy as np
import pytest

from layers import crs as crs_lib
from layers.citypack import load_city
from layers.labels import BLOCK_PX, Candidates, LabelPlan, Occupancy
from map.canvas import LABEL_PRIORITY
from map.tiles import TILE_PX, TileFrame, TileImage, level_for_scale, level_scale

from .conftest import NOW


@pytest.fixture(scope="module")
def demo():
    return load_city("demo")


@pytest.fixture
def city(canvas, demo):
    """The demo city with its units and some incidents on the streets, every layer on."""
    canvas.set_city(demo)
    units = demo.units
    canvas.units_layer.set_arrays(units["unit_id"].to_numpy(), units.geometry.x.to_numpy(),
                                  units.geometry.y.to_numpy(), callsign=units["callsign"].to_numpy())
    streets = demo.streets.geometry
    points = [streets.iloc[k].interpolate(0.5, normalized=True) for k in range(0, len(streets), max(len(streets) // 40, 1))]
    n = len(points)
    canvas.incidents_layer.set_arrays([f"INC-{k:03d}" for k in range(n)], [p.x for p in points], [p.y for p in points],
                                      kind=np.array(["theft", "traffic"] * n, dtype=object)[:n],
                                      priority=np.arange(n) % 5 + 1, created_ts=np.full(n, NOW - 300.0))
    for name in ("stations", "checkpoints", "cameras", "grids", "incidents", "units"):
        canvas.set_layer_visible(name, True)
    return canvas


def settle(canvas, deadline_s: float = 5.0) -> list:
    """Frames until the callsigns drawn stop changing (a few new callsign images come each frame)."""
    units = canvas.layers["units"].item
    end = time.monotonic() + deadline_s
    drawn = None
    while time.monotonic() < end:
        canvas.render_now()
        if units.drawn_labels == drawn:
            return drawn
        drawn = list(units.drawn_labels)
    raise AssertionError("callsigns kept changing")


def visible_tiles(canvas) -> tuple[int, list[tuple[int, int]]]:
    level = level_for_scale(canvas.scale())
    size_m = TILE_PX / level_scale(level)
    x0, y0, x1, y1 = canvas.view_box()
    return level, [(tx, ty) for tx in range(math.floor(x0 / size_m), math.floor(x1 / size_m) + 1)
                   for ty in range(math.floor(y0 / size_m), math.floor(y1 / size_m) + 1)]


def tile_labels(canvas, name: str, level: int, tx: int, ty: int) -> dict:
    """{key: level-pixel rect} of the labels the layer's renderer draws into one tile."""
    tile = TileImage()
    canvas.layers[name].renderer.render_tile(tile, TileFrame(level, tx, ty))
    tile.finish()
    return {key: rect for layer, key, rect in tile.labels if layer == name}


def drawn_rects(canvas) -> list[tuple[str, tuple[float, float, float, float]]]:
    """(what, rect in view pixels) of every label drawn in view: names in tiles, then callsigns."""
    callsigns = settle(canvas)
    level, tiles = visible_tiles(canvas)
    ls = level_scale(level)
    out = []
    for name in LABEL_PRIORITY:
        if not canvas.layer_visible(name):
            continue
        seen = {}
        for tx, ty in tiles:
            seen.update(tile_labels(canvas, name, level, tx, ty))
        for key, (x0, y0, x1, y1) in seen.items():
            a, b = canvas.to_screen(x0 / ls, -y0 / ls), canvas.to_screen(x1 / ls, -y1 / ls)
            out.append((f"{name}:{key}", (a.x(), a.y(), b.x(), b.y())))
    out.extend((f"callsign:{text}", rect) for text, rect in callsigns)
    return out


def overlapping(rects) -> list:
    """Pairs of labels whose rectangles share more than a rounding half pixel."""
    boxes = np.array([r for _, r in rects])
    pairs = []
    for i in range(len(rects)):
        a = boxes[i]
        hit = ((boxes[i + 1:, 0] < a[2] - 0.5) & (a[0] < boxes[i + 1:, 2] - 0.5)
               & (boxes[i + 1:, 1] < a[3] - 0.5) & (a[1] < boxes[i + 1:, 3] - 0.5))
        pairs.extend((rects[i][0], rects[i + 1 + j][0]) for j in np.flatnonzero(hit))
    return pairs


def kinds(rects) -> set[str]:
    return {what.split(":")[0] for what, _ in rects}


def test_no_two_labels_overlap_at_full_extent_and_at_street_level(city, demo):
    city.fit_city()
    whole = drawn_rects(city)
    assert {"callsign", "grids"} <= kinds(whole)
    assert overlapping(whole) == []
    lon, lat = demo.meta["center"]
    city.center_on(lon, lat, 250)
    street = drawn_rects(city)
    assert {"callsign", "cameras", "incidents"} <= kinds(street)
    assert overlapping(street) == []


def hidden_names(canvas, name: str) -> list:
    """Keys of the layer's labels the plan considered in view but did not place."""
    level, _ = visible_tiles(canvas)
    scale = level_scale(level)
    b = BLOCK_PX / scale
    x0, y0, x1, y1 = canvas.view_box()
    considered, placed = set(), set()
    for bx in range(math.floor(x0 / b), math.floor(x1 / b) + 1):
        for by in range(math.floor(-y1 / b), math.floor(-y0 / b) + 1):
            candidates = canvas.layers[name].renderer.label_candidates(scale, (bx * b, -(by + 1) * b, (bx + 1) * b, -by * b))
            if candidates is not None:
                considered.update(candidates.keys.tolist())
            placed.update(key for key, _ in canvas.labels.block(level, scale, bx, by).placed.get(name, []))
    return sorted(considered - placed)


def test_a_callsign_hidden_at_full_extent_appears_when_zoomed_in(city, demo):
    u = city.units_layer
    lon, lat = demo.meta["center"]
    ids = u.ids[:12]
    # A dozen units 11 m apart along a street: at city scale their callsigns crowd each other out.
    u.update_positions(ids, lon + np.arange(12) * 0.0002, np.full(12, lat))
    city.fit_city()
    shown = {what for what, _ in drawn_rects(city)}
    callsigns = u.data["callsign"]
    hidden = [row for row in range(12) if f"callsign:{callsigns[row]}" not in shown]
    assert hidden
    row = hidden[0]
    city.center_on(float(u.lon[row]), float(u.lat[row]), 250)
    assert f"callsign:{callsigns[row]}" in {what for what, _ in drawn_rects(city)}


def test_a_camera_name_hidden_by_others_appears_when_zoomed_in(city, demo):
    lon, lat = demo.meta["center"]
    city.center_on(lon, lat, 250)
    city.render_now()
    hidden = hidden_names(city, "cameras")
    assert hidden  # names of cameras close together give way to each other
    row = hidden[0]
    city.center_on(float(city.cameras_layer.lon[row]), float(city.cameras_layer.lat[row]), 60)
    assert f"cameras:{row}" in {what for what, _ in drawn_rects(city)}


def test_a_tile_border_never_cuts_a_label(city, demo):
    lon, lat = demo.meta["center"]
    city.center_on(lon, lat, 250)
    city.render_now()
    level, tiles = visible_tiles(city)
    crossing = 0
    for name in LABEL_PRIORITY:
        drawn = {sq: tile_labels(city, name, level, *sq) for sq in tiles}
        for (tx, ty), labels in drawn.items():
            for key, (x0, y0, x1, y1) in labels.items():
                # Every tile of the view the rectangle reaches into draws the same label at the same place.
                for sq in drawn:
                    left, top = sq[0] * TILE_PX, -(sq[1] + 1) * TILE_PX
                    if sq != (tx, ty) and x0 < left + TILE_PX and left < x1 and y0 < top + TILE_PX and top < y1:
                        assert drawn[sq].get(key) == (x0, y0, x1, y1), (name, key, sq)
                        crossing += 1
    assert crossing >= 5  # the view has labels across tile borders to check


def test_the_plan_is_the_same_whatever_order_blocks_are_planned_in(city, demo):
    lon, lat = demo.meta["center"]
    city.center_on(lon, lat, 250)
    level = level_for_scale(city.scale())
    scale = level_scale(level)
    x, y = crs_lib.wgs84_to_mercator(lon, lat)
    cx, cy = math.floor(x * scale / BLOCK_PX), math.floor(-y * scale / BLOCK_PX)
    blocks = [(cx + i, cy + j) for i in (-1, 0, 1) for j in (-1, 0, 1)]

    def plan_in(order):
        plan = LabelPlan()
        for name, source in city.labels.sources:
            plan.add_source(name, source)
        return {key: plan.block(level, scale, *key).placed for key in order}

    forwards, backwards = plan_in(blocks), plan_in(blocks[::-1])
    assert forwards == backwards
    assert sum(len(v) for placed in forwards.values() for v in placed.values()) >= 20


def test_a_lower_priority_label_gives_way_and_a_hidden_layer_takes_no_room():
    plan = LabelPlan()

    def source(x_px):
        def candidates(scale, box):
            return Candidates(np.array([0]), np.array([x_px / scale]), np.array([-100.0 / scale]), np.array([0.0]),
                              np.array([0.0]), np.array([14.0]), lambda i: 60.0)
        return candidates

    plan.add_source("first", source(100.0))
    plan.add_source("second", source(130.0))  # overlaps the first
    block = plan.block(0, 1.0, 0, 0)
    assert [k for k, _ in block.placed["first"]] == [0] and block.placed["second"] == []
    assert plan.set_active("first", False)
    assert [k for k, _ in plan.block(0, 1.0, 0, 0).placed["second"]] == [0]


def test_occupancy_keeps_rectangles_apart():
    taken = Occupancy()
    assert taken.place((0, 0, 50, 14))
    assert not taken.place((49, 10, 120, 24))
    assert taken.place((60, 0, 100, 14))


def test_a_new_incident_on_a_camera_name_moves_it_and_its_tiles_are_drawn_again(city, demo):
    lon, lat = demo.meta["center"]
    city.center_on(lon, lat, 250)
    before = drawn_rects(city)  # the view's tiles are cached now
    row = int(next(what for what, _ in before if what.startswith("cameras:")).split(":")[1])
    cam = city.cameras_layer
    city.incidents_layer.upsert([{"incident_id": "INC-NEW", "lon": float(cam.lon[row]), "lat": float(cam.lat[row]),
                                  "kind": "theft", "priority": 1, "created_ts": NOW - 60}])
    after = drawn_rects(city)
    shown = {what for what, _ in after}
    new = city.incidents_layer.row("INC-NEW")
    assert f"incidents:{new}" in shown and f"cameras:{row}" not in shown  # the incident's name comes first
    assert overlapping(after) == []
    assert_cached_tiles_fresh(city, "cameras")
    # Incidents hidden: their names take no room, and the camera's name is back.
    city.set_layer_visible("incidents", False)
    assert f"cameras:{row}" in {what for what, _ in drawn_rects(city)}
    assert_cached_tiles_fresh(city, "cameras")


def assert_cached_tiles_fresh(canvas, name: str) -> None:
    """What the map shows is what the plan says now: every cached tile of the layer's group in view is
    the tile a fresh render draws."""
    group = canvas._group_of[name]
    level, tiles = visible_tiles(canvas)
    compared = 0
    for tx, ty in tiles:
        key = (id(group), level, tx, ty)
        if key in group.cache:
            fresh, cached = group._composite(TileFrame(level, tx, ty)), group.cache.get(key)
            assert (fresh is None) == (cached is None) and (fresh is None or fresh == cached), (tx, ty)
            compared += 1
    assert compared >= 4
