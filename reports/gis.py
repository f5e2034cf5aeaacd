"""write_gis: a span of one namespace's log as GIS data (GeoJSON, GeoPackage or KML) in WGS84 (EPSG:4326).

What it holds (docs/reports.md, "GIS export"): one track per unit, the line through its fixes in the span
in log order, with each fix's time; and the incidents of the span (created in it, or open at its start) as
points with their milestones. The span and its boundary rule are the after-action report's
(reports/export.py); positions are read with the events iterator, never all events at once, and kept as
compact arrays per unit (the lines need every vertex before they are written). The file is written beside
the target under a hidden name and renamed into place, so a failure leaves no file.
"""
from __future__ import annotations

import os
import tempfile
from array import array
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from dispatch.domain import EXERCISE_PREFIX, is_exercise
from dispatch.history import epoch, rfc3339
from reports.export import LogSource, Progress, check_span, open_log, read_span_start
from reports.figures import FIGURE_EVENT_TYPES, IncidentRecord, SpanFigures
from reports.times import ReportError, machine_zone

FORMATS = ("geojson", "gpkg", "kml")
KML_NS = "http://www.opengis.net/kml/2.2"
GX_NS = "http://www.google.com/kml/ext/2.2"
KML_NSMAP = {None: KML_NS, "gx": GX_NS}
TRACKS_LAYER, POSITIONS_LAYER, INCIDENTS_LAYER = "unit_tracks", "unit_positions", "incidents"
POSITIONS_BATCH = 200_000  # GeoPackage points written per append: bounds the memory of a big export
PROGRESS_EVERY = 50_000  # positions read between progress calls


@dataclass
class UnitTrack:
    """One unit's fixes in the span, in log order, as flat arrays (about 40 bytes a fix)."""
    unit_id: str
    kind: str | None
    callsign: str | None
    lons: array = field(default_factory=lambda: array("d"))
    lats: array = field(default_factory=lambda: array("d"))
    millis: array = field(default_factory=lambda: array("q"))  # the fix's own time (its ts, else the event's)
    headings: array = field(default_factory=lambda: array("d"))  # NaN where the fix had none
    speeds: array = field(default_factory=lambda: array("d"))

    def times(self) -> list[str]:
        return [rfc3339(ms / 1000) for ms in self.millis]


@dataclass(frozen=True)
class SpanData:
    namespace: str
    start_epoch: float
    end_epoch: float
    tracks: list[UnitTrack]  # by unit id
    incidents: list[IncidentRecord]  # open at the start first, then in order of creation

    @property
    def exercise(self) -> str | None:
        """The exercise's NAME, None for live."""
        return self.namespace.removeprefix(EXERCISE_PREFIX) if is_exercise(self.namespace) else None

    def marks(self) -> dict[str, str]:
        """The fields every row of an exercise's export carries, so a feature copied out still says so."""
        return {"namespace": self.namespace, "exercise": "EXERCISE"} if self.exercise else {}

    def lines(self) -> list[UnitTrack]:
        """The tracks of two fixes or more: a line needs two points (GIS readers refuse one of one)."""
        return [track for track in self.tracks if len(track.millis) >= 2]

    def title(self) -> str:
        span = f"{rfc3339(self.start_epoch)} to {rfc3339(self.end_epoch)}"
        prefix = f"EXERCISE {self.exercise} · " if self.exercise else ""
        return f"{prefix}OneMap {self.namespace} {span}"


def _nan(value) -> float:
    return float("nan") if value is None else float(value)


def read_tracks(source: LogSource, start_state: dict, first: int, last: int,
                progress: Callable[[float], None] = lambda done: None) -> list[UnitTrack]:
    units = start_state["units"]
    tracks: dict[str, UnitTrack] = {}
    read = 0
    for event in source.events(first, last, types=("unit.moved",)):
        data = event["data"]
        track = tracks.get(data["unit_id"])
        if track is None:
            unit = units.get(data["unit_id"], {})
            track = tracks[data["unit_id"]] = UnitTrack(data["unit_id"], unit.get("kind"), unit.get("callsign"))
        track.lons.append(data["lon"])
        track.lats.append(data["lat"])
        track.millis.append(round(epoch(data.get("ts") or event["ts"]) * 1000))
        track.headings.append(_nan(data.get("heading")))
        track.speeds.append(_nan(data.get("speed")))
        read += 1
        if read % PROGRESS_EVERY == 0 and last > first:
            progress((event["seq"] - first) / (last - first))
    return [tracks[unit_id] for unit_id in sorted(tracks)]


