"""Grid cases at the centre's desk, through a real server on loopback and a real window: a grid officer's
reports fill the case queue and the case layer; the queue's filters; an overdue case on the window's clock;
a case's details with its history; the step buttons send the real commands and a refusal is shown; the
closure-rate choropleths give closure_figures' values; a replay shows cases with no case control."""
from __future__ import annotations

import asyncio
import time

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtTest import QTest

from console.cases import CaseModel, month_span
from console.clock import LiveClock
from console.link import ServerLink
from console.window import MainWindow
from dispatch.client import DispatchClient
from dispatch.grid_cases import closure_figures
from dispatch.history import epoch
from dispatch.users import add_user
from layers.cases import CASE_STATUS_CODE
from layers.citypack import load_city
from layers.style import CHOROPLETH_RAMP
from reports.times import machine_zone
from support.console import command
from support.replay import server_replay_window
from support.server import ServerProcess

# Three cells of the demo city in different communities: G001 and G002 in the north sub-district, G012 in
# the south one.
CELLS = ("G001", "G002", "G012")


class ShiftedClock(LiveClock):
    """The wall clock moved on by `ahead` seconds: the window's one clock, as a shift hours later reads it."""

    ahead = 0.0

    def now(self) -> float:
        return time.time() + self.ahead

    def shift(self, seconds: float) -> None:
        self.ahead = seconds
        self.jumped.emit(self.now())


@pytest.fixture(scope="module")
def city():
    return load_city("demo")


def inside(city, grid_id: str) -> dict:
    point = city.grids.set_index("grid_id").geometry[grid_id].representative_point()
    return {"lon": round(point.x, 6), "lat": round(point.y, 6)}


@pytest.fixture
def desk(tmp_path, users, city):
    """A server whose users include gina, a grid officer of the three cells; the users' tokens."""
    path, tokens = users
    tokens = {**tokens, "gina": add_user(path, "gina", "grid", cells=list(CELLS))}
    server = ServerProcess(tmp_path / "events.db", path)
    server.start()
    yield server, tokens
    server.kill()


def report(server, token, city, cell: str, category: str, text: str, nudge: int = 0) -> str:
    """A grid officer's report from its phone (no source to give: it reports as grid_officer); `nudge`:
    some 33 m east for each step, so cases of one cell do not cover each other on the map."""
    where = inside(city, cell)
    where["lon"] += nudge * 0.0006
    assert city.grid_at(**where) == cell
    return command(server.url, token, "case.report", category=category, text=text,
                   photos=[f"https://photos.example.org/{cell}.jpg"], **where)["case_id"]


def open_desk(qtbot, url: str, token: str, clock=None) -> MainWindow:
    window = MainWindow(ServerLink(url, token), clock=clock)
    if clock is not None:
        clock.setParent(window)  # its timer stops with the window
    qtbot.addWidget(window)
    window.setGeometry(20, 40, 1800, 1000)
    window.show()
    qtbot.waitUntil(lambda: window.connected and window.user is not None and window.city is not None, timeout=30_000)
    return window


def server_cases(url: str, token: str) -> dict:
    """The cases as the server's snapshot has them, read by another client."""
    async def run():
        client = await DispatchClient.connect(url, token, keep_state=True)
        cases = client.state["cases"]
        await client.close()
        return cases
    return asyncio.run(run())


def queue_rows(window) -> list[str]:
    return window.case_queue.shown_ids()


def choose(combo, code) -> None:
    combo.setCurrentIndex(combo.findData(code))


def click(qtbot, button) -> None:
    qtbot.waitUntil(lambda: button.isVisible() and button.isEnabled(), timeout=5_000)
    QTest.mouseClick(button, Qt.MouseButton.LeftButton)


