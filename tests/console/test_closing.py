"""Closing an incident at the console: the close dialog and the typed close, against a real server; the run
card's needs in the incident details and unit kinds on the unit board."""
from __future__ import annotations

import asyncio
import re

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QDialog

from console.dialogs import KINDS
from console.typed import TypedError, parse
from dispatch.client import DispatchClient
from dispatch.procedures import DEFAULT_DISPOSITIONS, DEFAULT_RUN_CARDS
from support.console import open_window


def _create_incident(url: str, token: str, **args) -> str:
    async def run():
        client = await DispatchClient.connect(url, token, subscribe=False)
        reply = await client.command("incident.create", **args)
        await client.close()
        assert reply["op"] == "ack", reply
        return reply["incident_id"]
    return asyncio.run(run())


def _server_incident(url: str, token: str, incident_id: str) -> dict:
    async def run():
        client = await DispatchClient.connect(url, token, subscribe=False)
        await client.close()
        return client.state["incidents"][incident_id]
    return asyncio.run(run())


def _plain(html: str) -> str:
    return re.sub(r"<[^>]+>", "", html)


def _sent_closes(window) -> list[dict]:
    return [args for cmd, args, _ in window.pending.values() if cmd == "incident.close"]


def test_the_close_dialog_sends_only_a_chosen_code_and_esc_sends_nothing(qtbot, server, users):
    _, tokens = users
    window = open_window(qtbot, server.url, tokens["alice"])
    fire = _create_incident(server.url, tokens["sam"], kind="fire", priority=1, lon=24.9413, lat=60.1699,
                            address="Mannerheimintie")
    qtbot.waitUntil(lambda: fire in window.live.state["incidents"], timeout=5000)
    window.select_incident(fire)
    QTest.mouseClick(window.details.close_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: getattr(window, "close_dialog", None) is not None and window.close_dialog.isVisible(),
                    timeout=3000)
    dialog = window.close_dialog
    assert dialog.incident.text() == f"{fire} (P1 fire, Mannerheimintie)"
    codes = [dialog.codes.item(r).data(Qt.ItemDataRole.UserRole) for r in range(dialog.codes.count())]
    assert codes == [d["code"] for d in DEFAULT_DISPOSITIONS]
    assert dialog.codes.item(codes.index("FIRE_OUT")).text() == "Fire extinguished  ·  FIRE_OUT"
    assert not dialog.ok.isEnabled()
    QTest.keyClick(dialog, Qt.Key.Key_Return)  # Enter without a code does nothing
    assert dialog.isVisible() and _sent_closes(window) == []
    QTest.keyClicks(dialog.note, "kitchen fire, out before arrival")
    assert not dialog.ok.isEnabled()
    row = codes.index("FIRE_OUT")
    QTest.mouseClick(dialog.codes.viewport(), Qt.MouseButton.LeftButton,
                     pos=dialog.codes.visualItemRect(dialog.codes.item(row)).center())
    assert dialog.ok.isEnabled()
    with qtbot.waitSignal(dialog.submitted, timeout=3000) as sent:
        QTest.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)
    assert sent.args == [{"incident_id": fire, "disposition": "FIRE_OUT",
                          "disposition_note": "kitchen fire, out before arrival"}]
    qtbot.waitUntil(lambda: window.live.state["incidents"][fire]["status"] == "closed", timeout=5000)
    stored = _server_incident(server.url, tokens["vic"], fire)
    assert (stored["disposition"], stored["disposition_note"]) == ("FIRE_OUT", "kitchen fire, out before arrival")

    theft = _create_incident(server.url, tokens["sam"], kind="theft", priority=4, lon=24.95, lat=60.168)
    qtbot.waitUntil(lambda: theft in window.live.state["incidents"], timeout=5000)
    dialog = window._close_incident_dialog(theft)
    qtbot.waitUntil(dialog.isVisible, timeout=3000)
    dialog.codes.setCurrentRow(0)
    assert dialog.ok.isEnabled()
    QTest.keyClick(dialog.codes, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=3000)
    assert dialog.result() == QDialog.DialogCode.Rejected and _sent_closes(window) == []
    assert window.live.state["incidents"][theft]["status"] == "new"