def read_span(source: LogSource, namespace: str, start_epoch: float, end_epoch: float,
              progress: Progress) -> SpanData:
    progress(0.0, "reading the state at the start")
    first, last, start_state = read_span_start(source, start_epoch, end_epoch, namespace)
    figures = SpanFigures(start_state)
    if last == first and not figures.open_at_start:
        raise ReportError(f"nothing happened in {namespace} from {rfc3339(start_epoch)} to {rfc3339(end_epoch)} "
                          "and no incident was open: no export")
    progress(0.05, "reading incidents")
    figures.feed(source.events(first, last, types=FIGURE_EVENT_TYPES))
    progress(0.1, "reading unit positions")
    tracks = read_tracks(source, start_state, first, last, lambda done: progress(0.1 + 0.7 * done,
                                                                                 "reading unit positions"))
    incidents = [*figures.open_at_start.values(), *figures.incidents.values()]
    return SpanData(namespace, start_epoch, end_epoch, tracks, incidents)


def write_gis(db_path: str | Path, namespace: str, start_epoch: float, end_epoch: float, fmt: str,
              out_file: str | Path, progress: Progress | None = None, *, city=None) -> Path:
    """Write [start_epoch, end_epoch) of a log file's `namespace` as `fmt` (one of FORMATS) into the new file
    `out_file`; return it. `city`: the layers.citypack.CityPack the server ran, only for a log that does not
    record the state its namespace started from. Bad input raises ReportError before anything is written."""
    from dispatch.city_state import initial_state

    if fmt not in FORMATS:
        raise ReportError(f"unknown format {fmt!r}: give one of {', '.join(FORMATS)}")
    check_span(start_epoch, end_epoch, machine_zone())
    out_file = Path(out_file)
    _check_target(out_file)
    report = progress or (lambda done, words: None)
    store, history, _ = open_log(Path(db_path), namespace, None if city is None else initial_state(city))
    try:
        span = read_span(history, namespace, start_epoch, end_epoch, report)
    finally:
        store.close()
    report(0.8, f"writing {fmt}")
    out_file.parent.mkdir(parents=True, exist_ok=True)
    descriptor, partial_name = tempfile.mkstemp(prefix=f".{out_file.name}.partial-", suffix=out_file.suffix,
                                                dir=out_file.parent)
    os.close(descriptor)
    partial = Path(partial_name)
    try:
        partial.unlink()  # GDAL creates its files itself (a GeoPackage refuses an existing empty one)
        WRITERS[fmt](span, partial)
        _check_target(out_file)  # it may have been made meanwhile: never replace someone's file
        os.replace(partial, out_file)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    report(1.0, "done")
    return out_file


def _check_target(out_file: Path) -> None:
    if out_file.exists():
        raise ReportError(f"{out_file} already exists: choose a new file")


# GeoJSON and GeoPackage, through geopandas and pyogrio.

def _utc(millis):
    import pandas as pd

    return pd.to_datetime(millis, unit="ms", utc=True)


def _track_frame(span: SpanData, with_times: bool):
    """One LineString per unit with two fixes or more (a line needs two points)."""
    import geopandas as gpd
    import numpy as np
    import shapely

    tracks = span.lines()
    columns = {"unit_id": [t.unit_id for t in tracks], "kind": [t.kind for t in tracks],
               "callsign": [t.callsign for t in tracks], "fixes": [len(t.millis) for t in tracks],
               "start": _utc([t.millis[0] for t in tracks]), "end": _utc([t.millis[-1] for t in tracks])}
    if with_times:
        columns["times"] = [t.times() for t in tracks]
    geometry = [shapely.linestrings(np.column_stack([np.frombuffer(t.lons), np.frombuffer(t.lats)])) for t in tracks]
    return gpd.GeoDataFrame({**columns, **_marked(span, len(tracks))}, geometry=geometry, crs="EPSG:4326")


def _marked(span: SpanData, rows: int) -> dict[str, list[str]]:
    return {name: [value] * rows for name, value in span.marks().items()}


def _times(records: list[IncidentRecord], milestone: str):
    return _utc([None if getattr(r, milestone) is None else round(epoch(getattr(r, milestone)) * 1000)
                 for r in records])


def _incident_frame(span: SpanData):
    import geopandas as gpd

    records = span.incidents
    columns = {"incident_id": [r.incident_id for r in records], "kind": [r.kind for r in records],
               "priority": [r.priority for r in records], "address": [r.address for r in records],
               "grid_id": [r.grid_id for r in records],
               **{name: _times(records, milestone) for name, milestone in INCIDENT_TIMES},
               "units": [" ".join(r.units) for r in records],
               "closed_reason": [r.disposition for r in records],
               "closed_note": [r.disposition_note for r in records],
               "open_at_start": [r.open_at_start for r in records]}
    return gpd.GeoDataFrame({**columns, **_marked(span, len(records))},
                            geometry=gpd.points_from_xy([r.lon for r in records], [r.lat for r in records]),
                            crs="EPSG:4326")


