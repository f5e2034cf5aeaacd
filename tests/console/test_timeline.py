"""The replay's timeline: bars as tall as the counts, scrubbing and selecting with real X input, zoom and
pan, bookmarks at the instant asked for, names on hover, and a playhead that moves without redrawing the
rest."""
from __future__ import annotations

import subprocess

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QApplication, QToolTip

from console.timeline import KIND_COLOURS, INCIDENTS, UNIT_STATUS
from support.console import drag_path, xdrag
from support.replay import DAY_START, TYPES, a_day_of_activity, replay_window

HOUR = 3600.0


@pytest.fixture
def replay(qtbot):
    return replay_window(qtbot)


def _on_screen(canvas, t: float, y: int) -> QPoint:
    return canvas.mapToGlobal(QPoint(round(canvas.x_of(t)), y))


def _xdotool(qtbot, *args: str) -> None:
    proc = subprocess.Popen(["xdotool", *args])
    qtbot.waitUntil(lambda: proc.poll() is not None, timeout=10_000)
    assert proc.returncode == 0


def _column_heights(image, x: int, top: int, bottom: int) -> dict[str, int]:
    """How many pixels of each kind's colour the column x has between top and bottom."""
    found = {}
    for name, kind in (("incidents", INCIDENTS), ("unit status", UNIT_STATUS)):
        colour = KIND_COLOURS[kind].rgb()
        found[name] = sum(1 for y in range(top, bottom + 1) if image.pixel(x, y) == colour)
    return found


def test_the_bars_are_as_tall_as_the_counts_given(qtbot):
    window, clock, controls, timeline = replay_window(qtbot, DAY_START, DAY_START + HOUR)
    canvas = timeline.canvas
    counts = [[0] * len(TYPES) for _ in range(60)]
    counts[35][TYPES.index("incident.created")] = 3  # incidents 4, unit status 2
    counts[35][TYPES.index("incident.closed")] = 1
    counts[35][TYPES.index("unit.status_changed")] = 2
    counts[45][TYPES.index("incident.created")] = 8  # the peak: full height
    counts[50][TYPES.index("unit.assigned")] = 1
    counts[50][TYPES.index("unit.status_changed")] = 1
    counts[50][TYPES.index("unit.moved")] = 5000  # positions on their own scale do not flatten the rest
    timeline.set_density(DAY_START, 60, TYPES, counts)
    qtbot.waitUntil(lambda: canvas.cache_builds >= 1, timeout=5000)
    image = canvas.grab().toImage()
    hist = canvas.histogram_rect()
    scale = hist.height() / 8
    for bucket, incidents, statuses in ((35, 4, 2), (45, 8, 0), (50, 0, 2), (20, 0, 0)):
        x = round(canvas.x_of(DAY_START + bucket * 60 + 30))
        heights = _column_heights(image, x, hist.top(), hist.bottom())
        assert abs(heights["incidents"] - incidents * scale) <= 1, (bucket, heights)
        assert abs(heights["unit status"] - statuses * scale) <= 1, (bucket, heights)
    bars = canvas.bars(hist)
    assert bars.bar_s == 60 and bars.peak == 8 and bars.position_peak == 5000


def test_a_day_of_minutes_is_summed_into_bars_wide_enough_to_see_and_keeps_every_event(replay):
    window, clock, controls, timeline = replay
    counts, _, _ = a_day_of_activity()
    timeline.set_density(DAY_START, 60, TYPES, counts)
    canvas = timeline.canvas
    bars = canvas.bars(canvas.histogram_rect())
    assert bars.bar_s / (86_400 / canvas.histogram_rect().width()) >= 3  # at least 3 px a bar
    table = np.array(counts)
    stacked_total = table.sum() - table[:, TYPES.index("unit.moved")].sum()
    heights = bars.tops[:, -1] / canvas.histogram_rect().height() * bars.peak
    assert abs(heights.sum() - stacked_total) <= len(heights) * bars.peak / canvas.histogram_rect().height()


