"""The panel table: DC-09 account -> name and position; a bad one refused naming the panel and the field."""
from __future__ import annotations

import pytest

from alarms.panels import PanelTable, PanelTableError

GOOD = 'account = "1a2B"\nname = "Bank"\nlon = 24.94\nlat = 60.17\n'


def write(tmp_path, text: str):
    path = tmp_path / "panels.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_panel_is_found_by_its_account_whatever_its_case(tmp_path):
    table = PanelTable.load(write(tmp_path, f"[[panel]]\n{GOOD}key = \"{'k' * 16}\"\n"))
    panel = table.get("1A2b")
    assert (panel.account, panel.name, panel.lon, panel.lat, panel.key) == ("1A2B", "Bank", 24.94, 60.17, "k" * 16)
    assert table.get("FFFF") is None and table.get(None) is None


@pytest.mark.parametrize("text, words", [
    ("[[panel]]\n" + GOOD.replace('"1a2B"', '"12"'), "3-16 hex digits"),
    ("[[panel]]\n" + GOOD.replace('"1a2B"', '"GHIJ"'), "3-16 hex digits"),
    ("[[panel]]\n" + GOOD + "[[panel]]\n" + GOOD.replace("1a2B", "1A2B"), "listed twice"),
    ("[[panel]]\n" + GOOD.replace("lat = 60.17", "lat = 91"), "degrees"),
    ("[[panel]]\n" + GOOD.replace("lon = 24.94", 'lon = "east"'), "degrees"),
    ("[[panel]]\n" + GOOD.replace('name = "Bank"', 'name = "  "'), "name is required"),
    ("[[panel]]\n" + GOOD + 'key = "short"\n', "16, 24 or 32"),
    ("[[panel]]\n" + GOOD + 'colour = "red"\n', "fields are"),
    ("[[device]]\nuid = \"x\"\n", "expected only"),
    ("[[panel]\n", "panels.toml"),
])
def test_a_bad_table_is_refused_with_the_reason(tmp_path, text, words):
    with pytest.raises(PanelTableError, match=words):
        PanelTable.load(write(tmp_path, text))
