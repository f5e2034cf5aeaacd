"""The "Incident history" dock: the selected incident's caller, its timeline (newest last) and a note box,
and a search over every incident, closed ones included.

The timeline is complete for an incident created before this console connected: on selection the dock
reads the incident's stored events from the server (`incident.history`, through the link's thread, so
the GUI never waits), and adds the incident's live events as they are folded. Both are keyed by seq, so
an event that comes both ways counts once and nothing falls between the read and the live stream.
"""
from __future__ import annotations

from datetime import datetime
from typing import Callable

from PySide6.QtCore import QCoreApplication, QEvent, Qt, Signal
from PySide6.QtWidgets import QLabel, QLineEdit, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from console.live import LiveState
from console.words import word
from dispatch.commands import MAX_NOTE
from dispatch.timeline import Entry, timeline

SEARCH_RESULTS = 50


def source_words(source: str | None) -> str:
    """Where a call came from, in the dispatcher's words."""
    translate = QCoreApplication.translate
    return {
        "phone": translate("IncidentHistory", "Phone (110/112)"),
        "app": translate("IncidentHistory", "One-key alarm app"),
        "walk_in": translate("IncidentHistory", "Walk-in"),
        "radio": translate("IncidentHistory", "Radio"),
        "field_unit": translate("IncidentHistory", "Field unit"),
        "camera": translate("IncidentHistory", "Camera"),
        "alarm": translate("IncidentHistory", "Alarm from a device"),
    }.get(source or "", source or "-")


def _local_time(ts: str) -> str:
    return datetime.fromisoformat(ts.replace("Z", "+00:00")).astimezone().strftime("%H:%M:%S")


