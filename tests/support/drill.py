"""What drill tests share: an MSEL file written from rows, and a namespace's events read from the server's log."""
from __future__ import annotations

import csv
import sqlite3
from pathlib import Path

import orjson

from drills.msel import HEADINGS


def write_msel(path: Path, rows: list[list]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADINGS)
        writer.writerows(rows)
    return path


def namespace_events(db: Path, namespace: str) -> list[dict]:
    """The namespace's events as the server stored them (a read-only reader beside the running server)."""
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as connection:
        rows = connection.execute("SELECT frame FROM events WHERE ns = ? ORDER BY seq", (namespace,)).fetchall()
    return [orjson.loads(frame) for (frame,) in rows]
