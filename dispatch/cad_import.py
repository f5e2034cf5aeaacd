"""`onemap import cad`: a real calls-for-service export (CSV) into a read-only `history:NAME` namespace.

A mapping (TOML, docs/cad-import.md) names the CSV's columns and their formats. Each row is one call, or
one unit sent to a call (San Francisco); rows of one call share its incident id. A row gives the events of
its milestones at their original times: `incident.created` (received), `unit.assigned` (dispatched),
`unit.status_changed` enroute / onscene / available (cleared), and the call's `incident.closed` at its
last cleared time. A milestone without a unit (the export names none) is an `incident.milestone`. Units
come into the state by `unit.registered` at their first appearance. Every event is sorted by time (stable
by row), so event time never goes back, and all of them are appended in one transaction: a failed import
leaves nothing. Rows that cannot be used are counted by reason, never dropped in silence.
"""
from __future__ import annotations

import csv
import math
import re
import tomllib
import zoneinfo
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import orjson

from dispatch.domain import HISTORY_PREFIX, is_history, valid_namespace
from dispatch.event_store import StoredEvent
from dispatch.history import rfc3339
from dispatch.keyframes import build_keyframes
from dispatch.reducer import State, empty_state
from dispatch.store import EventStore

ACTOR = "cad-import"
MAPPINGS_DIR = Path(__file__).resolve().parent.parent / "resources" / "cad"
# The milestones of a row in the order they happen; `received` is the only one a row cannot do without.
MILESTONES = ("received", "dispatched", "enroute", "onscene", "cleared")
TIME_FORMATS_NAMED = ("iso", "epoch_ms", "epoch_ms_date")
_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}")
# One row's events at one instant in the order a dispatcher's commands would have made them.
_RANK = {"unit.registered": 0, "incident.created": 1, "unit.assigned": 2, "incident.milestone": 3,
         "enroute": 4, "onscene": 5, "available": 6, "incident.closed": 7}

_SCHEMA: dict[str, dict[str, type | tuple[type, ...]]] = {
    "source": {"name": str, "delimiter": str, "encoding": str, "null_values": list},
    "times": {"format": str, "timezone": str, **{name: str for name in MILESTONES}},
    "incident": {"id": str, "id_prefix": str, "kind": str, "kinds": dict, "unmapped_kind": str,
                 "priority": str, "priorities": dict, "default_priority": int, "address": str,
                 "disposition": str, "note": str},
    "position": {"x": str, "y": str, "crs": str, "bounds": list},
    "unit": {"id": str, "id_prefix": str, "kind": str, "kind_value": str, "callsign": str},
}
_REQUIRED = {"times": ("format", "timezone", "received"), "incident": ("id", "kind"), "position": ("x", "y")}


class MappingError(ValueError):
    """A mapping or CSV that cannot be imported; the message names the file and the line."""


def _line_of(text: str, section: str, key: str | None = None) -> int:
    """The line (1-based) where `key` of [section] is written in the TOML text, else the section's, else 1."""
    lines = text.splitlines()
    header = re.compile(r"\s*\[\s*" + re.escape(section) + r"\s*\]")
    start = next((i for i, line in enumerate(lines) if header.match(line)), None)
    if start is None:
        return 1
    if key is None:
        return start + 1
    pattern = re.compile(r'\s*("?)' + re.escape(key) + r'\1\s*=')
    for i in range(start + 1, len(lines)):
        if lines[i].lstrip().startswith("["):
            break
        if pattern.match(lines[i]):
            return i + 1
    return start + 1


@dataclass
class Mapping:
    path: Path
    text: str
    data: dict
    zone: zoneinfo.ZoneInfo
    to_lonlat: Callable[[float, float], tuple[float, float]]

    def get(self, section: str, key: str, default=None):
        return self.data.get(section, {}).get(key, default)

    def where(self, section: str, key: str | None = None) -> str:
        return f"{self.path} line {_line_of(self.text, section, key)}"

    def columns(self) -> list[tuple[str, str]]:
        """(section, key) of every value that names a CSV column."""
        named = [("times", m) for m in MILESTONES] + [("incident", k) for k in ("id", "kind", "priority", "address",
                                                                                   "disposition", "note")]
        named += [("position", "x"), ("position", "y")] + [("unit", k) for k in ("id", "kind", "callsign")]
        return [(s, k) for s, k in named if self.get(s, k) is not None]


