"""A generated drill at speed 60: background load at the SF data's rates, 200 simulated units and an MSEL of
100 injects, against a real server process, the real `onemap drill run` and a real trainee console under Xvfb
(joined to the exercise namespace). Prints `name value unit` lines:

  inject_error_p99_ms   drill-time error of the fire times: when each MSEL row and each generated call took
                        effect on the server (the ts, on the drill clock, of the event its command made: the
                        call's incident.created, the unit going off duty, the camera going dark, the message's
                        note; an AVL silence has no event of its own: its drill.inject_fired record) minus
                        the drill time it was due at
  inject_record_lag_p99_ms  drill time from that effect to the runner's drill.inject_fired record of it
  runner_cpu_pct        the runner process (runner and simulated units: one process, one asyncio loop), % of
                        one core over the drill
  server_cpu_pct        the server process, % of one core over the drill
  console_frame_p95_ms  the trainee console's map frames: each paint's duration, meanwhile

Run: .venv/bin/python bench/drill.py [--hours 8]   (--hours 0.25 is a smoke run of 15 minutes' drill time)
The demo city has 40 units: the bench runs the server on a copy of the demo pack with 160 more patrols (ids
U041-U200, at random points of its streets, seed 1), so the exercise namespace starts with 200. A scripted
trainee (its own process) assigns the nearest available unit to every new call, as a dispatcher would, so
units drive, arrive and clear.
"""
from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

SPEED = 60.0
UNITS = 200
INJECTS = 100
NAME = "bench"


def write_msel(path: Path, pack: Path, hours: float) -> Path:
    """100 injects spread evenly over the drill: calls in grid cells, messages, and outages with for_s."""
    from drills.msel import HEADINGS, scenario_time_text
    from layers.citypack import load_city

    city = load_city(pack)
    grids, cameras = list(city.grids["grid_id"]), list(city.cameras["camera_id"])
    units = list(city.units["unit_id"])
    step = hours * 3600 / (INJECTS + 1)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADINGS)
        for n in range(1, INJECTS + 1):
            kind = ("call", "call", "message", "camera_dark", "unit_out", "avl_silent")[n % 6]
            args = {"call": {"kind": "fire", "priority": 2, "grid_id": grids[n % len(grids)]},
                    "message": {}, "camera_dark": {"camera_id": cameras[n % len(cameras)], "for_s": 300},
                    "unit_out": {"unit_id": units[-(n % 50) - 1], "for_s": 600},
                    "avl_silent": {"unit_id": units[-(n % 50) - 1], "for_s": 300}}[kind]
            writer.writerow([n, scenario_time_text(n * step), "Inject", "Sim", "Dispatcher",
                             f"Scripted inject {n}", "", "", "", kind, json.dumps(args)])
    return path


def trainee(url: str, token: str, namespace: str) -> None:
    """The scripted trainee: assigns the nearest available unit to every new call until killed."""
    from dispatch.client import DispatchClient

    async def work() -> None:
        client = await DispatchClient.connect(url, token, namespace=namespace)
        handled: set[str] = set()
        while not client.closed.is_set():
            state = client.state
            for incident_id, incident in list(state["incidents"].items()):
                if incident_id in handled or incident["status"] == "closed":
                    continue
                free = [(unit_id, u) for unit_id, u in state["units"].items() if u["status"] == "available"]
                if not free:
                    break
                unit_id = min(free, key=lambda item: (item[1]["lon"] - incident["lon"]) ** 2
                              + (item[1]["lat"] - incident["lat"]) ** 2)[0]
                handled.add(incident_id)
                client.send_command("unit.assign", {"unit_id": unit_id, "incident_id": incident_id})
            await asyncio.sleep(0.5)

    asyncio.run(work())


