"""The "Incident history" dock in real console windows on a real server: the timeline of an incident
created before the console connected, a note typed in one console reaching another's timeline, caller
details from the new-incident dialog, and the search that finds closed incidents."""
from __future__ import annotations

import asyncio

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from dispatch.client import DispatchClient
from layers.crs import wgs84_to_mercator
from support.console import open_window


def _run(url: str, token: str, steps) -> list[dict]:
    """Send commands in order (each may use the incident id made by the first); return the replies."""
    async def run():
        client = await DispatchClient.connect(url, token)
        replies, incident_id = [], None
        for cmd, args in steps:
            args = {k: (incident_id if v == "{incident}" else v) for k, v in args.items()}
            reply = await client.command(cmd, **args)
            assert reply["op"] == "ack", (cmd, reply)
            incident_id = incident_id or reply.get("incident_id")
            replies.append(reply)
        await client.close()
        return replies
    return asyncio.run(run())


def _available_unit(url: str, token: str) -> dict:
    async def run():
        client = await DispatchClient.connect(url, token)
        await client.close()
        return min((u for u in client.state["units"].values() if u["status"] == "available"),
                   key=lambda u: u["unit_id"])
    return asyncio.run(run())


def _lines(window) -> list[str]:
    timeline = window.history.list
    return [timeline.item(row).text() for row in range(timeline.count())]


def test_the_timeline_of_an_incident_created_before_the_console_connected_is_complete_and_in_order(
        qtbot, server, users, screenshot):
    _, tokens = users
    unit = _available_unit(server.url, tokens["alice"])
    _run(server.url, tokens["alice"], [
        ("incident.create", {"kind": "robbery", "priority": 1, "lon": unit["lon"] + 0.003, "lat": unit["lat"],
                             "address": "Aleksanterinkatu 52", "caller_name": "Liisa Korhonen",
                             "callback": "+358 50 123 4567", "source": "phone"}),
        ("unit.assign", {"unit_id": unit["unit_id"], "incident_id": "{incident}"}),
        ("unit.status", {"unit_id": unit["unit_id"], "status": "enroute"}),
        ("incident.note", {"incident_id": "{incident}", "text": "suspect ran towards the railway station"}),
        ("unit.status", {"unit_id": unit["unit_id"], "status": "onscene"}),
    ])
    # Many events after it, so that nothing of it is near the end of the log the console starts from.
    positions = [("unit.position", {"unit_id": unit["unit_id"], "lon": unit["lon"] + k * 1e-5, "lat": unit["lat"]})
                 for k in range(30)]
    _run(server.url, tokens["bob"], positions)
    window = open_window(qtbot, server.url, tokens["bob"])
    incident_id = next(i for i, inc in window.live.state["incidents"].items() if inc["kind"] == "robbery")
    window.select_incident(incident_id)
    qtbot.waitUntil(lambda: len(_lines(window)) == 5, timeout=5000)
    callsign = unit.get("callsign") or unit["unit_id"]
    lines = _lines(window)
    expected = ["alice — Created: robbery, P1, call from Phone (110/112)", f"alice — {callsign} assigned",
                f"alice — {callsign}: enroute", "alice — Note: suspect ran towards the railway station",
                f"alice — {callsign}: onscene"]
    assert [line.split("  ", 1)[1] for line in lines] == expected
    times = [line.split("  ", 1)[0] for line in lines]
    assert times == sorted(times)  # newest last
    assert window.history.caller.text() == (f"{incident_id} · Caller: Liisa Korhonen · "
                                            "Call-back: +358 50 123 4567 · Source: Phone (110/112)")
    # A live event of the incident joins the timeline; one of another incident does not.
    _run(server.url, tokens["alice"], [("incident.close", {"incident_id": incident_id, "disposition": "ARREST"})])
    qtbot.waitUntil(lambda: len(_lines(window)) == 7, timeout=5000)
    assert _lines(window)[5].endswith("alice — Closed: Arrest made")
    assert _lines(window)[6].endswith(f"alice — {callsign}: available")
    window.docks()["history"].raise_()
    path = screenshot("incident_timeline")
    assert path.stat().st_size > 10_000