def load_mapping(path: str | Path) -> Mapping:
    """The mapping file, checked: TOML syntax, known sections and keys of the right types, a time format
    that parses, an IANA zone, a CRS pyproj knows. Errors name the file and the line."""
    path = Path(path)
    if not path.is_file() and (MAPPINGS_DIR / f"{path}.toml").is_file():
        path = MAPPINGS_DIR / f"{path}.toml"  # a shipped mapping by name: sf, seattle, sacramento
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise MappingError(f"cannot read the mapping {path}: {exc}") from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:  # its message ends "(at line L, column C)"
        raise MappingError(f"{path}: not valid TOML: {exc}") from exc
    for section, value in data.items():
        if section not in _SCHEMA:
            raise MappingError(f"{path} line {_line_of(text, section)}: unknown section [{section}] "
                               f"(known: {', '.join(_SCHEMA)})")
        if not isinstance(value, dict):
            raise MappingError(f"{path}: {section} must be a [{section}] table")
        for key, item in value.items():
            where = f"{path} line {_line_of(text, section, key)}"
            if key not in _SCHEMA[section]:
                raise MappingError(f"{where}: unknown key {section}.{key} (known: {', '.join(_SCHEMA[section])})")
            if not isinstance(item, _SCHEMA[section][key]) or isinstance(item, bool):
                raise MappingError(f"{where}: {section}.{key} must be a {_SCHEMA[section][key].__name__}")
    for section, keys in _REQUIRED.items():
        for key in keys:
            if key not in data.get(section, {}):
                raise MappingError(f"{path} line {_line_of(text, section)}: [{section}] needs {key}")
    times = data["times"]
    fmt = times["format"]
    if fmt not in TIME_FORMATS_NAMED:
        where = f"{path} line {_line_of(text, 'times', 'format')}"
        if "%" not in fmt:
            raise MappingError(f"{where}: times.format {fmt!r} is neither a strptime format nor one of "
                               f"{', '.join(TIME_FORMATS_NAMED)}")
        try:  # a directive strptime does not know fails on any input
            datetime.strptime(datetime(2017, 7, 14, 2, 40).strftime(fmt), fmt)
        except ValueError as exc:
            raise MappingError(f"{where}: times.format {fmt!r}: {exc}") from exc
    try:
        zone = zoneinfo.ZoneInfo(times["timezone"])
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise MappingError(f"{path} line {_line_of(text, 'times', 'timezone')}: times.timezone "
                           f"{times['timezone']!r} is not an IANA zone") from exc
    incident = data["incident"]
    if incident.get("unmapped_kind", "keep") not in ("keep", "refuse"):
        raise MappingError(f"{path} line {_line_of(text, 'incident', 'unmapped_kind')}: incident.unmapped_kind "
                           "must be \"keep\" or \"refuse\"")
    for raw, priority in incident.get("priorities", {}).items():
        if isinstance(priority, bool) or not isinstance(priority, int) or not 1 <= priority <= 5:
            raise MappingError(f"{path} line {_line_of(text, 'incident.priorities', raw)}: priority of {raw!r} "
                               "must be an integer 1-5")
    if not 1 <= incident.get("default_priority", 3) <= 5:
        raise MappingError(f"{path} line {_line_of(text, 'incident', 'default_priority')}: "
                           "incident.default_priority must be 1-5")
    if "priority" not in incident and "default_priority" not in incident:
        raise MappingError(f"{path} line {_line_of(text, 'incident')}: [incident] needs priority (a column) "
                           "or default_priority")
    bounds = data["position"].get("bounds")
    if bounds is not None and (len(bounds) != 4 or not all(isinstance(b, (int, float)) for b in bounds)):
        raise MappingError(f"{path} line {_line_of(text, 'position', 'bounds')}: position.bounds must be "
                           "[min_lon, min_lat, max_lon, max_lat]")
    unit = data.get("unit", {})
    if unit and "id" not in unit:
        raise MappingError(f"{path} line {_line_of(text, 'unit')}: [unit] needs id (a column)")
    return Mapping(path, text, data, zone, _transform(path, text, data["position"].get("crs", "EPSG:4326")))