def test_bad_density_is_refused_and_the_bars_shown_stay(replay):
    window, clock, controls, timeline = replay
    timeline.set_density(DAY_START, 60, ["incident.created"], [[2], [1]])
    with pytest.raises(ValueError):
        timeline.set_density(DAY_START, 60, ["incident.created"], [[2], [-1]])
    with pytest.raises(ValueError):
        timeline.set_density(DAY_START, 0, ["incident.created"], [[2]])
    with pytest.raises(ValueError):
        timeline.set_incident_marks([(DAY_START, "reopened", "X")])
    timeline.set_bookmarks([{"bookmark_id": "B1", "at": DAY_START + 60, "note": "kept", "actor": "lead"}])
    with pytest.raises(ValueError, match="needs a time"):
        timeline.set_bookmarks([{"bookmark_id": "B2", "note": "no time", "actor": "lead"}])
    assert timeline.canvas.kind_counts[:, INCIDENTS].tolist() == [2, 1]
    assert [b["note"] for b in timeline.canvas.bookmarks] == ["kept"]


def test_a_drag_across_the_timeline_seeks_along_with_the_pointer(qtbot, replay):
    window, clock, controls, timeline = replay
    canvas = timeline.canvas
    scrubs, seen = [], []
    timeline.scrubbing.connect(scrubs.append)
    clock.jumped.connect(seen.append)
    y = canvas.histogram_rect().center().y()
    start, end = _on_screen(canvas, DAY_START + 2 * HOUR, y), _on_screen(canvas, DAY_START + 20 * HOUR, y)
    xdrag(qtbot, start, end, steps=12)
    qtbot.waitUntil(lambda: scrubs == [True, False], timeout=5000)
    one_pixel = 86_400 / canvas.histogram_rect().width()
    path_x = [canvas.mapFromGlobal(p).x() for p in [start, *drag_path(start, end, 12)]]
    assert len(set(seen)) >= 8 and seen == sorted(seen)  # it followed along, not just to the end
    for t in seen:  # every instant sought is where the pointer was
        assert min(abs(canvas.x_of(t) - x) for x in path_x) <= 1.0, t
    assert abs(clock.now() - canvas.time_at(path_x[-1])) <= one_pixel
    assert abs(clock.now() - (DAY_START + 20 * HOUR)) <= one_pixel


def test_scrubbing_while_playing_pauses_and_plays_on_after(qtbot, replay):
    window, clock, controls, timeline = replay
    canvas = timeline.canvas
    clock.play()
    y = canvas.histogram_rect().center().y()
    xdrag(qtbot, _on_screen(canvas, DAY_START + 5 * HOUR, y), _on_screen(canvas, DAY_START + 6 * HOUR, y), steps=4)
    qtbot.waitUntil(lambda: clock.playing, timeout=5000)
    assert DAY_START + 6 * HOUR - 60 <= clock.now() <= DAY_START + 6 * HOUR + 60


def test_a_shift_drag_selects_a_span_and_the_loop_plays_inside_it(qtbot, replay):
    window, clock, controls, timeline = replay
    canvas = timeline.canvas
    chosen = []
    timeline.selectionChanged.connect(chosen.append)
    clock.seek(DAY_START + 1 * HOUR)
    y = canvas.histogram_rect().center().y()
    xdrag(qtbot, _on_screen(canvas, DAY_START + 10 * HOUR, y), _on_screen(canvas, DAY_START + 10.5 * HOUR, y),
          steps=6, holding="shift")
    qtbot.waitUntil(lambda: len(chosen) == 1, timeout=5000)
    one_pixel = 86_400 / canvas.histogram_rect().width()
    a, b = chosen[0]
    assert abs(a - (DAY_START + 10 * HOUR)) <= one_pixel and abs(b - (DAY_START + 10.5 * HOUR)) <= one_pixel
    assert clock.now() == DAY_START + 1 * HOUR  # selecting does not seek
    qtbot.mouseClick(controls.loop_button, Qt.MouseButton.LeftButton)
    assert clock.loop == (a, b) and clock.now() == a
    clock.set_speed(1000.0)  # 30 minutes in 1.8 s
    ticks, loops = [], []
    clock.ticked.connect(ticks.append)
    clock.jumped.connect(loops.append)
    clock.play()
    qtbot.waitUntil(lambda: len(loops) >= 2, timeout=10_000)  # looped back twice
    clock.pause()
    assert loops[:2] == [a, a]
    assert all(a <= t <= b for t in ticks) and max(ticks) > a + 0.9 * (b - a)


def test_a_drag_on_the_strip_under_the_bars_selects_and_a_click_there_clears(qtbot, replay):
    window, clock, controls, timeline = replay
    canvas = timeline.canvas
    chosen = []
    timeline.selectionChanged.connect(chosen.append)
    y = canvas.histogram_rect().bottom() + 7
    xdrag(qtbot, _on_screen(canvas, DAY_START + 14 * HOUR, y), _on_screen(canvas, DAY_START + 12 * HOUR, y), steps=5)
    qtbot.waitUntil(lambda: len(chosen) == 1, timeout=5000)
    assert chosen[0][0] < chosen[0][1] and abs(chosen[0][1] - chosen[0][0] - 2 * HOUR) <= 120
    qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=QPoint(round(canvas.x_of(DAY_START + HOUR)), y))
    assert chosen[-1] is None and timeline.selection is None


