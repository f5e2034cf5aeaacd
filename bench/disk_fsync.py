"""The disk alone: how long fdatasync takes on the event store's filesystem at the write volume the server
produces, with no SQLite, no Python server and no network in the way. Separates the disk's latency tail
from the code's when the server's delivery p99 is judged.

Appends BYTES per sync at SYNCS_PER_S, as a WAL does under group commit, for SECONDS per case.

    python bench/disk_fsync.py [--dir DIR]
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time

import numpy as np

SECONDS = 15.0
# (name, bytes per sync, syncs per second): the server at 5,000 position updates/s commits every 5 ms
# (~25 events, ~16 KiB of WAL frames) or, spaced wider, every 20 ms (~64 KiB).
CASES = (("sync16k_200hz", 16 * 1024, 200), ("sync64k_50hz", 64 * 1024, 50), ("sync4k_200hz", 4 * 1024, 200))


def run(directory: str, size: int, rate: float) -> np.ndarray:
    chunk = os.urandom(size)
    took = []
    fd, path = tempfile.mkstemp(dir=directory, suffix=".fsync")
    try:
        start = time.perf_counter()
        k = 0
        while time.perf_counter() - start < SECONDS:
            os.write(fd, chunk)
            t0 = time.perf_counter()
            os.fdatasync(fd)
            took.append(time.perf_counter() - t0)
            k += 1
            wait = start + k / rate - time.perf_counter()
            if wait > 0:
                time.sleep(wait)  # the pace of commits, not a wait for a result
    finally:
        os.close(fd)
        os.unlink(path)
    return np.array(took) * 1000.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", default=tempfile.gettempdir(), help="a folder on the disk to measure")
    args = parser.parse_args()
    for name, size, rate in CASES:
        ms = run(args.dir, size, rate)
        print(f"{name}_p50_ms {np.percentile(ms, 50):.2f} ms")
        print(f"{name}_p99_ms {np.percentile(ms, 99):.2f} ms")
        print(f"{name}_max_ms {ms.max():.2f} ms")
        print(f"{name}_over_50ms_pct {100.0 * np.mean(ms > 50.0):.2f} %")


if __name__ == "__main__":
    main()
