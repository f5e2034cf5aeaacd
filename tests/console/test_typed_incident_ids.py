"""Readable incident ids at the console: the ack's id is selected and said; typed short ids resolve."""
from __future__ import annotations

import asyncio
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from console.typed import TypedError, parse
from dispatch.city_state import centre_of, initial_state
from dispatch.client import DispatchClient
from dispatch.commands import Context, decide
from dispatch.reducer import apply
from layers.citypack import load_city
from support.console import open_window

CALL = {"kind": "fire", "priority": 2, "lon": 24.944, "lat": 60.170}


@pytest.fixture(scope="module")
def city():
    return load_city("demo")


def create(state: dict, city, ts: str, **extra) -> None:
    """An incident.create decided and applied as the server does."""
    seq = len(state["incidents"]) + 1
    for event_type, data in decide(state, "incident.create", {**CALL, **extra},
                                   Context("dispatcher", "live", city.grid_at, ts, centre_of(city))):
        apply(state, {"seq": seq, "ts": ts, "actor": "a", "type": event_type, "data": data})


@pytest.fixture
def two_days(city):
    """The demo centre's state after 2 calls on 1 December, 12 on the 2nd (Helsinki time), an old I1124
    and an agency's CAD-77."""
    state = initial_state(city)
    state["incidents"]["I1124"] = {"incident_id": "I1124", "status": "new", "units": [], **CALL}
    for _ in range(2):
        create(state, city, "2026-12-01T12:00:00.000Z")
    create(state, city, "2026-12-02T08:00:00.000Z", incident_id="CAD-77")
    for _ in range(12):
        create(state, city, "2026-12-02T09:00:00.000Z")
    return state


@pytest.mark.parametrize("word, incident_id", [
    ("7", "DEMO-261202-0007"),             # today's 7th, as said on the radio
    ("0007", "DEMO-261202-0007"),
    ("2", "DEMO-261202-0002"),             # today's, though 1 December had a 2nd too
    ("demo-261202-0012", "DEMO-261202-0012"),  # the full id, any case
    ("261201-0002", "DEMO-261201-0002"),   # a unique end of the id: yesterday's
    ("1124", "I1124"),                     # no 1124th today: the end of an old id
    ("77", "CAD-77"),
])
def test_short_typed_ids_resolve(two_days, word, incident_id):
    typed = parse(f"assign P-03 {word}", two_days, None)
    assert typed.args["incident_id"] == incident_id
    assert parse(f"find {word}", two_days, None).target == ("incidents", incident_id)


def test_an_ambiguous_end_of_an_id_is_refused_with_the_candidates(two_days):
    with pytest.raises(TypedError) as ambiguous:
        parse("close -0002 RESOLVED", two_days, None)
    assert str(ambiguous.value) == "-0002 could be DEMO-261201-0002, DEMO-261202-0002: type more of the id"
    with pytest.raises(TypedError, match="^no incident 13$"):
        parse("assign P-03 13", two_days, None)


def test_many_candidates_are_cut_to_five_and_counted(two_days, city):
    for day in range(3, 8):  # the first call of five more days
        create(two_days, city, f"2026-12-{day:02d}T09:00:00.000Z")
    with pytest.raises(TypedError) as many:
        parse("assign P-03 -0001", two_days, None)
    assert str(many.value) == ("-0001 could be DEMO-261201-0001, DEMO-261202-0001, DEMO-261203-0001, "
                               "DEMO-261204-0001, DEMO-261205-0001 and 2 more: type more of the id")


def test_the_console_selects_and_says_the_id_the_ack_names(qtbot, server, users):
    _, tokens = users
    window = open_window(qtbot, server.url, tokens["alice"])

    async def create_elsewhere():
        client = await DispatchClient.connect(server.url, tokens["sam"], subscribe=False)
        reply = await client.command("incident.create", **CALL)
        await client.close()
        return reply["incident_id"]

    first = asyncio.run(create_elsewhere())  # someone else's call takes number 1
    qtbot.waitUntil(lambda: first in window.live.state["incidents"], timeout=5000)
    QTest.keyClicks(window.command_line, "new fire 1 24.9445,60.1690 smoke")
    QTest.keyClick(window.command_line, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.selected_incident not in (None, first), timeout=5000)
    created = window.selected_incident
    # The ack can come before the link's next batch of events: the details follow when the incident does.
    qtbot.waitUntil(lambda: f"<b>{created}</b>" in window.details.header.text(), timeout=5000)
    incident = window.live.state["incidents"][created]
    day = datetime.fromisoformat(incident["created_ts"].replace("Z", "+00:00")).astimezone(ZoneInfo("Europe/Helsinki"))
    assert created == f"DEMO-{day:%y%m%d}-0002" and incident["note"] == "smoke"
    assert any(f"✓ Created {created}: fire" in line for line in window.messages_shown), window.messages_shown
    # Typed by today's number, the new call is the one meant.
    assert parse("find 2", window.live.state, window.geocoder).target == ("incidents", created)
