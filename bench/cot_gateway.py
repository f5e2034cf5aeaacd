"""The CoT gateway under a city's field devices: 2,000 TAK devices, each on its own TCP connection, report a
position every 2 s through `onemap gateway cot --listen` (loopback) to a real server, and a console
(a subscribed DispatchClient, as the console's link is) receives the units' moves. Each device reads what
the gateway sends it: the units within the gateway's --unit-range-km of it, and every incident.

The server runs a copy of the demo pack with 2,000 units (tests/support/packs.py); a device table maps
device BENCH-0001... to them. The devices are spread at random (the same points every time) over a square
of --city-km a side north of the demo city, 50 km by default: Dongguan's 2,460 km², where 2,000 devices
would be about one every 1.2 km². The devices run in a process of their own (one asyncio loop, 2,000
sockets), each reporting at its own phase of the 2 s, its CoT `time` the moment it sends. Prints
`name value unit`:

  positions_per_s            unit moves the console received per second over the measured span
  device_to_console_p99_ms   from a device's send (its CoT time, the unit.moved's ts) to the console's receipt
  gateway_cpu_pct            the gateway process, % of one core over the measured span
  server_cpu_pct             the server process, likewise
  to_devices_mb_per_s        what the devices read from the gateway, all together, over the span

Usage: python bench/cot_gateway.py [--devices 2000] [--seconds 60] [--city-km 50] [--unit-range-km 5]
(--unit-range-km 0: every device is sent every unit, as a TAK server would)
"""
from __future__ import annotations

import argparse
import asyncio
import math
import random
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from tak import DEFAULT_UNIT_RANGE_KM  # noqa: E402 (after the path)

REPORT_S = 2.0
WARM_UP_S = 10.0


def device_uid(number: int) -> str:
    return f"BENCH-{number:04d}"


def pli(uid: str, lon: float, lat: float, course: float) -> bytes:
    from tak.cot import Cot, to_xml

    now = datetime.now(timezone.utc)
    return to_xml(Cot(uid=uid, type="a-f-G-U-C", time=now, start=now, stale=now + timedelta(seconds=2 * REPORT_S),
                      lat=lat, lon=lon, how="m-g", hae=20.0, ce=5.0, le=10.0, callsign=uid, endpoint="*:-1:stcp",
                      course=course, speed=8.0))