# Field name, IncidentRecord milestone: the times of an incident's life, as known at the span's end.
INCIDENT_TIMES = (("created", "created"), ("dispatched", "first_dispatched"), ("enroute", "first_enroute"),
                  ("onscene", "first_onscene"), ("closed", "closed"))


def _write_geojson(span: SpanData, path: Path) -> None:
    """One FeatureCollection: the tracks (feature "unit_track", with a `times` array per vertex) and the
    incidents (feature "incident")."""
    import pandas as pd

    tracks = _track_frame(span, with_times=True)
    tracks.insert(0, "feature", "unit_track")
    incidents = _incident_frame(span)
    incidents.insert(0, "feature", "incident")
    both = pd.concat([tracks, incidents], ignore_index=True)
    # Each row has every field (null where the other kind of feature has it): keep the whole numbers whole.
    for name, dtype in (("fixes", "Int64"), ("priority", "Int64"), ("open_at_start", "boolean")):
        both[name] = both[name].astype(dtype)
    both.to_file(path, driver="GeoJSON", engine="pyogrio", layer=span.title(), geometry_type="Unknown",
                 DESCRIPTION=span.title())


def _positions_batches(span: SpanData) -> Iterator:
    import geopandas as gpd
    import numpy as np

    def frame(parts: list[tuple[UnitTrack, int, int]]):
        unit_ids, kinds = [], []
        lons, lats, millis, headings, speeds = (array("d"), array("d"), array("q"), array("d"), array("d"))
        for track, begin, end in parts:
            unit_ids += [track.unit_id] * (end - begin)
            kinds += [track.kind] * (end - begin)
            lons.extend(track.lons[begin:end])
            lats.extend(track.lats[begin:end])
            millis.extend(track.millis[begin:end])
            headings.extend(track.headings[begin:end])
            speeds.extend(track.speeds[begin:end])
        return gpd.GeoDataFrame({"unit_id": unit_ids, "kind": kinds, "time": _utc(np.frombuffer(millis, "int64")),
                                 "heading": np.frombuffer(headings), "speed": np.frombuffer(speeds),
                                 **_marked(span, len(unit_ids))},
                                geometry=gpd.points_from_xy(np.frombuffer(lons), np.frombuffer(lats)),
                                crs="EPSG:4326")

    parts, rows = [], 0
    for track in span.tracks:
        begin = 0
        while begin < len(track.millis):
            end = min(len(track.millis), begin + POSITIONS_BATCH - rows)
            parts.append((track, begin, end))
            rows += end - begin
            begin = end
            if rows == POSITIONS_BATCH:
                yield frame(parts)
                parts, rows = [], 0
    if parts or not span.tracks:
        yield frame(parts)


def _write_gpkg(span: SpanData, path: Path) -> None:
    """Three layers: unit_tracks (lines), unit_positions (every fix, with its time) and incidents."""
    description = {"DESCRIPTION": f"EXERCISE {span.exercise}: not live operations"} if span.exercise else {}
    _track_frame(span, with_times=False).to_file(path, layer=TRACKS_LAYER, driver="GPKG", engine="pyogrio",
                                                 geometry_type="LineString", **description)
    for index, batch in enumerate(_positions_batches(span)):
        batch.to_file(path, layer=POSITIONS_LAYER, driver="GPKG", engine="pyogrio", append=index > 0,
                      geometry_type="Point", **({} if index else description))
    _incident_frame(span).to_file(path, layer=INCIDENTS_LAYER, driver="GPKG", engine="pyogrio",
                                  geometry_type="Point", **description)


# KML, streamed with lxml: a gx:Track per unit (its <when>s play on Google Earth's time slider) and a
# Placemark per incident with a TimeSpan from its call to its close. Elements go in the order the OGC KML
# 2.2 schema gives (name, address, description, TimeSpan, ExtendedData, then the geometry).

def _kml_time(ms: int) -> str:
    return rfc3339(ms / 1000)


def _data(parent, values: dict) -> None:
    from lxml import etree

    extended = etree.SubElement(parent, f"{{{KML_NS}}}ExtendedData")
    for name, value in values.items():
        if value is None:
            continue
        data = etree.SubElement(extended, f"{{{KML_NS}}}Data", name=name)
        etree.SubElement(data, f"{{{KML_NS}}}value").text = str(value)


