"""The replay's transport controls drive the one clock and show whatever the clock does."""
from __future__ import annotations

import time

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication

from support.replay import DAY_START, replay_window


@pytest.fixture
def replay(qtbot):
    return replay_window(qtbot)


def test_the_replayed_time_is_shown_large_with_its_date_and_zone(replay):
    window, clock, controls, _ = replay
    clock.seek(DAY_START + 8 * 3600 + 14 * 60 + 5)
    assert controls.time_label.text() == "REPLAY 2026-12-02 08:14:05 EET"
    assert controls.time_label.font().pointSize() >= 18


@pytest.mark.parametrize("seconds", [-900.0, -60.0, -15.0, 15.0, 60.0, 900.0])
def test_each_jump_button_moves_the_clock_by_its_amount(qtbot, replay, seconds):
    window, clock, controls, _ = replay
    clock.seek(DAY_START + 12 * 3600)
    qtbot.mouseClick(controls.jump_buttons[seconds], Qt.MouseButton.LeftButton)
    assert clock.now() == DAY_START + 12 * 3600 + seconds


def test_clicking_plus_one_minute_moves_the_clock_sixty_seconds_and_the_label_follows(qtbot, replay):
    window, clock, controls, _ = replay
    clock.seek(DAY_START + 3600)
    qtbot.mouseClick(controls.jump_buttons[60.0], Qt.MouseButton.LeftButton)
    assert clock.now() == DAY_START + 3660
    assert controls.time_label.text() == "REPLAY 2026-12-02 01:01:00 EET"


def test_the_keys_play_and_jump(qtbot, replay):
    window, clock, controls, _ = replay
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=5000)
    clock.seek(DAY_START + 7200)
    for key, modifier, expected in ((Qt.Key.Key_Right, Qt.KeyboardModifier.NoModifier, 15),
                                    (Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier, 60),
                                    (Qt.Key.Key_Right, Qt.KeyboardModifier.ControlModifier, 900),
                                    (Qt.Key.Key_Left, Qt.KeyboardModifier.ControlModifier, -900),
                                    (Qt.Key.Key_Left, Qt.KeyboardModifier.ShiftModifier, -60),
                                    (Qt.Key.Key_Left, Qt.KeyboardModifier.NoModifier, -15)):
        before = clock.now()
        qtbot.keyClick(window, key, modifier)
        assert clock.now() == before + expected, (key, modifier)
    qtbot.keyClick(window, Qt.Key.Key_Space)
    assert clock.playing and controls.play_button.text() == "Pause"
    qtbot.keyClick(window, Qt.Key.Key_Space)
    assert not clock.playing and controls.play_button.text() == "Play"


