"""The console's copy of the server's state, folded with the shared reducer, and what each batch changed.

No Qt here: the main window turns the changes into redraws. The state shown is always the server's: it
changes only through events from the server.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import datetime

from dispatch.reducer import State, apply, empty_state

DEFAULT_DISPATCH_THRESHOLD_S = 180.0  # 3 minutes from call to first unit dispatched
DEFAULT_ONSCENE_THRESHOLD_S = 900.0
DEFAULT_REALERT_S = 60.0  # the server's own default; a welcome names the server's (docs/protocol.md)


@functools.lru_cache(maxsize=65536)
def epoch(ts: str | None) -> float | None:
    """Cached: every queue row's timers read the same few stamps many times a second."""
    if not ts:
        return None
    return datetime.fromisoformat(ts.replace("Z", "+00:00")).timestamp()


@dataclass
class Changes:
    moved_units: set[str] = field(default_factory=set)
    units: set[str] = field(default_factory=set)  # status or incident changed
    incidents: set[str] = field(default_factory=set)
    cameras: set[str] = field(default_factory=set)
    devices: set[str] = field(default_factory=set)  # field devices heard, attached or detached
    alarms: set[str] = field(default_factory=set)  # alarms raised, updated, acknowledged or ended
    hits: set[str] = field(default_factory=set)  # watchlist hits made, accepted or rejected
    watchlist: bool = False  # an entry added or removed
    reset: bool = False
    jumped: bool = False  # the state of another instant (a replay's seek): nothing in it is news

    def __bool__(self) -> bool:
        return bool(self.reset or self.moved_units or self.units or self.incidents or self.cameras or self.devices
                    or self.alarms or self.hits or self.watchlist)


@dataclass(frozen=True)
class IncidentTimers:
    to_dispatch_s: float  # running until the first dispatch, then fixed
    to_onscene_s: float | None  # running from the first dispatch until on scene, then fixed; None before dispatch
    dispatch_overdue: bool
    onscene_overdue: bool

    @property
    def overdue(self) -> bool:
        return self.dispatch_overdue or self.onscene_overdue


