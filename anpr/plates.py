"""Plates as read, normalised and checked.

Chinese plates (the rules of GA 36-2018, as the Ministry of Public Security's plate standard sets them):
- a province abbreviation (one of the 31 in PROVINCES), the issuing authority's letter (A-Z), then the serial;
- ordinary plates: 7 characters, the serial 5 letters or digits, or 4 and a use character (学 警 挂 港 澳);
- new-energy plates: 8 characters, the serial 6: small vehicles D or F first (D battery electric, F other
  new energy), then a letter or digit, then 4 digits; large vehicles 5 digits, then D or F;
- no serial ever uses I or O (they read as 1 and 0).
Text with a Chinese character in it is read as a Chinese plate: full-width forms folded (NFKC), spaces, dots
and middle dots dropped, upper-cased; it is then checked, and a plate breaking a rule says which. Anything
else (foreign plates, unreadable text) passes as read, upper-cased, spaces removed.

Every plate has a `key` (粤S12345: what watchlists match on) and a `display` form (粤S·12345).
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass

PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
USE_CHARACTERS = "学警挂港澳"  # the last character of a 7-character plate for learners, police, trailers, HK, Macao
SEPARATORS = frozenset(".·•・‧∙")
LETTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
DIGITS = frozenset("0123456789")
SERIAL_CHARACTERS = (LETTERS | DIGITS) - {"I", "O"}
NEW_ENERGY_LETTERS = frozenset("DF")

ORDINARY, NEW_ENERGY, INVALID, OTHER = "ordinary", "new_energy", "invalid", "other"


@dataclass(frozen=True)
class Plate:
    text: str            # as read
    key: str             # 粤S12345; other plates upper-cased, spaces removed
    display: str         # 粤S·12345; the key for plates that are not valid Chinese plates
    kind: str            # ORDINARY, NEW_ENERGY, INVALID (looks Chinese, breaks a rule) or OTHER
    problem: str | None  # for INVALID: the rule broken


def normalise(text: str) -> Plate:
    """The plate read as `text`; ValueError if there is nothing to read."""
    if not isinstance(text, str):
        raise ValueError(f"a plate is text, not {type(text).__name__}")
    folded = unicodedata.normalize("NFKC", text)
    if not any(_is_chinese(c) for c in folded):
        key = "".join(text.split()).upper()
        if not key:
            raise ValueError("the plate is empty")
        return Plate(text, key, key, OTHER, None)
    key = "".join(c for c in folded if not c.isspace() and c not in SEPARATORS).upper()
    problem = chinese_plate_problem(key)
    if problem is not None:
        return Plate(text, key, key, INVALID, problem)
    return Plate(text, key, f"{key[:2]}·{key[2:]}", ORDINARY if len(key) == 7 else NEW_ENERGY, None)


def chinese_plate_problem(key: str) -> str | None:
    """Which rule the key form of a Chinese plate breaks, or None if it keeps them all."""
    if key[0] not in PROVINCES:
        return f"{key[0]!r} is not one of the 31 province abbreviations"
    if len(key) not in (7, 8):
        return f"{len(key)} characters: ordinary plates have 7, new-energy plates 8"
    if key[1] not in LETTERS:
        return f"{key[1]!r} is not an issuing authority's letter (A-Z)"
    serial = key[2:]
    if "I" in serial or "O" in serial:
        return "the serial has I or O, which plates never use"
    if len(key) == 7:
        body = serial[:-1] if serial[-1] in USE_CHARACTERS else serial
        if not all(c in SERIAL_CHARACTERS for c in body):
            return f"the serial {serial!r} is not 5 letters or digits, nor 4 and one of {USE_CHARACTERS}"
        return None
    small = serial[0] in NEW_ENERGY_LETTERS and serial[1] in SERIAL_CHARACTERS and all(c in DIGITS for c in serial[2:])
    large = all(c in DIGITS for c in serial[:5]) and serial[5] in NEW_ENERGY_LETTERS
    if not (small or large):
        return (f"the new-energy serial {serial!r} is neither D or F, a letter or digit and 4 digits (small),"
                " nor 5 digits and D or F (large)")
    return None


def _is_chinese(character: str) -> bool:
    # CJK Unified Ideographs: the province abbreviations and use characters are all in this block
    return "\u4e00" <= character <= "\u9fff"
