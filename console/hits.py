"""Watchlist hits at the console (docs/anpr.md): the banner over the map of the hits nobody has handled, and
the dialog that rejects one with a reason. An exact match and a possible one (a look-alike character, a
pattern) look different at a glance: an exact one is solid magenta, a possible one pale amber with a dashed
border, its substituted characters underlined. The list says what the dispatcher asks for by signals; the
window sends the commands."""
from __future__ import annotations

import html

from PySide6.QtCore import QCoreApplication, QEvent, Qt, Signal
from PySide6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QFormLayout, QFrame, QHBoxLayout, QLabel,
                               QLineEdit, QPushButton, QVBoxLayout, QWidget)

from console.live import epoch, format_duration
from dispatch.commands import MAX_NOTE
from dispatch.domain import HIT_REJECT_REASONS

BANNER_ROWS = 3  # the oldest this many: the map stays in view
STYLES = {
    "exact": "QFrame#hit-row { background: #a21caf; border: 2px solid #f5d0fe; border-radius: 4px; }"
             "QLabel { color: white; font-size: 14px; font-weight: bold; }",
    "possible": "QFrame#hit-row { background: #fef3c7; border: 3px dashed #d97706; border-radius: 4px; }"
                "QLabel { color: #78350f; font-size: 14px; }",
}
BUTTON_STYLE = ("QPushButton { background: white; color: #701a75; font-weight: bold; padding: 4px 10px;"
                " border-radius: 3px; border: 1px solid #701a75; } QPushButton:hover { background: #fae8ff; }")


def category_words(category: str) -> str:
    translate = QCoreApplication.translate
    return {"stolen": translate("HitList", "stolen vehicle"), "wanted": translate("HitList", "wanted"),
            "key_person": translate("HitList", "key person"), "unlicensed": translate("HitList", "unlicensed"),
            "fake_plate": translate("HitList", "fake plate"), "other": translate("HitList", "other")}.get(category,
                                                                                                          category)


def reject_words(reason: str) -> str:
    translate = QCoreApplication.translate
    return {"misread": translate("HitDialog", "Misread (the reader got the plate wrong)"),
            "not_the_vehicle": translate("HitDialog", "Not the vehicle (the right plate on another vehicle)"),
            "other": translate("HitDialog", "Other (say why in the note)")}.get(reason, reason)


def marked_plate(hit: dict) -> str:
    """The plate as read, as rich text: the characters a look-alike stood in for underlined."""
    plate, positions = hit["plate"], set(hit.get("positions") or ())
    return "".join(f"<u>{html.escape(c)}</u>" if i in positions else html.escape(c) for i, c in enumerate(plate))


class HitRow(QFrame):
    def __init__(self, hit_id: str, buttons: bool, list_: "HitList"):
        super().__init__(list_)
        self.hit_id = hit_id
        self.setObjectName("hit-row")
        column = QVBoxLayout(self)
        column.setContentsMargins(8, 4, 8, 6)
        column.setSpacing(4)
        self.label = QLabel(self)
        self.label.setTextFormat(Qt.TextFormat.RichText)  # the entry's words are escaped (HitList._describe)
        self.label.setWordWrap(True)
        column.addWidget(self.label)
        row = QHBoxLayout()
        row.setSpacing(6)
        column.addLayout(row)
        self.buttons: dict[str, QPushButton] = {}
        if buttons:
            for name, text, signal in (("accept", self.tr("Accept"), list_.acceptRequested),
                                       ("intercept", self.tr("Accept: intercept"), list_.interceptRequested),
                                       ("reject", self.tr("Reject…"), list_.rejectRequested),
                                       ("cameras", self.tr("Show cameras"), list_.camerasRequested)):
                button = QPushButton(text, self)
                button.setObjectName(f"hit-{name}")
                button.setStyleSheet(BUTTON_STYLE)
                button.clicked.connect(lambda _=False, s=signal: s.emit(self.hit_id))
                row.addWidget(button)
                self.buttons[name] = button
            row.addStretch(1)
        self.style_name = ""

    def show_style(self, name: str) -> None:
        if name != self.style_name:
            self.style_name = name
            self.setStyleSheet(STYLES[name])


