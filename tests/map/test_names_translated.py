"""Names the city pack builder made up are drawn in the console's language; real names stay as they are."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QTranslator
from PySide6.QtWidgets import QApplication

from layers.citypack import load_city
from layers.grids import GridLayer
from layers.points import StationLayer, set_from_frame
from map import renderers
from map.i18n import feature_name
from map.tiles import TILE_PX, TileFrame, TileImage, level_for_scale, level_scale

CHINESE = {"Grid {0}": "网格 {0}", "Police station (placed)": "派出所（系统放置）", "Camera {0}": "摄像头 {0}",
           "{0} bayonet": "{0}卡口"}


class ChineseNames(QTranslator):
    """A real translator with the Chinese the lead adds to resources/i18n (not there on this branch yet)."""

    def translate(self, context, source, disambiguation=None, n=-1):
        return CHINESE.get(source) if context == "map" else None  # None: not translated here


@pytest.fixture
def chinese(qapp):
    translator = ChineseNames()
    QApplication.installTranslator(translator)
    yield
    QApplication.removeTranslator(translator)


def test_generated_grid_names_and_placed_stations_are_translated_real_names_stay(chinese):
    assert feature_name("Grid 001") == "网格 001"
    assert feature_name("Grid 1234") == "网格 1234"
    assert feature_name("Police station (placed)") == "派出所（系统放置）"
    assert feature_name("Erottajan paloasema") == "Erottajan paloasema"
    assert feature_name("Grid 001 north") == "Grid 001 north"  # only the generated pattern
    assert feature_name("Camera 12") == "摄像头 12" and feature_name("Kamera Esplanadi") == "Kamera Esplanadi"
    assert feature_name("Mannerheimintie bayonet") == "Mannerheimintie卡口"


def test_grid_labels_and_station_labels_are_drawn_translated(chinese):
    city = load_city("demo")
    grids = GridLayer()
    grids.set_polygons(list(city.grids["grid_id"]), list(city.grids.geometry), list(city.grids["name"]))
    renderer = renderers.GridRenderer(grids)
    first = city.grids.iloc[0]
    x, y = grids.polygons.label_x[0], grids.polygons.label_y[0]  # where the cell's name is drawn
    level = level_for_scale(1.0)  # ~1 px per metre: a cell is some 300 px wide
    size_m = TILE_PX / level_scale(level)
    frame = TileFrame(level, int(np.floor(x / size_m)), int(np.floor(y / size_m)))
    tile = TileImage()
    renderer.render_tile(tile, frame)
    tile.finish()
    assert renderer._text.has(f"网格 {first['name'].split()[-1]}", renderers.GRID_LABEL_COLOR)

    stations = StationLayer()
    set_from_frame(stations, city.stations)
    style = renderers.StationStyle()
    labels = {style.label(stations, row) for row in range(len(city.stations))}
    assert "派出所（系统放置）" in labels and "Erottajan paloasema" in labels


def test_the_camera_list_shows_and_finds_generated_camera_names_translated(chinese, qtbot):
    from video.camera import Camera
    from video.camera_list import CameraList

    listing = CameraList([Camera("osm-1", "Camera 12", "http://127.0.0.1:1/a"),
                          Camera("osm-2", "Esplanadi north", "http://127.0.0.1:1/b")])
    qtbot.addWidget(listing)
    assert listing.list.item(0).text() == "摄像头 12  ·  unknown"
    listing.search.setText("摄像头 1")
    assert [c.camera_id for c in listing.visible_cameras()] == ["osm-1"]
    listing.search.setText("camera 12")  # the pack's name finds it too
    assert [c.camera_id for c in listing.visible_cameras()] == ["osm-1"]