class IncidentHistory(QWidget):
    noteRequested = Signal(str, str)  # incident_id, text
    incidentChosen = Signal(str)  # a search result was clicked

    def __init__(self, live: LiveState, send: Callable[[str, dict], str | None],
                 disposition_words: Callable[[str], str] = str, parent=None):
        """`send(cmd, args)`: sends a command and returns its id, or None when not connected;
        `disposition_words(code)`: a disposition code in the console's language."""
        super().__init__(parent)
        self.live = live
        self.send = send
        self.disposition_words = disposition_words
        self.incident_id: str | None = None
        self.events: dict[int, dict] = {}  # the shown incident's events by seq
        self.loaded = False  # the stored history has arrived in full
        self.requests: dict[str, str] = {}  # history reads in flight: command id -> incident
        self.search = QLineEdit(self)
        self.search.setObjectName("history-search")
        self.search.setClearButtonEnabled(True)
        self.results = QListWidget(self)
        self.results.setObjectName("history-results")
        self.results.setMaximumHeight(140)
        self.results.hide()
        self.caller = QLabel(self)
        self.caller.setObjectName("caller")
        self.caller.setWordWrap(True)
        self.caller.setTextFormat(Qt.TextFormat.PlainText)
        self.status = QLabel(self)
        self.status.setObjectName("history-status")
        self.status.setStyleSheet("color: #92400e;")
        self.list = QListWidget(self)
        self.list.setObjectName("timeline")
        self.list.setWordWrap(True)
        self.note = QLineEdit(self)
        self.note.setObjectName("note-box")
        self.note.setMaxLength(MAX_NOTE)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.search)
        layout.addWidget(self.results)
        layout.addWidget(self.caller)
        layout.addWidget(self.status)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.note)
        self.search.textChanged.connect(self.find)
        self.results.itemClicked.connect(self._chosen)
        self.note.returnPressed.connect(self._add_note)
        self.retranslate()
        self.show_incident(None)

    def changeEvent(self, event) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
            self._render()
            self.find()
        super().changeEvent(event)

    def retranslate(self) -> None:
        self.search.setPlaceholderText(self.tr("Search all incidents, closed too: id, address, kind, note, caller"))
        self.note.setPlaceholderText(self.tr("Add a note (Enter)"))

    # ---- the shown incident ----------------------------------------------------------------------

    def show_incident(self, incident_id: str | None) -> None:
        if incident_id == self.incident_id:
            self._render()
            return
        self.incident_id = incident_id
        self.events = {}
        self.loaded = False
        self.note.setEnabled(incident_id is not None)
        if incident_id is not None:
            self._read()
        self._render()

    def reload(self) -> None:
        """Read the stored history again (a fresh snapshot replaced the state: live events may be missing)."""
        if self.incident_id is not None:
            self.events = {}
            self.loaded = False
            self._read()
            self._render()

    def link_back(self) -> None:
        """The link is up again: a read that fell with it is made now."""
        if self.incident_id is not None and not self.loaded and not self.requests:
            self._read()

    def _read(self, after: int = 0) -> None:
        cmd_id = self.send("incident.history", {"incident_id": self.incident_id, "after": after})
        if cmd_id is None:
            self.status.setText(self.tr("Not connected: the timeline loads when the link is back"))
            return
        self.requests[cmd_id] = self.incident_id
        self.status.setText(self.tr("Loading the history…"))

    def owns(self, cmd_id: str) -> bool:
        return cmd_id in self.requests

    def replied(self, cmd_id: str, reply: dict) -> None:
        incident_id = self.requests.pop(cmd_id)
        if incident_id != self.incident_id:
            return  # the dispatcher moved on
        if reply["op"] == "nack":
            self.status.setText(self.tr("The history could not be read: {0}").format(reply["message"]))
            return
        for event in reply["events"]:
            self.events[event["seq"]] = event
        if reply["more"] and reply["events"]:
            self._read(after=reply["events"][-1]["seq"])
        else:
            self.loaded = True
            self.status.clear()
        self._render()

    def add_events(self, events: list[dict]) -> None:
        """A folded batch of live events (consecutive seqs): keep those of the shown incident."""
        incident = self.live.state["incidents"].get(self.incident_id or "")
        if incident is None or not events:
            return
        first = events[0]["seq"]
        added = False
        for seq in reversed(incident.get("event_seqs", ())):
            if seq < first:
                break
            if seq - first < len(events) and events[seq - first]["seq"] == seq:
                self.events[seq] = events[seq - first]
                added = True
        if added:
            self._render()

    def _add_note(self) -> None:
        text = self.note.text().strip()
        if text and self.incident_id is not None:
            self.noteRequested.emit(self.incident_id, text)
            self.note.clear()

    # ---- drawing ---------------------------------------------------------------------------------

    def _render(self) -> None:
        incident = self.live.state["incidents"].get(self.incident_id or "")
        if incident is None:
            self.caller.setText(self.tr("Select an incident to see its caller and timeline."))
            self.list.clear()
            return
        self.caller.setText(self.tr("{0} · Caller: {1} · Call-back: {2} · Source: {3}").format(
            incident["incident_id"], incident.get("caller_name") or "-", incident.get("callback") or "-",
            source_words(incident.get("source"))))
        entries = timeline(self.events.values(), incident["incident_id"])
        self.list.clear()
        for entry in entries:
            item = QListWidgetItem(f"{_local_time(entry.ts)}  {entry.actor} — {self.entry_words(entry)}")
            item.setToolTip(entry.ts)
            self.list.addItem(item)
        self.list.scrollToBottom()

    def entry_words(self, entry: Entry) -> str:
        units = self.live.state["units"]
        unit = units.get(entry.unit_id or "", {}).get("callsign") or entry.unit_id
        if entry.what == "created":
            if entry.source:
                return self.tr("Created: {0}, P{1}, call from {2}").format(
                    word(entry.kind), entry.priority, source_words(entry.source))
            return self.tr("Created: {0}, P{1}").format(word(entry.kind), entry.priority)
        if entry.what == "assigned":
            return self.tr("{0} assigned").format(unit)
        if entry.what == "unit_status":
            return self.tr("{0}: {1}").format(unit, word(entry.status))
        if entry.what == "note":
            return self.tr("Note: {0}").format(entry.text)
        return self.tr("Closed: {0}").format(self.disposition_words(entry.text))

    # ---- search ----------------------------------------------------------------------------------

    def incidents_changed(self) -> None:
        if self.search.text().strip():
            self.find()

    def _chosen(self, item: QListWidgetItem) -> None:
        incident_id = item.data(Qt.ItemDataRole.UserRole)
        if incident_id:  # not the "no incident matches" line
            self.incidentChosen.emit(incident_id)

    def find(self) -> None:
        """Every incident, closed ones too, whose id, address, kind, notes or caller hold every word typed."""
        words = self.search.text().casefold().split()
        self.results.clear()
        self.results.setVisible(bool(words))
        if not words:
            return
        found = []
        for incident in self.live.state["incidents"].values():
            haystack = " ".join([
                incident["incident_id"], incident.get("address") or "", incident["kind"], word(incident["kind"]),
                incident.get("note") or "", incident.get("caller_name") or "",
                *(note["text"] for note in incident.get("notes", ())),
            ]).casefold()
            if all(w in haystack for w in words):
                found.append(incident)
        found.sort(key=lambda i: i.get("created_ts") or "", reverse=True)
        for incident in found[:SEARCH_RESULTS]:
            item = QListWidgetItem(f"{incident['incident_id']} · {word(incident['kind'])} · "
                                   f"{word(incident['status'])} · {incident.get('address') or ''}")
            item.setData(Qt.ItemDataRole.UserRole, incident["incident_id"])
            self.results.addItem(item)
        if not found:
            self.results.addItem(self.tr("No incident matches"))
