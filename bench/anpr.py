"""ANPR at a city's checkpoints: plate reads from 1,000 checkpoints against a watchlist of 100,000 entries,
alongside 1,000 AVL positions a second, through a real server to a dispatcher's connection.

The same workload every run (seeded): the entries and reads of bench/anpr_match.py (a tenth of the entries
patterns; about 3 % of the reads made from an entry, a third of those with a look-alike character), a copy
of the demo pack with 1,000 units and 1,000 more bayonets (tests/support/packs.py). A supervisor loads the
list (watchlist.add, in cmds frames); then for --seconds a feed sends --rate reads a second (a cmds frame
every 20 ms, each read's `ts` its send time) and another feed 1,000 positions a second; a dispatcher,
subscribed as a console is, receives every read and hit. Prints `name value unit`:

  reads_per_s          plate.read events the dispatcher received per second over the measured span
  read_to_hit_p50_ms   from a read's send (its ts) to its plate.hit at the dispatcher: the median
  read_to_hit_p99_ms   and the 99th percentile
  match_us_p99         one read normalised and matched against the whole list, in this process
  server_cpu_pct       the server process, % of one core over the measured span
  hits                 hits received over the span
  refused              reads and positions the server refused (rate limits): 0 when the workload is sound

Usage: python bench/anpr.py [--rate 5000] [--seconds 30] [--entries 100000]
"""
from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))

from anpr_match import AT, make_entries, make_reads  # noqa: E402 (the path first)

CHECKPOINTS = 1000
UNITS = 1000
AVL_PER_S = 1000
TICK_S = 0.02
WARM_UP_S = 3.0
TAIL_S = 1.0
LOADERS = 20
SUPERVISOR_BURST, SUPERVISOR_RATE = 1000, 190  # a supervisor connection's limit: 1,000 at once, 200 a second
READERS = 4  # feed connections the reads come on: a feed's limit is 2,000 a second (docs/protocol.md)


