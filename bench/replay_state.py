"""The history core at scale: the state at random instants of a 1 M and a 5 M event log, what keyframes
cost on disk, and the timeline's counts of a day.

The log is generated deterministically (seeded) on the synthetic city's scale: 500 units reporting every
10 s (50 positions a second), about 2,000 incidents a day (created, 1-2 units assigned, en route, on
scene, a note now and then, closed, the units available again), a camera observation every ~10 s among
5,000 cameras. Commands are judged by dispatch.commands.decide as the server judges them, stored with
EventStore in groups of ~1,000 events and folded by the server's keyframe writer. Logs are cached under
out/bench/ by their parameters, so reruns reuse them (1 M: about 2 minutes to generate here).

Prints `name value unit` lines:
  seek_1m_state_p95_ms, seek_5m_state_p95_ms  History.state_at_time at 200 random instants (seeded)
  keyframes_mb_per_m_events                  keyframe manifests and chunks, per million events
  log_mb_per_m_events                        the rest of the file (events and their indexes), per million
  density_day_ms                             History.density of the first day (or all of a shorter log)
                                             at 60 s buckets, median of 5
Usage: python bench/replay_state.py [--events N ...]   (default 1000000 5000000)
"""
from __future__ import annotations

import argparse
import heapq
import random
import statistics
import sys
import time
import zoneinfo
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
from support.measure import percentile  # noqa: E402 (the path first)

from dispatch.commands import Centre, Context, Rejected, decide  # noqa: E402
from dispatch.history import History, rfc3339  # noqa: E402
from dispatch.keyframes import KeyframeWriter  # noqa: E402
from dispatch.reducer import apply, copy_state  # noqa: E402
from dispatch.store import EventStore, StoredEvent  # noqa: E402

GENERATOR_VERSION = 2  # change when the generated log changes, so cached logs are not reused (2: overlays)
START = 1_796_169_600.0  # 2026-12-02T00:00:00Z
UNITS, CAMERAS = 500, 5_000
REPORT_EVERY_S = 10
INCIDENTS_PER_S = 2_000 / 86_400
CAMERA_REPORTS_PER_S = 0.1
GROUP_EVENTS = 1_000
SEEKS = 200
CENTRE = Centre("SYN", zoneinfo.ZoneInfo("Asia/Shanghai"))
DISPOSITIONS = ("REPORT", "ADVISED", "RESOLVED", "NO_TRACE")


def cached_path(events: int, seed: int = 7) -> Path:
    return ROOT / "out" / "bench" / f"replay_state-{events}-s{seed}-v{GENERATOR_VERSION}.db"


def _city_state():
    from dispatch.city_state import initial_state
    from layers.synthetic import make_city

    return initial_state(make_city(cameras=CAMERAS, grids=300, units=UNITS, incidents=0).pack)


