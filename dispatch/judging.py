"""What every command handler uses (dispatch/commands.py, dispatch/grid_cases.py): `Rejected`, typed access
to a command's args, and the next free id of a collection. Kept apart from dispatch.commands so that the
handlers of a capability can live in a module of their own, which commands.py registers.
"""
from __future__ import annotations

import math
import re
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}")
# A call-back number, loosely: what people type for one (+86 138-0013-8000, (09) 310 1234), 3+ digits.
_PHONE_PATTERN = re.compile(r"\+?[0-9 ()./-]+")


def is_url(value: object, schemes: tuple[str, ...]) -> bool:
    """A printable string with no space, of one of `schemes`, naming a host: a URL a console may open."""
    if not isinstance(value, str) or not value.isprintable() or " " in value:
        return False
    try:
        parts = urlsplit(value)
    except ValueError:  # "http://[x/": a bracketed host that is not IPv6
        return False
    return parts.scheme.lower() in schemes and bool(parts.netloc)


class Rejected(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


class Args:
    """Typed access to a command's args; every problem is a `bad_request` that names the field."""

    def __init__(self, cmd: str, args: dict[str, Any], allowed: set[str]):
        unknown = sorted(set(args) - allowed)
        if unknown:
            raise Rejected("bad_request", f"{cmd}: unknown field {unknown[0]!r}")
        self.cmd = cmd
        self.args = args

    def _bad(self, name: str, problem: str) -> Rejected:
        return Rejected("bad_request", f"{self.cmd}: {name} {problem}")

    def text(self, name: str, *, required: bool = True, max_len: int = 200) -> str | None:
        value = self.args.get(name)
        if value is None:
            if required:
                raise self._bad(name, "is missing")
            return None
        if not isinstance(value, str):
            raise self._bad(name, f"must be a string, not {type(value).__name__}")
        if required and not value.strip():
            raise self._bad(name, "is empty")
        if len(value) > max_len:
            raise self._bad(name, f"is longer than {max_len} characters")
        return value

    def ident(self, name: str, *, required: bool = True) -> str | None:
        value = self.text(name, required=required, max_len=64)
        if value is not None and not _ID_PATTERN.fullmatch(value):
            raise self._bad(name, "must be 1-64 letters, digits or _.:- starting with a letter or digit")
        return value

    def phone(self, name: str) -> str | None:
        value = self.text(name, required=False, max_len=32)
        if value is not None and not (_PHONE_PATTERN.fullmatch(value.strip())
                                      and sum(c.isdigit() for c in value) >= 3):
            raise self._bad(name, f"{value!r} is not a phone number (digits, spaces, + ( ) . / -)")
        return value

    def choice(self, name: str, choices: tuple[str, ...], *, required: bool = False) -> str | None:
        value = self.text(name, required=False, max_len=32)
        if value is None and required:
            raise self._bad(name, f"is missing: one of {', '.join(choices)}")
        if value is not None and value not in choices:
            raise self._bad(name, f"{value!r} is not one of {', '.join(choices)}")
        return value

    def integer(self, name: str, low: int, high: int) -> int:
        value = self.args.get(name)
        if value is None:
            raise self._bad(name, "is missing")
        if isinstance(value, bool) or not isinstance(value, int):
            raise self._bad(name, f"must be an integer, not {type(value).__name__}")
        if not low <= value <= high:
            raise self._bad(name, f"{value} is outside [{low}, {high}]")
        return value

    def number(self, name: str, low: float, high: float, *, required: bool = True) -> float | None:
        value = self.args.get(name)
        if value is None:
            if required:
                raise self._bad(name, "is missing")
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self._bad(name, f"must be a number, not {type(value).__name__}")
        if not math.isfinite(value):
            raise self._bad(name, f"must be a finite number, not {value}")
        if not low <= value <= high:
            raise self._bad(name, f"{value} is outside [{low}, {high}]")
        return float(value)

    def flag(self, name: str) -> bool:
        value = self.args.get(name)
        if not isinstance(value, bool):
            raise self._bad(name, "must be true or false")
        return value

    def position(self) -> tuple[float, float]:
        return self.number("lon", -180.0, 180.0), self.number("lat", -90.0, 90.0)

    def instant(self, name: str) -> float:
        """A required RFC 3339 time with its offset (`Z` or `+hh:mm`), as epoch seconds."""
        value = self.text(name, max_len=40)
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            raise self._bad(name, f"{value!r} is not an RFC 3339 time") from None
        if moment.tzinfo is None:
            raise self._bad(name, f"{value!r} has no offset (end it with Z or +hh:mm)")
        return moment.timestamp()

    def strings(self, name: str, max_items: int) -> list[str]:
        value = self.args.get(name)
        if not isinstance(value, list) or not 0 < len(value) <= max_items:
            raise self._bad(name, f"must be a list of 1-{max_items} strings")
        for item in value:
            if not isinstance(item, str) or not 0 < len(item) <= 64:
                raise self._bad(name, "must hold strings of 1-64 characters")
        return value

    def timestamp(self, name: str) -> str | None:
        value = self.text(name, required=False, max_len=40)
        if value is not None:
            try:
                datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                raise self._bad(name, f"{value!r} is not an RFC 3339 time") from None
        return value


def next_id(collection: dict, prefix: str) -> str:
    """The collection's next id: PREFIX and the first free number from its size on (A1, A2, ...)."""
    number = len(collection) + 1
    while f"{prefix}{number}" in collection:
        number += 1
    return f"{prefix}{number}"