def test_the_wheel_zooms_around_the_pointer_and_shift_wheel_pans(qtbot, replay):
    window, clock, controls, timeline = replay
    canvas = timeline.canvas
    y = canvas.histogram_rect().center().y()
    pointer = _on_screen(canvas, DAY_START + 6 * HOUR, y)
    local_x = canvas.mapFromGlobal(pointer).x()
    under = canvas.time_at(local_x)
    _xdotool(qtbot, "mousemove", str(pointer.x()), str(pointer.y()), "click", "--repeat", "3", "4")
    qtbot.waitUntil(lambda: canvas.view[1] - canvas.view[0] < 86_400 * 0.52, timeout=5000)
    v0, v1 = canvas.view
    assert abs((v1 - v0) - 86_400 * 0.8 ** 3) < 1
    assert abs(canvas.time_at(local_x) - under) <= (v1 - v0) / canvas.histogram_rect().width()
    _xdotool(qtbot, "keydown", "shift", "click", "5", "keyup", "shift")
    qtbot.waitUntil(lambda: canvas.view[0] != v0, timeout=5000)
    assert abs(canvas.view[1] - canvas.view[0] - (v1 - v0)) < 1e-6  # panned, not zoomed
    for _ in range(60):  # zooming in stops at two minutes across
        canvas.zoom(0.5, canvas.time_at(local_x))
    assert canvas.view[1] - canvas.view[0] == 120
    qtbot.mouseClick(timeline.whole_button, Qt.MouseButton.LeftButton)
    assert canvas.view == (DAY_START, DAY_START + 86_400)


def test_the_axis_is_labelled_on_round_local_times(replay):
    window, clock, controls, timeline = replay
    ticks = timeline.canvas.axis_ticks()
    assert ticks[0] == (DAY_START, "12-02") and ticks[1] == (DAY_START + HOUR, "01:00")  # local midnight, EET
    timeline.canvas.set_view(DAY_START + 8 * HOUR, DAY_START + 8 * HOUR + 600)
    ticks = timeline.canvas.axis_ticks()
    assert ticks[0][1] == "08:00:00" and ticks[1][1] in ("08:00:15", "08:00:30")


def test_the_bookmark_button_asks_for_the_replayed_instant_and_right_click_for_the_one_clicked(qtbot, replay):
    window, clock, controls, timeline = replay
    canvas = timeline.canvas
    asked = []
    timeline.bookmarkRequested.connect(asked.append)
    clock.seek(DAY_START + 8 * HOUR + 14 * 60 + 5)
    qtbot.mouseClick(timeline.bookmark_button, Qt.MouseButton.LeftButton)
    assert asked == [DAY_START + 8 * HOUR + 14 * 60 + 5]
    point = _on_screen(canvas, DAY_START + 17 * HOUR, canvas.histogram_rect().center().y())
    _xdotool(qtbot, "mousemove", str(point.x()), str(point.y()), "click", "3")
    qtbot.waitUntil(lambda: QApplication.activePopupWidget() is not None, timeout=5000)
    menu = QApplication.activePopupWidget()
    action = menu.actions()[0]
    assert action.text().startswith("Bookmark at 1") and action.isEnabled()
    qtbot.mouseClick(menu, Qt.MouseButton.LeftButton, pos=menu.actionGeometry(action).center())
    qtbot.waitUntil(lambda: len(asked) == 2, timeout=5000)
    assert abs(asked[1] - (DAY_START + 17 * HOUR)) <= 86_400 / canvas.histogram_rect().width()


def test_a_replay_that_cannot_keep_bookmarks_says_why(qtbot, replay):
    window, clock, controls, timeline = replay
    canvas = timeline.canvas
    timeline.set_bookmarks_enabled(False, "A replay of a file cannot add bookmarks")
    assert not timeline.bookmark_button.isEnabled()
    assert timeline.bookmark_button.toolTip() == "A replay of a file cannot add bookmarks"
    point = _on_screen(canvas, DAY_START + 3 * HOUR, canvas.histogram_rect().center().y())
    _xdotool(qtbot, "mousemove", str(point.x()), str(point.y()), "click", "3")
    qtbot.waitUntil(lambda: QApplication.activePopupWidget() is not None, timeout=5000)
    menu = QApplication.activePopupWidget()
    assert not menu.actions()[0].isEnabled() and menu.actions()[0].toolTip() == "A replay of a file cannot add bookmarks"
    menu.close()
    timeline.set_bookmarks_enabled(True)
    assert timeline.bookmark_button.isEnabled() and timeline.bookmark_button.toolTip() == "Bookmark the replayed time"