def test_a_typed_close_asks_first_and_esc_cancels_it(qtbot, server, users):
    _, tokens = users
    window = open_window(qtbot, server.url, tokens["alice"])
    theft = _create_incident(server.url, tokens["sam"], kind="theft", priority=2, lon=24.9413, lat=60.1699,
                             address="Mannerheimintie")
    qtbot.waitUntil(lambda: theft in window.live.state["incidents"], timeout=5000)
    line = window.command_line
    window.activateWindow()
    line.setFocus()
    qtbot.waitUntil(line.hasFocus, timeout=3000)

    QTest.keyClicks(line, f"close {theft} report")
    QTest.keyClick(line, Qt.Key.Key_Return)
    assert line.text() == (f"Close {theft} (P2 theft, Mannerheimintie) as Report taken? "
                           "Enter to confirm, Esc to cancel")
    assert line.isReadOnly() and _sent_closes(window) == []
    QTest.keyClick(line, Qt.Key.Key_Escape)
    assert line.text() == "" and not line.isReadOnly() and window.typed_to_confirm is None
    assert _sent_closes(window) == []

    QTest.keyClicks(line, f"close {theft} REPORT bike found at the station")
    QTest.keyClick(line, Qt.Key.Key_Return)
    assert _sent_closes(window) == []
    QTest.keyClick(line, Qt.Key.Key_Return)
    assert _sent_closes(window) == [{"incident_id": theft, "disposition": "REPORT",
                                     "disposition_note": "bike found at the station"}]
    qtbot.waitUntil(lambda: window.live.state["incidents"][theft]["status"] == "closed", timeout=5000)
    assert _server_incident(server.url, tokens["vic"], theft)["disposition_note"] == "bike found at the station"

    other = _create_incident(server.url, tokens["sam"], kind="fight", priority=1, lon=24.95, lat=60.168)
    qtbot.waitUntil(lambda: other in window.live.state["incidents"], timeout=5000)
    QTest.keyClicks(line, f"close {other}")
    QTest.keyClick(line, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.close_dialog.isVisible() and window.close_dialog.incident_id == other,
                    timeout=3000)
    window.close_dialog.reject()


def test_the_details_show_the_run_card_and_the_board_names_unit_kinds(qtbot, server, users):
    _, tokens = users
    window = open_window(qtbot, server.url, tokens["alice"])
    fire = _create_incident(server.url, tokens["sam"], kind="fire", priority=1, lon=24.9413, lat=60.1699)
    qtbot.waitUntil(lambda: fire in window.live.state["incidents"], timeout=5000)
    window.select_incident(fire)
    needs = window.details.needs
    assert needs.isVisible()
    assert _plain(needs.text()) == "Needs: fire engine 0 of 2, ambulance 0 of 1"
    engine = next(r for r in window.recommendations(fire) if r.kind == "fire")
    window.assign(engine.unit_id, fire)
    qtbot.waitUntil(lambda: _plain(needs.text()) == "Needs: fire engine 1 of 2, ambulance 0 of 1", timeout=5000)

    index = window.board.row_index(engine.unit_id)
    row = [index.siblingAtColumn(c) for c in range(window.board.model.columnCount())]
    headers = [window.board.model.headerData(c, Qt.Orientation.Horizontal) for c in range(len(row))]
    assert headers[:2] == ["Unit", "Kind"] and row[1].data() == "fire engine"
    assert all(cell.data(Qt.ItemDataRole.ToolTipRole) == f"{engine.callsign}: fire engine" for cell in row)
    patrol = next(u for u in window.live.state["units"].values() if u["kind"] == "patrol")
    assert window.board.row_index(patrol["unit_id"]).siblingAtColumn(1).data() == "patrol car"
    window.select_incident("")
    QApplication.processEvents()
    assert not needs.isVisible()


@pytest.fixture
def state():
    return {"units": {}, "cameras": {}, "incidents": {"I7": {"incident_id": "I7", "kind": "fire", "priority": 1,
                                                             "status": "new", "units": [], "lon": 24.94, "lat": 60.17}}}


def test_typed_close_parses_code_and_note_or_asks_for_the_dialog(state):
    typed = parse("结案 i7 no_trace nobody there", state, None)
    assert (typed.cmd, typed.args, typed.confirm) == (
        "incident.close", {"incident_id": "I7", "disposition": "NO_TRACE", "disposition_note": "nobody there"}, True)
    assert parse("close I7 FIRE_OUT", state, None).args == {"incident_id": "I7", "disposition": "FIRE_OUT"}
    dialog = parse("c I7", state, None)
    assert (dialog.action, dialog.target) == ("close_dialog", ("incidents", "I7"))


def test_a_typed_close_with_an_unknown_code_lists_the_codes(state):
    with pytest.raises(TypedError) as error:
        parse("close I7 arrested", state, None)
    assert str(error.value) == ("unknown disposition arrested: use one of "
                                + ", ".join(d["code"] for d in DEFAULT_DISPOSITIONS))
    own = [{"code": "SOLVED", "label": "Solved", "label_zh": "已解决"}]
    assert parse("close I7 solved", state, None, own).args["disposition"] == "SOLVED"
    with pytest.raises(TypedError, match="use one of SOLVED$"):
        parse("close I7 REPORT", state, None, own)


def test_every_incident_kind_the_console_offers_has_a_run_card():
    assert set(KINDS) <= set(DEFAULT_RUN_CARDS) - {"default"}


def test_the_close_dialog_speaks_the_consoles_language(qapp, state):
    from console import i18n
    from console.dialogs import CloseIncidentDialog

    incident = state["incidents"]["I7"]
    try:
        i18n.install(qapp, "zh_CN")
        chinese = CloseIncidentDialog(incident, DEFAULT_DISPOSITIONS)
        assert chinese.codes.item(0).text() == "已立案  ·  REPORT"
    finally:
        i18n.install(qapp, "en")
    english = CloseIncidentDialog(incident, DEFAULT_DISPOSITIONS)
    assert english.codes.item(0).text() == "Report taken  ·  REPORT"
    assert english.incident.text() == "I7 (P1 fire, 24.94000, 60.17000)"