def _leaf(tag: str, text: str):
    from lxml import etree

    element = etree.Element(tag, nsmap=KML_NSMAP)
    element.text = text
    return element


def _text(parent, tag: str, text: str) -> None:
    parent.append(_leaf(tag, text))


def _track_placemark(span: SpanData, track: UnitTrack):
    from lxml import etree

    k = f"{{{KML_NS}}}"
    placemark = etree.Element(f"{k}Placemark", id=f"unit-{track.unit_id}", nsmap=KML_NSMAP)
    _text(placemark, f"{k}name", track.callsign or track.unit_id)
    _text(placemark, f"{k}styleUrl", "#unit-track")
    _data(placemark, {"unit_id": track.unit_id, "kind": track.kind, "fixes": len(track.millis),
                      "start": _kml_time(track.millis[0]), "end": _kml_time(track.millis[-1]), **span.marks()})
    gx_track = etree.SubElement(placemark, f"{{{GX_NS}}}Track")
    for ms in track.millis:
        _text(gx_track, f"{k}when", _kml_time(ms))
    for lon, lat in zip(track.lons, track.lats):
        _text(gx_track, f"{{{GX_NS}}}coord", f"{lon!r} {lat!r} 0")
    return placemark


def _incident_placemark(span: SpanData, record: IncidentRecord):
    from lxml import etree

    k = f"{{{KML_NS}}}"
    placemark = etree.Element(f"{k}Placemark", id=f"incident-{record.incident_id}", nsmap=KML_NSMAP)
    _text(placemark, f"{k}name", f"{record.incident_id} {record.kind} P{record.priority}")
    if record.address:
        _text(placemark, f"{k}address", record.address)
    times = {name: getattr(record, milestone) for name, milestone in INCIDENT_TIMES}
    _text(placemark, f"{k}description", "; ".join(f"{name} {value}" for name, value in times.items() if value))
    span_element = etree.SubElement(placemark, f"{k}TimeSpan")
    _text(span_element, f"{k}begin", record.created)
    if record.closed:  # open at the span's end: no end, shown from its call on
        _text(span_element, f"{k}end", record.closed)
    _text(placemark, f"{k}styleUrl", "#incident")
    _data(placemark, {"incident_id": record.incident_id, "kind": record.kind, "priority": record.priority,
                      "address": record.address, "grid_id": record.grid_id, **times,
                      "units": " ".join(record.units), "closed_reason": record.disposition,
                      "closed_note": record.disposition_note, "open_at_start": str(record.open_at_start).lower(),
                      **span.marks()})
    point = etree.SubElement(placemark, f"{k}Point")
    _text(point, f"{k}coordinates", f"{record.lon!r},{record.lat!r}")
    return placemark


def _styles(document) -> None:
    from lxml import etree

    k = f"{{{KML_NS}}}"
    track = etree.SubElement(document, f"{k}Style", id="unit-track")
    line = etree.SubElement(track, f"{k}LineStyle")
    _text(line, f"{k}color", "ffff8800")  # aabbggrr: blue
    _text(line, f"{k}width", "3")
    incident = etree.SubElement(document, f"{k}Style", id="incident")
    icon = etree.SubElement(incident, f"{k}IconStyle")
    _text(icon, f"{k}color", "ff0000ff")  # red


def _write_kml(span: SpanData, path: Path) -> None:
    from lxml import etree

    k = f"{{{KML_NS}}}"
    with etree.xmlfile(str(path), encoding="utf-8") as xml:
        xml.write_declaration()
        with xml.element(f"{k}kml", nsmap=KML_NSMAP):
            with xml.element(f"{k}Document"):
                head = etree.Element(f"{k}Document", nsmap=KML_NSMAP)
                _text(head, f"{k}name", span.title())
                if span.exercise:
                    _text(head, f"{k}description", f"EXERCISE {span.exercise}: not live operations")
                _styles(head)
                for element in head:
                    xml.write(element)
                # A Folder per layer, streamed: a Placemark is built, written and dropped.
                with xml.element(f"{k}Folder"):
                    xml.write(_leaf(f"{k}name", "Unit tracks"))
                    for track in span.lines():
                        xml.write(_track_placemark(span, track))
                with xml.element(f"{k}Folder"):
                    xml.write(_leaf(f"{k}name", "Incidents"))
                    for record in span.incidents:
                        xml.write(_incident_placemark(span, record))


WRITERS = {"geojson": _write_geojson, "gpkg": _write_gpkg, "kml": _write_kml}
