"""`onemap stats` on real calls: the San Francisco fire/EMS export imported (`onemap import cad`), its month's
call-to-dispatch and dispatch-to-on-scene p50/p90, overall and by priority, equal pandas reading the CSV."""
from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest

from dispatch.cad_import import import_cad
from support.sf_calls import SF_CSV, sf_frame

ROOT = Path(__file__).resolve().parents[2]
SF_PRIORITIES = {"3": 1, "2": 3}  # resources/cad/sf.toml: SFFD's 3 (lights and siren) is OneMap's 1


def pandas_intervals() -> dict[tuple[str, str], tuple[int, float, float]]:
    """(interval, group) -> (count, p50, p90) as pandas computes them (linear interpolation, as numpy),
    from the rows whose times are in order, a call's first received time and its first dispatch and
    on-scene times, its priority from its first row."""
    used = sf_frame().query("in_order")
    calls = used.groupby("call_number")
    intervals = {"call_to_dispatch_s": calls.dispatch_timestamp_ms.min() - calls.received_timestamp_ms.first(),
                 "dispatch_to_onscene_s": calls.on_scene_timestamp_ms.min() - calls.dispatch_timestamp_ms.min()}
    priority = calls.priority.first().map(SF_PRIORITIES).astype(int).astype(str)
    out = {}
    for name, ms in intervals.items():
        seconds = (ms / 1000).dropna()
        out[(name, "all")] = (len(seconds), seconds.quantile(0.5), seconds.quantile(0.9))
        for group, part in seconds.groupby(priority.loc[seconds.index]):
            out[(name, group)] = (len(part), part.quantile(0.5), part.quantile(0.9))
    return out


def test_the_months_response_times_of_the_imported_sf_calls_equal_pandas(tmp_path):
    db = tmp_path / "history.db"
    imported = import_cad(SF_CSV, "sf", db, "history:sf")
    assert imported.incidents > 4000
    out = tmp_path / "stats"
    done = subprocess.run([sys.executable, "-m", "console.cli", "stats", "--db", str(db), "--namespace", "history:sf",
                           "--period", "month", "--at", "2018-01-15", "--tz", "America/Los_Angeles", "--out", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    with open(out / "response_times.csv", newline="") as table:
        rows = {(r["interval"], r["group"]): (int(r["count"]), float(r["p50_s"]), float(r["p90_s"]))
                for r in csv.DictReader(table) if r["by"] in ("all", "priority")}
    expected = pandas_intervals()
    assert set(rows) == set(expected)
    for key, (count, p50, p90) in expected.items():
        assert rows[key] == (count, pytest.approx(p50, abs=1e-3), pytest.approx(p90, abs=1e-3)), key
