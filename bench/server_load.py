"""Dispatch server under load: 5,000 units reporting positions, 20 consoles receiving every event.

Processes: the server (`onemap server`), FEED_PROCS feed processes sending `unit.position` at a total
rate R (as a gateway does: each 5 ms tick's reports in one `cmds` frame), CONSOLE_PROCS console processes holding 20 console connections between them, and this process as
the dispatcher sending `unit.assign` / `unit.status`. Latency is the feed's send time (carried in the
position's `ts`) to the moment a console parsed the event; all processes share the machine's clock.

Prints `name value unit` lines:
  r1000_delivery_p50_ms, r1000_delivery_p99_ms, r1000_cmd_rtt_p99_ms (R = 1,000 updates/s)
  r5000_delivered_eps, r5000_delivery_p99_ms, r5000_cmd_rtt_p99_ms   (R = 5,000 updates/s)
  r5000_server_cpu_pct, r5000_consoles_cpu_pct, r5000_feeds_cpu_pct: CPU of each kind of process
  (percent of one core), to tell where the machine's two cores go; r5000_machine_busy_pct and
  r5000_steal_pct: the whole machine (percent of all cores) and the time the virtual machine's host took
  from it, which makes runs on a shared host differ
  the same r1000 and r5000 lines with `_v1feeds` after the rate: feeds that send one `cmd` frame per
  report (the v1 core), for comparison
  saturation_eps: the highest offered rate (updates/s, stepped) at which all 20 consoles still received
  at least 99% of the events within the step with p99 delivery under 1 s.

With `--store postgresql` (a scratch PostgreSQL cluster of its own, tests/support/postgres.py) or `--store
postgresql://...` (a given database: its tables are emptied), the same lines from a server on PostgreSQL,
then bench/store_append.py's `pg_append_grouped_eps` and `pg_append_single_eps`, then two servers on one
fresh database (docs/deploy.md), each with 10 of the consoles and one feed process, the dispatcher on the
first:
  two_servers_r5000_delivery_p99_ms  R = 5,000 updates/s fed half to each server, delivery p99 over all 20
                                     consoles (each server's consoles get both servers' events)
  two_servers_r5000_delivered_eps    what the 20 consoles received a second
  cross_server_cmd_rtt_p99_ms        at R = 1,000: the dispatcher's command sent to the first server until
                                     its event reached every console of the second
  failover_resume_s                  a console (console.link.ServerLink given both servers) whose server is
                                     killed, until it has resumed on the other and received an event there
"""
from __future__ import annotations

import argparse
import asyncio
import gc
import json
import multiprocessing as mp
import random
import sys
import tempfile
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
from support.measure import cpu_seconds  # noqa: E402 (the path first)

UNITS = 5_000
CONSOLES = 20
CONSOLE_PROCS = 2
FEED_PROCS = 2
FEED_CONNS_PER_PROC = 8
STEP_SECONDS = 6.0
WARMUP_SECONDS = 1.0
DISPATCH_INTERVAL_S = 0.1
CMDS_PER_FRAME = 300  # well under the 64 KiB frame cap at ~170 bytes a report
SATURATION_STEPS = (5_000, 8_000, 12_000, 16_000, 24_000)
CENTER = (24.94, 60.17)


