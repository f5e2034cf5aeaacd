"""The statistics' report.html: one offline page, headline figures against the previous period, bar charts as
inline SVG made here, and every table of the CSV files. Nothing is fetched: a Content-Security-Policy of
`default-src 'none'` keeps even a stray reference from reaching out."""
from __future__ import annotations

import html
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from reports.page import _nice_ceiling, duration_text
from reports.times import local_label

if TYPE_CHECKING:
    from reports.stats import Statistics, Table

MAX_BARS = 24  # a chart of grid cells shows the busiest ones; the tables hold them all
CURRENT, PREVIOUS = "#2f6fae", "#a9c4de"
SECOND, SECOND_PREVIOUS = "#d7191c", "#f0a8a9"

_STYLE = """
body { font: 14px/1.4 "Noto Sans", "Noto Sans CJK SC", sans-serif; margin: 16px 24px; color: #1d2733; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 24px 0 8px; }
.span { color: #45525f; margin-bottom: 10px; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; margin: 10px 0; }
.card { background: #eef2f6; padding: 8px 14px; border-radius: 6px; min-width: 140px; }
.card b { font-size: 20px; display: block; } .card small { color: #5a6875; }
.charts { display: flex; flex-wrap: wrap; gap: 8px 24px; }
svg.chart text { font-size: 12px; fill: #33414e; } svg.chart .title { font-size: 14px; font-weight: 600; }
.grid { stroke: #dde3e8; } .tick { fill: #5a6875; }
table { border-collapse: collapse; margin: 6px 0 14px; font-size: 12px; }
th, td { border: 1px solid #c9d1d9; padding: 2px 6px; } th { background: #eef2f6; } td.num { text-align: right; }
details { margin: 4px 0; } summary { cursor: pointer; font-weight: 600; }
"""


def _number(value) -> str:
    if value is None or value == "":
        return "–"
    if isinstance(value, float):
        return f"{value:.3f}".rstrip("0").rstrip(".")
    return str(value)


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.1f} %"