def test_previous_and_next_go_from_event_to_event_and_say_when_there_is_none(qtbot, replay):
    window, clock, controls, _ = replay
    clock.set_marks([DAY_START + 600, DAY_START + 1800])
    clock.seek(DAY_START + 1000)
    qtbot.mouseClick(controls.next_button, Qt.MouseButton.LeftButton)
    assert clock.now() == DAY_START + 1800
    qtbot.mouseClick(controls.next_button, Qt.MouseButton.LeftButton)
    assert clock.now() == DAY_START + 1800 and controls.notice.text() == "No later event"
    qtbot.mouseClick(controls.previous_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(controls.previous_button, Qt.MouseButton.LeftButton)
    assert clock.now() == DAY_START + 600
    qtbot.mouseClick(controls.previous_button, Qt.MouseButton.LeftButton)
    assert clock.now() == DAY_START + 600 and controls.notice.text() == "No earlier event"


def _choose_preset(qtbot, box, text: str) -> None:
    """Open the speed list, point at the preset and take it with Return, as a person would (a click
    straight after the list opens is ignored by the list, which takes it for the opening click's end)."""
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=QPoint(box.width() - 8, box.height() // 2))
    view = box.view()
    qtbot.waitUntil(lambda: view.isVisible(), timeout=5000)
    index = view.model().index(box.findText(text), 0)
    view.scrollTo(index)
    qtbot.mouseMove(view.viewport(), view.visualRect(index).center())
    qtbot.waitUntil(lambda: view.currentIndex() == index, timeout=5000)
    qtbot.keyClick(view, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not view.isVisible(), timeout=5000)


def _type_speed(qtbot, box, text: str) -> None:
    box.lineEdit().clear()
    qtbot.keyClicks(box.lineEdit(), text)
    qtbot.keyClick(box.lineEdit(), Qt.Key.Key_Return)


def test_a_speed_preset_and_a_typed_value_set_the_clocks_speed(qtbot, replay):
    window, clock, controls, _ = replay
    for preset, text in ((60.0, "60×"), (0.1, "0.1×"), (1000.0, "1000×")):
        _choose_preset(qtbot, controls.speed_box, text)
        assert clock.speed == preset
    _type_speed(qtbot, controls.speed_box, "2.5")
    assert clock.speed == 2.5 and controls.speed_box.currentText() == "2.5×"
    _type_speed(qtbot, controls.speed_box, "7x")
    assert clock.speed == 7.0


@pytest.mark.parametrize("typed", ["5000", "0.05", "fast", "nan", ""])
def test_a_speed_outside_the_range_is_refused_said_and_the_speed_kept(qtbot, replay, typed):
    window, clock, controls, _ = replay
    clock.set_speed(30.0)
    _type_speed(qtbot, controls.speed_box, typed)
    assert clock.speed == 30.0
    assert controls.speed_box.currentText() == "30×"
    assert controls.notice.text() == "A speed is a number from 0.1× to 1000×"


def test_the_controls_show_what_is_done_to_the_clock_elsewhere(qtbot, replay):
    window, clock, controls, _ = replay
    clock.play()
    assert controls.play_button.text() == "Pause"
    clock.set_speed(7.0)
    assert controls.speed_box.currentText() == "7×"
    clock.set_speed(120.0)
    assert controls.speed_box.currentText() == "120×" and controls.speed_box.currentIndex() == 9
    clock.set_loop((DAY_START + 60, DAY_START + 120))
    assert controls.loop_button.isChecked() and controls.loop_button.isEnabled()
    clock.set_loop(None)
    assert not controls.loop_button.isChecked() and not controls.loop_button.isEnabled()
    clock.set_skip_quiet(True)
    assert controls.skip_button.isChecked()
    clock.pause()
    clock.seek(DAY_START + 23 * 3600 + 59 * 60 + 59)
    assert controls.play_button.text() == "Play" and controls.time_label.text() == "REPLAY 2026-12-02 23:59:59 EET"


def test_the_loop_button_waits_for_a_selection_and_then_loops_over_it(qtbot, replay):
    window, clock, controls, timeline = replay
    assert not controls.loop_button.isEnabled()
    assert "Select a span" in controls.loop_button.toolTip()
    timeline.set_selection((DAY_START + 3600, DAY_START + 3900))
    assert controls.loop_button.isEnabled()
    qtbot.mouseClick(controls.loop_button, Qt.MouseButton.LeftButton)
    assert clock.loop == (DAY_START + 3600, DAY_START + 3900) and clock.now() == DAY_START + 3600
    timeline.set_selection((DAY_START + 7200, DAY_START + 7500))  # the loop moves with the selection
    assert clock.loop == (DAY_START + 7200, DAY_START + 7500)
    timeline.set_selection(None)  # and ends with it
    assert clock.loop is None and not controls.loop_button.isChecked()


def test_the_skip_quiet_button_sets_the_clock(qtbot, replay):
    window, clock, controls, _ = replay
    qtbot.mouseClick(controls.skip_button, Qt.MouseButton.LeftButton)
    assert clock.skip_quiet
    qtbot.mouseClick(controls.skip_button, Qt.MouseButton.LeftButton)
    assert not clock.skip_quiet


def test_playing_at_60x_for_two_seconds_moves_the_clock_two_minutes(qtbot, replay):
    window, clock, controls, _ = replay
    clock.seek(DAY_START + 3600)
    _choose_preset(qtbot, controls.speed_box, "60×")
    ticks = []
    clock.ticked.connect(ticks.append)
    began = time.monotonic()
    qtbot.mouseClick(controls.play_button, Qt.MouseButton.LeftButton)
    # Real time is what is measured: at least 2 s of it (a coarse Qt timer may fire 5 % early).
    qtbot.waitUntil(lambda: time.monotonic() - began >= 2.0, timeout=5000)
    qtbot.mouseClick(controls.play_button, Qt.MouseButton.LeftButton)
    real = time.monotonic() - began
    moved = clock.now() - (DAY_START + 3600)
    assert abs(moved - 60 * real) <= 0.05 * 60 * real, (moved, real)
    assert 114 <= moved <= 60 * real * 1.05
    assert len(ticks) >= 60  # about 60 frames a second; a loaded machine may give fewer
    assert controls.time_label.text() == f"REPLAY 2026-12-02 01:0{int(moved) // 60}:{int(moved) % 60:02d} EET"