class HitList(QFrame):
    """Open hits, oldest first; hidden while there are none."""

    acceptRequested = Signal(str)
    interceptRequested = Signal(str)
    rejectRequested = Signal(str)
    camerasRequested = Signal(str)

    def __init__(self, checkpoint_name, parent: QWidget | None = None):
        """`checkpoint_name(checkpoint_id)`: its name in the city pack."""
        super().__init__(parent)
        self.checkpoint_name = checkpoint_name
        self.read_only = False
        self.setObjectName("hit-banner")
        self.setStyleSheet("QFrame#hit-banner { background: #4a044e; }")
        self.column = QVBoxLayout(self)
        self.column.setContentsMargins(4, 4, 4, 4)
        self.column.setSpacing(3)
        self.heading = QLabel(self)
        self.heading.setStyleSheet("color: white; font-size: 16px; font-weight: bold;")
        self.column.addWidget(self.heading)
        self.rows: dict[str, HitRow] = {}
        self.count = 0
        self._shown: tuple[list[dict], float] = ([], 0.0)
        self._layout_key: tuple = ()
        self.setVisible(False)

    def show_hits(self, hits: list[dict], now: float) -> None:
        shown = [h for h in hits if h["status"] == "open"]
        self._shown = (shown, now)
        self.count = len(shown)
        shown = shown[:BANNER_ROWS]
        key = tuple(h["hit_id"] for h in shown) + (self.read_only,)
        if key != self._layout_key:
            self._layout_key = key
            for row in self.rows.values():
                row.deleteLater()
            self.rows = {}
            for at, hit in enumerate(shown, 1):
                self.rows[hit["hit_id"]] = HitRow(hit["hit_id"], not self.read_only, self)
                self.column.insertWidget(at, self.rows[hit["hit_id"]])
        for hit in shown:
            self._describe(self.rows[hit["hit_id"]], hit, now)
        more = self.count - len(self.rows)
        self.heading.setText(self.tr("⚑ WATCHLIST: {0} hits to handle").format(self.count) + (
            self.tr(" (the oldest {0} here)").format(len(self.rows)) if more > 0 else ""))
        self.setVisible(bool(shown))

    def _describe(self, row: HitRow, hit: dict, now: float) -> None:
        exact = hit["match"] == "exact"
        age = format_duration(now - (epoch(hit["hit_ts"]) or now))
        how = self.tr("EXACT") if exact else self.tr("POSSIBLE: look-alike") if hit["match"] == "lookalike" \
            else self.tr("POSSIBLE: pattern {0}").format(hit["pattern"])
        if hit["match"] == "lookalike":
            how += self.tr(" of {0}").format(hit["pattern"])
        head = f'HIT {html.escape(hit["hit_id"])} · <span style="font-size:19px">{marked_plate(hit)}</span> · ' \
               f'{html.escape(how)} · {html.escape(age)}'
        details = [f"{category_words(hit['category'])}: {hit['reason']}",
                   self.tr("checkpoint {0}").format(self.checkpoint_name(hit["checkpoint_id"])),
                   self.tr("read {0}, {1:.0f} %").format(hit["display"], hit["confidence"])]
        if hit.get("unit_ids"):
            details.append(self.tr("nearest available: {0}").format(", ".join(hit["unit_ids"])))
        row.label.setText(f'<span style="font-size:16px">⚑ {head}</span><br>' + html.escape(" · ".join(details)))
        row.show_style("exact" if exact else "possible")

    def set_read_only(self, read_only: bool) -> None:
        self.read_only = read_only
        self.show_hits(*self._shown)

    def changeEvent(self, event) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self._layout_key = ()
            self.show_hits(*self._shown)
        super().changeEvent(event)


class HitDialog(QDialog):
    """Reject a hit with a reason and an optional note; `submitted` carries the command's args."""

    submitted = Signal(dict)

    def __init__(self, hit: dict, parent: QWidget | None = None):
        super().__init__(parent)
        self.hit_id = hit["hit_id"]
        self.setObjectName("hit-reject-dialog")
        self.setWindowTitle(self.tr("Reject hit {0}: {1}").format(hit["hit_id"], hit["display"]))
        form = QFormLayout(self)
        self.reason = QComboBox(self)
        for reason in HIT_REJECT_REASONS:
            self.reason.addItem(reject_words(reason), reason)
        form.addRow(self.tr("Reason:"), self.reason)
        self.note = QLineEdit(self)
        self.note.setMaxLength(MAX_NOTE)
        self.note.setPlaceholderText(self.tr("optional, e.g. the camera shows a white van"))
        form.addRow(self.tr("Note:"), self.note)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def accept(self) -> None:
        args = {"hit_id": self.hit_id, "reason": self.reason.currentData()}
        if self.note.text().strip():
            args["note"] = self.note.text().strip()
        self.submitted.emit(args)
        super().accept()