def _transform(path: Path, text: str, crs: str) -> Callable[[float, float], tuple[float, float]]:
    if crs.upper() in ("EPSG:4326", "OGC:CRS84", "CRS84"):
        return lambda x, y: (x, y)
    from pyproj import CRS, Transformer
    from pyproj.exceptions import CRSError

    try:
        transformer = Transformer.from_crs(CRS.from_user_input(crs), CRS.from_epsg(4326), always_xy=True)
    except CRSError as exc:
        raise MappingError(f"{path} line {_line_of(text, 'position', 'crs')}: position.crs {crs!r}: {exc}") from exc
    return transformer.transform


@dataclass
class ImportResult:
    namespace: str
    rows_read: int = 0
    events_written: int = 0
    incidents: int = 0
    units: int = 0
    refused: Counter = field(default_factory=Counter)  # reason -> rows
    first_line: dict[str, int] = field(default_factory=dict)  # reason -> the first CSV line refused for it
    missing: Counter = field(default_factory=Counter)  # milestone -> rows without it (imported all the same)
    taken_off_earlier_call: int = 0  # a unit sent to a new call before its earlier call cleared it
    superseded: int = 0  # milestones of a unit's earlier call that came after it was sent elsewhere

    def lines(self) -> list[str]:
        out = [f"rows_read {self.rows_read}", f"events_written {self.events_written}",
               f"incidents {self.incidents}", f"units {self.units}",
               f"rows_refused {sum(self.refused.values())}"]
        out += [f"refused {reason} {n} (first at line {self.first_line[reason]})"
                for reason, n in sorted(self.refused.items())]
        out += [f"missing {milestone} {self.missing[milestone]}" for milestone in MILESTONES[1:]
                if self.missing[milestone]]
        out += [f"units_taken_off_earlier_call {self.taken_off_earlier_call}",
                f"milestones_superseded {self.superseded}"]
        return out


class _Refused(Exception):
    def __init__(self, reason: str):
        self.reason = reason


def _time_parser(mapping: Mapping) -> Callable[[str], int]:
    """Text -> epoch milliseconds; ValueError if it does not parse."""
    fmt, zone = mapping.get("times", "format"), mapping.zone

    def local(naive: datetime) -> int:
        return round(naive.replace(tzinfo=zone).timestamp() * 1000)

    if fmt == "epoch_ms":
        return lambda text: int(float(text))
    if fmt == "epoch_ms_date":  # the UTC date of the value is the local date; its time of day was not kept
        return lambda text: local(datetime.fromtimestamp(int(float(text)) / 1000, timezone.utc)
                                  .replace(hour=0, minute=0, second=0, microsecond=0, tzinfo=None))
    if fmt == "iso":
        def iso(text: str) -> int:
            parsed = datetime.fromisoformat(text)
            return local(parsed) if parsed.tzinfo is None else round(parsed.timestamp() * 1000)
        return iso
    return lambda text: local(datetime.strptime(text, fmt))


def _resolve_columns(mapping: Mapping, header: list[str], csv_path: Path) -> None:
    for section, key in mapping.columns():
        column = mapping.get(section, key)
        if column not in header:
            raise MappingError(f"{mapping.where(section, key)}: {section}.{key} names column {column!r}, which "
                               f"{csv_path} line 1 (the header) does not have; it has: {', '.join(header)}")


