"""The times a report is asked for and shown in: parsing --from/--to, and the zone of the page."""
from __future__ import annotations

import os
import zoneinfo
from datetime import datetime, timezone, tzinfo
from pathlib import Path


class ReportError(ValueError):
    """Bad input for a report, in one line a person can act on; nothing has been written."""


def zone_named(name: str) -> tzinfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ReportError(f"unknown time zone {name!r} (an IANA name, e.g. Europe/Helsinki or UTC)") from exc


def machine_zone() -> tzinfo:
    """The machine's zone with its rules (summer time included), not just today's offset: TZ if it names a
    zone, else /etc/localtime, else UTC."""
    name = os.environ.get("TZ", "").lstrip(":")
    if name:
        try:
            return zoneinfo.ZoneInfo(name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            pass
    localtime = Path("/etc/localtime")
    if localtime.exists():
        target = str(localtime.resolve())
        if "/zoneinfo/" in target:  # a link into the zone database names the zone
            try:
                return zoneinfo.ZoneInfo(target.split("/zoneinfo/", 1)[1])
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                pass
        with localtime.open("rb") as rules:
            return zoneinfo.ZoneInfo.from_file(rules, key="local")
    return timezone.utc


def parse_time(text: str, zone: tzinfo, option: str) -> float:
    """RFC 3339 / ISO 8601 to epoch seconds. A time with no offset is a wall-clock time in `zone`
    (in a summer-time change's repeated hour, the first of the two)."""
    try:
        when = datetime.fromisoformat(text.strip().replace("z", "Z").replace("Z", "+00:00"))
    except ValueError:
        raise ReportError(f"{option}: cannot read {text!r} as a time "
                          "(RFC 3339, e.g. 2026-12-02T08:00:00Z or 2026-12-02T10:00:00+02:00)") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=zone)
    return when.timestamp()


def local_label(epoch_s: float, zone: tzinfo) -> str:
    """How the page shows an instant: local date and time with the zone's abbreviation."""
    return datetime.fromtimestamp(epoch_s, zone).strftime("%Y-%m-%d %H:%M:%S %Z")
