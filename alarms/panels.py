"""The alarm panels a centre receives from: DC-09 account -> where the panel is and what it guards (TOML, in a
city pack as `alarm_panels.toml` or a file of its own; docs/alarm-gateway.md).

    [[panel]]
    account = "1234"          # the DC-09 account, 3-16 hex digits
    name = "No. 1 Middle School, guard room"
    lon = 24.9410
    lat = 60.1690
    key = "..."               # optional: the AES key (16, 24 or 32 characters) of an encrypting panel
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

from layers.tables import read_rows

ACCOUNT = re.compile(r"[0-9A-Fa-f]{3,16}")
KEY_LENGTHS = (16, 24, 32)


class PanelTableError(ValueError):
    pass


@dataclass(frozen=True)
class Panel:
    account: str  # upper-case, as pysiaalarm keeps accounts
    name: str
    lon: float
    lat: float
    key: str | None = None


class PanelTable:
    def __init__(self, panels: dict[str, Panel] | None = None):
        self.by_account = panels or {}

    def get(self, account: str | None) -> Panel | None:
        return self.by_account.get((account or "").upper())

    @classmethod
    def load(cls, path: str | Path) -> "PanelTable":
        panels: dict[str, Panel] = {}
        for where, row in read_rows(path, "panel", PanelTableError):
            if set(row) - {"account", "name", "lon", "lat", "key"}:
                raise PanelTableError(f"{where}: fields are account, name, lon, lat, key")
            account = row.get("account")
            if not isinstance(account, str) or not ACCOUNT.fullmatch(account):
                raise PanelTableError(f"{where}: account must be 3-16 hex digits, as DC-09 sends it")
            if account.upper() in panels:
                raise PanelTableError(f"{where}: account {account!r} is listed twice")
            name = row.get("name")
            if not isinstance(name, str) or not name.strip():
                raise PanelTableError(f"{where}: name is required")
            lon, lat = row.get("lon"), row.get("lat")
            if not all(isinstance(v, (int, float)) and math.isfinite(v) for v in (lon, lat)) \
                    or not (-180 <= lon <= 180 and -90 <= lat <= 90):
                raise PanelTableError(f"{where}: lon and lat must be degrees (WGS 84)")
            key = row.get("key")
            if key is not None and (not isinstance(key, str) or len(key.encode()) not in KEY_LENGTHS):
                raise PanelTableError(f"{where}: key must be 16, 24 or 32 characters (AES-128, -192, -256)")
            panels[account.upper()] = Panel(account.upper(), name.strip(), float(lon), float(lat), key)
        return cls(panels)
