"""The console opens filling the screen, returns where the dispatcher left it, and its queue's columns fit."""
from __future__ import annotations

import asyncio

from PySide6.QtCore import QRect

from console.app import open_console
from dispatch.client import DispatchClient

LONG_CALLS = (("suspicious person", 1, "Pohjoisesplanadi 21, Kruununhaka, Helsinki"),
              ("traffic accident", 2, "Mannerheimintie 5"), ("missing person", 3, "Aleksanterinkatu 52"))


def _open(qtbot, url: str, token: str):
    window = open_console(url, token, language="en")
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: window.windowHandle().isExposed() and window.connected and window.user is not None,
                    timeout=30_000)
    return window


def _calls_with_units(url: str, token: str, window) -> None:
    """Open incidents with long kinds and addresses, two units on the first: the widest rows there are."""
    unit_ids = sorted(window.live.state["units"])[:2]

    async def run():
        client = await DispatchClient.connect(url, token, subscribe=False)
        first = None
        for kind, priority, address in LONG_CALLS:
            reply = await client.command("incident.create", kind=kind, priority=priority, address=address,
                                         lon=24.94, lat=60.17)
            assert reply["op"] == "ack", reply
            first = first or reply["incident_id"]
        for unit_id in unit_ids:
            assert (await client.command("unit.assign", unit_id=unit_id, incident_id=first))["op"] == "ack"
        await client.close()
    asyncio.run(run())


def test_the_first_start_fills_the_screen_and_the_next_start_restores_the_saved_geometry(qtbot, server, users):
    window = _open(qtbot, server.url, users[1]["alice"])
    available = window.screen().availableGeometry()
    qtbot.waitUntil(lambda: window.frameGeometry().contains(available) or window.isMaximized(), timeout=5_000)
    assert window.frameGeometry().width() >= available.width() and window.frameGeometry().height() >= available.height() - 40
    window.showNormal()
    window.setGeometry(QRect(100, 120, 1200, 800))
    qtbot.waitUntil(lambda: window.geometry() == QRect(100, 120, 1200, 800), timeout=5_000)
    window.close()

    again = _open(qtbot, server.url, users[1]["alice"])
    qtbot.waitUntil(lambda: again.geometry() == QRect(100, 120, 1200, 800), timeout=5_000)


def test_every_queue_column_is_readable_at_1920x1080(qtbot, server, users):
    window = _open(qtbot, server.url, users[1]["alice"])
    qtbot.waitUntil(lambda: window.city is not None, timeout=30_000)
    assert window.screen().geometry().size().toTuple() == (1920, 1080)
    _calls_with_units(server.url, users[1]["sam"], window)
    queue = window.queue
    qtbot.waitUntil(lambda: queue.model.rowCount() == len(LONG_CALLS)
                    and any(window.live.state["incidents"][i]["units"] for i in queue.model.rows), timeout=10_000)
    view, header = queue.view, queue.view.horizontalHeader()
    address = queue.model.COLUMNS.index("address")
    assert header.logicalIndex(header.count() - 1) == address  # the elided column is last
    width = view.viewport().width()

    def narrow() -> list[str]:
        """Columns (but the address) narrower than their rows and header."""
        return [queue.model.headers()[c] for c in range(header.count()) if c != address and header.sectionSize(c)
                < max(view.sizeHintForColumn(c), header.sectionSizeFromContents(c).width())]

    # Fitted to new rows a moment after they come, and laid out again without a scroll bar.
    qtbot.waitUntil(lambda: not narrow() and not view.horizontalScrollBar().isVisible(), timeout=5_000)
    for column in range(header.count()):
        left = header.sectionViewportPosition(column)
        right = left + header.sectionSize(column)
        name = queue.model.headers()[column]
        assert 0 <= left and right <= width, f"column {name} is cut: {left}..{right} of {width}"
    assert header.sectionSize(address) >= 120  # the address shows its start, elided
    assert not view.horizontalScrollBar().isVisible()
