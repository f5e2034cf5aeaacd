"""report.html: one self-contained page (Leaflet and leaflet.heat inlined from resources/vendor, charts as
inline SVG, data as inline JSON), so it opens from a USB stick on a machine with no network.

The map has no tiles (a base map needs a tile server): the city's grid cells give it its shape. Local times
are formatted here, in Python, in the report's zone, so the page shows the same times in any browser.
"""
from __future__ import annotations

import html
import json
import math
from datetime import datetime, tzinfo
from pathlib import Path

from dispatch.domain import EXERCISE_PREFIX, is_exercise
from dispatch.history import epoch
from reports.figures import INTERVALS, IncidentRecord, hour_starts, interval_stats, per_hour
from reports.times import local_label
from reports.tracks import Tracks

VENDOR = Path(__file__).resolve().parent.parent / "resources" / "vendor"
LEAFLET_JS = VENDOR / "leaflet-1.9.4" / "leaflet.js"
LEAFLET_CSS = VENDOR / "leaflet-1.9.4" / "leaflet.css"
HEAT_JS = VENDOR / "leaflet.heat-0.2.0" / "leaflet-heat.js"

INTERVAL_TITLES = {
    "call_to_dispatch_s": "Call to dispatch",
    "dispatch_to_onscene_s": "Dispatch to on scene",
    "call_to_onscene_s": "Call to on scene",
    "call_to_close_s": "Call to close",
}
TRAIL_S = 1800  # a unit's line on the map: where it went in the half hour up to the slider's time
PRIORITY_COLOURS = {1: "#d7191c", 2: "#f07c2a", 3: "#e6c619", 4: "#4a9fd6", 5: "#7b8a99"}


def duration_text(seconds: float | None) -> str:
    if seconds is None:
        return ""
    if 0 < seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 60:
        return f"{seconds:.1f} s"
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    return (f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}")


def _local(ts: str | None, zone: tzinfo) -> str:
    return "" if ts is None else datetime.fromtimestamp(epoch(ts), zone).strftime("%Y-%m-%d %H:%M:%S")