def test_reports_fill_the_queue_and_the_map_and_the_filters_pick_the_right_cases(qtbot, desk, city):
    server, tokens = desk
    clock = ShiftedClock()
    window = open_desk(qtbot, server.url, tokens["alice"], clock)
    manhole = report(server, tokens["gina"], city, "G001", "MANHOLE", "manhole cover missing")
    light = report(server, tokens["gina"], city, "G002", "STREETLIGHT", "street light out")
    garbage = report(server, tokens["gina"], city, "G012", "GARBAGE", "garbage by the bins")
    poster = report(server, tokens["gina"], city, "G012", "ILLEGAL_POSTER", "posters on the pole")
    for case_id in (manhole, light):
        command(server.url, tokens["sam"], "case.register", case_id=case_id)
        command(server.url, tokens["sam"], "case.dispatch", case_id=case_id)
    command(server.url, tokens["sam"], "case.reject", case_id=poster, reason="duplicate")
    qtbot.waitUntil(lambda: window.live.state["cases"].get(poster, {}).get("status") == "rejected", timeout=10_000)

    # the open cases in the queue, oldest first; the rejected one only when asked for
    assert queue_rows(window) == [manhole, light, garbage]
    layer = window.canvas.cases_layer
    assert {layer.record(layer.row(c))["status"] for c in (manhole, light)} == {"dispatched"}
    assert layer.record(layer.row(garbage))["status"] == "reported"
    drawn = layer.drawn()
    assert [bool(drawn[layer.row(c)]) for c in (manhole, light, garbage, poster)] == [True, True, True, False]
    assert layer.record(layer.row(manhole))["lon"] == pytest.approx(inside(city, "G001")["lon"])
    queue = window.case_queue
    queue.final_too.setChecked(True)
    assert queue_rows(window) == [manhole, light, garbage, poster]
    queue.final_too.setChecked(False)

    choose(queue.department, "WATER")
    assert queue_rows(window) == [manhole]
    choose(queue.department, None)
    choose(queue.category, "GARBAGE")
    assert queue_rows(window) == [garbage]
    choose(queue.category, None)
    choose(queue.status, "dispatched")
    assert queue_rows(window) == [manhole, light]
    choose(queue.status, "rejected")  # a final status asked for by name shows without the toggle
    assert queue_rows(window) == [poster]
    choose(queue.status, None)
    choose(queue.level, "community")
    assert queue.model.headers()[CaseModel.COLUMNS.index("area")] == "Community"
    choose(queue.area, "C-NE")
    assert queue_rows(window) == [light]
    area_column = CaseModel.COLUMNS.index("area")
    assert queue.proxy.index(0, area_column).data() == "North-east community"
    choose(queue.level, "town")
    assert queue_rows(window) == [manhole, light, garbage], "a new level shows every area of it"
    choose(queue.area, "T-S")
    assert queue_rows(window) == [garbage]
    choose(queue.area, None)

    # the window's clock a week on: the registered cases are past due; the one not registered has no limit
    queue.overdue_only.setChecked(True)
    assert queue_rows(window) == []
    due = max(epoch(window.live.state["cases"][c]["due"]) for c in (manhole, light))
    clock.shift(due - time.time() + 60)
    qtbot.waitUntil(lambda: queue_rows(window) == [manhole, light], timeout=5_000)
    assert queue.proxy.index(0, 0).data() == f"⚠ {manhole}"
    assert queue.proxy.index(0, 1).data(Qt.ItemDataRole.ForegroundRole).color().name() == "#b91c1c"
    assert queue.proxy.index(0, CaseModel.COLUMNS.index("due")).data().endswith(" late")
    queue.overdue_only.setChecked(False)
    assert queue.proxy.index(2, 0).data() == garbage, "not registered: no time limit, never overdue"
    assert [bool(layer.data["overdue"][layer.row(c)]) for c in (manhole, light, garbage)] == [True, True, False]
    # a click on the case on the map selects it: the queue's row, and its details (overdue, in red)
    window.canvas.center_on(**inside(city, "G002"), extent_m=600)
    window.canvas.render_now()
    QTest.mouseClick(window.canvas.view.viewport(), Qt.MouseButton.LeftButton,
                     pos=window.canvas.lonlat_to_screen(**inside(city, "G002")).toPoint())
    qtbot.waitUntil(lambda: window.selected_case == light, timeout=5_000)
    assert queue.view.currentIndex().data(CaseModel.CASE_ROLE) == light
    assert window.case_details.title.text() == f"{light} · Street light out · dispatched · OVERDUE"