def generate_log(path: Path, events: int, seed: int = 7) -> Path:
    """A log of exactly `events` events of namespace live at `path` (reused if it is there already)."""
    path = Path(path)
    if path.is_file():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.unlink(missing_ok=True)
    rng = random.Random(seed)
    state = _city_state()
    store = EventStore(partial)
    store.set_meta("city", "synthetic")
    writer = KeyframeWriter(store, "live", copy_state(state), 0, None, None)
    writer.write()
    unit_ids, camera_ids = sorted(state["units"]), sorted(state["cameras"])
    schedule: list[tuple[float, int, str, str]] = []  # (time, tie-break, what, incident or unit)
    order = 0
    seq = 0
    group: list[dict] = []
    second = 0

    def run(cmd: str, args: dict, now: float, actor: str = "dispatcher") -> list[dict]:
        nonlocal seq
        ts = rfc3339(now)
        try:
            decided = decide(state, cmd, args, Context("dispatcher", "live", lambda lon, lat: None, ts, CENTRE,
                                                       frozenset(DISPOSITIONS)))
        except Rejected:
            return []
        out = []
        for event_type, data in decided:
            seq += 1
            event = {"op": "event", "seq": seq, "ts": ts, "actor": actor, "type": event_type, "data": data}
            apply(state, event)
            out.append(event)
        group.extend(out)
        return out

    def later(delay: float, what: str, target: str) -> None:
        nonlocal order
        order += 1
        heapq.heappush(schedule, (now + delay, order, what, target))

    while seq < events:
        now = START + second
        tick = 0.0

        def at() -> float:
            nonlocal tick
            tick += 0.001
            return now + tick

        if rng.random() < INCIDENTS_PER_S:
            home = state["units"][rng.choice(unit_ids)]
            created = run("incident.create", {"kind": rng.choice(["theft", "traffic", "assault", "fire", "noise"]),
                                              "priority": rng.choice([1, 2, 3, 3, 4, 4, 5]),
                                              "lon": home["lon"] + rng.uniform(-0.01, 0.01),
                                              "lat": home["lat"] + rng.uniform(-0.01, 0.01),
                                              "source": "phone", "caller_name": "张三",
                                              "callback": "138 0013 8000"}, at())
            if created:
                later(rng.uniform(20, 90), "assign", created[0]["data"]["incident_id"])
        while schedule and schedule[0][0] <= now:
            _, _, what, target = heapq.heappop(schedule)
            if what == "assign":
                free = [u for u in rng.sample(unit_ids, 20) if state["units"][u]["status"] == "available"]
                for unit in free[:rng.choice([1, 1, 2])]:
                    if run("unit.assign", {"unit_id": unit, "incident_id": target}, at()):
                        later(30, "enroute", unit)
                        later(rng.uniform(240, 600), "onscene", unit)
                later(rng.uniform(900, 3600), "close", target)
                if rng.random() < 0.3:
                    later(rng.uniform(60, 600), "note", target)
            elif what in ("enroute", "onscene"):
                run("unit.status", {"unit_id": target, "status": what}, at())
            elif what == "note":
                run("incident.note", {"incident_id": target, "text": "caller rang back: more detail"}, at())
            else:
                run("incident.close", {"incident_id": target, "disposition": rng.choice(DISPOSITIONS)}, at())
        for unit_id in unit_ids[second % REPORT_EVERY_S::REPORT_EVERY_S]:
            unit = state["units"][unit_id]
            run("unit.position", {"unit_id": unit_id, "lon": unit["lon"] + rng.uniform(-2e-4, 2e-4),
                                           "lat": unit["lat"] + rng.uniform(-2e-4, 2e-4),
                                           "heading": rng.uniform(0, 360), "speed": rng.uniform(0, 20)},
                         at(), actor="avl-gateway")
        if rng.random() < CAMERA_REPORTS_PER_S:
            run("camera.status", {"camera_id": rng.choice(camera_ids), "online": rng.random() < 0.9}, at(),
                         actor="camera-prober")
        second += 1
        if len(group) >= GROUP_EVENTS or seq >= events:
            del group[events - group[0]["seq"] + 1:]  # exactly `events`
            store.append([StoredEvent("live", e["seq"], e["ts"], e["actor"], e["type"], orjson.dumps(e))
                          for e in group])
            writer.add(group)
            group.clear()
    writer.write()
    store.close()
    partial.rename(path)
    return path


def figures(sizes: tuple[int, ...] = (1_000_000, 5_000_000)):
    """The benchmark's lines, one at a time (each log is generated first if it is not cached)."""
    keyframe_mb, log_mb, largest = [], [], None
    for events in sizes:
        path = generate_log(cached_path(events), events)
        store = EventStore(path)
        history = History(store, "live")
        bounds = history.bounds()
        rng = random.Random(11)
        seeks = []
        for _ in range(SEEKS):
            instant = rng.uniform(bounds.first_ts, bounds.last_ts)
            begun = time.perf_counter()
            history.state_at_time(instant)
            seeks.append((time.perf_counter() - begun) * 1000)
        yield f"seek_{events // 1_000_000}m_state_p95_ms {percentile(seeks, 95):.1f} ms"
        store.checkpoint()
        keyframes = store.keyframe_bytes()
        keyframe_mb.append(keyframes / 1e6 / (events / 1e6))
        log_mb.append((path.stat().st_size - keyframes) / 1e6 / (events / 1e6))
        largest = (history, bounds)
    yield f"keyframes_mb_per_m_events {statistics.mean(keyframe_mb):.1f} MB"
    yield f"log_mb_per_m_events {statistics.mean(log_mb):.1f} MB"
    history, bounds = largest
    end = min(bounds.last_ts, bounds.first_ts + 86_400)
    runs = []
    for _ in range(5):
        begun = time.perf_counter()
        history.density(bounds.first_ts, end, 60)
        runs.append((time.perf_counter() - begun) * 1000)
    yield f"density_day_ms {statistics.median(runs):.0f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, nargs="+", default=[1_000_000, 5_000_000])
    for line in figures(tuple(parser.parse_args().events)):
        print(line, flush=True)


if __name__ == "__main__":
    main()