def write_city(folder: Path) -> None:
    """A deterministic city of UNITS units around central Helsinki, with one grid cell."""
    rng = np.random.default_rng(7)
    lon = CENTER[0] + rng.uniform(-0.03, 0.03, UNITS)
    lat = CENTER[1] + rng.uniform(-0.015, 0.015, UNITS)
    folder.mkdir(parents=True, exist_ok=True)
    lines = ["unit_id,callsign,kind,station,lon,lat"]
    lines += [f"U{i:04d},P-{i:04d},patrol,S1,{lon[i]:.6f},{lat[i]:.6f}" for i in range(UNITS)]
    (folder / "units.csv").write_text("\n".join(lines) + "\n")
    (folder / "cameras.csv").write_text("camera_id,name,kind,stream_url,crs,lon,lat\n"
                                        "C1,Bench camera,fixed,http://127.0.0.1:9/c1,EPSG:4326,24.94,60.17\n")
    box = [[CENTER[0] - 0.05, CENTER[1] - 0.03], [CENTER[0] + 0.05, CENTER[1] - 0.03],
           [CENTER[0] + 0.05, CENTER[1] + 0.03], [CENTER[0] - 0.05, CENTER[1] + 0.03],
           [CENTER[0] - 0.05, CENTER[1] - 0.03]]

    def collection(features):
        return json.dumps({"type": "FeatureCollection", "features": features})

    def feature(props, geometry):
        return {"type": "Feature", "properties": props, "geometry": geometry}

    (folder / "grids.geojson").write_text(collection(
        [feature({"grid_id": "G001", "name": "Grid 1"}, {"type": "Polygon", "coordinates": [box]})]))
    (folder / "checkpoints.geojson").write_text(collection(
        [feature({"checkpoint_id": "K1", "name": "Bench bayonet", "kind": "bayonet"},
                 {"type": "Point", "coordinates": list(CENTER)})]))
    (folder / "stations.geojson").write_text(collection(
        [feature({"station_id": "S1", "name": "Bench station", "kind": "police"},
                 {"type": "Point", "coordinates": list(CENTER)})]))
    (folder / "streets.geojson").write_text(collection(
        [feature({"u": 1, "v": 2, "name": "Bench street", "highway": "primary", "length_m": 100.0, "oneway": False},
                 {"type": "LineString", "coordinates": [list(CENTER), [CENTER[0] + 0.001, CENTER[1]]]})]))
    (folder / "city.json").write_text(json.dumps({
        "name": "bench", "title": "Benchmark city", "title_zh": "基准城市", "center": list(CENTER),
        "zoom_extent": [CENTER[0] - 0.05, CENTER[1] - 0.03, CENTER[0] + 0.05, CENTER[1] + 0.03],
        "source": "synthetic", "placed": {"units": "uniformly at random, seed 7"}}))


_epoch_of_second: dict[str, float] = {}


def _ts_to_epoch(ts: str) -> float:
    """RFC 3339 UTC to epoch seconds; the whole-second part is parsed once per second, not per event."""
    whole = ts[:19]
    base = _epoch_of_second.get(whole)
    if base is None:
        base = _epoch_of_second[whole] = datetime.fromisoformat(whole + "+00:00").timestamp()
    return base + float("0" + ts[19:-1])


_second_text: list = [-1, ""]


