"""Dialogs: a new incident, from a point on the map, typed coordinates or a place of the city; closing one;
joining an exercise."""
from __future__ import annotations

import re
import time

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QEvent, Qt, Signal
from PySide6.QtWidgets import (QComboBox, QCompleter, QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit,
                               QListWidget, QListWidgetItem, QPlainTextEdit, QSpinBox)

from console import i18n
from console.history import source_words
from console.words import word
from dispatch.commands import CALL_SOURCES, DISPOSITION_NOTE_MAX
from dispatch.domain import EXERCISE_PREFIX, valid_namespace
from dispatch.duplicates import possible_duplicates
from layers.geocode import Geocoder, NoSuchPlace, Place

KINDS = ("theft", "burglary", "robbery", "assault", "fight", "traffic accident", "fire", "medical",
         "disturbance", "suspicious person", "missing person", "domestic")
_COORDS = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*[, ]\s*(-?\d+(?:\.\d+)?)\s*$")


class NewIncidentDialog(QDialog):
    """Kind, priority, place (coordinates, an address, a place, an intersection or a street), note, and the
    call: its source, the caller's name and call-back number.

    As the dispatcher types, it says where the place resolved and how exactly, or that it is no place of
    the city (with the closest names), and flags open incidents of the same kind close by. Enter creates it.
    """

    submitted = Signal(object)  # the args of incident.create
    placeShown = Signal(object)  # (lon, lat, label) where the typed place is now, or None: the map pins it

    def __init__(self, geocoder: Geocoder | None, grid_at, lon: float | None, lat: float | None, parent=None, *,
                 address: Place | None = None, incidents=dict, now=time.time):
        """`lon`, `lat`: a point on the map; `address`: its nearest address (reverse geocoded), shown as the
        place while the dispatcher leaves it as it is. `incidents()`: the live state's incidents, for
        flagging possible duplicates; `now()`: epoch seconds."""
        super().__init__(parent)
        self.geocoder = geocoder
        self.grid_at = grid_at
        self.incidents = incidents
        self.now = now
        self.map_point: tuple[float, float, Place | None] | None = None  # the clicked point and its address
        self.resolved: Place | None = None
        self.kind = QComboBox(self)
        self.kind.setEditable(True)
        for kind in KINDS:
            self.kind.addItem(kind, kind)  # shown translated (retranslate), sent as the canonical word
        self.priority = QSpinBox(self)
        self.priority.setRange(1, 5)
        self.priority.setValue(2)
        self.place = QLineEdit(self)
        self.place.setObjectName("place")
        if geocoder is not None:
            completer = QCompleter(geocoder.names(), self)
            completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
            completer.setFilterMode(Qt.MatchFlag.MatchContains)
            self.place.setCompleter(completer)
        if lon is not None and lat is not None:
            self.map_point = (lon, lat, address)
            self.place.setText(address.label if address is not None else f"{lon:.6f}, {lat:.6f}")
        self.where = QLabel(self)
        self.where.setObjectName("where")
        self.duplicates = QLabel(self)
        self.duplicates.setObjectName("duplicates")
        self.duplicates.setStyleSheet("color: #b45309; font-weight: bold;")
        self.note = QPlainTextEdit(self)
        self.note.setMaximumHeight(80)
        self.source = QComboBox(self)
        self.source.setObjectName("source")
        self.source.addItem(self.tr("(not given)"), None)
        for source in CALL_SOURCES:
            self.source.addItem(source_words(source), source)
        self.caller_name = QLineEdit(self)
        self.caller_name.setObjectName("caller-name")
        self.caller_name.setMaxLength(100)
        self.callback = QLineEdit(self)
        self.callback.setObjectName("callback")
        self.callback.setMaxLength(32)
        self.callback.setPlaceholderText(self.tr("e.g. +86 138 0013 8000"))
        self.problem = QLabel(self)
        self.problem.setStyleSheet("color: #b91c1c;")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        # Not the standard OK button: the button box itself names that "OK" again on a language change.
        self.create_button = self.buttons.addButton("", QDialogButtonBox.ButtonRole.AcceptRole)
        self.create_button.setDefault(True)
        self.buttons.accepted.connect(self._submit)
        self.buttons.rejected.connect(self.reject)
        self.form = QFormLayout(self)
        self.form.addRow(QLabel(self), self.kind)
        self.form.addRow(QLabel(self), self.priority)
        self.form.addRow(QLabel(self), self.place)
        self.form.addRow("", self.where)
        self.form.addRow("", self.duplicates)
        self.form.addRow(QLabel(self), self.note)
        self.form.addRow(QLabel(self), self.source)
        self.form.addRow(QLabel(self), self.caller_name)
        self.form.addRow(QLabel(self), self.callback)
        self.form.addRow(self.problem)
        self.form.addRow(self.buttons)
        self.place.textChanged.connect(self._locate)
        self.kind.currentTextChanged.connect(self._flag_duplicates)
        self.retranslate()
        self.kind.setFocus()

    def changeEvent(self, event) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def retranslate(self) -> None:
        """Every text in the current language (at construction and on a language change)."""
        self.setWindowTitle(self.tr("New incident"))
        for index in range(self.kind.count()):
            self.kind.setItemText(index, word(self.kind.itemData(index)))
        self.priority.setToolTip(self.tr("1 is the most urgent"))
        self.place.setPlaceholderText(self.tr("lon, lat — or an address, a place, a street, or A & B"))
        self.create_button.setText(self.tr("Create"))
        for field, label in ((self.kind, self.tr("Kind")), (self.priority, self.tr("Priority")),
                             (self.place, self.tr("Place")), (self.note, self.tr("Note")),
                             (self.source, self.tr("Source")), (self.caller_name, self.tr("Caller")),
                             (self.callback, self.tr("Call-back number"))):
            self.form.labelForField(field).setText(label)
        self.source.setItemText(0, self.tr("(not given)"))
        for index in range(1, self.source.count()):
            self.source.setItemText(index, source_words(self.source.itemData(index)))
        self.callback.setPlaceholderText(self.tr("e.g. +86 138 0013 8000"))
        self._locate()

    def location(self) -> tuple[float, float, str | None] | None:
        """(lon, lat, address or None) of the place as typed, or None while it is no place."""
        text = self.place.text().strip()
        if self.map_point is not None and self.map_point[2] is not None and text == self.map_point[2].label:
            return self.map_point[0], self.map_point[1], text  # the clicked point, named by its nearest address
        match = _COORDS.match(text)
        if match:
            return float(match.group(1)), float(match.group(2)), None
        return (self.resolved.lon, self.resolved.lat, self.resolved.label) if self.resolved is not None else None

    def _locate(self) -> None:
        self._describe_place()
        self.placeShown.emit(self.location())

    def _describe_place(self) -> None:
        self.resolved = None
        text = self.place.text().strip()
        if self.map_point is not None and self.map_point[2] is not None and text == self.map_point[2].label:
            how = self.tr("map point, {0:.0f} m from it").format(self.map_point[2].distance_m or 0.0)
        elif _COORDS.match(text):
            how = self.tr("coordinates")
        elif not text or self.geocoder is None:
            self.where.setText(self.tr("Not a place yet"))
            self._flag_duplicates()
            return
        else:
            try:
                self.resolved = self.geocoder.resolve(text)
            except NoSuchPlace as missing:
                self.where.setText(self.tr("No place called {0}. Closest: {1}").format(
                    missing.text, ", ".join(missing.suggestions) or "-"))
                self._flag_duplicates()
                return
            how = precision_words(self.resolved)
        lon, lat, label = self.location()
        grid = self.grid_at(lon, lat) if self.grid_at else None
        self.where.setText(self.tr("{0}{1:.5f}, {2:.5f} · grid cell {3}").format(
            f"{label} — {how} · " if label else f"{how} · ", lon, lat, grid or "-"))
        self._flag_duplicates()

    def _kind(self) -> str:
        text = self.kind.currentText().strip()
        chosen = self.kind.currentIndex()
        return (self.kind.itemData(chosen) if chosen >= 0 and text == self.kind.itemText(chosen) else text) or ""

    def _flag_duplicates(self) -> None:
        where = self.location()
        found = possible_duplicates(self.incidents(), self._kind(), where[0], where[1], self.now()) if where else []
        self.duplicates.setText("\n".join(
            self.tr("Possible duplicate of {0}, {1:.0f} m, {2:.0f} min ago").format(
                d.incident_id, d.distance_m, d.age_s // 60) for d in found))

    def _submit(self) -> None:
        where = self.location()
        if where is None:
            self.problem.setText(self.tr("Give the place as lon, lat or an address, place or street of the city."))
            return
        lon, lat, street = where
        args = {"kind": self._kind() or "incident", "priority": self.priority.value(),
                "lon": lon, "lat": lat}
        if street:
            args["address"] = street
        if self.note.toPlainText().strip():
            args["note"] = self.note.toPlainText().strip()
        if self.source.currentData():
            args["source"] = self.source.currentData()
        for name, field in (("caller_name", self.caller_name), ("callback", self.callback)):
            if field.text().strip():
                args[name] = field.text().strip()
        self.submitted.emit(args)
        self.accept()


_PRECISIONS = {
    "address": QT_TRANSLATE_NOOP("NewIncidentDialog", "address"),
    "place": QT_TRANSLATE_NOOP("NewIncidentDialog", "place"),
    "intersection": QT_TRANSLATE_NOOP("NewIncidentDialog", "intersection"),
}


def precision_words(place: Place) -> str:
    """How exact a geocoded place is, in the dispatcher's words (the dialog's and the command line's)."""
    def tr(text: str) -> str:
        return QCoreApplication.translate("NewIncidentDialog", text)

    if place.precision in _PRECISIONS:
        return tr(_PRECISIONS[place.precision])
    if place.precision == "interpolated":
        low, high = place.between
        return QCoreApplication.translate(
            "NewIncidentDialog", "interpolated between {0} and {1}, {2:.0f} m apart").format(low, high, place.extent_m)
    street = (QCoreApplication.translate("NewIncidentDialog", "street only: centre of a {0:.1f} km street").format(
        place.extent_m / 1000) if place.extent_m else QCoreApplication.translate("NewIncidentDialog", "street only"))
    if place.missing_number:
        return QCoreApplication.translate("NewIncidentDialog", "no number {0} on this street; {1}").format(
            place.missing_number, street)
    return street


def disposition_label(disposition: dict) -> str:
    """A disposition's label in the console's language."""
    return disposition["label_zh"] if i18n.current() == "zh_CN" else disposition["label"]


def incident_title(incident: dict) -> str:
    """e.g. "I12 (P1 fire, Mannerheimintie)", the kind in the console's language."""
    where = incident.get("address") or f"{incident['lon']:.5f}, {incident['lat']:.5f}"
    return f"{incident['incident_id']} (P{incident['priority']} {word(incident['kind'])}, {where})"


class CloseIncidentDialog(QDialog):
    """The incident, its disposition (one of the city's codes, required) and a note. Esc cancels."""

    submitted = Signal(object)  # the args of incident.close

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


class JoinExerciseDialog(QDialog):
    """File > Join an exercise… in the live console: the exercise's name. It asks only a name (the window
    it opens connects on its own link thread); a name the server would refuse is said here, before."""

    submitted = Signal(str)  # the exercise's name (NAME of exercise:NAME)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setWindowTitle(self.tr("Join an exercise"))
        form = QFormLayout(self)
        self.name = QLineEdit(self)
        self.name.setObjectName("exercise-name")
        self.name.setPlaceholderText(self.tr("e.g. night-shift-1"))
        form.addRow(self.tr("Exercise"), self.name)
        self.problem = QLabel(self)
        self.problem.setStyleSheet("color: #92400e;")
        form.addRow(self.problem)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.accepted.connect(self._submit)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def _submit(self) -> None:
        name = self.name.text().strip()
        if not valid_namespace(EXERCISE_PREFIX + name):
            self.problem.setText(self.tr("An exercise's name is 1-64 letters, digits, '-', '_' or '.'"))
            return
        self.accept()
        self.submitted.emit(name)