def test_hovering_a_mark_or_a_flag_names_the_incident_or_the_note(qtbot, replay):
    window, clock, controls, timeline = replay
    canvas = timeline.canvas
    timeline.set_incident_marks([(DAY_START + 9 * HOUR, "created", "DEMO-261202-0042"),
                                 (DAY_START + 11 * HOUR, "closed", "DEMO-261202-0042")])
    timeline.set_bookmarks([{"bookmark_id": "B1", "at": DAY_START + 13 * HOUR, "note": "Radio outage",
                             "actor": "lead"}])
    window.activateWindow()  # Qt shows tooltips in the active window
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=5000)
    mark_y = canvas.histogram_rect().top() - 6
    for at, expected in ((DAY_START + 9 * HOUR, "Incident DEMO-261202-0042 created at 09:00:00"),
                         (DAY_START + 11 * HOUR, "Incident DEMO-261202-0042 closed at 11:00:00")):
        point = _on_screen(canvas, at, mark_y)
        _xdotool(qtbot, "mousemove", str(point.x()), str(point.y() - 2), "sleep", "0.05",
                 "mousemove", str(point.x()), str(point.y()))
        qtbot.waitUntil(lambda: QToolTip.isVisible() and QToolTip.text() == expected, timeout=5000)
    flag = _on_screen(canvas, DAY_START + 13 * HOUR + 120, 24)
    _xdotool(qtbot, "mousemove", str(flag.x()), str(flag.y()))
    qtbot.waitUntil(lambda: QToolTip.isVisible() and QToolTip.text() == "Bookmark at 13:00:00: Radio outage (lead)",
                    timeout=5000)


def test_playing_moves_the_playhead_without_redrawing_the_histogram(qtbot, replay):
    window, clock, controls, timeline = replay
    canvas = timeline.canvas
    counts, marks, bookmarks = a_day_of_activity()
    timeline.set_density(DAY_START, 60, TYPES, counts)
    timeline.set_incident_marks(marks)
    timeline.set_bookmarks(bookmarks)
    qtbot.waitUntil(lambda: canvas._cache is not None, timeout=5000)
    builds = canvas.cache_builds
    clock.set_speed(1000.0)
    ticks = []
    clock.ticked.connect(ticks.append)
    clock.play()
    qtbot.waitUntil(lambda: len(ticks) >= 40, timeout=10_000)
    clock.pause()
    assert canvas.cache_builds == builds
    image = canvas.grab().toImage()
    x = round(canvas.x_of(clock.now()))
    assert QColor(image.pixel(x, canvas.histogram_rect().center().y())) == QColor("#b91c1c")  # the playhead


def test_a_day_of_replay_in_a_1920x400_window_reads_well(qtbot, replay, screenshot):
    window, clock, controls, timeline = replay
    counts, marks, bookmarks = a_day_of_activity()
    timeline.set_density(DAY_START, 60, TYPES, counts)
    timeline.set_incident_marks(marks)
    timeline.set_bookmarks(bookmarks)
    timeline.set_selection((DAY_START + 15.5 * HOUR, DAY_START + 16.5 * HOUR))
    qtbot.mouseClick(controls.loop_button, Qt.MouseButton.LeftButton)
    clock.set_speed(60.0)
    clock.seek(DAY_START + 16 * HOUR + 14 * 60 + 5)
    assert controls.time_label.text() == "REPLAY 2026-12-02 16:14:05 EET" and clock.loop is not None
    window.repaint()  # paints and flushes to the X server now; the grab below reads the screen's pixels
    path = screenshot("replay_timeline")
    assert path.stat().st_size > 20_000


def test_a_replay_opened_without_a_span_shows_the_whole_log_once_it_is_known(qtbot):
    window, clock, controls, timeline = replay_window(qtbot, 0.0, 0.0)  # as `onemap replay --db` opens
    clock.set_span(DAY_START, DAY_START + 86_400)
    assert timeline.canvas.view == (DAY_START, DAY_START + 86_400)