class _Rows:
    """Turns CSV rows into incidents and milestone times, refusing what it cannot use by reason."""

    def __init__(self, mapping: Mapping, grid_at: Callable[[float, float], str | None]):
        self.m = mapping
        self.grid_at = grid_at
        self.parse_time = _time_parser(mapping)
        self.nulls = {"", *mapping.get("source", "null_values", [])}
        self.bounds = mapping.get("position", "bounds")
        self.kinds = mapping.get("incident", "kinds", {})
        self.priorities = {str(k): v for k, v in mapping.get("incident", "priorities", {}).items()}

    def value(self, row: dict, section: str, key: str) -> str | None:
        column = self.m.get(section, key)
        if column is None:
            return None
        text = (row.get(column) or "").strip()
        return None if text in self.nulls else text

    def times(self, row: dict) -> dict[str, int | None]:
        out = {}
        for milestone in MILESTONES:
            text = self.value(row, "times", milestone)
            if text is None:
                if milestone == "received":
                    raise _Refused("no_received_time")
                out[milestone] = None
                continue
            try:
                out[milestone] = self.parse_time(text)
            except (ValueError, OverflowError, OSError):
                raise _Refused(f"bad_time_{milestone}") from None
        present = [out[m] for m in MILESTONES if out[m] is not None]
        if present != sorted(present):
            raise _Refused("times_out_of_order")
        return out

    def incident(self, row: dict) -> dict:
        raw_id = self.value(row, "incident", "id")
        if raw_id is None:
            raise _Refused("no_incident_id")
        incident_id = self.m.get("incident", "id_prefix", "") + raw_id
        if not _ID_PATTERN.fullmatch(incident_id):
            raise _Refused("bad_incident_id")
        raw_kind = self.value(row, "incident", "kind")
        if raw_kind is None:
            raise _Refused("no_kind")
        kind = self.kinds.get(raw_kind)
        if kind is None:
            if self.m.get("incident", "unmapped_kind", "keep") == "refuse":
                raise _Refused("unknown_kind")
            kind = raw_kind[:64]
        raw_priority = self.value(row, "incident", "priority")
        if raw_priority is None:
            priority = self.m.get("incident", "default_priority")
            if priority is None:
                raise _Refused("no_priority")
        else:
            priority = self.priorities.get(raw_priority, self.m.get("incident", "default_priority"))
            if priority is None:
                raise _Refused("unknown_priority")
        lon, lat = self.position(row)
        address = self.value(row, "incident", "address")
        note = self.value(row, "incident", "note")
        return {"incident_id": incident_id, "kind": kind, "priority": priority, "lon": lon, "lat": lat,
                "address": address[:200] if address else None, "note": note[:2000] if note else None,
                "status": "new", "grid_id": self.grid_at(lon, lat), "units": [],
                "caller_name": None, "callback": None, "source": None}

    def position(self, row: dict) -> tuple[float, float]:
        x, y = self.value(row, "position", "x"), self.value(row, "position", "y")
        if x is None or y is None:
            raise _Refused("no_position")
        try:
            lon, lat = self.m.to_lonlat(float(x), float(y))
        except ValueError:
            raise _Refused("bad_position") from None
        if not (math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90):
            raise _Refused("bad_position")
        if self.bounds and not (self.bounds[0] <= lon <= self.bounds[2] and self.bounds[1] <= lat <= self.bounds[3]):
            raise _Refused("outside_bounds")
        return round(lon, 7), round(lat, 7)

    def unit(self, row: dict) -> tuple[str, str, str | None] | None:
        raw_id = self.value(row, "unit", "id")
        if raw_id is None:
            return None
        unit_id = self.m.get("unit", "id_prefix", "") + raw_id
        if not _ID_PATTERN.fullmatch(unit_id):
            raise _Refused("bad_unit_id")
        kind = self.value(row, "unit", "kind") or self.m.get("unit", "kind_value") or "unit"
        return unit_id, kind.lower(), self.value(row, "unit", "callsign")


