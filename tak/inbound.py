"""CoT from TAK devices -> OneMap feed commands, sans I/O (docs/tak.md).

`Inbound.handle(cot, namespace, state, now)` returns the commands for one event, as `(cmd, args)` pairs for
the namespace's feed connection; `namespace_for(cot)` says which namespace that is (a device the device
table binds to an exercise goes there, everything else to the gateway's own). What is refused is counted in
`refused` by reason, what is deliberately not acted on in `ignored`: nothing is ever raised to the caller.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from dispatch.domain import LIVE, OPEN_ALARM_STATUSES, valid_namespace
from layers.tables import read_rows
from tak.cot import Cot, format_time

DEVICE_SEEN_EVERY_S = 60.0  # the protocol's rule: an unmapped device at first sight, then at most once a minute
EMERGENCY_TYPES = ("b-a-o-tbl", "b-a-o-pan", "b-a-o-opn")  # 911, ring the bell, troops in contact
EMERGENCY_CANCEL = "b-a-o-can"
SPOT_MARKER = "b-m-p-s-m"
GEOCHAT = "b-t-f"
CLUE_PRIORITY = 3
# Refusals counted by the inbound side (the codec's and framing's are in tak/cot.py).
EXERCISE_IN_LIVE = "exercise_in_live"
NO_POSITION = "no_position"
_ID_CHARS = re.compile(r"[^A-Za-z0-9_.:-]")

Command = tuple[str, dict]


class DeviceTableError(ValueError):
    pass


@dataclass(frozen=True)
class DeviceEntry:
    unit_id: str
    namespace: str | None = None  # None: the gateway's namespace


class DeviceTable:
    """Which unit a device reports for: by uid, else by callsign (TOML, docs/tak.md)."""

    def __init__(self, by_uid: dict[str, DeviceEntry] | None = None, by_callsign: dict[str, DeviceEntry] | None = None):
        self.by_uid = by_uid or {}
        self.by_callsign = by_callsign or {}

    @classmethod
    def load(cls, path: str | Path) -> "DeviceTable":
        table = cls()
        for where, row in read_rows(path, "device", DeviceTableError):
            if set(row) - {"uid", "callsign", "unit_id", "namespace"}:
                raise DeviceTableError(f"{where}: fields are uid, callsign, unit_id, namespace")
            unit_id, namespace = row.get("unit_id"), row.get("namespace")
            if not isinstance(unit_id, str) or not unit_id:
                raise DeviceTableError(f"{where}: unit_id is required")
            if namespace is not None and not valid_namespace(namespace):
                raise DeviceTableError(f"{where}: namespace {namespace!r} is not live or exercise:NAME")
            if not (row.get("uid") or row.get("callsign")):
                raise DeviceTableError(f"{where}: give a uid or a callsign")
            entry = DeviceEntry(unit_id, namespace)
            for key, index in (("uid", table.by_uid), ("callsign", table.by_callsign)):
                value = row.get(key)
                if value is None:
                    continue
                if not isinstance(value, str) or value in index:
                    raise DeviceTableError(f"{where}: {key} {value!r} is not a string, or is listed twice")
                index[value] = entry
        return table

    def overridden_by(self, other: "DeviceTable") -> "DeviceTable":
        """This table with `other`'s entries in place of its own (a --devices file over a city pack's)."""
        return DeviceTable({**self.by_uid, **other.by_uid}, {**self.by_callsign, **other.by_callsign})

    def find(self, uid: str, callsign: str | None) -> DeviceEntry | None:
        return self.by_uid.get(uid) or (self.by_callsign.get(callsign) if callsign else None)

    def uids_for_unit(self, unit_id: str) -> list[str]:
        return [uid for uid, entry in self.by_uid.items() if entry.unit_id == unit_id]

    def callsigns_for_unit(self, unit_id: str) -> list[str]:
        return [callsign for callsign, entry in self.by_callsign.items() if entry.unit_id == unit_id]


def incident_id_part(text: str, room: int) -> str:
    return _ID_CHARS.sub("_", text)[-room:]


class Inbound:
    def __init__(self, namespace: str = LIVE, devices: DeviceTable | None = None, callsign: str = "OneMap",
                 centre_uid: str | None = None, via: str = "tak", refused: Counter | None = None):
        self.namespace = namespace
        self.devices = devices or DeviceTable()
        self.callsign = callsign
        self.centre_uid = centre_uid or f"OneMap.{callsign}"
        self.via = via
        self.refused: Counter[str] = Counter() if refused is None else refused  # the gateway's counters
        self.ignored: Counter[str] = Counter()
        self._seen_sent: dict[str, float] = {}  # device uid -> when its last device.seen went
        self._last_fix: dict[str, tuple[float, float]] = {}  # device uid -> its last (lon, lat) with a fix
        self._callsigns: dict[str, str] = {}  # device uid -> callsign heard
        self._clues: set[str] = set()  # marker and message uids already raised

    # ---- routing ---------------------------------------------------------------------------------

    def namespace_for(self, cot: Cot) -> str:
        entry = self.devices.find(self._device_uid(cot), cot.callsign)
        return entry.namespace if entry and entry.namespace else self.namespace

    @staticmethod
    def _device_uid(cot: Cot) -> str:
        """The device an event comes from: itself for a position, the linked device for an alert or a
        marker, the sender for GeoChat."""
        if cot.type == GEOCHAT and cot.sender_uid:
            return cot.sender_uid
        if cot.type.startswith("b-") and cot.links:
            return cot.links[0]
        if cot.type.startswith("b-a-o-") and cot.uid.endswith("-9-1-1"):
            return cot.uid.removesuffix("-9-1-1")
        return cot.uid

    # ---- one event ---------------------------------------------------------------------------------

    def handle(self, cot: Cot, namespace: str, state: dict | None, now: float) -> list[Command]:
        if namespace == LIVE and cot.exercise_marked:
            self.refused[EXERCISE_IN_LIVE] += 1
            return []
        state = state or {}
        if cot.type.startswith("a-"):
            return self._position(cot, state, now)
        if cot.type in EMERGENCY_TYPES:
            return self._emergency(cot, state)
        if cot.type == EMERGENCY_CANCEL:
            return self._cancel(cot, state)
        if cot.type in (SPOT_MARKER, GEOCHAT):
            return self._clue(cot, state)
        self.ignored[f"type {cot.type[:16]}"] += 1
        return []

    def _position(self, cot: Cot, state: dict, now: float) -> list[Command]:
        uid = cot.uid
        known = state.get("devices", {}).get(uid)
        if not (cot.endpoint or known or self.devices.find(uid, cot.callsign)):
            self.ignored["marker"] += 1  # a point someone placed, not a device reporting itself
            return []
        if cot.callsign:
            self._callsigns[uid] = cot.callsign
        if cot.has_fix:
            self._last_fix[uid] = (cot.lon, cot.lat)
        unit_id = self._unit_for(uid, cot.callsign, state)
        if unit_id is not None:
            if not cot.has_fix:
                self.ignored["mapped_no_fix"] += 1
                return []
            args = {"unit_id": unit_id, "lon": cot.lon, "lat": cot.lat, "ts": format_time(cot.time),
                    "stale": format_time(cot.stale)}
            if cot.course is not None and 0.0 <= cot.course <= 360.0:
                args["heading"] = cot.course
            if cot.speed is not None and 0.0 <= cot.speed <= 300.0:
                args["speed"] = cot.speed
            return [("unit.position", args)]
        last = self._seen_sent.get(uid)
        if last is not None and now - last < DEVICE_SEEN_EVERY_S:
            return []
        self._seen_sent[uid] = now
        args = {"device_uid": uid[:128], "type": cot.type[:64], "ts": format_time(cot.time), "via": self.via}
        if cot.callsign:
            args["callsign"] = cot.callsign[:100]
        if cot.has_fix:
            args["lon"], args["lat"] = cot.lon, cot.lat
        return [("device.seen", args)]

    def _unit_for(self, uid: str, callsign: str | None, state: dict) -> str | None:
        """A dispatcher's attachment first, then the device table; only a unit the state has."""
        units = state.get("units", {})
        attached = state.get("devices", {}).get(uid, {}).get("unit_id")
        if attached in units:
            return attached
        entry = self.devices.find(uid, callsign)
        # Before OneMap's state is known (not connected yet) the table is taken at its word.
        if entry is not None and (entry.unit_id in units or "units" not in state):
            return entry.unit_id
        return None

    def _sender(self, cot: Cot, uid: str) -> str:
        return cot.chat_sender or self._callsigns.get(uid) or uid

    def _position_of(self, cot: Cot, uid: str, state: dict) -> tuple[float, float] | None:
        """Where the event is: its own point if it has a fix, else the device's last known position."""
        if cot.has_fix:
            return cot.lon, cot.lat
        if uid in self._last_fix:
            return self._last_fix[uid]
        device = state.get("devices", {}).get(uid, {})
        if device.get("lon") is not None:
            return device["lon"], device["lat"]
        unit = state.get("units", {}).get(self._unit_for(uid, None, state) or "", {})
        if unit.get("lon") is not None:
            return unit["lon"], unit["lat"]
        return None

    @staticmethod
    def _open_alarm(uid: str, state: dict) -> dict | None:
        """The device's alarm still open on the server (raised or acknowledged)."""
        return next((alarm for alarm in state.get("alarms", {}).values()
                     if alarm.get("device_id") == uid[:128] and alarm.get("status") in OPEN_ALARM_STATUSES), None)

    def _emergency(self, cot: Cot, state: dict) -> list[Command]:
        """A TAK emergency is a panic alarm. ATAK repeats it while it is on, with the device's position:
        each repeat raises again, which the server makes an update of the open alarm (its live location)."""
        uid = self._device_uid(cot)
        where = self._position_of(cot, uid, state)
        if where is None:
            self.refused[NO_POSITION] += 1
            return []
        who = self._sender(cot, uid)
        return [("alarm.raise", {"device_id": uid[:128], "kind": "panic", "lon": where[0], "lat": where[1],
                                 "ts": format_time(cot.time),
                                 "text": f"TAK emergency ({cot.type}) on the device of {who}"[:1000]})]

    def _cancel(self, cot: Cot, state: dict) -> list[Command]:
        """A cancel on the device never closes the alarm: a dispatcher verifies it (a cancel can be made under
        duress). It is said on the alarm, as an update from the device."""
        uid = self._device_uid(cot)
        alarm = self._open_alarm(uid, state)
        if alarm is None:
            self.ignored["cancel_without_emergency"] += 1
            return []
        where = self._position_of(cot, uid, state) or (alarm["lon"], alarm["lat"])
        return [("alarm.raise", {"device_id": uid[:128], "kind": alarm["kind"], "lon": where[0], "lat": where[1],
                                 "ts": format_time(cot.time),
                                 "text": f"Emergency cancelled on the device of {self._sender(cot, uid)}"})]

    def _addressed_to_centre(self, cot: Cot) -> bool:
        names = {self.callsign, self.centre_uid}
        return bool(names & set(cot.dest)) or cot.chat_room in names or cot.chat_to in names

    def _clue(self, cot: Cot, state: dict) -> list[Command]:
        if not self._addressed_to_centre(cot):
            self.ignored["not_for_the_centre"] += 1
            return []
        key = cot.uid.rsplit(".", 1)[-1] if cot.type == GEOCHAT else cot.uid
        if key in self._clues:
            self.ignored["clue_repeat"] += 1  # ATAK sends a marker again on every change
            return []
        uid = self._device_uid(cot)
        if cot.type == GEOCHAT:
            where = self._position_of(cot, uid, state)  # a GeoChat's point is where its sender was
            text = cot.remarks or ""
        else:
            where = (cot.lon, cot.lat) if cot.has_fix else None
            text = " ".join(t for t in (cot.callsign, cot.remarks) if t)
        if where is None:
            self.refused[NO_POSITION] += 1
            return []
        self._clues.add(key)
        return [("incident.create", {"kind": "clue", "priority": CLUE_PRIORITY, "lon": where[0], "lat": where[1],
                                     "source": "field_unit", "incident_id": f"TAK-CLUE-{incident_id_part(key, 50)}",
                                     "note": f"{text} (from {self._sender(cot, uid)})"[:2000]})]
