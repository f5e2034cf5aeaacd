"""The synthetic city of the benchmarks is a whole city pack: every layer a pack has, so what reads a pack
reads it (the benchmarks broke once when packs gained a layer)."""
from __future__ import annotations

from layers.citypack import SCHEMAS
from layers.synthetic import make_city


def test_the_synthetic_city_has_every_layer_of_a_pack():
    city = make_city(cameras=500, grids=30, units=50, incidents=100, towns=3)
    assert set(city.pack.layers()) == set(SCHEMAS)
    assert len(city.pack.cameras) == 500 and len(city.pack.units) == 50
