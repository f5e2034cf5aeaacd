"""Dialogs: a new incident, from a point on the map, typed coordinates or a street of the city; closing one."""
from __future__ import annotations

import re

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QComboBox, QCompleter, QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit,
                               QListWidget, QListWidgetItem, QPlainTextEdit, QSpinBox)

from console import i18n
from console.typed import StreetIndex
from console.words import word
from dispatch.commands import DISPOSITION_NOTE_MAX

KINDS = ("theft", "burglary", "robbery", "assault", "fight", "traffic accident", "fire", "medical",
         "disturbance", "suspicious person", "missing person", "domestic")
_COORDS = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*[, ]\s*(-?\d+(?:\.\d+)?)\s*$")


class NewIncidentDialog(QDialog):
    """Kind, priority, place (coordinates or a street), note. Enter creates it."""

    submitted = Signal(dict)  # the args of incident.create

    def __init__(self, streets: StreetIndex | None, grid_at, lon: float | None, lat: float | None, parent=None):
        super().__init__(parent)
        self.setWindowTitle(self.tr("New incident"))
        self.streets = streets
        self.grid_at = grid_at
        self.kind = QComboBox(self)
        self.kind.setEditable(True)
        for kind in KINDS:
            self.kind.addItem(word(kind), kind)  # shown translated, sent as the canonical word
        self.priority = QSpinBox(self)
        self.priority.setRange(1, 5)
        self.priority.setValue(2)
        self.priority.setToolTip(self.tr("1 is the most urgent"))
        self.place = QLineEdit(self)
        self.place.setObjectName("place")
        self.place.setPlaceholderText(self.tr("lon, lat — or a street name"))
        if streets is not None:
            completer = QCompleter(streets.names(), self)
            completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
            completer.setFilterMode(Qt.MatchFlag.MatchContains)
            self.place.setCompleter(completer)
        if lon is not None and lat is not None:
            self.place.setText(f"{lon:.6f}, {lat:.6f}")
        self.where = QLabel(self)
        self.note = QPlainTextEdit(self)
        self.note.setMaximumHeight(80)
        self.problem = QLabel(self)
        self.problem.setStyleSheet("color: #b91c1c;")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(self.tr("Create"))
        buttons.accepted.connect(self._submit)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow(self.tr("Kind"), self.kind)
        form.addRow(self.tr("Priority"), self.priority)
        form.addRow(self.tr("Place"), self.place)
        form.addRow("", self.where)
        form.addRow(self.tr("Note"), self.note)
        form.addRow(self.problem)
        form.addRow(buttons)
        self.place.textChanged.connect(self._locate)
        self._locate()
        self.kind.setFocus()

    def location(self) -> tuple[float, float, str | None] | None:
        text = self.place.text()
        match = _COORDS.match(text)
        if match:
            return float(match.group(1)), float(match.group(2)), None
        if self.streets is not None:
            place = self.streets.find(text)
            if place is not None:
                return place[1], place[2], place[0]
        return None

    def _locate(self) -> None:
        where = self.location()
        if where is None:
            self.where.setText(self.tr("Not a place yet"))
            return
        lon, lat, street = where
        grid = self.grid_at(lon, lat) if self.grid_at else None
        self.where.setText(self.tr("{0}{1:.5f}, {2:.5f} · grid cell {3}").format(
            f"{street} · " if street else "", lon, lat, grid or "-"))

    def _submit(self) -> None:
        where = self.location()
        if where is None:
            self.problem.setText(self.tr("Give the place as lon, lat or a street of the city."))
            return
        lon, lat, street = where
        text = self.kind.currentText().strip()
        chosen = self.kind.currentIndex()
        kind = self.kind.itemData(chosen) if chosen >= 0 and text == self.kind.itemText(chosen) else text
        args = {"kind": kind or "incident", "priority": self.priority.value(),
                "lon": lon, "lat": lat}
        if street:
            args["address"] = street
        if self.note.toPlainText().strip():
            args["note"] = self.note.toPlainText().strip()
        self.submitted.emit(args)
        self.accept()


def disposition_label(disposition: dict) -> str:
    """A disposition's label in the console's language."""
    return disposition["label_zh"] if i18n.current() == "zh_CN" else disposition["label"]


def incident_title(incident: dict) -> str:
    """e.g. "I12 (P1 fire, Mannerheimintie)", the kind in the console's language."""
    where = incident.get("address") or f"{incident['lon']:.5f}, {incident['lat']:.5f}"
    return f"{incident['incident_id']} (P{incident['priority']} {word(incident['kind'])}, {where})"


class CloseIncidentDialog(QDialog):
    """The incident, its disposition (one of the city's codes, required) and a note. Esc cancels."""

    submitted = Signal(dict)  # the args of incident.close

    def __init__(self, incident: dict, dispositions, parent=None):
        super().__init__(parent)
        self.incident_id = incident["incident_id"]
        self.setWindowTitle(self.tr("Close incident {0}").format(self.incident_id))
        self.incident = QLabel(incident_title(incident), self)
        self.incident.setObjectName("incident")
        self.codes = QListWidget(self)
        self.codes.setObjectName("dispositions")
        for disposition in dispositions:
            item = QListWidgetItem(f"{disposition_label(disposition)}  ·  {disposition['code']}", self.codes)
            item.setData(Qt.ItemDataRole.UserRole, disposition["code"])
        self.note = QPlainTextEdit(self)
        self.note.setObjectName("disposition-note")
        self.note.setMaximumHeight(80)
        self.note.setPlaceholderText(self.tr("Optional: what was done, by whom, references"))
        self.problem = QLabel(self)
        self.problem.setStyleSheet("color: #b91c1c;")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel,
                                        self)
        self.ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok.setText(self.tr("Close incident"))
        self.buttons.accepted.connect(self._submit)
        self.buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow(self.tr("Incident"), self.incident)
        form.addRow(self.tr("Disposition"), self.codes)
        form.addRow(self.tr("Note"), self.note)
        form.addRow(self.problem)
        form.addRow(self.buttons)
        self.codes.itemSelectionChanged.connect(self._check)
        self.note.textChanged.connect(self._check)
        self._check()
        self.codes.setFocus()

    def chosen(self) -> str | None:
        item = self.codes.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item is not None and item.isSelected() else None

    def _check(self) -> None:
        too_long = len(self.note.toPlainText().strip()) > DISPOSITION_NOTE_MAX
        self.problem.setText(self.tr("The note is longer than {0} characters.").format(DISPOSITION_NOTE_MAX)
                             if too_long else "" if self.chosen() else self.tr("Choose a disposition."))
        self.ok.setEnabled(self.chosen() is not None and not too_long)

    def _submit(self) -> None:
        if not self.ok.isEnabled():  # Enter reaches accepted even while OK is disabled
            return
        args = {"incident_id": self.incident_id, "disposition": self.chosen()}
        if self.note.toPlainText().strip():
            args["disposition_note"] = self.note.toPlainText().strip()
        self.submitted.emit(args)
        self.accept()
