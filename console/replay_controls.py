"""The replay's transport controls: the replayed time shown large ("REPLAY 2026-12-02 08:14:05 EET", so
nobody takes it for live), play/pause, previous/next event, jumps back and forward, the speed, looping
over the timeline's selection and skipping quiet stretches.

The controls only ask the clock; what they show comes from its signals, so a change made elsewhere (the
timeline, a menu, a test) shows here too.

Keys (anywhere in the window; a text box keeps its own keys): Space play/pause; Left/Right 15 s;
Shift+Left/Right 1 min; Ctrl+Left/Right 15 min; Page Up/Page Down previous/next event.
"""
from __future__ import annotations

import math
from datetime import tzinfo

from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QStyle, QToolButton, QWidget

from console.clock import MAX_SPEED, MIN_SPEED, QUIET_S, SPEEDS, ReplayClock
from reports.times import local_label

NOTICE_MS = 4000  # a notice (a refused speed, no further event) stays this long
JUMP_KEYS = {-15.0: "Left", 15.0: "Right", -60.0: "Shift+Left", 60.0: "Shift+Right",
             -900.0: "Ctrl+Left", 900.0: "Ctrl+Right"}
PREVIOUS_KEY, NEXT_KEY, PLAY_KEY = "PgUp", "PgDown", "Space"


def speed_text(speed: float) -> str:
    return f"{round(speed, 2):g}×"


