"""Alarms at the console: the red banner over the map (alarms nobody has acknowledged), the Alarms dock
(every open alarm) and the dialogs that acknowledge an alarm or close it as false.

Both lists show what the state holds and say what the dispatcher asks for by signals; the window sends
the commands. Rows are built again only when the alarms shown or their statuses change; each tick only
rewrites their texts (the age, overdue)."""
from __future__ import annotations

import html
from typing import Callable

from PySide6.QtCore import QCoreApplication, QEvent, Qt, Signal
from PySide6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QFormLayout, QFrame, QHBoxLayout, QLabel,
                               QLineEdit, QPushButton, QVBoxLayout, QWidget)

from console.live import epoch, format_duration
from console.words import word
from dispatch.commands import MAX_NOTE
from dispatch.domain import FALSE_ALARM_REASONS

TEXT_SHOWN = 90  # characters of an alarm's text in its row
BANNER_ROWS = 4  # the banner lists the oldest this many (the heading counts them all): the map stays in view
STYLES = {
    "raised": "QFrame#alarm-row { background: #dc2626; border: 2px solid #fecaca; border-radius: 4px; }"
              "QLabel { color: white; font-size: 14px; font-weight: bold; }",
    "overdue": "QFrame#alarm-row { background: #450a0a; border: 4px solid #facc15; border-radius: 4px; }"
               "QLabel { color: #fde047; font-size: 14px; font-weight: bold; }",
    "acknowledged": "QFrame#alarm-row { background: #451a03; border: 2px solid #fbbf24; border-radius: 4px; }"
                    "QLabel { color: #fde68a; font-size: 13px; }",
    "selected": "QFrame#alarm-row { background: #78350f; border: 3px solid white; border-radius: 4px; }"
                "QLabel { color: white; font-size: 13px; font-weight: bold; }",
}
BUTTON_STYLE = ("QPushButton { background: white; color: #7f1d1d; font-weight: bold; padding: 4px 10px;"
                " border-radius: 3px; } QPushButton:hover { background: #fee2e2; }")


def reason_words(reason: str) -> str:
    """A false alarm's reason in the dispatcher's words."""
    translate = QCoreApplication.translate
    return {"misdial": translate("AlarmDialog", "Misdial (pressed by mistake)"),
            "test": translate("AlarmDialog", "Test of the device"),
            "device_fault": translate("AlarmDialog", "Device fault"), "prank": translate("AlarmDialog", "Prank"),
            "other": translate("AlarmDialog", "Other (say why in the note)")}.get(reason, reason)


class AlarmRow(QFrame):
    """One alarm: what, who, where, how long ago; and, unless read-only, the buttons that act on it."""

    def __init__(self, alarm_id: str, buttons: bool, list_: "AlarmList"):
        super().__init__(list_)
        self.alarm_id = alarm_id
        self.list = list_
        self.setObjectName("alarm-row")
        column = QVBoxLayout(self)
        column.setContentsMargins(8, 4, 8, 6)
        column.setSpacing(4)
        self.label = QLabel(self)
        self.label.setTextFormat(Qt.TextFormat.RichText)  # what the device sent is escaped (_describe)
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
        column.addWidget(self.label)
        # The buttons on a line of their own under the words: a narrow map squeezes neither.
        row = QHBoxLayout()
        row.setSpacing(6)
        column.addLayout(row)
        self.buttons: dict[str, QPushButton] = {}
        if buttons:
            for name, text, signal in (
                    ("ack", self.tr("Acknowledge…"), list_.acknowledgeRequested),
                    ("incident", self.tr("To incident"), list_.incidentRequested),
                    ("false", self.tr("False alarm…"), list_.falseRequested),
                    ("cameras", self.tr("Show cameras"), list_.camerasRequested),
                    ("media", self.tr("Device's media"), list_.mediaRequested)):
                button = QPushButton(text, self)
                button.setObjectName(f"alarm-{name}")
                button.setStyleSheet(BUTTON_STYLE)
                button.clicked.connect(lambda _=False, s=signal: s.emit(self.alarm_id))
                row.addWidget(button)
                self.buttons[name] = button
            row.addStretch(1)
        self.style_name = ""

    def mousePressEvent(self, event) -> None:
        self.list.chosen.emit(self.alarm_id)
        super().mousePressEvent(event)

    def show_style(self, name: str) -> None:
        if name != self.style_name:
            self.style_name = name
            self.setStyleSheet(STYLES[name])