def run(hours: float) -> None:
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from support.measure import cpu_seconds, percentile
    from support.packs import city_with_units
    from support.server import ServerProcess, make_users

    tmp = Path(tempfile.mkdtemp())
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp / "config"))
    from console import i18n
    from console.app import application
    from console.link import ServerLink
    from console.window import MainWindow
    from map.canvas import _MapView

    pack = city_with_units(tmp, UNITS, "drill-bench")
    msel = write_msel(tmp / "msel.csv", pack, hours)
    tokens = make_users(tmp / "users.json")
    token_file = tmp / "tina.token"
    token_file.write_text(tokens["tina"])
    token_file.chmod(0o600)
    server = ServerProcess(tmp / "events.db", tmp / "users.json", city=str(pack))
    server.start()
    namespace = f"exercise:{NAME}"

    paints: list[float] = []
    painting = _MapView.paintEvent

    def timed_paint(view, event):
        began = time.perf_counter()
        painting(view, event)
        paints.append((time.perf_counter() - began) * 1000)

    _MapView.paintEvent = timed_paint
    app = application()
    i18n.install(app, "en")
    window = MainWindow(ServerLink(server.url, tokens["alice"], namespace=namespace), str(pack))
    window.setGeometry(0, 0, 1920, 1080)
    window.show()
    helper = subprocess.Popen([sys.executable, __file__, "--trainee", server.url, tokens["bob"], namespace], cwd=ROOT)
    runner = subprocess.Popen(
        [sys.executable, "-m", "console.cli", "drill", "run", str(msel), "--server", server.url, "--token-file",
         str(token_file), "--name", NAME, "--speed", str(SPEED), "--hours", str(hours), "--load", "--units",
         "--city", str(pack)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    server_cpu_before = cpu_seconds(server.proc.pid)
    began = time.monotonic()
    try:
        while runner.poll() is None:
            app.processEvents()
            time.sleep(0.002)
            if time.monotonic() - began > hours * 3600 / SPEED + 600:
                raise TimeoutError("the drill did not end in time")
            runner_cpu = cpu_seconds(runner.pid)  # read while it runs: a finished process has no /proc entry
        wall = time.monotonic() - began
        server_cpu = cpu_seconds(server.proc.pid) - server_cpu_before
        out, err = runner.communicate()
        if runner.returncode != 0:
            raise RuntimeError(f"the runner failed ({runner.returncode}): {err[-2000:]}")
        events = fetch_events(server.db, namespace)
    finally:
        helper.kill()
        helper.wait()
        window.close()
        QApplication.processEvents()
        server.kill()
    errors, lags = inject_errors(events, msel, hours, pack)
    print(f"drill_hours {hours:g} h")
    print(f"injects_fired {len(errors)} injects")
    print(f"inject_error_p99_ms {float(np.percentile(errors, 99)) * 1000:.0f} ms")
    print(f"inject_record_lag_p99_ms {float(np.percentile(lags, 99)) * 1000:.0f} ms")
    print(f"runner_cpu_pct {runner_cpu / wall * 100:.1f} %")
    print(f"server_cpu_pct {server_cpu / wall * 100:.1f} %")
    print(f"console_frame_p95_ms {percentile(paints, 95):.1f} ms")
    print(f"console_frames {len(paints)} frames")
    moved = sum(1 for e in events if e["type"] == "unit.moved")
    print(f"unit_positions {moved} positions")


def fetch_events(db: Path, namespace: str) -> list[dict]:
    import sqlite3

    import orjson

    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as connection:
        rows = connection.execute("SELECT frame FROM events WHERE ns = ? ORDER BY seq", (namespace,)).fetchall()
    return [orjson.loads(frame) for (frame,) in rows]


def inject_errors(events: list[dict], msel: Path, hours: float, pack: Path) -> tuple[list[float], list[float]]:
    """Drill seconds between each firing's effect (on the drill clock) and the drill time it was due at (early
    counts as much as late), and from the effect to the runner's record of it."""
    from dispatch.history import epoch
    from drills.clock import DrillClock
    from drills.load import generate_calls, sf_profile, street_sampler
    from drills.msel import read_msel
    from layers.citypack import load_city

    city = load_city(pack)
    rows = {row.event_number: row for row in read_msel(msel).rows}
    # The runner's own generated calls: the same arguments (seed 1, scale 1, start hour 8) give the same calls.
    planned = generate_calls(sf_profile(), start_hour=8.0, duration_s=hours * 3600, seed=1,
                             street_point=street_sampler(city.streets))
    clock = DrillClock(events)
    generated = iter(planned)
    errors, lags = [], []
    effects: dict[tuple[str, str | None], dict] = {}  # (command, its target) -> the latest event it made
    for event in events:
        effect = inject_effect(event)
        if effect is not None:
            effects[effect] = event
        if event["type"] != "drill.inject_fired":
            continue
        number = event["data"]["event_number"]
        if number is None:
            due = next(generated).drill_s
            key = ("call", event["data"]["incident_id"])
        else:
            row = rows[number]
            due = row.scenario_s
            key = (row.command, event["data"].get("incident_id") if row.command == "call"
                   else row.args.get("unit_id") or row.args.get("camera_id"))
        # An AVL silence makes no event of its own, and a refused command none: the record is the effect.
        fired = effects.pop(key, event)
        errors.append(abs(clock.drill_at(epoch(fired["ts"])) - due))
        lags.append(clock.drill_at(epoch(event["ts"])) - clock.drill_at(epoch(fired["ts"])))
    return errors, lags


def inject_effect(event: dict) -> tuple[str, str | None] | None:
    """(the inject command, its target) whose command made this event, if an inject's command could have."""
    kind, data = event["type"], event["data"]
    if kind == "incident.created":
        return "call", data["incident_id"]
    if kind == "unit.status_changed" and data["status"] == "offduty":  # simulated units never go off duty
        return "unit_out", data["unit_id"]
    if kind == "camera.status_changed" and not data["online"]:
        return "camera_dark", data["camera_id"]
    if kind == "incident.noted":
        return "message", None
    return None


def main() -> None:
    if len(sys.argv) == 5 and sys.argv[1] == "--trainee":
        trainee(*sys.argv[2:])
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--hours", type=float, default=8.0, help="drill hours (default 8: 8 minutes at speed 60)")
    args = parser.parse_args()
    from support.xvfb import on_xvfb

    with on_xvfb():
        run(args.hours)


if __name__ == "__main__":
    os.environ.setdefault("LANGUAGE", "en")
    main()