async def one_device(number: int, port: int, lon: float, lat: float, window: tuple[float, float],
                     read: list[int]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    # A device reads what the gateway sends it: one that did not would be dropped.
    reading = asyncio.ensure_future(_drain(reader, window[0], read))
    stop = window[1]
    rng = random.Random(number)
    await asyncio.sleep(rng.uniform(0, REPORT_S))  # its own phase of the 2 s
    heading = rng.uniform(0, 360)
    while time.time() < stop:
        began = time.monotonic()
        lon += 0.00005 * math.sin(math.radians(heading))  # about 8 m a report
        lat += 0.00004 * math.cos(math.radians(heading))
        writer.write(pli(device_uid(number), lon, lat, heading))
        await writer.drain()
        await asyncio.sleep(max(0.0, REPORT_S - (time.monotonic() - began)))
    reading.cancel()
    writer.close()


async def _drain(reader: asyncio.StreamReader, counted_from: float, read: list[int]) -> None:
    while data := await reader.read(1 << 20):
        if time.time() >= counted_from:
            read[0] += len(data)


def homes(count: int, city_km: float) -> list[tuple[float, float]]:
    """Where the devices start: spread over a square of `city_km` whose south edge is the demo city's."""
    rng = random.Random(7)
    south, west_of_centre = 60.17, 24.94
    lat_span = city_km / 110.574
    lon_span = city_km / (111.320 * math.cos(math.radians(south + lat_span / 2)))
    return [(west_of_centre + rng.uniform(-lon_span / 2, lon_span / 2), south + rng.uniform(0, lat_span))
            for _ in range(count)]


def devices(port: str, count: str, city_km: str, window_start: str, stop: str) -> None:
    """The devices' process: every device until `stop` (epoch seconds); prints the bytes they read from
    `window_start` on."""
    read = [0]

    async def run() -> None:
        await asyncio.gather(*(one_device(n, int(port), lon, lat, (float(window_start), float(stop)), read)
                               for n, (lon, lat) in enumerate(homes(int(count), float(city_km)), 1)))
    asyncio.run(run())
    print(read[0], flush=True)


def write_device_table(path: Path, unit_ids: list[str]) -> Path:
    path.write_text("".join(f'[[device]]\nuid = "{device_uid(n)}"\nunit_id = "{unit_id}"\n\n'
                            for n, unit_id in enumerate(unit_ids, 1)), encoding="utf-8")
    return path


def run(count: int, seconds: float, city_km: float, unit_range_km: float) -> None:
    from dispatch.client import DispatchClient
    from dispatch.history import epoch
    from layers.citypack import load_city
    from support.fts import free_port
    from support.measure import cpu_seconds, percentile
    from support.packs import city_with_units
    from support.server import ServerProcess, make_users

    tmp = Path(tempfile.mkdtemp())
    pack = city_with_units(tmp, count, "cot-bench")
    unit_ids = list(load_city(pack).units["unit_id"])[:count]
    table = write_device_table(tmp / "devices.toml", unit_ids)
    tokens = make_users(tmp / "users.json", {"alice": "dispatcher", "fred": "feed"})
    server = ServerProcess(tmp / "events.db", tmp / "users.json", city=str(pack))
    server.start()
    port = free_port()
    token_file = tmp / "fred.token"
    token_file.write_text(tokens["fred"])
    token_file.chmod(0o600)
    gateway = subprocess.Popen([sys.executable, "-m", "console.cli", "gateway", "cot", "--server", server.url,
                                "--token-file", str(token_file), "--listen", f"tcp://127.0.0.1:{port}", "--devices",
                                str(table), "--unit-range-km", str(unit_range_km)], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    latencies: list[float] = []
    window = {"open": False}

    def received(event: dict) -> None:
        if window["open"] and event["type"] == "unit.moved":
            latencies.append(time.time() - epoch(event["data"]["ts"]))

    async def measure() -> tuple[float, float, float]:
        console = await DispatchClient.connect(server.url, tokens["alice"], on_event=received)
        deadline = time.monotonic() + 30
        while True:  # the gateway's listener is up
            try:
                _, probe = await asyncio.open_connection("127.0.0.1", port)
                probe.close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.1)
        window_start = time.time() + WARM_UP_S
        stop = window_start + seconds
        fleet = subprocess.Popen([sys.executable, __file__, "--device-process", str(port), str(count), str(city_km),
                                  str(window_start), str(stop)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
        await asyncio.sleep(WARM_UP_S)
        window["open"] = True
        gateway_before, server_before, began = cpu_seconds(gateway.pid), cpu_seconds(server.proc.pid), time.monotonic()
        await asyncio.sleep(seconds)
        gateway_cpu, server_cpu = cpu_seconds(gateway.pid) - gateway_before, cpu_seconds(server.proc.pid) - server_before
        elapsed = time.monotonic() - began
        window["open"] = False
        read_bytes = int(fleet.communicate(timeout=60)[0].split()[-1])
        await console.close()
        return elapsed, gateway_cpu, server_cpu, read_bytes

    try:
        elapsed, gateway_cpu, server_cpu, read_bytes = asyncio.run(measure())
    finally:
        gateway.terminate()
        try:
            gateway.wait(timeout=30)
        except subprocess.TimeoutExpired:
            gateway.kill()
        server.kill()
    print(f"devices {count} devices")
    print(f"city_km {city_km:g} km")
    print(f"unit_range_km {unit_range_km:g} km")
    print(f"positions_per_s {len(latencies) / elapsed:.0f} positions/s")
    print(f"device_to_console_p99_ms {percentile(latencies, 99) * 1000:.1f} ms")
    print(f"gateway_cpu_pct {gateway_cpu / elapsed * 100:.1f} %")
    print(f"server_cpu_pct {server_cpu / elapsed * 100:.1f} %")
    print(f"to_devices_mb_per_s {read_bytes / elapsed / 1e6:.1f} MB/s")


def main() -> None:
    if len(sys.argv) == 7 and sys.argv[1] == "--device-process":
        devices(*sys.argv[2:])
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--devices", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--city-km", type=float, default=50.0)
    parser.add_argument("--unit-range-km", type=float, default=DEFAULT_UNIT_RANGE_KM)
    args = parser.parse_args()
    run(args.devices, args.seconds, args.city_km, args.unit_range_km)


if __name__ == "__main__":
    main()