class AlarmList(QFrame):
    """The banner (`banner=True`: raised alarms only, hidden while there are none) or the dock's list
    (every open alarm, acknowledged ones too)."""

    acknowledgeRequested = Signal(str)
    incidentRequested = Signal(str)
    falseRequested = Signal(str)
    camerasRequested = Signal(str)
    mediaRequested = Signal(str)  # the device's own audio or video (its media_url), on a wall
    chosen = Signal(str)  # a row clicked: the window shows the alarm on the map

    def __init__(self, banner: bool, place: Callable[[dict], str], parent: QWidget | None = None):
        """`place`: an alarm's place in words (its address, else its grid cell)."""
        super().__init__(parent)
        self.banner = banner
        self.place = place
        self.read_only = False
        self.setObjectName("alarm-banner" if banner else "alarm-list")
        self.column = QVBoxLayout(self)
        self.column.setContentsMargins(4, 4, 4, 4)
        self.column.setSpacing(3)
        self.heading = QLabel(self)
        self.column.addWidget(self.heading)
        if banner:
            self.setStyleSheet("QFrame#alarm-banner { background: #7f1d1d; }")
            self.heading.setStyleSheet("color: white; font-size: 16px; font-weight: bold;")
        else:
            self.column.addStretch(1)
        self.rows: dict[str, AlarmRow] = {}
        self.count = 0  # alarms it lists (the banner: raised ones, of which it shows BANNER_ROWS)
        self.selected: str | None = None
        self._shown: tuple[list[dict], float, set[str]] = ([], 0.0, set())
        self._layout_key: tuple = ()
        self.setVisible(not banner)
        self._retitle()

    def show_alarms(self, alarms: list[dict], now: float, overdue: set[str]) -> None:
        """The open alarms (oldest first) at the clock's `now`; `overdue`: those nobody acknowledged in time."""
        shown = [a for a in alarms if a["status"] == "raised"] if self.banner else alarms
        self._shown = (shown, now, overdue)
        self.count = len(shown)
        if self.banner:
            shown = shown[:BANNER_ROWS]
        key = tuple((a["alarm_id"], a["status"], bool(a.get("media_url"))) for a in shown) + (self.read_only,)
        if key != self._layout_key:
            self._layout_key = key
            self._build(shown)
        for alarm in shown:
            self._describe(self.rows[alarm["alarm_id"]], alarm, now, alarm["alarm_id"] in overdue)
        self._retitle()
        if self.banner:
            self.setVisible(bool(shown))

    def _build(self, shown: list[dict]) -> None:
        for row in self.rows.values():
            row.deleteLater()
        self.rows = {}
        at = 1
        for alarm in shown:
            buttons = not self.read_only
            row = self.rows[alarm["alarm_id"]] = AlarmRow(alarm["alarm_id"], buttons, self)
            if "ack" in row.buttons and alarm["status"] != "raised":
                row.buttons["ack"].hide()  # acknowledged already: what is left is to end it
            if "media" in row.buttons and not alarm.get("media_url"):
                row.buttons["media"].hide()  # none sent (or this role does not receive it)
            self.column.insertWidget(at, row)
            at += 1

    def _describe(self, row: AlarmRow, alarm: dict, now: float, overdue: bool) -> None:
        """Two lines: what and how long ago (large), then who, where and what the device said. The device's
        words are escaped: it is rich text."""
        age = format_duration(now - (epoch(alarm["raised_ts"]) or now))
        head = f"{word(alarm['kind']).upper()} {alarm['alarm_id']} · {age}"
        if overdue:
            head = self.tr("NOT ACKNOWLEDGED for {0}: {1}").format(age, head)
        details = [self.tr("device {0}").format(alarm["device_id"]), self.place(alarm)]
        if alarm["status"] == "acknowledged":
            details.append(self.tr("acknowledged by {0}").format(alarm.get("ack_by") or "-"))
        text = alarm.get("text")
        if text:
            details.append(f"“{text if len(text) <= TEXT_SHOWN else text[:TEXT_SHOWN - 1] + '…'}”")
        size = 17 if self.banner else 14
        row.label.setText(f'<span style="font-size:{size}px">⚠ {html.escape(head)}</span><br>'
                          + html.escape(" · ".join(details)))
        if alarm["alarm_id"] == self.selected and not self.banner:
            row.show_style("selected")
        else:
            row.show_style("overdue" if overdue else alarm["status"])

    def select(self, alarm_id: str | None) -> None:
        self.selected = alarm_id
        self.show_alarms(*self._shown)

    def set_read_only(self, read_only: bool) -> None:
        self.read_only = read_only
        self.show_alarms(*self._shown)

    def _retitle(self) -> None:
        if self.banner:
            more = self.count - len(self.rows)
            self.heading.setText(self.tr("⚠ ALARM: {0} not acknowledged").format(self.count) + (
                self.tr(" (the oldest {0} here, all in the Alarms dock)").format(len(self.rows)) if more > 0 else ""))
        else:
            self.heading.setText(self.tr("Open alarms: {0}").format(self.count) if self.count
                                 else self.tr("No open alarms"))

    def changeEvent(self, event) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self._layout_key = ()  # the buttons' words too
            self.show_alarms(*self._shown)
        super().changeEvent(event)


class AlarmDialog(QDialog):
    """Acknowledge an alarm with an optional note, or (`false_alarm=True`) close it as false with a reason.
    `submitted` carries the command's args."""

    submitted = Signal(dict)

    def __init__(self, alarm: dict, false_alarm: bool, parent: QWidget | None = None):
        super().__init__(parent)
        self.alarm_id = alarm["alarm_id"]
        self.false_alarm = false_alarm
        self.setObjectName("alarm-false-dialog" if false_alarm else "alarm-ack-dialog")
        what = f"{word(alarm['kind'])} {alarm['alarm_id']} · {alarm['device_id']}"
        self.setWindowTitle(self.tr("False alarm: {0}").format(what) if false_alarm
                            else self.tr("Acknowledge {0}").format(what))
        form = QFormLayout(self)
        self.reason = QComboBox(self)
        if false_alarm:
            for reason in FALSE_ALARM_REASONS:
                self.reason.addItem(reason_words(reason), reason)
            form.addRow(self.tr("Reason:"), self.reason)
        self.note = QLineEdit(self)
        self.note.setMaxLength(MAX_NOTE)
        self.note.setPlaceholderText(self.tr("optional, e.g. called back, the caller is safe"))
        form.addRow(self.tr("Note:"), self.note)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def accept(self) -> None:
        args = {"alarm_id": self.alarm_id}
        if self.false_alarm:
            args["reason"] = self.reason.currentData()
        if self.note.text().strip():
            args["note"] = self.note.text().strip()
        self.submitted.emit(args)
        super().accept()