def plan_events(mapping: Mapping, csv_path: str | Path,
                grid_at: Callable[[float, float], str | None] = lambda lon, lat: None,
                progress: Callable[[str], None] = lambda line: None) -> tuple[list[tuple[int, str, dict]], ImportResult]:
    """The import's events as (epoch ms, type, data), in the order to write them, and its counts (the
    namespace not yet named)."""
    csv_path = Path(csv_path)
    result = ImportResult("")
    rows = _Rows(mapping, grid_at)
    # (ms, rank, row number, type, data, the incident of the row)
    planned: list[tuple[int, int, int, str, dict, str | None]] = []
    incidents: dict[str, dict] = {}  # incident id -> its received time, close time, units, last row, disposition
    first_seen: dict[str, tuple[int, int, str, str | None]] = {}  # unit -> (ms, row, kind, callsign)
    try:
        with open(csv_path, newline="", encoding=mapping.get("source", "encoding", "utf-8-sig")) as handle:
            reader = csv.reader(handle, delimiter=mapping.get("source", "delimiter", ","), strict=True)
            try:
                header = next(reader)
            except StopIteration:
                raise MappingError(f"{csv_path} line 1: the file is empty (no header)") from None
            _resolve_columns(mapping, header, csv_path)
            checked_format = False
            for number, fields in enumerate(reader):
                line = reader.line_num
                result.rows_read += 1
                if number % 20_000 == 0 and number:
                    progress(f"{number:,} rows read")
                try:
                    if len(fields) != len(header):
                        raise _Refused("wrong_field_count")
                    row = dict(zip(header, fields))
                    try:
                        times = rows.times(row)
                    except _Refused as refused:
                        if refused.reason.startswith("bad_time") and not checked_format:
                            text = rows.value(row, "times", refused.reason.removeprefix("bad_time_"))
                            raise MappingError(
                                f"{csv_path} line {line}: {text!r} does not match times.format "
                                f"{mapping.get('times', 'format')!r} ({mapping.where('times', 'format')})") from None
                        raise
                    checked_format = True
                    incident = rows.incident(row)
                    unit = rows.unit(row)
                except _Refused as refused:
                    result.refused[refused.reason] += 1
                    result.first_line.setdefault(refused.reason, line)
                    continue
                call = incidents.get(incident["incident_id"])
                if call is None:
                    call = incidents[incident["incident_id"]] = {
                        "received": times["received"], "close": None, "units": set(), "last_row": number,
                        "disposition": rows.value(row, "incident", "disposition")}
                    planned.append((times["received"], _RANK["incident.created"], number, "incident.created", incident,
                                    incident["incident_id"]))
                # A later row of a call: the call was created by its first row, so nothing may come before that.
                reason = ("received_before_its_call" if times["received"] < call["received"]
                          else "unit_twice_on_call" if unit is not None and unit[0] in call["units"] else None)
                if reason is not None:
                    result.refused[reason] += 1
                    result.first_line.setdefault(reason, line)
                    continue
                for milestone in MILESTONES[1:]:
                    if times[milestone] is None and mapping.get("times", milestone) is not None:
                        result.missing[milestone] += 1  # a milestone the export does not have is not "missing"
                call["last_row"] = number
                _plan_row(planned, incident["incident_id"], times, unit, number, first_seen, call)
    except (OSError, UnicodeDecodeError) as exc:
        raise MappingError(f"cannot read {csv_path}: {exc}") from exc
    except csv.Error as exc:
        raise MappingError(f"{csv_path} line {reader.line_num}: not readable as CSV: {exc}") from exc
    for incident_id, call in incidents.items():
        if call["close"] is not None:
            planned.append((call["close"], _RANK["incident.closed"], call["last_row"], "incident.closed",
                            {"incident_id": incident_id, "disposition": call.get("disposition") or "CLOSED",
                             "disposition_note": None}, incident_id))
    for unit_id, (ms, number, kind, callsign) in first_seen.items():
        planned.append((ms, _RANK["unit.registered"], number, "unit.registered",
                        {"unit_id": unit_id, "kind": kind, "callsign": callsign}, None))
    # At one instant, row by row, each row's events in the order they happen: with dates only (Sacramento)
    # a day is a sequence of whole calls, not every call created before any is dispatched.
    planned.sort(key=lambda event: (event[0], event[2], event[1]))
    events = _untangle(planned, result)
    result.incidents, result.units = len(incidents), len(first_seen)
    return events, result


def _plan_row(planned: list, incident_id: str, times: dict[str, int | None], unit: tuple | None, number: int,
              first_seen: dict, call: dict) -> None:
    """One row's milestones after `received`, by its unit or, without one, by the incident itself. A unit
    whose dispatch time is missing is assigned at its first later milestone: it worked the call."""
    if unit is not None:
        unit_id, kind, callsign = unit
        call["units"].add(unit_id)
        start = next((times[m] for m in MILESTONES[1:] if times[m] is not None), None)
        if start is None:
            return
        if unit_id not in first_seen or (start, number) < first_seen[unit_id][:2]:
            first_seen[unit_id] = (start, number, kind, callsign)
        planned.append((start, _RANK["unit.assigned"], number, "unit.assigned",
                        {"unit_id": unit_id, "incident_id": incident_id}, incident_id))
        for milestone, status in (("enroute", "enroute"), ("onscene", "onscene"), ("cleared", "available")):
            if times[milestone] is not None:
                planned.append((times[milestone], _RANK[status], number, "unit.status_changed",
                                {"unit_id": unit_id, "status": status,
                                 "incident_id": None if status == "available" else incident_id}, incident_id))
    else:
        for milestone in ("dispatched", "enroute", "onscene"):
            if times[milestone] is not None:
                planned.append((times[milestone], _RANK["incident.milestone"], number, "incident.milestone",
                                {"incident_id": incident_id, "milestone": milestone}, incident_id))
    if times["cleared"] is not None and (call["close"] is None or times["cleared"] > call["close"]):
        call["close"] = times["cleared"]