def test_details_show_the_history_and_the_step_buttons_move_the_case_on_the_server(qtbot, desk, city):
    server, tokens = desk
    window = open_desk(qtbot, server.url, tokens["sam"])
    case_id = report(server, tokens["gina"], city, "G002", "MANHOLE", "manhole cover missing outside number 5")
    qtbot.waitUntil(lambda: case_id in window.live.state["cases"], timeout=10_000)
    window.select_case(case_id)
    details = window.case_details
    assert window.canvas.selection == ("cases", case_id), "the case is selected on the map too"
    assert 'href="https://photos.example.org/G002.jpg"' in details.fields.text()
    assert "North-east community" in details.fields.text()

    def step_to(key: str, status: str, note: str = "", **fields) -> None:
        for name, value in fields.items():
            choose(getattr(details, name), value)
        details.note.setText(note)
        window._tick()  # the clock's second passes: what the dispatcher chose and typed stays
        assert [getattr(details, name).currentData() for name in fields] == list(fields.values())
        assert details.note.text() == note
        click(qtbot, details.buttons[key])
        qtbot.waitUntil(lambda: window.live.state["cases"][case_id]["status"] == status, timeout=10_000)

    assert {k for k, b in details.buttons.items() if b.isVisible()} == {"case.register", "case.reject"}
    step_to("case.register", "registered", category="BLOCKED_DRAIN")  # the centre's category wins
    step_to("case.dispatch", "dispatched", note="urgent: school street", department="ROADS")
    step_to("case.start", "in_progress", note="crew on the way")
    # handled without saying what was done: the server refuses, the desk says why beside the case
    click(qtbot, details.buttons["case.handle"])
    qtbot.waitUntil(lambda: details.message.text() != "", timeout=10_000)
    assert details.message.text().startswith("Invalid: ") and "note" in details.message.text()
    assert window.live.state["cases"][case_id]["status"] == "in_progress"
    step_to("case.handle", "handled", note="drain cleared")
    step_to("case.verify:failed", "in_progress", note="still blocked at the corner")
    step_to("case.handle", "handled", note="corner cleared too")
    step_to("case.verify:passed", "verified")
    step_to("case.close", "closed")
    assert {k for k, b in details.buttons.items() if b.isVisible()} == {"case.rate"}
    details.rating.setValue(4)
    step_to("case.rate", "closed", note="fixed the same day")
    qtbot.waitUntil(lambda: window.live.state["cases"][case_id]["rating"] == 4, timeout=10_000)
    assert not details.actions.isVisible(), "rated once: no step is left"

    case = server_cases(server.url, tokens["alice"])[case_id]
    assert (case["category"], case["department"], case["rating"], case["rating_comment"]) == (
        "BLOCKED_DRAIN", "ROADS", 4, "fixed the same day")
    steps = [details.steps.item(r, 1).text() for r in range(details.steps.rowCount())]
    assert steps == ["reported", "registered", "dispatched", "started", "handled", "verified", "handled", "verified",
                     "closed", "rated"] == [s["step"] for s in case["steps"]]
    by = [details.steps.item(r, 2).text() for r in range(details.steps.rowCount())]
    assert by[0] == "gina (grid)" and set(by[1:]) == {"sam (supervisor)"}
    notes = [details.steps.item(r, 4).text() for r in range(details.steps.rowCount())]
    assert notes[1] == "Blocked drain" and notes[2] == "Street maintenance · urgent: school street"
    assert notes[5] == "failed · still blocked at the corner" and notes[9] == "★★★★ · fixed the same day"
    assert "Case " + case_id + ": closed" in " ".join(window.messages_shown)


def test_a_dispatcher_is_offered_no_verification_and_a_step_another_desk_took_is_refused_in_words(qtbot, desk, city):
    server, tokens = desk
    window = open_desk(qtbot, server.url, tokens["alice"])
    case_id = report(server, tokens["gina"], city, "G001", "STREETLIGHT", "street light out")
    for cmd in ("case.register", "case.dispatch", "case.start"):
        command(server.url, tokens["sam"], cmd, case_id=case_id)
    command(server.url, tokens["sam"], "case.handle", case_id=case_id, note="bulb replaced")
    qtbot.waitUntil(lambda: window.live.state["cases"].get(case_id, {}).get("status") == "handled", timeout=10_000)
    window.select_case(case_id)
    assert window.case_details.next_steps(window.live.state["cases"][case_id]) == [], \
        "verifying is done on site: not by a dispatcher at the desk"
    assert not window.case_details.actions.isVisible()
    # A step sent from what the desk showed a moment ago, as another desk rejected the case: the refusal
    # says what the case is now, beside it.
    reported = report(server, tokens["gina"], city, "G001", "GARBAGE", "garbage bags")
    command(server.url, tokens["sam"], "case.reject", case_id=reported, reason="unfounded")
    qtbot.waitUntil(lambda: window.live.state["cases"].get(reported, {}).get("status") == "rejected", timeout=10_000)
    window.select_case(reported)
    window.send("case.register", {"case_id": reported}, ("cases", reported))
    qtbot.waitUntil(lambda: window.case_details.message.text() != "", timeout=10_000)
    assert window.case_details.message.text() == f"Not allowed in this state: case {reported} is rejected now"
    assert window.messages_shown[-1] == window.case_details.message.text()


