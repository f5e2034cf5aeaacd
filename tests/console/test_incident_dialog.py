"""The new-incident dialog in a real window on the demo city: where a typed place resolved and how exactly,
refusals with suggestions, and possible duplicates, all before the dispatcher creates the incident."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from console.dialogs import NewIncidentDialog
from layers.citypack import load_city
from layers.geocode import Geocoder

NOW = 1_800_000_000.0


@pytest.fixture(scope="module")
def city():
    return load_city("demo")


@pytest.fixture(scope="module")
def geocoder(city):
    return Geocoder(city.streets, city.places, city.areas)


def _dialog(qtbot, geocoder, city, incidents=None, lon=None, lat=None, address=None):
    dialog = NewIncidentDialog(geocoder, city.grid_at, lon, lat, address=address,
                               incidents=lambda: incidents or {}, now=lambda: NOW)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.windowHandle() is not None and dialog.windowHandle().isExposed(), timeout=5000)
    return dialog


def _type_place(qtbot, dialog, text):
    dialog.place.setFocus()
    dialog.place.selectAll()
    QTest.keyClick(dialog.place, Qt.Key.Key_Delete)
    QTest.keyClicks(dialog.place, text)
    if dialog.place.completer().popup().isVisible():
        dialog.place.completer().popup().hide()


def test_the_dialog_shows_where_a_typed_address_resolved_and_creates_it_there(qtbot, geocoder, city):
    dialog = _dialog(qtbot, geocoder, city)
    _type_place(qtbot, dialog, "mannerheimintie 5")
    place = geocoder.resolve("Mannerheimintie 5")
    assert dialog.where.text().startswith("Mannerheimintie 5 — address · ")
    assert f"{place.lon:.5f}, {place.lat:.5f}" in dialog.where.text()
    _type_place(qtbot, dialog, "Mannerheimintie")
    assert dialog.where.text().startswith("Mannerheimintie — street only: centre of a 1.5 km street")
    _type_place(qtbot, dialog, "Bulevardi 11")
    assert dialog.where.text().startswith("Bulevardi 11 — interpolated between 9 and 13")
    _type_place(qtbot, dialog, "Mannerheimintie & Kaivokatu")
    assert dialog.where.text().startswith("Mannerheimintie & Kaivokatu — intersection")
    _type_place(qtbot, dialog, "Mannerheimintie 5")
    with qtbot.waitSignal(dialog.submitted, timeout=3000) as created:
        QTest.keyClick(dialog, Qt.Key.Key_Return)
    assert created.args[0]["address"] == "Mannerheimintie 5"
    assert (created.args[0]["lon"], created.args[0]["lat"]) == (place.lon, place.lat)


def test_a_place_that_is_nowhere_is_refused_with_suggestions_and_nothing_is_created(qtbot, geocoder, city):
    dialog = _dialog(qtbot, geocoder, city)
    _type_place(qtbot, dialog, "Atlantis")
    assert dialog.where.text().startswith("No place called Atlantis. Closest: ")
    assert "Atlantit" in dialog.where.text()
    QTest.keyClick(dialog, Qt.Key.Key_Return)
    assert dialog.isVisible() and dialog.problem.text()


def test_a_map_point_is_named_by_its_nearest_address(qtbot, geocoder, city):
    lon, lat = 24.940010, 60.169520
    address = geocoder.reverse(lon, lat)
    dialog = _dialog(qtbot, geocoder, city, lon=lon, lat=lat, address=address)
    assert dialog.place.text() == "Mannerheimintie 5"
    assert dialog.where.text().startswith("Mannerheimintie 5 — map point, 0 m from it · ")
    with qtbot.waitSignal(dialog.submitted, timeout=3000) as created:
        QTest.keyClick(dialog, Qt.Key.Key_Return)
    assert (created.args[0]["lon"], created.args[0]["lat"], created.args[0]["address"]) == (
        lon, lat, "Mannerheimintie 5")


def test_a_possible_duplicate_is_flagged_and_creating_it_anyway_stays_possible(qtbot, geocoder, city):
    near = geocoder.resolve("Mannerheimintie 7")
    created_ts = datetime.fromtimestamp(NOW - 240, timezone.utc).isoformat().replace("+00:00", "Z")
    incidents = {"I12": {"incident_id": "I12", "kind": "fire", "status": "new", "lon": near.lon, "lat": near.lat,
                         "created_ts": created_ts}}
    dialog = _dialog(qtbot, geocoder, city, incidents=incidents)
    dialog.kind.setCurrentIndex(dialog.kind.findData("fire"))
    _type_place(qtbot, dialog, "Mannerheimintie 5")
    assert dialog.duplicates.text().startswith("Possible duplicate of I12, ")
    assert dialog.duplicates.text().endswith(" m, 4 min ago")
    dialog.kind.setCurrentIndex(dialog.kind.findData("theft"))
    assert dialog.duplicates.text() == ""
    dialog.kind.setCurrentIndex(dialog.kind.findData("fire"))
    with qtbot.waitSignal(dialog.submitted, timeout=3000):
        QTest.keyClick(dialog, Qt.Key.Key_Return)
