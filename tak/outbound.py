"""OneMap state and events -> CoT for TAK devices, sans I/O (docs/tak.md).

`everything(state, now)` is the whole picture (a device that just connected), `on_event(event, state, now)`
what an event changes, `due(now)` what must go again because its time came (a unit's or an incident's CoT
goes stale on the device unless it is sent again). `now` is seconds since the epoch. Everything sent from an
exercise namespace carries `opex="e-NAME"`.
"""
from __future__ import annotations

import heapq
import math
import zlib
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone

import numpy as np

from dispatch.domain import EXERCISE_PREFIX, LIVE
from tak.cot import Cot
from tak.inbound import DeviceTable

MOVING_MPS = 0.5  # slower than this a unit is at rest
MOVING_EVERY_S = 5.0
RESTING_EVERY_S = 30.0
MOVING_STALE_S = 2 * MOVING_EVERY_S  # as ATAK does: stale after about two missed reports
RESTING_STALE_S = 60.0
INCIDENT_EVERY_S = 60.0
INCIDENT_STALE_S = 180.0
CHAT_STALE_S = 24 * 3600.0
# A moving unit's position goes at most this often (the last one wins): ATAK's own rate while moving, and
# what keeps 2,000 devices that each see 2,000 units within a few hundred CoT a second (bench/cot_gateway.py).
MIN_UNIT_INTERVAL_S = MOVING_EVERY_S
UNIT_TYPES = {"patrol": "a-f-G-U-C-I", "police": "a-f-G-U-C-I", "traffic": "a-f-G-U-C-I",
              "fire": "a-f-G-E-V", "ems": "a-f-G-E-V"}
DEFAULT_UNIT_TYPE = "a-f-G-U"
UNIT_UID_PREFIX = "OneMap.unit."
KM_PER_DEGREE_LAT, KM_PER_DEGREE_LON_AT_EQUATOR = 110.574, 111.320
INCIDENT_TYPE = "b-m-p-s-m"
GEOCHAT_TYPE = "b-t-f"
UNIT_EVENTS = frozenset({"unit.moved", "unit.status_changed", "unit.assigned"})
INCIDENT_EVENTS = frozenset({"incident.created", "incident.noted", "unit.assigned", "unit.status_changed"})


@dataclass
class _Sent:
    cot: Cot
    every_s: float
    stale_s: float
    at: float  # when it was sent
    again_at: float  # when it goes again, unless something sends it sooner


def _when(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, timezone.utc)


def _spread(uid: str, now: float, every_s: float) -> float:
    """When a CoT sent `now` goes again: within `every_s`, at a part of it fixed by its uid."""
    return now + every_s * (1 - zlib.crc32(uid.encode()) / 2 ** 32)


def unit_uid(unit_id: str) -> str:
    return f"{UNIT_UID_PREFIX}{unit_id}"


def incident_uid(incident_id: str) -> str:
    return f"OneMap.incident.{incident_id}"


class UnitRange:
    """Which units' CoT a device sees: those within `km` of it. Devices are grouped by square (rows of `km` of
    latitude, each cut into squares `km` wide), and a square's devices share one selection, built and encoded
    once: the units within `km` + half the square's diagonal of its centre. So a device sees every unit within
    `km`, and none farther than about 2.4 × `km`. Everything that is not a unit (incidents, taskings) goes to
    every device."""

    def __init__(self, km: float):
        if km <= 0:
            raise ValueError("a unit range is more than 0 km")
        self.km = km
        self._lat_step = km / KM_PER_DEGREE_LAT
        self._reach_km = km * (1 + math.sqrt(0.5))

    def _lon_step(self, row: int) -> float:
        centre_lat = (row + 0.5) * self._lat_step
        return self.km / (KM_PER_DEGREE_LON_AT_EQUATOR * max(math.cos(math.radians(centre_lat)), 1e-3))

    def square(self, lon: float, lat: float) -> tuple[int, int]:
        row = math.floor(lat / self._lat_step)
        return math.floor(lon / self._lon_step(row)), row

    def selection(self, cots: list[Cot]):
        """A function: the square a device is in -> the indices in `cots` of the CoT it sees, in order."""
        is_unit = np.array([c.uid.startswith(UNIT_UID_PREFIX) for c in cots], dtype=bool)
        lons = np.array([c.lon for c in cots], dtype=float)
        lats = np.array([c.lat for c in cots], dtype=float)

        def seen_from(square: tuple[int, int]) -> list[Cot]:
            column, row = square
            centre_lon, centre_lat = (column + 0.5) * self._lon_step(row), (row + 0.5) * self._lat_step
            east_km = (lons - centre_lon) * KM_PER_DEGREE_LON_AT_EQUATOR * math.cos(math.radians(centre_lat))
            north_km = (lats - centre_lat) * KM_PER_DEGREE_LAT
            return np.flatnonzero(~is_unit | (east_km ** 2 + north_km ** 2 <= self._reach_km ** 2)).tolist()
        return seen_from