def test_the_centre_reports_a_citizens_case_from_a_right_click_on_the_map(qtbot, desk, city):
    server, tokens = desk
    window = open_desk(qtbot, server.url, tokens["alice"])
    where = inside(city, "G012")
    window.canvas.center_on(**where, extent_m=1500)
    window.canvas.render_now()
    QTest.mouseClick(window.canvas.view.viewport(), Qt.MouseButton.RightButton,
                     pos=window.canvas.lonlat_to_screen(**where).toPoint())
    qtbot.waitUntil(lambda: getattr(window, "context_menu", None) is not None and window.context_menu.isVisible(),
                    timeout=3_000)
    menu = window.context_menu
    here = next(a for a in menu.actions() if a.objectName() == "case-new-here")
    QTest.mouseClick(menu, Qt.MouseButton.LeftButton, pos=menu.actionGeometry(here).center())
    qtbot.waitUntil(lambda: getattr(window, "case_dialog", None) is not None and window.case_dialog.isVisible(),
                    timeout=3_000)
    dialog = window.case_dialog
    assert dialog.place.text() == window.geocoder.reverse(*dialog.map_point[:2]).label, "named by its address"
    assert "grid cell G012" in dialog.where.text()
    choose(dialog.category, "FALLEN_TREE")
    choose(dialog.source, "hotline")
    dialog.text.setPlainText("a tree fell on the footpath")
    dialog.caller_name.setText("Wang Fang")
    click(qtbot, dialog.report_button)
    qtbot.waitUntil(lambda: window.selected_case is not None, timeout=10_000)
    case = window.live.state["cases"][window.selected_case]
    assert (case["category"], case["source"], case["grid_id"], case["caller_name"], case["reported_by"]) == (
        "FALLEN_TREE", "hotline", "G012", "Wang Fang", "alice")
    assert queue_rows(window) == [case["case_id"]]
    assert any(m.endswith(f"Reported grid case {case['case_id']}") for m in window.messages_shown)
    # or a typed address, geocoded offline as the dialog is filled in
    typed = window.new_case_dialog()
    typed.place.setText("Mannerheimintie 5")
    lon, lat, label = typed.location()
    assert label.startswith("Mannerheimintie 5") and f"grid cell {city.grid_at(lon, lat)}" in typed.where.text()