def _nice_ceiling(value: float) -> float:
    """The axis end: 1, 2 or 5 times a power of ten at or above `value`."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for factor in (1, 2, 5, 10):
        if value <= factor * power:
            return factor * power
    return 10 * power


def response_time_svg(records: list[IncidentRecord]) -> str:
    """Each interval a row: one dot per incident where it happened, with its p50 and p90 marked."""
    width, left, right, row = 760, 170, 20, 46
    rows = [(name, [ms / 1000 for ms in (r.interval_ms(name) for r in records) if ms is not None])
            for name, _, _ in INTERVALS]
    top_value = _nice_ceiling(max((max(values) for _, values in rows if values), default=1.0))
    height = 30 + row * len(rows) + 30
    x = lambda s: left + (width - left - right) * s / top_value  # noqa: E731 (a scale, read as one)
    parts = [f'<svg class="chart" id="response-times" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img" aria-label="Response time distribution">']
    for k in range(6):
        value = top_value * k / 5
        parts.append(f'<line x1="{x(value):.1f}" y1="20" x2="{x(value):.1f}" y2="{height - 28}" class="grid"/>'
                     f'<text x="{x(value):.1f}" y="{height - 10}" class="tick" text-anchor="middle">'
                     f'{html.escape(duration_text(value) if value else "0")}</text>')
    for index, (name, values) in enumerate(rows):
        y = 30 + row * index + row / 2
        stats = interval_stats(records, name)
        parts.append(f'<text x="{left - 10}" y="{y + 4:.1f}" class="label" text-anchor="end">'
                     f'{INTERVAL_TITLES[name]} (n={stats.count})</text>')
        parts += [f'<circle cx="{x(v):.1f}" cy="{y:.1f}" r="5" class="dot"><title>{duration_text(v)}</title></circle>'
                  for v in values]
        for mark, value in (("p50", stats.p50_s), ("p90", stats.p90_s)):
            if value is not None:
                parts.append(f'<line x1="{x(value):.1f}" y1="{y - 14:.1f}" x2="{x(value):.1f}" y2="{y + 14:.1f}" '
                             f'class="{mark}"><title>{mark} {duration_text(value)}</title></line>')
    parts.append(f'<text x="{width - right}" y="14" class="tick" text-anchor="end">'
                 '<tspan class="p50-key">| p50</tspan>  <tspan class="p90-key">| p90</tspan></text></svg>')
    return "".join(parts)


def per_hour_svg(records: list[IncidentRecord], start_epoch: float, end_epoch: float, zone: tzinfo) -> str:
    hours = hour_starts(start_epoch, end_epoch, zone)
    counts = per_hour(records, hours)
    width, left, bottom, top, height = 760, 40, 34, 16, 220
    top_count = max(1, max(counts, default=0))
    top_count = int(_nice_ceiling(top_count)) if top_count > 5 else top_count
    slot = (width - left - 10) / max(1, len(hours))
    y = lambda n: height - bottom - (height - bottom - top) * n / top_count  # noqa: E731
    parts = [f'<svg class="chart" id="per-hour" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
             'role="img" aria-label="Incidents per hour">']
    for k in sorted({0, top_count // 2, top_count}):
        parts.append(f'<line x1="{left}" y1="{y(k):.1f}" x2="{width - 10}" y2="{y(k):.1f}" class="grid"/>'
                     f'<text x="{left - 6}" y="{y(k) + 4:.1f}" class="tick" text-anchor="end">{k}</text>')
    label_every = max(1, math.ceil(len(hours) / 24))
    for index, (hour, count) in enumerate(zip(hours, counts)):
        bar_x = left + slot * index + slot * 0.15
        label = datetime.fromtimestamp(hour, zone).strftime("%H:%M")
        parts.append(f'<rect x="{bar_x:.1f}" y="{y(count):.1f}" width="{slot * 0.7:.1f}" '
                     f'height="{y(0) - y(count):.1f}" class="bar"><title>{label}: {count}</title></rect>')
        if index % label_every == 0:
            parts.append(f'<text x="{bar_x + slot * 0.35:.1f}" y="{height - bottom + 16}" class="tick" '
                         f'text-anchor="middle">{label}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _interval_table(records: list[IncidentRecord], by: str, key) -> str:
    groups: dict[object, list[IncidentRecord]] = {}
    for record in records:
        groups.setdefault(key(record), []).append(record)
    head = ("<tr><th rowspan=2>" + html.escape(by) + "</th>"
            + "".join(f"<th colspan=3>{INTERVAL_TITLES[name]}</th>" for name, _, _ in INTERVALS) + "</tr><tr>"
            + "<th>n</th><th>p50</th><th>p90</th>" * len(INTERVALS) + "</tr>")
    body = []
    for group in sorted(groups, key=str) + ["all"]:
        members = records if group == "all" else groups[group]
        cells = []
        for name, _, _ in INTERVALS:
            stats = interval_stats(members, name)
            cells.append(f"<td>{stats.count}</td><td>{duration_text(stats.p50_s)}</td>"
                         f"<td>{duration_text(stats.p90_s)}</td>")
        label = "all" if group == "all" else (str(group) or "(none)")
        body.append(f"<tr{' class=total' if group == 'all' else ''}><th>{html.escape(label)}</th>{''.join(cells)}</tr>")
    return f"<table class=intervals>{head}{''.join(body)}</table>"


def _incident_table(records: list[IncidentRecord], zone: tzinfo, callsigns: dict[str, str]) -> str:
    head = ("<tr><th>Incident</th><th>Kind</th><th>P</th><th>Grid</th><th>Created</th><th>Dispatched</th>"
            "<th>En route</th><th>On scene</th><th>Closed</th>"
            + "".join(f"<th>{INTERVAL_TITLES[name]}</th>" for name, _, _ in INTERVALS) + "<th>Units</th></tr>")
    rows = []
    for r in records:
        times = "".join(f"<td>{_local(getattr(r, m), zone)}</td>" for m in
                        ("created", "first_dispatched", "first_enroute", "first_onscene", "closed"))
        intervals = "".join(
            f"<td class=num>{duration_text(None if (ms := r.interval_ms(name)) is None else ms / 1000)}</td>"
            for name, _, _ in INTERVALS)
        units = " ".join(callsigns.get(u, u) for u in r.units)
        rows.append(f"<tr><td>{html.escape(r.incident_id)}</td><td>{html.escape(r.kind)}</td><td>{r.priority}</td>"
                    f"<td>{html.escape(r.grid_id or '')}</td>{times}{intervals}<td>{html.escape(units)}</td></tr>")
    return f"<table class=incidents id=incident-table>{head}{''.join(rows)}</table>"


def _map_data(records: list[IncidentRecord], open_at_start: list[IncidentRecord], tracks: Tracks,
              callsigns: dict[str, str], grids: list[tuple[str, list[list[float]]]],
              start_epoch: float, end_epoch: float, zone: tzinfo) -> dict:
    offset = lambda ts: None if ts is None else round(epoch(ts) - start_epoch, 3)  # noqa: E731
    incidents = [[r.incident_id, r.kind, r.priority, round(r.lat, 6), round(r.lon, 6),
                  0 if r.open_at_start else offset(r.created), offset(r.closed), r.open_at_start]
                 for r in list(open_at_start) + list(records)]
    units = [[unit_id, callsigns.get(unit_id, unit_id),
              [[round(t - start_epoch, 1), round(lat, 5), round(lon, 5)] for t, lon, lat in points]]
             for unit_id, points in sorted(tracks.points.items())]
    stops = [min(start_epoch + k * tracks.step_s, end_epoch) for k in range(tracks.steps + 1)]
    lats = [i[3] for i in incidents] + [p[1] for u in units for p in u[2]] + [c[0] for _, ring in grids for c in ring]
    lons = [i[4] for i in incidents] + [p[2] for u in units for p in u[2]] + [c[1] for _, ring in grids for c in ring]
    bounds = [[min(lats), min(lons)], [max(lats), max(lons)]] if lats else [[-60, -170], [70, 170]]
    return {"step": tracks.step_s, "trail": TRAIL_S, "span": round(end_epoch - start_epoch, 3),
            "stops": [round(s - start_epoch, 3) for s in stops], "labels": [local_label(s, zone) for s in stops],
            "incidents": incidents, "units": units, "grids": [[name, ring] for name, ring in grids],
            "bounds": bounds, "colours": PRIORITY_COLOURS}


_STYLE = """
body { font: 14px/1.4 "Noto Sans", "Noto Sans CJK SC", sans-serif; margin: 16px 24px; color: #1d2733; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 22px 0 8px; }
.span { color: #45525f; margin-bottom: 10px; }
.cards { display: flex; gap: 12px; margin: 10px 0; } .card { background: #eef2f6; padding: 8px 14px; border-radius: 6px; }
.card b { font-size: 20px; display: block; }
#map { height: 560px; border: 1px solid #b8c2cc; background: #f6f7f5; }
.slider { display: flex; gap: 12px; align-items: center; margin: 8px 0; }
.slider input[type=range] { flex: 1; } #slider-time { font: 600 16px monospace; min-width: 250px; }
table { border-collapse: collapse; margin: 6px 0 14px; } th, td { border: 1px solid #c9d1d9; padding: 3px 7px; }
th { background: #eef2f6; } td.num { text-align: right; } tr.total th, tr.total td { font-weight: 600; }
table.incidents { font-size: 12px; } table.incidents td { white-space: nowrap; }
.leaflet-tooltip.grid-label { background: none; border: none; box-shadow: none; color: #6b7885; font-size: 11px; }
.leaflet-tooltip.grid-label::before { display: none; }
svg.chart text { font-size: 12px; fill: #33414e; } .grid { stroke: #dde3e8; } .tick { fill: #5a6875; }
.dot { fill: #2f6fae; fill-opacity: .45; } .p50 { stroke: #102a43; stroke-width: 3; }
.p90 { stroke: #d7191c; stroke-width: 3; } .p50-key { fill: #102a43; font-weight: 700; }
.p90-key { fill: #d7191c; font-weight: 700; } .bar { fill: #2f6fae; }
/* an exercise's banner: the exercise console's purple (console/exercise.py) */
.exercise { background: #7e22ce; color: #fff; font-weight: 700; padding: 6px 12px; margin: 0 0 10px; letter-spacing: .08em; }
.legend span { display: inline-block; margin-right: 12px; }
.legend i { display: inline-block; width: 12px; height: 12px; border-radius: 6px; margin-right: 4px; vertical-align: -1px; }
"""

_SCRIPT = """
(function () {
  const D = JSON.parse(document.getElementById('report-data').textContent);
  const map = L.map('map', {preferCanvas: true, zoomSnap: 0.25});
  map.attributionControl.setPrefix(false);
  map.fitBounds(D.bounds, {padding: [24, 24]});
  for (const [name, ring] of D.grids) {
    L.polygon(ring, {color: '#8795a1', weight: 1, fill: false, interactive: false}).addTo(map);
    L.tooltip({permanent: true, direction: 'center', className: 'grid-label', opacity: 0.6})
      .setContent(name).setLatLng(L.polygon(ring).getBounds().getCenter()).addTo(map);
  }
  const heat = L.heatLayer([], {radius: 28, blur: 20, minOpacity: 0.3, maxZoom: 16}).addTo(map);
  const incidents = D.incidents.map(([id, kind, priority, lat, lon, created, closed, carried]) => {
    const marker = L.circleMarker([lat, lon], {radius: 8, weight: 2, color: D.colours[priority] || '#555',
                                               fillColor: D.colours[priority] || '#555'});
    marker.bindTooltip(id + ' · ' + kind + ' · P' + priority + (carried ? ' · open at the start' : ''));
    return {marker, lat, lon, created, closed, carried};
  });
  const palette = ['#1b6ca8', '#2a9d8f', '#6a4c93', '#386641', '#8d5a97', '#3d5a80', '#7f5539', '#457b9d'];
  const units = D.units.map(([id, callsign, points], index) => {
    const colour = palette[index % palette.length];
    const line = L.polyline([], {color: colour, weight: 2, opacity: 0.7}).addTo(map);
    const dot = L.circleMarker([points[0][1], points[0][2]], {radius: 4, weight: 1, color: '#fff',
                                                              fillColor: colour, fillOpacity: 1}).addTo(map);
    dot.bindTooltip(callsign);
    return {points, line, dot};
  });
  function lastAtOrBefore(points, t) {
    let low = 0, high = points.length - 1;
    while (low < high) { const mid = (low + high + 1) >> 1; if (points[mid][0] <= t) low = mid; else high = mid - 1; }
    return low;
  }
  const slider = document.getElementById('slider');
  const label = document.getElementById('slider-time');
  function show(stop) {
    const t = D.stops[stop];
    label.textContent = D.labels[stop];
    const hot = [];
    for (const i of incidents) {
      const visible = i.carried || i.created <= t;
      if (visible && !map.hasLayer(i.marker)) i.marker.addTo(map);
      if (!visible && map.hasLayer(i.marker)) i.marker.remove();
      const closed = i.closed !== null && i.closed <= t;
      i.marker.setStyle({fillOpacity: closed ? 0.1 : 0.85, dashArray: closed ? '3 3' : null});
      if (visible && !i.carried) hot.push([i.lat, i.lon]);
    }
    heat.setLatLngs(hot);
    for (const u of units) {
      const last = lastAtOrBefore(u.points, t);
      const first = u.points[0][0] > t - D.trail ? 0 : lastAtOrBefore(u.points, t - D.trail) + 1;
      u.line.setLatLngs(u.points.slice(Math.min(first, last), last + 1).map(p => [p[1], p[2]]));
      u.dot.setLatLng([u.points[last][1], u.points[last][2]]);
    }
  }
  slider.max = D.stops.length - 1;
  slider.value = slider.max;
  slider.addEventListener('input', () => show(+slider.value));
  let timer = null;
  const play = document.getElementById('play');
  play.addEventListener('click', () => {
    if (timer) { clearInterval(timer); timer = null; play.textContent = '▶'; return; }
    if (+slider.value >= +slider.max) slider.value = 0;
    play.textContent = '❚❚';
    timer = setInterval(() => {
      if (+slider.value >= +slider.max) { clearInterval(timer); timer = null; play.textContent = '▶'; return; }
      slider.value = +slider.value + 1; show(+slider.value);
    }, 100);
  });
  show(+slider.value);
  document.body.dataset.ready = 'yes';
})();
"""


def _inline_json(data: dict) -> str:
    """JSON that cannot end its <script> element early."""
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False).replace("</", "<\\/")


def render_page(*, namespace: str, start_epoch: float, end_epoch: float, zone: tzinfo,
                records: list[IncidentRecord], open_at_start: list[IncidentRecord], tracks: Tracks,
                callsigns: dict[str, str], grids: list[tuple[str, list[list[float]]]], bookmarks: list[dict],
                generated_epoch: float) -> str:
    zone_name = getattr(zone, "key", None) or str(zone)
    closed = sum(1 for r in records if r.closed is not None)
    data = _map_data(records, open_at_start, tracks, callsigns, grids, start_epoch, end_epoch, zone)
    legend = "".join(f'<span><i style="background:{colour}"></i>P{p}</span>' for p, colour in PRIORITY_COLOURS.items())
    bookmark_items = "".join(
        f"<li>{html.escape(_local(b['at'], zone))}: {html.escape(b['note'])} ({html.escape(b['actor'])})</li>"
        for b in bookmarks)
    bookmark_block = f"<h2>Bookmarks</h2><ul id=bookmarks>{bookmark_items}</ul>" if bookmarks else ""
    # An exercise's page says so before anything else, in its title too (a tab, a printout, a file list).
    exercise = html.escape(namespace.removeprefix(EXERCISE_PREFIX)) if is_exercise(namespace) else None
    title_prefix = f"EXERCISE {exercise} · " if exercise else ""
    banner = (f'<div class="exercise" id="exercise-banner">EXERCISE · '
              f'{exercise} · not live operations</div>' if exercise else "")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<title>{title_prefix}After-action report {html.escape(namespace)} {html.escape(local_label(start_epoch, zone))}</title>
<style>{LEAFLET_CSS.read_text(encoding="utf-8")}</style><style>{_STYLE}</style>
<script>{LEAFLET_JS.read_text(encoding="utf-8")}</script><script>{HEAT_JS.read_text(encoding="utf-8")}</script>
</head><body>
{banner}<h1>{title_prefix}After-action report · {html.escape(namespace)}</h1>
<div class="span">From <b>{html.escape(local_label(start_epoch, zone))}</b> to <b>{html.escape(local_label(end_epoch, zone))}</b>
· times in {html.escape(zone_name)} · made {html.escape(local_label(generated_epoch, zone))}</div>
<div class="cards"><div class="card"><b id="count-created">{len(records)}</b>incidents created</div>
<div class="card"><b id="count-closed">{closed}</b>of them closed in the span</div>
<div class="card"><b id="count-open-at-start">{len(open_at_start)}</b>open at the start</div>
<div class="card"><b>{len(tracks.points)}</b>units</div></div>
<h2>Map</h2>
<div class="legend">{legend}<span>ring, dashed: closed</span><span>dots: units; lines: their last 30 min up to the slider's time</span></div>
<div id="map"></div>
<div class="slider"><button id="play" type="button">▶</button><input id="slider" type="range" min="0" step="1">
<span id="slider-time"></span></div>
<h2>Intervals by priority</h2>{_interval_table(records, "Priority", lambda r: r.priority)}
<h2>Intervals by grid cell</h2>{_interval_table(records, "Grid", lambda r: r.grid_id or "")}
<h2>Response time distribution</h2>{response_time_svg(records)}
<h2>Incidents per hour</h2>{per_hour_svg(records, start_epoch, end_epoch, zone)}
{bookmark_block}
<h2>Incidents</h2>{_incident_table(records, zone, callsigns)}
<script type="application/json" id="report-data">{_inline_json(data)}</script>
<script>{_SCRIPT}</script>
</body></html>
"""
