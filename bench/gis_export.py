"""`onemap export` at scale: a generated log (bench/replay_state.py's, cached under out/bench/) of about
100,000 positions exported whole to each format.

Prints `name value unit` lines:
  export_positions_per_s_geojson|gpkg|kml  positions in the span / the export's wall time
  export_rss_mb                            this process's peak resident memory after the three
Usage: python bench/gis_export.py [--events N]   (default 120000: ~100,000 of them positions)
"""
from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import replay_state  # noqa: E402
from dispatch.history import History  # noqa: E402
from dispatch.store import EventStore  # noqa: E402
from reports.gis import FORMATS, write_gis  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=120_000)
    events = parser.parse_args().events
    log = replay_state.generate_log(replay_state.cached_path(events), events)
    store = EventStore(log)
    bounds = History(store).bounds()
    positions = sum(1 for _ in store.iter_frames("live", 0, bounds.last_seq, types=("unit.moved",)))
    store.close()
    with tempfile.TemporaryDirectory() as folder:
        for fmt in FORMATS:
            begun = time.perf_counter()
            write_gis(log, "live", bounds.first_ts, bounds.last_ts + 1, fmt, Path(folder) / f"all.{fmt}")
            print(f"export_positions_per_s_{fmt} {positions / (time.perf_counter() - begun):.0f} positions/s",
                  flush=True)
    print(f"export_rss_mb {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
