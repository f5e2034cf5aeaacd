"""The CAD importer on the real San Francisco export (10,000 rows, ~47,500 events): parse, plan and write.

Prints `name value unit` lines: events written per second of the whole import (reading the CSV, planning,
the one transaction, keyframes), and the planning step alone. Each run imports into a fresh log.
"""
from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dispatch.cad_import import import_cad, load_mapping, plan_events  # noqa: E402

SF_CSV = Path("/work/shared/data/san_francisco/sf_fire_ems_dispatch_2018_01.csv")
RUNS = 3


def main() -> None:
    totals, plans, events, rows = [], [], 0, 0
    for run in range(RUNS):
        with tempfile.TemporaryDirectory() as tmp:
            began = time.perf_counter()
            result = import_cad(SF_CSV, "sf", Path(tmp) / "bench.db", f"history:bench{run}")
            totals.append(time.perf_counter() - began)
            events, rows = result.events_written, result.rows_read
        began = time.perf_counter()
        plan_events(load_mapping("sf"), SF_CSV)
        plans.append(time.perf_counter() - began)
    print(f"import_events_per_s {events / min(totals):.0f} events/s")
    print(f"import_rows_per_s {rows / min(totals):.0f} rows/s")
    print(f"plan_events_per_s {events / min(plans):.0f} events/s")
    print(f"import_sf_s {min(totals):.2f} s")


if __name__ == "__main__":
    main()