class Outbound:
    def __init__(self, namespace: str = LIVE, callsign: str = "OneMap", devices: DeviceTable | None = None,
                 centre_uid: str | None = None):
        self.namespace = namespace
        self.callsign = callsign
        self.centre_uid = centre_uid or f"OneMap.{callsign}"
        self.devices = devices or DeviceTable()
        self.opex = f"e-{namespace.removeprefix(EXERCISE_PREFIX)}" if namespace.startswith(EXERCISE_PREFIX) else None
        self._sent: dict[str, _Sent] = {}  # uid -> the last CoT sent of it, to send again when due
        self._pending: dict[str, Cot] = {}  # a unit's change held back by MIN_UNIT_INTERVAL_S
        # Heaps of (when, uid), so `due` (ten times a second) looks at what is due, not at 2,000 units each
        # time: when each CoT sent goes again, and when each held-back change may go. An entry outdated by a
        # later send is skipped when it comes up.
        self._again: list[tuple[float, str]] = []
        self._allowed: list[tuple[float, str]] = []

    # ---- building CoT ------------------------------------------------------------------------------

    def introduction(self, now: float) -> Cot:
        """The centre's own report, what a TAK client first says to its server: its uid, callsign and
        endpoint. The centre has no position of its own: it reports as a device without a fix does."""
        return self._cot(self.centre_uid, "a-f-G-U-C", now, RESTING_STALE_S, 0.0, 0.0, callsign=self.callsign,
                         endpoint="*:-1:stcp", group_name="OneMap", group_role="HQ")

    def _cot(self, uid: str, kind: str, now: float, stale_s: float, lon: float, lat: float, **fields) -> Cot:
        moment = _when(now)
        return Cot(uid=uid, type=kind, how="m-g" if uid.startswith(UNIT_UID_PREFIX) else "h-g-i-g-o", time=moment,
                   start=moment, stale=moment + timedelta(seconds=stale_s), lat=lat, lon=lon, opex=self.opex,
                   **fields)

    def unit_cot(self, unit: dict, now: float) -> tuple[Cot, float, float] | None:
        if unit.get("lon") is None or unit.get("lat") is None:
            return None
        speed = unit.get("speed") or 0.0
        moving = speed >= MOVING_MPS
        every_s, stale_s = (MOVING_EVERY_S, MOVING_STALE_S) if moving else (RESTING_EVERY_S, RESTING_STALE_S)
        remarks = unit.get("status") or "unknown"
        if unit.get("incident_id"):
            remarks += f" on {unit['incident_id']}"
        cot = self._cot(unit_uid(unit["unit_id"]), UNIT_TYPES.get(unit.get("kind") or "", DEFAULT_UNIT_TYPE), now,
                        stale_s, unit["lon"], unit["lat"], callsign=unit.get("callsign") or unit["unit_id"],
                        group_name="OneMap",
                        group_role=unit.get("kind") or "unit", course=unit.get("heading") or 0.0, speed=speed,
                        remarks=remarks)
        return cot, every_s, stale_s

    def incident_cot(self, incident: dict, now: float) -> Cot:
        units = ", ".join(incident.get("units") or []) or "none"
        remarks = (f"{incident['kind']} P{incident['priority']} {incident.get('address') or ''}".rstrip()
                   + f"; {incident.get('status')}; units: {units}")
        stale_s = 0.0 if incident.get("status") == "closed" else INCIDENT_STALE_S
        return self._cot(incident_uid(incident["incident_id"]), INCIDENT_TYPE, now, stale_s, incident["lon"],
                         incident["lat"], callsign=f"{incident['incident_id']} {incident['kind']} P{incident['priority']}",
                         remarks=remarks)

    def _record(self, cot: Cot, every_s: float, stale_s: float, now: float, again_at: float | None = None) -> Cot:
        sent = _Sent(cot, every_s, stale_s, now, now + every_s if again_at is None else again_at)
        self._sent[cot.uid] = sent
        heapq.heappush(self._again, (sent.again_at, cot.uid))
        return cot

    # ---- the three entry points ------------------------------------------------------------------

    def everything(self, state: dict, now: float) -> list[Cot]:
        """The whole picture at once. Its CoT go again at moments spread over each one's interval, a little at
        a time, not all in one flush (2,000 units in one flush every 5 s held up the devices' own reports)."""
        out = []
        for unit in state.get("units", {}).values():
            built = self.unit_cot(unit, now)
            if built is not None:
                # as if sent a part of MIN_UNIT_INTERVAL_S ago: held-back moves go out spread too
                sent_at = now - MIN_UNIT_INTERVAL_S * (zlib.crc32(built[0].uid.encode()) / 2 ** 32)
                self._record(*built, sent_at, _spread(built[0].uid, now, built[1]))
                out.append(built[0])
        for incident in state.get("incidents", {}).values():
            if incident.get("status") != "closed":
                cot = self.incident_cot(incident, now)
                out.append(self._record(cot, INCIDENT_EVERY_S, INCIDENT_STALE_S, now,
                                        _spread(cot.uid, now, INCIDENT_EVERY_S)))
        return out

    def on_event(self, event: dict, state: dict, now: float) -> list[Cot]:
        kind, data = event["type"], event.get("data") or {}
        out: list[Cot] = []
        unit = state.get("units", {}).get(data.get("unit_id") or "")
        if kind in UNIT_EVENTS and unit is not None:
            built = self.unit_cot(unit, now)
            if built is not None:
                last = self._sent.get(built[0].uid)
                if kind == "unit.moved" and last is not None and now - last.at < MIN_UNIT_INTERVAL_S:
                    if built[0].uid not in self._pending:
                        heapq.heappush(self._allowed, (last.at + MIN_UNIT_INTERVAL_S, built[0].uid))
                    self._pending[built[0].uid] = built[0]  # goes out from due() with the last position
                else:
                    self._pending.pop(built[0].uid, None)
                    out.append(self._record(*built, now))
        incident = state.get("incidents", {}).get(data.get("incident_id") or "")
        if kind == "incident.closed" and incident is not None:
            out.append(self.incident_cot(incident, now))  # stale now: devices take the marker off
            self._sent.pop(incident_uid(incident["incident_id"]), None)
        elif kind in INCIDENT_EVENTS and incident is not None and incident.get("status") != "closed":
            out.append(self._record(self.incident_cot(incident, now), INCIDENT_EVERY_S, INCIDENT_STALE_S, now))
        if kind == "unit.assigned" and incident is not None:
            out.extend(self.tasking(data["unit_id"], incident, state, now, event.get("seq")))
        return out

    def due(self, now: float) -> list[Cot]:
        out = []
        while self._allowed and self._allowed[0][0] <= now:
            _, uid = heapq.heappop(self._allowed)
            cot = self._pending.get(uid)
            if cot is None:
                continue  # sent meanwhile by a change that is not a move
            last = self._sent.get(uid)
            if last is not None and now - last.at < MIN_UNIT_INTERVAL_S:
                heapq.heappush(self._allowed, (last.at + MIN_UNIT_INTERVAL_S, uid))  # sent since: wait again
                continue
            del self._pending[uid]
            every_s = MOVING_EVERY_S if (cot.speed or 0.0) >= MOVING_MPS else RESTING_EVERY_S
            stale_s = MOVING_STALE_S if every_s == MOVING_EVERY_S else RESTING_STALE_S
            out.append(self._record(self._restamp(cot, now, stale_s), every_s, stale_s, now))
        while self._again and self._again[0][0] <= now:
            again_at, uid = heapq.heappop(self._again)
            sent = self._sent.get(uid)
            if sent is None or sent.again_at != again_at:
                continue  # sent again since, or no longer sent (a closed incident)
            if uid in self._pending:
                continue  # its held-back change goes instead, and is recorded anew
            out.append(self._record(self._restamp(sent.cot, now, sent.stale_s), sent.every_s, sent.stale_s, now))
        return out

    @staticmethod
    def _restamp(cot: Cot, now: float, stale_s: float) -> Cot:
        moment = _when(now)
        return replace(cot, time=moment, start=moment, stale=moment + timedelta(seconds=stale_s))

    # ---- tasking -----------------------------------------------------------------------------------

    def tasking(self, unit_id: str, incident: dict, state: dict, now: float, seq: int | None) -> list[Cot]:
        """A GeoChat line to each device of the unit: attached by a dispatcher, or in the device table."""
        addressees: dict[str, str | None] = {}  # uid or callsign -> callsign
        for uid, device in state.get("devices", {}).items():
            if device.get("unit_id") == unit_id:
                addressees[uid] = device.get("callsign")
        for uid in self.devices.uids_for_unit(unit_id):
            addressees.setdefault(uid, (state.get("devices", {}).get(uid) or {}).get("callsign"))
        for callsign in self.devices.callsigns_for_unit(unit_id):
            if callsign not in addressees.values():
                addressees[callsign] = callsign
        text = (f"Go to {incident['incident_id']} {incident['kind']} P{incident['priority']} "
                f"{incident.get('address') or ''}").rstrip()
        out = []
        for uid, callsign in addressees.items():
            out.append(self._cot(f"GeoChat.{self.centre_uid}.{uid}.{seq or int(now)}", GEOCHAT_TYPE, now,
                                 CHAT_STALE_S, incident["lon"], incident["lat"], remarks=text,
                                 chat_sender=self.callsign, chat_room=callsign or uid, chat_to=uid,
                                 sender_uid=self.centre_uid, links=[self.centre_uid], dest=[callsign or uid]))
        return out
