"""The small TOML tables a city pack (or a gateway's own file) may carry beside its layers: TAK devices
(`devices.toml`), alarm panels (`alarm_panels.toml`), ANPR cameras (`anpr_cameras.toml`). Reading them is the
same each time; what a row must hold is each table's own."""
from __future__ import annotations

import tomllib
from pathlib import Path


def read_rows(path: str | Path, table: str, error: type[ValueError]) -> list[tuple[str, dict]]:
    """The file's `[[table]]` rows, each with where it is ("FILE: table N") for the caller's messages;
    `error` naming the file when it is unreadable, not TOML, or holds anything else."""
    path = Path(path)
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise error(f"{path}: {exc}") from None
    rows = document.get(table, [])
    if not isinstance(rows, list) or set(document) - {table}:
        raise error(f"{path}: expected only [[{table}]] tables")
    for number, row in enumerate(rows, 1):
        if not isinstance(row, dict):
            raise error(f"{path}: {table} {number} is not a table")
    return [(f"{path}: {table} {number}", row) for number, row in enumerate(rows, 1)]


def pack_then_file(city: str | None, name: str, file: str | Path | None) -> list[Path]:
    """Where a table is: the city pack's file `name` (when the pack has one), then `file` (which wins)."""
    paths = []
    if city:
        from layers.citypack import pack_folder

        in_pack = pack_folder(city) / name
        if in_pack.is_file():
            paths.append(in_pack)
    if file:
        paths.append(Path(file))
    return paths