def _untangle(planned: list, result: ImportResult) -> list[tuple[int, str, dict]]:
    """The events in order, each unit on one call at a time, as the reducer expects: a unit sent to a new
    call while its earlier call had not cleared it is taken off the earlier one first (an `available` at
    that instant), and what its earlier call records of it afterwards is dropped (counted)."""
    on_call: dict[str, str | None] = {}  # unit -> the incident it is on
    out = []
    for ms, _, _, event_type, data, call in planned:
        unit_id = data.get("unit_id")
        if event_type == "unit.assigned":
            if on_call.get(unit_id) not in (None, call):
                result.taken_off_earlier_call += 1
                out.append((ms, "unit.status_changed",
                            {"unit_id": unit_id, "status": "available", "incident_id": None}))
            on_call[unit_id] = call
        elif event_type == "unit.status_changed":
            if on_call.get(unit_id) != call:
                result.superseded += 1
                continue
            if data["status"] == "available":
                on_call[unit_id] = None
        out.append((ms, event_type, data))
    return out


def import_cad(csv_path: str | Path, mapping_path: str | Path, db_path: str | Path, namespace: str,
               city: str | None = None, progress: Callable[[str], None] = lambda line: None) -> ImportResult:
    """Import the CSV into `namespace` (history:NAME) of the event log at `db_path` (created if absent).
    `city`: a city pack name or folder whose grid cells name the incidents' grid_id and whose state the
    namespace starts from; None: an empty state (the data's own units only)."""
    if not (valid_namespace(namespace) and is_history(namespace)):
        raise ValueError(f"namespace {namespace!r}: give {HISTORY_PREFIX}NAME "
                         "(NAME: 1-64 letters, digits, '-', '_' or '.')")
    mapping = load_mapping(mapping_path)
    initial: State = empty_state()
    grid_at: Callable[[float, float], str | None] = lambda lon, lat: None
    if city is not None:
        from dispatch.city_state import initial_state
        from layers.citypack import load_city

        pack = load_city(city)
        initial, grid_at = initial_state(pack), pack.grid_at
    store = EventStore(db_path)
    try:
        existing = store.last_seq(namespace)
        if existing or store.keyframe_seqs(namespace):
            raise ValueError(f"{namespace} in {db_path} already holds {existing:,} events: import under a new name "
                             "(an import never adds to or replaces what a namespace holds)")
        events, result = plan_events(mapping, csv_path, grid_at, progress)
        result.namespace = namespace
        _check_ids(events, initial)
        progress(f"writing {len(events):,} events")
        stored = [_stored(namespace, seq, ms, event_type, data) for seq, (ms, event_type, data) in enumerate(events, 1)]
        store.append(stored)  # one transaction: all of them or none
        result.events_written = len(stored)
        progress("writing keyframes")
        build_keyframes(store, namespace, initial)
    finally:
        store.close()
    return result


def _check_ids(events: list[tuple[int, str, dict]], initial: State) -> None:
    """A CAD unit or incident id equal to one of the city pack's would mix the two: refuse the import."""
    for _, event_type, data in events:
        if event_type == "unit.registered" and data["unit_id"] in initial["units"]:
            raise ValueError(f"the CAD's unit {data['unit_id']} has the id of a unit of the city pack: give the "
                             "mapping a unit.id_prefix")


def _stored(namespace: str, seq: int, ms: int, event_type: str, data: dict) -> StoredEvent:
    ts = rfc3339(ms / 1000)
    frame = orjson.dumps({"op": "event", "seq": seq, "ts": ts, "actor": ACTOR, "type": event_type, "data": data})
    return StoredEvent(namespace, seq, ts, ACTOR, event_type, frame)