class ReplayControls(QWidget):
    def __init__(self, clock: ReplayClock, zone: tzinfo, parent: QWidget | None = None):
        super().__init__(parent)
        self.clock = clock
        self.zone = zone
        self.selection: tuple[float, float] | None = None
        self._shown_second: int | None = None
        self.time_label = QLabel(self)
        self.time_label.setObjectName("replay-time")
        font = self.time_label.font()
        font.setPointSize(18)
        font.setBold(True)
        self.time_label.setFont(font)
        self.time_label.setStyleSheet("background: #b45309; color: white; padding: 2px 10px; border-radius: 3px;")
        style = self.style()
        self.previous_button = self._button("replay-previous", lambda: self._step(-1),
                                            style.standardIcon(QStyle.StandardPixmap.SP_MediaSkipBackward))
        self.next_button = self._button("replay-next", lambda: self._step(1),
                                        style.standardIcon(QStyle.StandardPixmap.SP_MediaSkipForward))
        self.play_button = self._button("replay-play", clock.toggle)
        self.jump_buttons = {seconds: self._button(f"replay-jump{seconds:+.0f}",
                                                   lambda _=False, s=seconds: clock.jump(s))
                             for seconds in (-900.0, -60.0, -15.0, 15.0, 60.0, 900.0)}
        self.speed_box = QComboBox(self)
        self.speed_box.setObjectName("replay-speed")
        self.speed_box.setEditable(True)
        self.speed_box.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.speed_box.addItems([speed_text(s) for s in SPEEDS])
        self.speed_box.setMinimumContentsLength(6)
        self.speed_box.activated.connect(lambda index: clock.set_speed(SPEEDS[index]))
        self.speed_box.lineEdit().editingFinished.connect(self._speed_typed)
        self.loop_button = self._button("replay-loop", lambda: self._loop(self.loop_button.isChecked()))
        self.loop_button.setCheckable(True)
        self.skip_button = self._button("replay-skip-quiet", lambda: clock.set_skip_quiet(self.skip_button.isChecked()))
        self.skip_button.setCheckable(True)
        self.notice = QLabel(self)
        self.notice.setObjectName("replay-notice")
        self.notice.setStyleSheet("color: #b91c1c;")
        self._notice_timer = QTimer(self, singleShot=True, interval=NOTICE_MS)
        self._notice_timer.timeout.connect(self.notice.clear)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        layout.addWidget(self.time_label)
        layout.addSpacing(12)
        for widget in (self.previous_button, self.jump_buttons[-900.0], self.jump_buttons[-60.0],
                       self.jump_buttons[-15.0], self.play_button, self.jump_buttons[15.0],
                       self.jump_buttons[60.0], self.jump_buttons[900.0], self.next_button):
            layout.addWidget(widget)
        layout.addSpacing(12)
        layout.addWidget(self.speed_box)
        layout.addWidget(self.loop_button)
        layout.addWidget(self.skip_button)
        layout.addWidget(self.notice, 1)
        self.shortcuts = [self._shortcut(PLAY_KEY, clock.toggle), self._shortcut(PREVIOUS_KEY, lambda: self._step(-1)),
                          self._shortcut(NEXT_KEY, lambda: self._step(1))]
        self.shortcuts += [self._shortcut(key, lambda s=seconds: clock.jump(s)) for seconds, key in JUMP_KEYS.items()]
        clock.ticked.connect(self._show_time)
        clock.jumped.connect(self._show_time)
        clock.playingChanged.connect(self._show_playing)
        clock.speedChanged.connect(self._show_speed)
        clock.loopChanged.connect(self._show_loop)
        clock.skipQuietChanged.connect(self.skip_button.setChecked)
        self.retranslate()
        self._show_playing(clock.playing)
        self._show_speed(clock.speed)
        self._show_loop(clock.loop)
        self.skip_button.setChecked(clock.skip_quiet)

    def _button(self, name: str, action, icon=None) -> QToolButton:
        button = QToolButton(self)
        button.setObjectName(name)
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon if icon is None
                                  else Qt.ToolButtonStyle.ToolButtonIconOnly)
        if icon is not None:
            button.setIcon(icon)
        button.clicked.connect(action)
        return button

    def _shortcut(self, key: str, action) -> QShortcut:
        shortcut = QShortcut(QKeySequence(key), self)
        shortcut.setContext(Qt.ShortcutContext.WindowShortcut)
        shortcut.activated.connect(action)
        return shortcut

    # ---- words -----------------------------------------------------------------------------------

    def retranslate(self) -> None:
        def tip(text: str, key: str) -> str:
            return f"{text} ({QKeySequence(key).toString(QKeySequence.SequenceFormat.NativeText)})"

        jumps = {-900.0: (self.tr("−15 min"), self.tr("Back 15 minutes")),
                 -60.0: (self.tr("−1 min"), self.tr("Back 1 minute")),
                 -15.0: (self.tr("−15 s"), self.tr("Back 15 seconds")),
                 15.0: (self.tr("+15 s"), self.tr("Forward 15 seconds")),
                 60.0: (self.tr("+1 min"), self.tr("Forward 1 minute")),
                 900.0: (self.tr("+15 min"), self.tr("Forward 15 minutes"))}
        for seconds, (text, words) in jumps.items():
            self.jump_buttons[seconds].setText(text)
            self.jump_buttons[seconds].setToolTip(tip(words, JUMP_KEYS[seconds]))
        self.previous_button.setToolTip(tip(self.tr("Previous event"), PREVIOUS_KEY))
        self.next_button.setToolTip(tip(self.tr("Next event"), NEXT_KEY))
        self.play_button.setToolTip(tip(self.tr("Play or pause the replay"), PLAY_KEY))
        self.speed_box.setToolTip(self.tr("Replay speed: pick one or type a value from {0} to {1}").format(
            speed_text(MIN_SPEED), speed_text(MAX_SPEED)))
        self.loop_button.setText(self.tr("Loop"))
        self.skip_button.setText(self.tr("Skip quiet"))
        self.skip_button.setToolTip(self.tr("Skip stretches of over {0} min without an incident or status event")
                                    .format(f"{QUIET_S / 60:g}"))
        self._show_playing(self.clock.playing)
        self._show_loop(self.clock.loop)
        self._shown_second = None
        self._show_time(self.clock.now())

    def changeEvent(self, event) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def _say(self, text: str) -> None:
        self.notice.setText(text)
        self._notice_timer.start()

    # ---- following the clock ---------------------------------------------------------------------

    def _show_time(self, t: float) -> None:
        second = math.floor(t)
        if second == self._shown_second:  # 60 ticks a second; the label changes once
            return
        self._shown_second = second
        self.time_label.setText(self.tr("REPLAY {0}").format(local_label(second, self.zone)))

    def _show_playing(self, playing: bool) -> None:
        icon = QStyle.StandardPixmap.SP_MediaPause if playing else QStyle.StandardPixmap.SP_MediaPlay
        self.play_button.setIcon(self.style().standardIcon(icon))
        self.play_button.setText(self.tr("Pause") if playing else self.tr("Play"))

    def _show_speed(self, speed: float) -> None:
        index = next((i for i, preset in enumerate(SPEEDS) if math.isclose(preset, speed)), -1)
        self.speed_box.blockSignals(True)
        self.speed_box.setCurrentIndex(index)
        self.speed_box.setEditText(speed_text(speed))
        self.speed_box.blockSignals(False)

    def _show_loop(self, span: tuple[float, float] | None) -> None:
        self.loop_button.setChecked(span is not None)
        self.loop_button.setEnabled(span is not None or self.selection is not None)
        self.loop_button.setToolTip(
            self.tr("Loop over the selected span") if self.loop_button.isEnabled()
            else self.tr("Select a span on the timeline first (Shift+drag, or drag on the strip under the bars)"))

    # ---- acting ----------------------------------------------------------------------------------

    def set_selection(self, span: tuple[float, float] | None) -> None:
        """The timeline's selection (connect `Timeline.selectionChanged` here): the span a loop plays.
        While looping, a new selection moves the loop; clearing it ends the loop."""
        self.selection = span
        if self.clock.loop is not None:
            self._loop(span is not None)
        else:
            self._show_loop(None)

    def _loop(self, on: bool) -> None:
        if on and self.selection is not None:
            try:
                self.clock.set_loop(self.selection)
            except ValueError:  # a selection of no time inside the replay
                self._say(self.tr("The selection holds no time of the replay to loop over"))
                self.clock.set_loop(None)
        else:
            self.clock.set_loop(None)

    def _step(self, direction: int) -> None:
        if not self.clock.step(direction):
            self._say(self.tr("No later event") if direction > 0 else self.tr("No earlier event"))

    def _speed_typed(self) -> None:
        text = self.speed_box.currentText().strip().rstrip("x×X ").replace(",", ".")
        try:
            speed = float(text)
        except ValueError:
            speed = math.nan
        if not MIN_SPEED <= speed <= MAX_SPEED:  # NaN fails this too
            self._say(self.tr("A speed is a number from {0} to {1}").format(speed_text(MIN_SPEED),
                                                                              speed_text(MAX_SPEED)))
            self._show_speed(self.clock.speed)
            return
        if not math.isclose(speed, self.clock.speed):
            self.clock.set_speed(speed)
        else:
            self._show_speed(speed)
