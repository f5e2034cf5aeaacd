"""One plate read against a watchlist of 100,000 entries (anpr/watchlist.py), as the server will match each read.

The same workload every run (seeded): 100,000 entries of Chinese plates (a sixth new-energy), a tenth of them
patterns with one or two `*` in the serial, a few with a validity window; 100,000 reads, about 3 % made from
an entry (its wildcards filled, a third of them with one look-alike character), the rest random plates. Each
read is matched as text (normalised, then looked up) at the default setting (one substitution).

Prints `name value unit` lines:
  match_us_p50, match_us_p99   one read: normalise and match, microseconds
  index_build_s                building the index of the 100,000 entries
  reads_hit_pct                reads with at least one hit
Usage: python bench/anpr_match.py [--entries N] [--reads N] [--seed S]
"""
from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from anpr.plates import DIGITS, PROVINCES, SERIAL_CHARACTERS  # noqa: E402
from anpr.watchlist import CATEGORIES, LOOKALIKES, Entry, Watchlist  # noqa: E402

AT = 1_796_169_600.0  # 2026-12-02T00:00:00Z
LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"
SERIAL = "".join(sorted(SERIAL_CHARACTERS))


def random_plate(rng: random.Random) -> str:
    head = rng.choice(PROVINCES) + rng.choice(LETTERS)
    if rng.random() < 1 / 6:
        if rng.random() < 0.8:
            return head + rng.choice("DF") + rng.choice(SERIAL) + "".join(rng.choices(sorted(DIGITS), k=4))
        return head + "".join(rng.choices(sorted(DIGITS), k=5)) + rng.choice("DF")
    return head + "".join(rng.choice(SERIAL) if rng.random() < 0.2 else rng.choice("0123456789") for _ in range(5))


def make_entries(count: int, rng: random.Random) -> list[Entry]:
    entries = []
    for n in range(count):
        pattern = list(random_plate(rng))
        if n % 10 == 0:
            for position in rng.sample(range(2, len(pattern)), rng.choice((1, 2))):
                pattern[position] = "*"
        window = {}
        if rng.random() < 0.05:
            start = AT + rng.uniform(-30, 30) * 86_400
            window = {"valid_from": start, "valid_until": start + 30 * 86_400}
        entries.append(Entry(f"W{n}", "".join(pattern), rng.choice(CATEGORIES), "generated", "bench", **window))
    return entries


def make_reads(count: int, entries: list[Entry], rng: random.Random) -> list[str]:
    similar = {c: group for group in LOOKALIKES for c in group}
    reads = []
    for _ in range(count):
        if rng.random() >= 0.03:
            reads.append(random_plate(rng))
            continue
        read = [rng.choice("0123456789") if c == "*" else c for c in rng.choice(entries).pattern]
        if rng.random() < 1 / 3:
            positions = [i for i, c in enumerate(read) if c in similar]
            if positions:
                i = rng.choice(positions)
                read[i] = rng.choice([c for c in similar[read[i]] if c != read[i]])
        reads.append("".join(read))
    return [f"{read[:2]}·{read[2:].lower()}" if rng.random() < 0.1 else read for read in reads]  # some as shown


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--reads", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=14)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    entries = make_entries(args.entries, rng)
    reads = make_reads(args.reads, entries, rng)

    started = time.perf_counter()
    watchlist = Watchlist(entries)
    build_s = time.perf_counter() - started

    times_us, hitting = [], 0
    clock = time.perf_counter_ns
    for read in reads:
        started_ns = clock()
        hits = watchlist.match(read, AT)
        times_us.append((clock() - started_ns) / 1000)
        hitting += bool(hits)
    print(f"match_us_p99 {np.percentile(times_us, 99):.1f} us")
    print(f"match_us_p50 {np.percentile(times_us, 50):.1f} us")
    print(f"index_build_s {build_s:.2f} s")
    print(f"reads_hit_pct {100 * hitting / len(reads):.1f} %")


if __name__ == "__main__":
    main()
