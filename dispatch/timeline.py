"""An incident's timeline, derived from events: created, assignments, each unit's steps, notes, closed.

Given the whole event log or only the incident's events (what `incident.history` returns, plus the live
events after it), in any order and with repeats, `timeline` lists the incident's entries in seq order,
each with its time and actor. No Qt: the console puts the entries in words.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable


@dataclass(frozen=True)
class Entry:
    seq: int
    ts: str
    actor: str
    what: str  # "created", "assigned", "unit_status", "note" or "closed"
    unit_id: str | None = None
    status: str | None = None  # of the unit, for "unit_status"
    text: str | None = None  # the note, or the disposition for "closed"
    kind: str | None = None  # what was called in, for "created"
    priority: int | None = None
    source: str | None = None  # where the call came from, for "created"


def timeline(events: Iterable[dict], incident_id: str) -> list[Entry]:
    by_seq = {event["seq"]: event for event in events}
    entries: list[Entry] = []
    unit_on: dict[str, str | None] = {}  # unit -> the incident it is on, as the events go
    for seq in sorted(by_seq):
        event = by_seq[seq]
        data, kind = event["data"], event["type"]
        stamp = {"seq": seq, "ts": event["ts"], "actor": event["actor"]}
        if kind == "unit.assigned":
            unit_on[data["unit_id"]] = data["incident_id"]
            if data["incident_id"] == incident_id:
                entries.append(Entry(**stamp, what="assigned", unit_id=data["unit_id"]))
        elif kind == "unit.status_changed":
            # A unit leaving the incident (available, busy) names no incident: it was on this one.
            was_on = unit_on.get(data["unit_id"])
            unit_on[data["unit_id"]] = data.get("incident_id")
            if incident_id in (data.get("incident_id"), was_on):
                entries.append(Entry(**stamp, what="unit_status", unit_id=data["unit_id"], status=data["status"]))
        elif data.get("incident_id") != incident_id:
            continue
        elif kind == "incident.created":
            entries.append(Entry(**stamp, what="created", kind=data["kind"], priority=data["priority"],
                                 source=data.get("source")))
        elif kind == "incident.noted":
            entries.append(Entry(**stamp, what="note", text=data["text"]))
        elif kind == "incident.closed":
            entries.append(Entry(**stamp, what="closed", text=data["disposition"]))
    return entries
