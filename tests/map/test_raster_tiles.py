"""Raster tiles from a local MBTiles file and from an XYZ template (file://, no network), with a disk cache."""
from __future__ import annotations

import sqlite3

from PySide6 import QtCore, QtGui

from map.raster import MbTiles, XyzTiles, xyz_zoom

from .conftest import CENTER, near, pixel

RED = (200, 30, 30)


def png(rgb) -> bytes:
    image = QtGui.QImage(256, 256, QtGui.QImage.Format.Format_RGB32)
    image.fill(QtGui.QColor(*rgb))
    buffer = QtCore.QBuffer()
    buffer.open(QtCore.QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(buffer.data())


def tile_under(canvas, lon, lat):
    """The XYZ tile (z, x, y) the canvas will ask for at the view centre."""
    import math
    z = xyz_zoom(canvas.scale(), 19)
    n = 2 ** z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return z, x, y


def test_mbtiles_are_drawn_under_the_streets(canvas, tmp_path):
    z, x, y = tile_under(canvas, *CENTER)
    path = tmp_path / "city.mbtiles"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE metadata (name TEXT, value TEXT)")
    db.execute("INSERT INTO metadata VALUES ('maxzoom', '19')")
    db.execute("CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB)")
    db.execute("INSERT INTO tiles VALUES (?, ?, ?, ?)", (z, x, (1 << z) - 1 - y, png(RED)))
    db.commit()
    db.close()
    canvas.set_raster_tiles(MbTiles(path))
    assert canvas.layer_order[0] == "raster"
    assert near(pixel(canvas, canvas.lonlat_to_screen(*CENTER)), RED)
    canvas.set_raster_tiles(None)
    assert "raster" not in canvas.layer_order
    assert not near(pixel(canvas, canvas.lonlat_to_screen(*CENTER)), RED)


def test_xyz_tiles_arrive_asynchronously_and_are_cached_on_disk(canvas, qtbot, tmp_path):
    z, x, y = tile_under(canvas, *CENTER)
    server = tmp_path / "server"
    (server / str(z) / str(x)).mkdir(parents=True)
    (server / str(z) / str(x) / f"{y}.png").write_bytes(png(RED))
    tiles = XyzTiles(QtCore.QUrl.fromLocalFile(str(server)).toString() + "/{z}/{x}/{y}.png", cache_dir=tmp_path / "cache")
    canvas.set_raster_tiles(tiles)
    where = canvas.lonlat_to_screen(*CENTER)
    assert not near(pixel(canvas, where), RED)  # asked for, not there yet: the frame does not wait
    qtbot.waitUntil(lambda: near(pixel(canvas, where), RED), timeout=5000)
    assert tiles._path(z, x, y).is_file()
    # The "server" goes away; a new source with the same template draws from the disk cache at once.
    (server / str(z) / str(x) / f"{y}.png").unlink()
    canvas.set_raster_tiles(XyzTiles(tiles.url_template, cache_dir=tmp_path / "cache"))
    assert near(pixel(canvas, where), RED)
