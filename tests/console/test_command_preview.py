"""The command line shows where a typed place resolved, and how exactly, before Enter sends it."""
from __future__ import annotations

import subprocess

from support.console import open_window


def _type(window, qtbot, text: str) -> None:
    window.activateWindow()
    qtbot.waitUntil(lambda: window.isActiveWindow(), timeout=3000)
    subprocess.run(["xdotool", "key", "ctrl+l", "type", "--delay", "15", text], check=True, timeout=30)
    qtbot.waitUntil(lambda: window.command_line.text() == text, timeout=5000)


def test_a_typed_address_is_previewed_with_its_precision_and_created_there(qtbot, server, users):
    _, tokens = users
    window = open_window(qtbot, server.url, tokens["alice"])
    _type(window, qtbot, "new fire 1 @Mannerheimintie 5 smoke from a window")
    preview = window.typed_preview.text()
    place = window.geocoder.resolve("Mannerheimintie 5")
    assert preview.startswith(f"→ {place.label} — address · grid cell "), preview
    subprocess.run(["xdotool", "key", "Return"], check=True, timeout=10)
    qtbot.waitUntil(lambda: window.selected_incident in window.live.state["incidents"], timeout=5000)
    incident = window.live.state["incidents"][window.selected_incident]
    assert (incident["lon"], incident["lat"]) == (place.lon, place.lat)
    assert incident["address"] == place.label and incident["note"] == "smoke from a window"
    assert window.typed_preview.text() == ""  # the line is cleared with what it previewed


def test_a_typed_place_that_does_not_exist_is_refused_in_the_preview_with_suggestions(qtbot, server, users):
    _, tokens = users
    window = open_window(qtbot, server.url, tokens["alice"])
    _type(window, qtbot, "new theft 3 @Mannerheimintiex")
    assert "Mannerheimintie" in window.typed_preview.text()  # a misspelling still finds the street
    _type(window, qtbot, "new theft 3 @Qwzxv Plaza")
    assert "no place called" in window.typed_preview.text().casefold()
    assert window.typed_preview.styleSheet() != "" and "166534" not in window.typed_preview.styleSheet()


def test_the_ack_of_a_new_incident_reaches_the_window_after_its_event(qtbot, server, users):
    _, tokens = users
    window = open_window(qtbot, server.url, tokens["alice"])
    known_at_ack: list[bool] = []
    creates: set[str] = set()
    # Only the creates' acks: selecting each new incident also reads its history, with replies of its own.
    window.link.replied.connect(lambda cmd_id, reply: known_at_ack.append(
        reply.get("incident_id") in window.live.state["incidents"]) if cmd_id in creates else None)
    for _ in range(5):
        creates.add(window.create_incident({"kind": "theft", "priority": 4, "lon": 24.944, "lat": 60.170}))
    try:
        qtbot.waitUntil(lambda: len(known_at_ack) == 5, timeout=5000)
    except qtbot.TimeoutError:
        raise AssertionError(f"acks seen: {known_at_ack}; messages: {window.messages_shown[-6:]}") from None
    assert known_at_ack == [True] * 5
    assert window.details.header.text().startswith(f"<b>{window.selected_incident}</b>")


def test_the_map_pins_where_the_new_incident_being_typed_will_be(qtbot, server, users, screenshot):
    from layers import crs as crs_lib

    _, tokens = users
    window = open_window(qtbot, server.url, tokens["alice"])
    dialog = window.new_incident_dialog()
    assert window.canvas.marks.place is None  # nothing typed yet
    dialog.place.setText("Aleksanterinkatu 52")
    place = window.geocoder.resolve("Aleksanterinkatu 52")
    x, y = (float(v) for v in crs_lib.wgs84_to_mercator(place.lon, place.lat))
    assert window.canvas.marks.place == (x, y)
    x0, y0, x1, y1 = window.canvas.view_box()
    assert x0 <= x <= x1 and y0 <= y <= y1  # in view
    dialog.place.setText("Qwzxv Plaza")
    assert window.canvas.marks.place is None  # no place, no pin
    dialog.place.setText("Aleksanterinkatu 52")
    window.canvas.render_now()
    screenshot("new_incident_pin")
    dialog.reject()
    assert window.canvas.marks.place is None  # the dialog gone, the pin with it