def _utc_now_text(now: float) -> str:
    whole = int(now)
    if whole != _second_text[0]:
        _second_text[:] = [whole, datetime.fromtimestamp(whole, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")]
    return f"{_second_text[1]}.{int((now - whole) * 1e6):06d}Z"


# ---- console processes ----------------------------------------------------------------------------

def console_process(url: str, token: str, connections: int, control, results) -> None:
    gc.disable()  # the frames kept for the report would make every full collection a longer pause
    asyncio.run(_console_main(url, token, connections, control, results))


async def _console_main(url, token, connections, control, results) -> None:
    from websockets.asyncio.client import connect

    # Per connection, (arrival time, the feed's send times of the positions in the frame) per frame: the
    # times are parsed after the step, so that the measuring costs the two shared cores next to nothing.
    arrivals: list[list[tuple[float, list[str]]]] = [[] for _ in range(connections)]
    command_seen: dict[int, list[float]] = {}
    dropped: list[int] = []

    async def follow(index: int) -> None:
        ws = await connect(url, max_size=None, compression=None)
        await ws.send(orjson.dumps({"op": "hello", "token": token, "resume_from": None, "batch": True}), text=True)
        await ws.recv()
        mine = arrivals[index]
        async for raw in ws:
            now = time.time()
            msg = orjson.loads(raw)
            events = msg["events"] if msg["op"] == "events" else (msg,) if msg["op"] == "event" else ()
            moved = [event["data"]["ts"] for event in events if event["type"] == "unit.moved"]
            mine.append((now, moved))
            if len(moved) < len(events):
                for event in events:
                    if event["type"] != "unit.moved":
                        command_seen.setdefault(event["seq"], []).append(now)
        dropped.append(ws.close_code)

    tasks = [asyncio.create_task(follow(i)) for i in range(connections)]
    loop = asyncio.get_running_loop()
    results.put(("ready", None))
    while True:
        request = await loop.run_in_executor(None, control.get)
        if request[0] == "stop":
            break
        _, start, end = request
        per_connection = []
        for frames in arrivals:
            sends = np.array([_ts_to_epoch(ts) for _, moved in frames for ts in moved])
            arrived = np.repeat([now for now, _ in frames], [len(moved) for _, moved in frames])
            window = (sends >= start) & (sends < end)
            per_connection.append((int(window.sum()), (arrived - sends)[window]))
            frames.clear()
        seen = {seq: (len(times), max(times)) for seq, times in command_seen.items()}
        command_seen.clear()
        results.put(("report", (per_connection, seen, list(dropped))))
    for task in tasks:
        task.cancel()


# ---- feed processes -------------------------------------------------------------------------------

def feed_process(url: str, token: str, connections: int, units: list[str], control, results) -> None:
    asyncio.run(_feed_main(url, token, connections, units, control, results))


async def _feed_main(url, token, connections, units, control, results) -> None:
    from websockets.asyncio.client import connect
    from websockets.asyncio.server import broadcast

    sockets = []
    for _ in range(connections):
        ws = await connect(url, max_size=None, compression=None)
        await ws.send(orjson.dumps({"op": "hello", "token": token, "resume_from": None, "subscribe": False}), text=True)
        await ws.recv()
        sockets.append(ws)
    nacks = [0]

    async def drain(ws):
        async for raw in ws:
            nacks[0] += (raw.encode() if isinstance(raw, str) else raw).count(b'"nack"')

    drains = [asyncio.create_task(drain(ws)) for ws in sockets]
    loop = asyncio.get_running_loop()
    rng = random.Random(11)
    results.put(("ready", None))
    counter = 0
    while True:
        request = await loop.run_in_executor(None, control.get)
        if request[0] == "stop":
            break
        _, rate, start, duration, framing = request
        per_tick_period = 0.005
        sent = ticks = 0
        while time.time() < start:
            await asyncio.sleep(start - time.time())
        while (now := time.time()) < start + duration:
            due = int((now - start) * rate) - sent
            tick_commands = []
            for n in range(due):
                unit = units[rng.randrange(len(units))]
                command = {"id": f"p{counter}", "cmd": "unit.position",
                           "args": {"unit_id": unit, "lon": CENTER[0] + rng.uniform(-0.03, 0.03),
                                    "lat": CENTER[1] + rng.uniform(-0.015, 0.015),
                                    "heading": 90.0, "speed": 10.0, "ts": _utc_now_text(time.time())}}
                counter += 1
                if framing == "cmds":
                    tick_commands.append(command)
                else:
                    # Written straight to the socket (no await per frame): the feed's own cost stays small
                    # beside the server it measures, on the same two cores.
                    broadcast([sockets[(sent + n) % len(sockets)]], orjson.dumps({"op": "cmd", **command}),
                              text=True)
            for i in range(0, len(tick_commands), CMDS_PER_FRAME):  # a gateway's reports of one tick
                frame = orjson.dumps({"op": "cmds", "cmds": tick_commands[i:i + CMDS_PER_FRAME]})
                broadcast([sockets[ticks % len(sockets)]], frame, text=True)
                ticks += 1
            sent += max(due, 0)
            await asyncio.sleep(per_tick_period)
        results.put(("done", (sent, nacks[0])))
    for task in drains:
        task.cancel()


# ---- the dispatcher (this process) ----------------------------------------------------------------

async def dispatcher(url: str, token: str, start: float, duration: float, units: list[str]) -> list[tuple[int, float, float]]:
    """Send assign / clear cycles during the step; return (event seq, sent time, ack time) per command."""
    from dispatch.client import DispatchClient

    client = await DispatchClient.connect(url, token, subscribe=False)
    created = await client.command("incident.create", kind="bench", priority=3, lon=CENTER[0], lat=CENTER[1])
    incident = created["incident_id"]
    samples = []
    while time.time() < start:
        await asyncio.sleep(start - time.time())
    n = 0
    while time.time() < start + duration:
        unit = units[n % 50]
        for cmd, args in (("unit.assign", {"unit_id": unit, "incident_id": incident}),
                          ("unit.status", {"unit_id": unit, "status": "available"})):
            sent = time.time()
            reply = await client.command(cmd, **args)
            acked = time.time()
            if reply["op"] == "ack" and time.time() > start + WARMUP_SECONDS:
                samples.append((reply["seq"], sent, acked))
            await asyncio.sleep(DISPATCH_INTERVAL_S)
        n += 1
    await client.close()
    return samples


def machine_ticks() -> tuple[int, int, int]:
    """(busy, steal, total) clock ticks of all cores since boot, from /proc/stat."""
    user, nice, system, idle, iowait, irq, softirq, steal = map(int, Path("/proc/stat").read_text().split()[1:9])
    return user + nice + system + irq + softirq, steal, user + nice + system + idle + iowait + irq + softirq + steal


def run_step(url, tokens, rate, feeds, consoles, units, pids: dict[str, list[int]], framing: str = "cmds",
             seen_by: list | None = None) -> dict:
    """One step at `rate`. `seen_by`: the consoles whose receipt ends a command's round trip (default all
    of them: a command is done when every console has its event)."""
    cpu_before = {role: sum(cpu_seconds(p) for p in role_pids) for role, role_pids in pids.items()}
    machine_before = machine_ticks()
    began = time.time()
    start = time.time() + 0.5
    per_feed = rate / len(feeds)
    for control, _ in feeds:
        control.put(("run", per_feed, start, STEP_SECONDS, framing))
    samples = asyncio.run(dispatcher(url, tokens["alice"], start, STEP_SECONDS, units))
    sent_total = 0
    for _, results in feeds:
        kind, (sent, nacks) = results.get(timeout=120)
        sent_total += sent
        if nacks:
            print(f"# {nacks} position commands were refused at R={rate}", file=sys.stderr)
    # Let the last events arrive before asking for the window's figures.
    time.sleep(1.0)
    elapsed = time.time() - began
    cpu_pct = {role: (sum(cpu_seconds(p) for p in role_pids) - cpu_before[role]) / elapsed * 100
               for role, role_pids in pids.items()}
    busy, steal, total = (after - before for after, before in zip(machine_ticks(), machine_before))
    cpu_pct["machine_busy"] = 100.0 * busy / total
    cpu_pct["steal"] = 100.0 * steal / total
    window = (start + WARMUP_SECONDS, start + STEP_SECONDS)
    latencies, delivered, seen_all, dropped = [], 0, {}, []
    seen_by = consoles if seen_by is None else seen_by
    for control, _ in consoles:
        control.put(("report", *window))
    for console in consoles:
        kind, (per_connection, seen, lost) = console[1].get(timeout=120)
        dropped += lost
        for count, lats in per_connection:
            delivered += count
            latencies.append(lats)
        if not any(console is counted for counted in seen_by):
            continue
        for seq, (count, last) in seen.items():
            total, latest = seen_all.get(seq, (0, 0.0))
            seen_all[seq] = (total + count, max(latest, last))
    watching = CONSOLES * len(seen_by) // len(consoles)
    latency_ms = np.concatenate(latencies) * 1000 if latencies else np.array([np.inf])
    window_s = window[1] - window[0]
    rtts = []
    for seq, sent, acked in samples:
        count, last_seen = seen_all.get(seq, (0, float("inf")))
        rtts.append((max(acked, last_seen) if count == watching else float("inf")) - sent)
    expected = rate * window_s * CONSOLES
    with np.errstate(invalid="ignore"):  # commands never seen by every console count as infinite
        rtt_p99_ms = float(np.percentile(np.array(rtts) * 1000, 99)) if rtts else float("inf")
    return {
        "delivered_eps": delivered / window_s,
        "delivered_ratio": delivered / expected if expected else 0.0,
        "p50_ms": float(np.percentile(latency_ms, 50)) if latency_ms.size else float("inf"),
        "p99_ms": float(np.percentile(latency_ms, 99)) if latency_ms.size else float("inf"),
        "rtt_p99_ms": rtt_p99_ms,
        "dropped": dropped,
        "sent": sent_total,
        "cpu_pct": cpu_pct,
    }


def print_r5000(step: dict, infix: str) -> None:
    print(f"r5000{infix}_delivered_eps {step['delivered_eps']:.0f} events/s")
    print(f"r5000{infix}_delivery_p99_ms {step['p99_ms']:.1f} ms")
    print(f"r5000{infix}_cmd_rtt_p99_ms {step['rtt_p99_ms']:.1f} ms")
    for role, pct in step["cpu_pct"].items():
        print(f"r5000{infix}_{role}_pct {pct:.0f} %" if role in ("machine_busy", "steal")
              else f"r5000{infix}_{role}_cpu_pct {pct:.0f} %")


def start_processes(ctx, target, url_of, count: int, *args) -> tuple[list, list]:
    """`count` processes running `target(url_of(n), *args, control, results)`, each with its queues."""
    queues, procs = [], []
    for n in range(count):
        control, results = ctx.Queue(), ctx.Queue()
        proc = ctx.Process(target=target, args=(url_of(n), *args, control, results))
        proc.start()
        procs.append(proc)
        queues.append((control, results))
    return queues, procs


def stop_processes(queues: list, procs: list) -> None:
    for control, _ in queues:
        control.put(("stop",))
    for proc in procs:
        proc.join(timeout=10)
        if proc.is_alive():
            proc.kill()


def two_servers(store: str, folder: Path, tokens: dict[str, str]) -> None:
    """The two-server lines: two `onemap server` processes on one PostgreSQL database."""
    from support.server import ServerProcess

    ctx = mp.get_context("spawn")
    servers = [ServerProcess(store, folder / "users.json", city=str(folder / "city")) for _ in range(2)]
    for server in servers:
        server.start()
    urls = [server.url for server in servers]
    units = [f"U{i:04d}" for i in range(UNITS)]
    consoles, feeds, procs = [], [], []
    try:
        consoles, console_procs = start_processes(ctx, console_process, lambda n: urls[n], 2, tokens["console"],
                                                  CONSOLES // 2)
        feeds, feed_procs = start_processes(ctx, feed_process, lambda n: urls[n], 2, tokens["feed"],
                                            FEED_CONNS_PER_PROC, units[50:])
        procs = console_procs + feed_procs
        for _, results in consoles + feeds:
            assert results.get(timeout=120)[0] == "ready"
        pids = {"servers": [s.proc.pid for s in servers], "consoles": [p.pid for p in console_procs],
                "feeds": [p.pid for p in feed_procs]}
        # the dispatcher on the first server; its commands done when the second server's consoles have them
        cross = run_step(urls[0], tokens, 1_000, feeds, consoles, units, pids, seen_by=[consoles[1]])
        print(f"cross_server_cmd_rtt_p99_ms {cross['rtt_p99_ms']:.1f} ms")
        loaded = run_step(urls[0], tokens, 5_000, feeds, consoles, units, pids)
        print(f"two_servers_r5000_delivery_p99_ms {loaded['p99_ms']:.1f} ms")
        print(f"two_servers_r5000_delivered_eps {loaded['delivered_eps']:.0f} events/s")
        for role, pct in loaded["cpu_pct"].items():
            print(f"two_servers_r5000_{role}_pct {pct:.0f} %" if role in ("machine_busy", "steal")
                  else f"two_servers_r5000_{role}_cpu_pct {pct:.0f} %")
        stop_processes(consoles + feeds, procs)
        consoles, feeds, procs = [], [], []
        print(f"failover_resume_s {failover_resume_s(urls, tokens, servers):.2f} s")
    finally:
        stop_processes(consoles + feeds, procs)
        for server in servers:
            server.kill()


def failover_resume_s(urls: list[str], tokens: dict[str, str], servers: list) -> float:
    """The console's own link on both servers, a feed on the second: the first killed, until the link has
    resumed on the second and handed the console an event from there."""
    from PySide6.QtCore import QCoreApplication

    from console.link import CONNECTED, ServerLink
    from dispatch.client import DispatchClient

    app = QCoreApplication.instance() or QCoreApplication([])
    link = ServerLink(",".join(urls), tokens["console"])
    arrived: list[tuple[float, str]] = []  # when the console was handed events, and from which server
    link.eventsReceived.connect(lambda batch: arrived.append((time.monotonic(), link.url)))
    link.start()

    async def feed(stop: asyncio.Event) -> None:
        client = await DispatchClient.connect(urls[1], tokens["feed"], subscribe=False)
        n = 0
        while not stop.is_set():
            client.send_commands([("unit.position", {"unit_id": f"U{n % UNITS:04d}", "lon": CENTER[0], "lat": CENTER[1]})])
            n += 1
            await asyncio.sleep(0.01)
        await client.close()

    def wait_for(condition, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not condition():
            if time.monotonic() > deadline:
                raise RuntimeError("the console's link did not get there")
            app.processEvents()
            time.sleep(0.005)

    stop = asyncio.Event()
    loop = asyncio.new_event_loop()  # the feed runs in this process, on a thread of its own
    feeder = threading.Thread(target=loop.run_until_complete, args=(feed(stop),), daemon=True)
    feeder.start()
    try:
        wait_for(lambda: link.state == CONNECTED and link.url == urls[0] and arrived, 30)
        servers[0].kill()
        killed = time.monotonic()
        wait_for(lambda: arrived[-1][1] == urls[1], 30)
        return next(t for t, url in arrived if url == urls[1]) - killed
    finally:
        loop.call_soon_threadsafe(stop.set)
        feeder.join(timeout=10)
        link.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", help="postgresql: a scratch PostgreSQL cluster; postgresql://...: that database "
                        "(emptied); default: a SQLite file")
    args = parser.parse_args()
    if args.store is None:
        run_all(None)
    elif args.store == "postgresql":
        from support.postgres import PostgresCluster

        with PostgresCluster() as cluster:
            run_all(cluster.new_database)
    else:
        run_all(lambda: _emptied(args.store))


def _emptied(url: str) -> str:
    import psycopg

    from dispatch.pg_store import PgEventStore

    PgEventStore(url).close()  # its tables exist from here
    with psycopg.connect(url, autocommit=True) as db:
        db.execute("TRUNCATE events, heads, audit, keyframes, chunks, meta, snapshots")
    return url


def run_all(new_database) -> None:
    """Every line on one store: a SQLite file (new_database None) or PostgreSQL (a fresh database each)."""
    from support.server import ServerProcess, make_users

    ctx = mp.get_context("spawn")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        write_city(tmp / "city")
        tokens = make_users(tmp / "users.json", {"alice": "dispatcher", "feed": "feed", "console": "viewer"})
        server = ServerProcess(tmp / "events.db" if new_database is None else new_database(), tmp / "users.json",
                               city=str(tmp / "city"))
        server.start()
        units = [f"U{i:04d}" for i in range(UNITS)]
        consoles, feeds, procs = [], [], []
        try:
            consoles, console_procs = start_processes(ctx, console_process, lambda n: server.url, CONSOLE_PROCS,
                                                      tokens["console"], CONSOLES // CONSOLE_PROCS)
            feeds, feed_procs = start_processes(ctx, feed_process, lambda n: server.url, FEED_PROCS, tokens["feed"],
                                                FEED_CONNS_PER_PROC, units[50:])
            procs = console_procs + feed_procs
            for _, results in consoles + feeds:
                assert results.get(timeout=120)[0] == "ready"

            pids = {"server": [server.proc.pid], "consoles": [p.pid for p in procs[:CONSOLE_PROCS]],
                    "feeds": [p.pid for p in procs[CONSOLE_PROCS:]]}
            for framing, infix in (("cmd", "_v1feeds"), ("cmds", "")):
                r1000 = run_step(server.url, tokens, 1_000, feeds, consoles, units, pids, framing)
                print(f"r1000{infix}_delivery_p50_ms {r1000['p50_ms']:.1f} ms")
                print(f"r1000{infix}_delivery_p99_ms {r1000['p99_ms']:.1f} ms")
                print(f"r1000{infix}_cmd_rtt_p99_ms {r1000['rtt_p99_ms']:.1f} ms")
                if framing == "cmd":
                    print_r5000(run_step(server.url, tokens, 5_000, feeds, consoles, units, pids, framing), infix)
            saturation = 0
            for rate in SATURATION_STEPS:
                step = run_step(server.url, tokens, rate, feeds, consoles, units, pids)
                if rate == 5_000:
                    print_r5000(step, "")
                if step["dropped"] or step["delivered_ratio"] < 0.99 or step["p99_ms"] > 1000:
                    break
                saturation = rate
            print(f"saturation_eps {saturation} updates/s")
        finally:
            stop_processes(consoles + feeds, procs)
            server.kill()
        if new_database is not None:
            from store_append import pg_lines

            pg_lines(new_database())
            two_servers(new_database(), tmp, tokens)


if __name__ == "__main__":
    main()