def bar_chart_svg(chart_id: str, title: str, labels: list[str], series: list[tuple[str, str, list]],
                  value_text=_number, width: int = 620, height: int = 270) -> str:
    """Grouped vertical bars: `series` is (name, colour, values) with one value (or None) per label."""
    left, right, top, bottom = 84, 10, 40, 66
    values = [v for _, _, vs in series for v in vs if v is not None]
    top_value = _nice_ceiling(max(values, default=0.0) or 1.0)
    slot = (width - left - right) / max(1, len(labels))
    bar = slot * 0.8 / max(1, len(series))
    y = lambda v: height - bottom - (height - bottom - top) * v / top_value  # noqa: E731 (a scale)
    parts = [f'<svg class="chart" id="{chart_id}" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
             f'role="img" aria-label="{html.escape(title)}">',
             f'<text x="{left}" y="16" class="title">{html.escape(title)}</text>']
    key_x = left
    for name, colour, _ in series:
        parts.append(f'<rect x="{key_x}" y="24" width="10" height="10" fill="{colour}"/>'
                     f'<text x="{key_x + 14}" y="33" class="tick">{html.escape(name)}</text>')
        key_x += 24 + sum(7 if ord(ch) < 128 else 13 for ch in name)  # CJK glyphs are about twice as wide
    for k in range(5):
        value = top_value * k / 4
        parts.append(f'<line x1="{left}" y1="{y(value):.1f}" x2="{width - right}" y2="{y(value):.1f}" class="grid"/>'
                     f'<text x="{left - 6}" y="{y(value) + 4:.1f}" class="tick" text-anchor="end">'
                     f'{html.escape(value_text(value))}</text>')
    label_every = max(1, math.ceil(len(labels) / 24))
    for index, label in enumerate(labels):
        x0 = left + slot * index + slot * 0.1
        for s, (name, colour, vs) in enumerate(series):
            value = vs[index]
            if value is None:
                continue
            parts.append(f'<rect x="{x0 + bar * s:.1f}" y="{y(value):.1f}" width="{bar:.1f}" '
                         f'height="{y(0) - y(value):.1f}" fill="{colour}"><title>{html.escape(label)} {html.escape(name)}: '
                         f'{html.escape(value_text(value))}</title></rect>')
        if index % label_every == 0:
            shown = label if len(label) <= 14 else label[:13] + "…"
            parts.append(f'<text x="{x0 + slot * 0.4:.1f}" y="{height - bottom + 14}" class="tick" text-anchor="end" '
                         f'transform="rotate(-35 {x0 + slot * 0.4:.1f} {height - bottom + 14})">'
                         f'{html.escape(shown or "(none)")}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _rows(table: Table, **where) -> list[dict]:
    rows = [dict(zip(table.columns, row)) for row in table.rows]
    return [r for r in rows if all(r[k] == v for k, v in where.items())]


def _busiest(rows: list[dict], key: str) -> list[dict]:
    return sorted(rows, key=lambda r: -(r[key] or 0))[:MAX_BARS] if len(rows) > MAX_BARS else rows


@dataclass(frozen=True)
class ChartSpec:
    """A bar chart: one group of bars per label, one bar per series (name, colour, a value or None per label);
    unit: "count", "s" (durations) or "rate" (0 to 1)."""
    chart_id: str
    title: str
    labels: list[str]
    series: list[tuple[str, str, list]]
    unit: str


VALUE_TEXT = {"count": _number, "s": duration_text, "rate": _percent}


def chart_specs(stats: Statistics) -> list[ChartSpec]:
    """The charts that the page and the Statistics window draw."""
    now, before = stats.current.period.label, stats.previous.period.label
    incidents, times = stats.table("incidents"), stats.table("response_times")
    cameras, cases, ratings = stats.table("cameras"), stats.table("cases"), stats.table("ratings")
    specs = []
    for by, title in (("kind", "Incidents by kind"), ("hour", "Incidents by hour of day"),
                      ("grid", "Incidents by grid cell")):
        rows = _rows(incidents, by=by)
        rows = rows if by == "hour" else _busiest(rows, "count")
        specs.append(ChartSpec(f"incidents-{by}", title, [r["group"] for r in rows],
                      [(now, CURRENT, [r["count"] for r in rows]),
                       (before, PREVIOUS, [r["previous_count"] for r in rows])], "count"))
    for interval, title in (("call_to_dispatch_s", "Call to dispatch by priority"),
                            ("dispatch_to_onscene_s", "Dispatch to on scene by priority")):
        rows = _rows(times, interval=interval, by="priority")
        specs.append(ChartSpec(f"{interval}-priority", title, [f"P{r['group']}" for r in rows],
                      [(f"p50 {now}", CURRENT, [r["p50_s"] for r in rows]),
                       (f"p50 {before}", PREVIOUS, [r["previous_p50_s"] for r in rows]),
                       (f"p90 {now}", SECOND, [r["p90_s"] for r in rows]),
                       (f"p90 {before}", SECOND_PREVIOUS, [r["previous_p90_s"] for r in rows])], "s"))
    rows = _busiest([r for r in _rows(cameras) if r["grid"] != "all"], "cameras")
    specs.append(ChartSpec("camera-online", "Camera online rate by grid cell", [r["grid"] for r in rows],
                  [(now, CURRENT, [r["online_rate"] for r in rows]),
                   (before, PREVIOUS, [r["previous_online_rate"] for r in rows])], "rate"))
    rows = _rows(cases, by="category")
    specs.append(ChartSpec("cases-category", "Cases reported by category", [r["group"] for r in rows],
                  [(now, CURRENT, [r["reported"] for r in rows]),
                   (before, PREVIOUS, [r["previous_reported"] for r in rows])], "count"))
    rows = _rows(cases, by="department")
    specs.append(ChartSpec("closure-department", "结案率 and 按期结案率 by department", [r["group"] for r in rows],
                  [(f"结案率 {now}", CURRENT, [r["closure_rate"] for r in rows]),
                   (f"结案率 {before}", PREVIOUS, [r["previous_closure_rate"] for r in rows]),
                   (f"按期结案率 {now}", SECOND, [r["on_time_rate"] for r in rows]),
                   (f"按期结案率 {before}", SECOND_PREVIOUS, [r["previous_on_time_rate"] for r in rows])], "rate"))
    everyone = _rows(ratings, by="all")
    counts = lambda prefix: [everyone[0][f"{prefix}rating_{k}"] if everyone else 0 for k in range(1, 6)]  # noqa: E731
    specs.append(ChartSpec("ratings", "Ratings entered", [f"{k} ★" for k in range(1, 6)],
                  [(now, CURRENT, counts("")), (before, PREVIOUS, counts("previous_"))], "count"))
    return specs


def _card(title: str, value: str, previous: str) -> str:
    return (f'<div class="card">{html.escape(title)}<b>{html.escape(value)}</b>'
            f'<small>previous: {html.escape(previous)}</small></div>')


def headline(stats: Statistics) -> list[tuple[str, str, str]]:
    """(title, this period, the previous period): the page's cards and the window's summary."""
    incidents = _rows(stats.table("incidents"), by="all")  # no row in a period without any (a quiet day)
    dispatch = _rows(stats.table("response_times"), interval="call_to_dispatch_s", by="all")
    onscene = _rows(stats.table("response_times"), interval="dispatch_to_onscene_s", by="all")
    camera = _rows(stats.table("cameras"), grid="all")
    cases = _rows(stats.table("cases"), by="all")
    rated = _rows(stats.table("ratings"), by="all")
    first = lambda rows, key: rows[0][key] if rows else None  # noqa: E731
    return [
        ("Incidents", _number(first(incidents, "count") or 0), _number(first(incidents, "previous_count") or 0)),
        ("Call to dispatch p50", duration_text(first(dispatch, "p50_s")) or "–",
         duration_text(first(dispatch, "previous_p50_s")) or "–"),
        ("Dispatch to on scene p50", duration_text(first(onscene, "p50_s")) or "–",
         duration_text(first(onscene, "previous_p50_s")) or "–"),
        ("Camera online rate", _percent(first(camera, "online_rate")), _percent(first(camera, "previous_online_rate"))),
        ("Cases reported", _number(first(cases, "reported") or 0), _number(first(cases, "previous_reported") or 0)),
        ("结案率 closure rate", _percent(first(cases, "closure_rate")), _percent(first(cases, "previous_closure_rate"))),
        ("按期结案率 on-time rate", _percent(first(cases, "on_time_rate")),
         _percent(first(cases, "previous_on_time_rate"))),
        ("Mean rating", _number(first(rated, "mean_rating")), _number(first(rated, "previous_mean_rating"))),
    ]


def _table_html(table: Table) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in table.columns)
    body = "".join("<tr>" + "".join(
        f'<td class="num">{_number(v)}</td>' if isinstance(v, (int, float)) else f"<td>{html.escape(_number(v))}</td>"
        for v in row) + "</tr>" for row in table.rows)
    return (f'<details{" open" if len(table.rows) <= 40 else ""}><summary>{table.name}.csv ({len(table.rows)} rows)'
            f'</summary><table id="table-{table.name}"><tr>{head}</tr>{body}</table></details>')


def render_stats_page(stats: Statistics, generated_epoch: float) -> str:
    current, previous, zone = stats.current.period, stats.previous.period, stats.zone
    title = f"Statistics {current.label} ({stats.namespace})"
    charts = "".join(bar_chart_svg(c.chart_id, c.title, c.labels, c.series, VALUE_TEXT[c.unit])
                     for c in chart_specs(stats))
    cards = "".join(_card(*card) for card in headline(stats))
    csp = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{csp}">
<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body>
<h1>{html.escape(title)}</h1>
<div class="span">{html.escape(current.kind)} {html.escape(current.label)}: {html.escape(local_label(current.start, zone))}
to {html.escape(local_label(current.end, zone))}, against {html.escape(previous.label)}
({html.escape(local_label(previous.start, zone))} to {html.escape(local_label(previous.end, zone))}).
Figures as known at each period's end. Generated {html.escape(local_label(generated_epoch, zone))}.</div>
<div class="cards" id="headline">{cards}</div>
<h2>Charts</h2><div class="charts">{charts}</div>
<h2>Tables</h2>{"".join(_table_html(t) for t in stats.tables)}
</body></html>
"""