class LiveState:
    def __init__(self, dispatch_threshold_s: float = DEFAULT_DISPATCH_THRESHOLD_S,
                 onscene_threshold_s: float = DEFAULT_ONSCENE_THRESHOLD_S):
        self.state: State = empty_state()
        self.seq = 0
        self.dispatch_threshold_s = dispatch_threshold_s
        self.onscene_threshold_s = onscene_threshold_s
        self.realert_s = DEFAULT_REALERT_S  # an alarm still raised this long after it came is overdue

    def reset(self, snapshot: State, seq: int) -> Changes:
        """Take the snapshot as the state (it becomes this object's: the caller keeps no reference)."""
        self.state = snapshot
        self.seq = seq
        return Changes(reset=True)

    def replace(self, state: State, seq: int) -> Changes:
        """The state of another instant (a replay's seek), and what differs from the one shown: the
        window then redraws only that, as for a batch of events (a reset redraws everything)."""
        old = self.state
        if state["units"].keys() != old["units"].keys() or state["cameras"].keys() != old["cameras"].keys():
            return self.reset(state, seq)
        changes = Changes(jumped=True)
        # Records are values (dispatch.reducer): the same object is the same record, and states of nearby
        # instants share most of theirs; `is` spares comparing thousands of cameras field by field.
        for unit_id, unit in state["units"].items():
            before = old["units"][unit_id]
            if before is unit or before == unit:
                continue
            if (before.get("status"), before.get("incident_id")) != (unit.get("status"), unit.get("incident_id")):
                changes.units.add(unit_id)
            if (before.get("lon"), before.get("lat"), before.get("heading")) != (unit.get("lon"), unit.get("lat"), unit.get("heading")):
                changes.moved_units.add(unit_id)
        new, gone = state["incidents"], old["incidents"]
        changes.incidents = {i for i in new.keys() | gone.keys()
                             if new.get(i) is not gone.get(i) and new.get(i) != gone.get(i)}
        cameras = old["cameras"]
        changes.cameras = {c for c, camera in state["cameras"].items()
                           if cameras[c] is not camera and cameras[c] != camera}
        devices, shown = state.get("devices", {}), old.get("devices", {})
        changes.devices = {d for d in devices.keys() | shown.keys()
                           if devices.get(d) is not shown.get(d) and devices.get(d) != shown.get(d)}
        alarms, shown = state.get("alarms", {}), old.get("alarms", {})
        changes.alarms = {a for a in alarms.keys() | shown.keys()
                          if alarms.get(a) is not shown.get(a) and alarms.get(a) != shown.get(a)}
        hits, shown = state.get("hits", {}), old.get("hits", {})
        changes.hits = {h for h in hits.keys() | shown.keys() if hits.get(h) is not shown.get(h)}
        # the seq of its last change (dispatch/reducer.py): no need to compare a city's 100,000 entries
        changes.watchlist = (state.get("counters", {}).get("watchlist") != old.get("counters", {}).get("watchlist"))
        self.state = state
        self.seq = seq
        return changes

    def apply_events(self, events: list[dict]) -> Changes:
        changes = Changes()
        for event in events:
            data, kind = event["data"], event["type"]
            if kind in ("unit.assigned", "unit.status_changed"):
                left = self.state["units"][data["unit_id"]].get("incident_id")
                changes.units.add(data["unit_id"])
                changes.incidents.update(i for i in (left, data.get("incident_id")) if i)
            apply(self.state, event)
            self.seq = event["seq"]
            if kind == "unit.moved":
                changes.moved_units.add(data["unit_id"])
            elif kind in ("incident.created", "incident.closed"):
                changes.incidents.add(data["incident_id"])
            elif kind == "camera.status_changed":
                changes.cameras.add(data["camera_id"])
            elif kind in ("device.seen", "device.attached", "device.detached"):
                changes.devices.add(data["device_uid"])
            elif kind.startswith("alarm."):
                changes.alarms.add(data["alarm_id"])
            elif kind in ("plate.hit", "hit.accepted", "hit.rejected"):
                changes.hits.add(data["hit_id"])
            elif kind.startswith("watchlist."):
                changes.watchlist = True
        return changes

    def alarms(self) -> dict[str, dict]:
        return self.state.get("alarms", {})  # a server older than alarms sends none

    def hits(self) -> dict[str, dict]:
        return self.state.get("hits", {})  # only dispatchers and supervisors receive them

    def alarm_overdue(self, alarm: dict, now: float) -> bool:
        """Nobody acknowledged it within realert_s: it alerts again (overdue is the console's reading of the
        clock, never an event, so a replay shows it as it was)."""
        return alarm["status"] == "raised" and now - (epoch(alarm["raised_ts"]) or now) >= self.realert_s

    def timers(self, incident: dict, now: float) -> IncidentTimers:
        created = epoch(incident.get("created_ts")) or now
        dispatched = epoch(incident.get("dispatched_ts"))
        onscene = epoch(incident.get("onscene_ts"))
        closed = epoch(incident.get("closed_ts"))
        end = closed or now
        to_dispatch = (dispatched or end) - created
        to_onscene = None if dispatched is None else (onscene or end) - dispatched
        open_ = incident["status"] != "closed"
        return IncidentTimers(
            to_dispatch_s=to_dispatch,
            to_onscene_s=to_onscene,
            dispatch_overdue=open_ and dispatched is None and to_dispatch > self.dispatch_threshold_s,
            onscene_overdue=open_ and dispatched is not None and onscene is None
            and to_onscene > self.onscene_threshold_s,
        )


def format_duration(seconds: float | None) -> str:
    if seconds is None:
        return ""
    seconds = max(0, int(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
