"""city.json `centre_code` and `timezone`: who numbers the incidents, and in which day (docs/city-pack.md)."""
from __future__ import annotations

import pytest

from layers.citypack import CityPackError, load_city


def test_the_demo_centre_is_demo_in_helsinki_time():
    demo = load_city("demo")
    assert (demo.meta["centre_code"], demo.meta["timezone"]) == ("DEMO", "Europe/Helsinki")


def test_without_them_the_code_is_the_pack_name_upper_cased_and_the_day_is_utc(pack):
    pack.edit_json("city.json", lambda d: d.update(name="tiny-2"))
    meta = load_city(pack.root).meta
    assert (meta["centre_code"], meta["timezone"]) == ("TINY2", "UTC")


@pytest.mark.parametrize("setting, message", [
    ({"centre_code": "demo"}, r'^city\.json: "centre_code" must be 1-12 upper-case letters or digits'),
    ({"centre_code": "DEMO-1"}, r'^city\.json: "centre_code" must be 1-12 upper-case letters or digits'),
    ({"centre_code": 7}, r'^city\.json: "centre_code" must be 1-12 upper-case letters or digits'),
    ({"timezone": "Mars/Olympus"}, r"^city\.json: \"timezone\" 'Mars/Olympus' is not an IANA time zone"),
    ({"timezone": 3}, r'^city\.json: "timezone" 3 is not an IANA time zone'),
])
def test_a_bad_centre_code_or_time_zone_is_refused_by_name(pack, setting, message):
    pack.edit_json("city.json", lambda d: d.update(setting))
    with pytest.raises(CityPackError, match=message):
        load_city(pack.root)
