"""The recommendation buttons are where their order says the moment they are re-ordered, not at the next
layout pass: a pointer arriving in between was judged against buttons about to move."""
from __future__ import annotations

from PySide6.QtWidgets import QWidget, QVBoxLayout

from console.panels import RecommendedUnits
from dispatch.recommend import Recommendation


def ranking(*callsigns: str) -> list[Recommendation]:
    return [Recommendation(unit_id=c, callsign=c, straight_m=100.0 * k, street_m=None, eta_s=60.0 * k, kind="patrol")
            for k, c in enumerate(callsigns, start=1)]


def top_to_bottom(units: RecommendedUnits) -> list[str]:
    """The units of the shown buttons as their geometry places them, top first."""
    shown = [(button.geometry().top(), unit_id) for unit_id, button in units.buttons.items()]
    return [unit_id for _, unit_id in sorted(shown)]


def test_buttons_take_their_places_at_once_when_the_ranking_reorders_or_grows(qtbot):
    host = QWidget()
    QVBoxLayout(host).addWidget(units := RecommendedUnits(lambda: False, host))
    host.layout().addStretch(1)
    qtbot.addWidget(host)
    host.resize(400, 600)
    host.show()
    qtbot.waitExposed(host)
    units.show_ranking("I1", ranking("A", "B", "C"), 5)
    qtbot.waitUntil(lambda: top_to_bottom(units) == ["A", "B", "C"])
    for order in (("C", "A", "B"), ("B", "C", "A", "D", "E"), ("E", "D"), ("D", "F", "E", "G")):
        units.show_ranking("I1", ranking(*order), 5)  # no event is processed before the check
        assert list(units.buttons) == list(order)
        assert top_to_bottom(units) == list(order)
        tops = [button.geometry().top() for button in units.buttons.values()]
        heights = {button.geometry().height() for button in units.buttons.values()}
        assert heights == {units.buttons[order[0]].sizeHint().height()}, "buttons squeezed"
        assert all(b > a for a, b in zip(tops, tops[1:]))