def run(rate: int, seconds: float, entry_count: int) -> None:
    from anpr.watchlist import Watchlist
    from dispatch.client import DispatchClient
    from dispatch.history import epoch, rfc3339
    from layers.citypack import load_city
    from support.measure import cpu_seconds, percentile
    from support.packs import city_with_units
    from support.server import ServerProcess, make_users

    rng = random.Random(14)
    entries = make_entries(entry_count, rng)
    reads = make_reads(int(rate * (seconds + WARM_UP_S)) + rate, entries, rng)
    matcher = Watchlist(entries)
    clock = time.perf_counter_ns
    match_us = []
    for read in reads[:20_000]:
        started = clock()
        matcher.match(read, AT)
        match_us.append((clock() - started) / 1000)

    tmp = Path(tempfile.mkdtemp())
    pack = city_with_units(tmp, UNITS, "anpr-bench", checkpoints=CHECKPOINTS)
    city = load_city(pack)
    checkpoint_ids = [c for c in city.checkpoints["checkpoint_id"] if c.startswith("K")]
    units = list(zip(city.units["unit_id"], city.units.geometry.x, city.units.geometry.y))
    tokens = make_users(tmp / "users.json", {"sam": "supervisor", "alice": "dispatcher", "fred": "feed",
                                             "avl": "feed"})
    server = ServerProcess(tmp / "events.db", tmp / "users.json", city=str(pack))
    server.start()
    window = {"open": False, "reads": 0, "refused": 0}
    latencies: list[float] = []

    def received(event: dict) -> None:
        if not window["open"]:
            return
        if event["type"] == "plate.read":
            window["reads"] += 1
        elif event["type"] == "plate.hit":
            latencies.append(time.time() - epoch(event["data"]["read_ts"]))

    def count_refused(reply: asyncio.Future) -> None:
        if not reply.cancelled() and reply.exception() is None and reply.result().get("op") != "ack":
            window["refused"] += 1

    async def feed_loop(client, stop: float, per_s: float, make) -> None:
        """A cmds frame every TICK_S with what `make(n, count, now)` gives: as many commands as are due at
        `per_s` since the start, so a late tick sends more, not fewer. The refused ones are counted as
        their replies come (one gather of every reply at the end would stall this process's loop)."""
        n = 0
        started = next_at = time.monotonic()
        last: list[asyncio.Future] = []
        while time.time() < stop:
            due = int((time.monotonic() - started) * per_s) + 1 - n
            if due > 0:
                last = client.send_commands(make(n, due, time.time()))
                for reply in last:
                    reply.add_done_callback(count_refused)
                n += due
            next_at += TICK_S
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))
        await asyncio.gather(*last)  # replies come in order: the last ones answered, all are

    async def load_watchlist() -> None:
        """The list, by LOADERS supervisor connections at once, each within its rate limit (200 a second
        after a burst of 1,000: docs/protocol.md): a desk adds entries one by one, a bench needs 100,000."""
        commands = [("watchlist.add", {
            "pattern": e.pattern, "category": e.category, "reason": e.reason,
            **({"valid_from": rfc3339(e.valid_from), "valid_until": rfc3339(e.valid_until)} if e.valid_from else {})})
            for e in entries]

        async def one(share: list) -> list[dict]:
            client = await DispatchClient.connect(server.url, tokens["sam"], subscribe=False)
            answered = list(await asyncio.gather(*client.send_commands(share[:SUPERVISOR_BURST])))
            for start in range(SUPERVISOR_BURST, len(share), SUPERVISOR_RATE):
                await asyncio.sleep(1.0)
                answered += await asyncio.gather(*client.send_commands(share[start:start + SUPERVISOR_RATE]))
            await client.close()
            return answered

        answered = await asyncio.gather(*(one(commands[i::LOADERS]) for i in range(LOADERS)))
        refused = [r for share in answered for r in share if r.get("op") != "ack"]
        assert not refused, refused[:3]

    async def measure() -> tuple[float, float]:
        await load_watchlist()
        dispatcher = await DispatchClient.connect(server.url, tokens["alice"], on_event=received)
        readers = [await DispatchClient.connect(server.url, tokens["fred"], subscribe=False) for _ in range(READERS)]
        avl = await DispatchClient.connect(server.url, tokens["avl"], subscribe=False)

        def plate_reads(offset: int):
            def make(n: int, count: int, now: float) -> list:
                # each read's ts is its send time: its validity windows (a twentieth of the entries) are
                # judged at that time
                k = n * READERS + offset
                return [("plate.read", {"checkpoint_id": checkpoint_ids[(k + i) % len(checkpoint_ids)],
                                        "plate": reads[(k + i) % len(reads)], "ts": rfc3339(now), "confidence": 90.0})
                        for i in range(count)]
            return make

        def positions(n: int, count: int, now: float) -> list:
            out = []
            for i in range(count):
                unit_id, lon, lat = units[(n + i) % len(units)]
                out.append(("unit.position", {"unit_id": unit_id, "lon": lon + 1e-5 * ((n // len(units)) % 50),
                                              "lat": lat, "speed": 8.0, "heading": 90.0, "ts": rfc3339(now)}))
            return out

        stop = time.time() + WARM_UP_S + seconds + TAIL_S  # the measured span ends while the feeds still send
        feeding = [asyncio.ensure_future(feed_loop(reader, stop, rate / READERS, plate_reads(i)))
                   for i, reader in enumerate(readers)]
        feeding.append(asyncio.ensure_future(feed_loop(avl, stop, AVL_PER_S, positions)))
        await asyncio.sleep(WARM_UP_S)
        window["open"] = True
        before, began = cpu_seconds(server.proc.pid), time.monotonic()
        await asyncio.sleep(seconds)
        cpu, elapsed = cpu_seconds(server.proc.pid) - before, time.monotonic() - began
        window["open"] = False
        await asyncio.gather(*feeding)
        for client in (dispatcher, *readers, avl):
            await client.close()
        return elapsed, cpu

    try:
        elapsed, cpu = asyncio.run(measure())
    finally:
        server.kill()
    print(f"reads_per_s {window['reads'] / elapsed:.0f} reads/s")
    print(f"read_to_hit_p50_ms {percentile(latencies, 50) * 1000:.1f} ms")
    print(f"read_to_hit_p99_ms {percentile(latencies, 99) * 1000:.1f} ms")
    print(f"match_us_p99 {percentile(match_us, 99):.1f} us")
    print(f"server_cpu_pct {cpu / elapsed * 100:.1f} %")
    print(f"hits {len(latencies)} hits")
    print(f"refused {window['refused']} commands")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rate", type=int, default=5000)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--entries", type=int, default=100_000)
    args = parser.parse_args()
    run(args.rate, args.seconds, args.entries)


if __name__ == "__main__":
    main()