def test_the_case_choropleths_give_closure_figures_of_each_cell(qtbot, desk, city, screenshot):
    server, tokens = desk
    clock = ShiftedClock()
    window = open_desk(qtbot, server.url, tokens["sam"], clock)
    cases = {cell: [report(server, tokens["gina"], city, cell, "MANHOLE", f"cover missing {k}", nudge=k) for k in range(n)]
             for cell, n in (("G001", 3), ("G002", 1), ("G012", 2))}
    closed, working, drain = [cases["G001"][0], cases["G002"][0]], cases["G001"][1], cases["G012"][1]
    for case_id in [c for ids in cases.values() for c in ids]:
        # a blocked drain has a working day, a manhole cover 4 working hours
        command(server.url, tokens["sam"], "case.register", case_id=case_id,
                **({"category": "BLOCKED_DRAIN"} if case_id == drain else {}))
    steps = (("case.dispatch", {}), ("case.start", {"note": "crew on the way"}), ("case.handle", {"note": "replaced"}),
             ("case.verify", {"passed": True}), ("case.close", {}))
    for case_id in closed:
        for cmd, args in steps:
            command(server.url, tokens["sam"], cmd, case_id=case_id, **args)
    for cmd, args in steps[:2]:
        command(server.url, tokens["sam"], cmd, case_id=working, **args)
    state = server_cases(server.url, tokens["alice"])
    qtbot.waitUntil(lambda: all(window.live.state["cases"].get(c) == state[c] for c in state), timeout=10_000)
    # The window's clock a minute after the manhole covers fell due (in the month they fall due in: a report
    # late on a month's last day is due in the next): they are overdue, the drain is not yet.
    clock.shift(epoch(state[cases["G012"][0]]["due"]) + 60 - time.time())
    start, end = month_span(clock.now(), machine_zone())
    grids = window.canvas.grids_layer

    def shown() -> dict[str, float]:
        return {cell: grids.values[grids.row(cell)] for cell in cases}

    window._set_grid_figure("cases")
    assert shown() == {"G001": 2, "G002": 0, "G012": 2} and grids.value_title == "open grid cases"
    for figure in ("on_time_rate", "closure_rate"):
        window._set_grid_figure(figure)
        expected = {}
        for cell, ids in cases.items():
            figures = closure_figures([state[c] for c in ids], start, end)
            expected[cell] = 100 * (figures.closure_rate if figure == "closure_rate" else figures.on_time_rate)
        assert shown() == pytest.approx(expected) == {"G001": 100 / 3, "G002": 100.0, "G012": 0.0}
        # a cell at 0 % is filled, in the darkest colour: the worst figure, not none; 100 % the lightest
        assert [grids.classes[grids.row(c)] for c in ("G012", "G002")] == [len(CHOROPLETH_RAMP) - 1, 0]
    assert grids.value_title == f"% of cases due closed, {time.strftime('%Y-%m', time.localtime(start))}"

    overdue = window.canvas.cases_layer.data["overdue"]
    assert [c for c in state if overdue[window.canvas.cases_layer.row(c)]] == [
        c for c in state if c not in closed + [drain]]

    # what the lead looks at: the queue, a case's history and next steps, the case layer and a closure rate
    screen = window.screen().availableGeometry()
    window.setGeometry(screen)
    qtbot.waitUntil(lambda: window.geometry().width() >= screen.width() - 20, timeout=5_000)
    docks = window.docks()
    docks["cases"].raise_()
    window.resizeDocks([docks["cases"], docks["case_details"]], [300, 520], Qt.Orientation.Vertical)
    window.docks()["layers"].widget().set_current("grids")  # the legend of the choropleth
    window.select_case(working)
    window.canvas.fit_layer("cases")
    qtbot.waitUntil(lambda: window.case_details.actions.isVisible(), timeout=5_000)
    window.canvas.render_now()
    window.repaint()
    screenshot("cases_console")

    # the clock in the next month (midnight passed, or a replay's seek): its rates, where nothing is due yet
    shifted = clock.ahead
    clock.shift(end + 86_400 - time.time())
    qtbot.waitUntil(lambda: grids.value_title.endswith(time.strftime("%Y-%m", time.localtime(end + 86_400))),
                    timeout=5_000)
    assert all(np.isnan(value) for value in shown().values())
    clock.shift(shifted)
    qtbot.waitUntil(lambda: shown() == pytest.approx({"G001": 100 / 3, "G002": 100.0, "G012": 0.0}), timeout=5_000)

    window._set_grid_figure("on_time_rate")  # the Chinese view shows the other rate: 按期结案率
    window._set_language("zh_CN")
    qtbot.waitUntil(lambda: window.docks()["queue"].windowTitle() == "警情队列", timeout=5_000)
    assert window.case_queue.proxy.index(0, CaseModel.COLUMNS.index("category")).data() == "井盖缺失破损"
    window.canvas.render_now()
    window.repaint()
    screenshot("cases_console_zh")


def test_a_replay_shows_the_cases_with_no_case_control(qtbot, desk, city):
    server, tokens = desk
    case_id = report(server, tokens["gina"], city, "G001", "MANHOLE", "manhole cover missing")
    command(server.url, tokens["sam"], "case.register", case_id=case_id)
    window = server_replay_window(qtbot, server.url, tokens["sam"])
    qtbot.waitUntil(lambda: window.info is not None and window.city is not None, timeout=30_000)
    window.clock.seek(window.info.end)
    qtbot.waitUntil(lambda: queue_rows(window) == [case_id]
                    and window.canvas.cases_layer.row(case_id) is not None, timeout=10_000)
    layer = window.canvas.cases_layer
    assert layer.data["status"][layer.row(case_id)] == CASE_STATUS_CODE["registered"]
    window.select_case(case_id)
    assert window.case_details.actions is None and window.case_details.buttons == {}, "a replay acts on nothing"
    assert window.case_details.steps.rowCount() == 2
    assert window.findChild(QAction, "case-new") is None, "no New grid case… in a replay's menus"
    window.clock.seek(window.info.start)  # the report alone: not yet registered
    qtbot.waitUntil(lambda: layer.data["status"][layer.row(case_id)] == CASE_STATUS_CODE["reported"], timeout=10_000)