def test_a_note_added_in_one_console_shows_in_the_other_consoles_timeline(qtbot, server, users):
    _, tokens = users
    a = open_window(qtbot, server.url, tokens["alice"], screen_x=0)
    b = open_window(qtbot, server.url, tokens["bob"], screen_x=1920)
    unit = next(iter(a.live.state["units"].values()))
    # The caller's details come from the new-incident dialog.
    dialog = a.new_incident_dialog(unit["lon"] + 0.002, unit["lat"] + 0.002)
    qtbot.waitUntil(lambda: dialog.isVisible(), timeout=3000)
    dialog.source.setCurrentIndex(dialog.source.findData("walk_in"))
    QTest.keyClicks(dialog.caller_name, "Pekka Nieminen")
    QTest.keyClicks(dialog.callback, "040 765 4321")
    QTest.keyClick(dialog, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: a.selected_incident in a.live.state["incidents"], timeout=5000)
    incident_id = a.selected_incident
    incident = a.live.state["incidents"][incident_id]
    assert (incident["caller_name"], incident["callback"], incident["source"]) == (
        "Pekka Nieminen", "040 765 4321", "walk_in")
    qtbot.waitUntil(lambda: incident_id in b.live.state["incidents"], timeout=5000)
    b.select_incident(incident_id)
    qtbot.waitUntil(lambda: len(_lines(b)) == 1 and len(_lines(a)) == 1, timeout=5000)
    assert "call from Walk-in" in _lines(b)[0]
    a.history.note.setFocus()
    QTest.keyClicks(a.history.note, "caller now at the corner kiosk")
    QTest.keyClick(a.history.note, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: len(_lines(b)) == 2, timeout=5000)
    assert _lines(b)[1].endswith("alice — Note: caller now at the corner kiosk")
    assert _lines(a)[1] == _lines(b)[1] and a.history.note.text() == ""
    # A note over the limit cannot be typed: the box holds at most what the server accepts.
    assert a.history.note.maxLength() == 1000


def test_search_finds_a_closed_incident_by_its_note_and_selecting_it_shows_its_timeline(qtbot, server, users):
    _, tokens = users
    replies = _run(server.url, tokens["alice"], [
        ("incident.create", {"kind": "theft", "priority": 4, "lon": 24.9384, "lat": 60.1699,
                             "address": "Kaivokatu 1", "caller_name": "Aino Mäkelä"}),
        ("incident.note", {"incident_id": "{incident}", "text": "stolen bicycle, blue Jopo"}),
        ("incident.close", {"incident_id": "{incident}", "disposition": "NO_TRACE"}),
        ("incident.create", {"kind": "theft", "priority": 4, "lon": 24.95, "lat": 60.17}),  # no such note
    ])
    closed_id = replies[0]["incident_id"]
    window = open_window(qtbot, server.url, tokens["bob"])
    window.history.search.setFocus()
    QTest.keyClicks(window.history.search, "blue jopo")
    results = window.history.results
    qtbot.waitUntil(lambda: results.count() == 1, timeout=3000)
    assert results.item(0).text().startswith(f"{closed_id} · theft · closed")
    rect = results.visualItemRect(results.item(0))
    QTest.mouseClick(results.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.waitUntil(lambda: window.selected_incident == closed_id and len(_lines(window)) == 3, timeout=5000)
    assert [line.split(" — ", 1)[1] for line in _lines(window)] == [
        "Created: theft, P4", "Note: stolen bicycle, blue Jopo", "Closed: Gone on arrival / no trace"]
    x0, y0, x1, y1 = window.canvas.view_box()
    x, y = wgs84_to_mercator(24.9384, 60.1699)
    assert abs((x0 + x1) / 2 - x) < 5 and abs((y0 + y1) / 2 - y) < 5  # the map centred on it
    # By caller name and by address too; nothing for a word that is nowhere.
    for words in ("kaivokatu", "MÄKELÄ", closed_id):
        window.history.search.setText(words)
        assert results.count() == 1 and results.item(0).data(Qt.ItemDataRole.UserRole) == closed_id, words
    window.history.search.setText("zeppelin")
    assert results.count() == 1 and results.item(0).data(Qt.ItemDataRole.UserRole) is None
