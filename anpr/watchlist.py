"""Watchlists (布控) and the matcher that checks a plate read against them.

An entry is a plate or a pattern (`*` stands for exactly one unknown character) in key form (anpr/plates.py),
with a category, a reason, who added it and when it is valid (from `valid_from` inclusive until `valid_until`
exclusive, epoch seconds; None is open-ended). A read matches an entry of the same length when every
position holds the entry's character, a wildcard, or a look-alike of the entry's character (LOOKALIKES: what
readers confuse); look-alike substitutions are counted, and at most `max_substitutions` (1 by default, 2 at
most) are allowed. Each hit names its entry, its kind (exact, lookalike, or wildcard for a pattern) and the
positions where a look-alike stood in.

The index: every key is folded to one representative per look-alike class, so a read and the entries it can
match share their folded key; plain entries are found by that key in one look-up, patterns by their folded
key with the wildcard positions left out, one look-up per distinct wildcard layout of the read's length.
Only those candidates are compared character by character.
"""
from __future__ import annotations

import math
import operator
from dataclasses import dataclass
from typing import Callable, Iterable

from anpr.plates import Plate, normalise

CATEGORIES = ("stolen", "wanted", "key_person", "unlicensed", "fake_plate", "other")
LOOKALIKES = ("0ODQ", "1I", "2Z", "5S", "8B", "6G")
WILDCARD = "*"
DEFAULT_SUBSTITUTIONS, MOST_SUBSTITUTIONS = 1, 2
EXACT, LOOKALIKE, WILDCARD_MATCH = "exact", "lookalike", "wildcard"

_FOLD = str.maketrans({c: group[0] for group in LOOKALIKES for c in group[1:]})


def fold(key: str) -> str:
    """The key with each look-alike character replaced by its class's representative (O, D, Q -> 0, ...)."""
    return key.translate(_FOLD)


@dataclass(frozen=True)
class Entry:
    entry_id: str
    pattern: str  # normalised to key form on construction (粤S·123** -> 粤S123**)
    category: str
    reason: str
    added_by: str
    valid_from: float | None = None
    valid_until: float | None = None

    def __post_init__(self):
        for name in ("entry_id", "reason", "added_by"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip():
                raise ValueError(f"a watchlist entry needs {name} (non-empty text), got {value!r}")
        if self.category not in CATEGORIES:
            raise ValueError(f"category {self.category!r} is not one of {', '.join(CATEGORIES)}")
        key = normalise(self.pattern).key
        if set(key) == {WILDCARD}:
            raise ValueError(f"pattern {self.pattern!r} is all wildcards: it would match every plate of its length")
        object.__setattr__(self, "pattern", key)
        for name in ("valid_from", "valid_until"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))
                                      or not math.isfinite(value)):
                raise ValueError(f"{name} must be epoch seconds or None, got {value!r}")
        if self.valid_from is not None and self.valid_until is not None and self.valid_until <= self.valid_from:
            raise ValueError(f"entry {self.entry_id}: valid_until {self.valid_until} is not after valid_from "
                             f"{self.valid_from}")

    def valid_at(self, t: float) -> bool:
        return (self.valid_from is None or self.valid_from <= t) and (self.valid_until is None or t < self.valid_until)


@dataclass(frozen=True)
class Hit:
    entry: Entry
    kind: str                   # EXACT, LOOKALIKE or WILDCARD_MATCH (the entry is a pattern)
    positions: tuple[int, ...]  # positions of the key where the read had a look-alike of the entry's character

    @property
    def substitutions(self) -> int:
        return len(self.positions)


class Watchlist:
    """Entries by id, indexed for matching; `max_substitutions` is the look-alike setting (0 to 2)."""

    def __init__(self, entries: Iterable[Entry] = (), max_substitutions: int = DEFAULT_SUBSTITUTIONS):
        if isinstance(max_substitutions, bool) or not isinstance(max_substitutions, int) \
                or not 0 <= max_substitutions <= MOST_SUBSTITUTIONS:
            raise ValueError(f"max_substitutions must be 0 to {MOST_SUBSTITUTIONS}, got {max_substitutions!r}")
        self.max_substitutions = max_substitutions
        self._entries: dict[str, Entry] = {}
        self._plain: dict[str, dict[str, Entry]] = {}  # folded key -> entries by id
        # length -> wildcard positions -> (projection of a folded key onto the other positions, projected -> entries)
        self._patterns: dict[int, dict[tuple[int, ...], tuple[Callable[[str], str], dict[str, dict[str, Entry]]]]] = {}
        for entry in entries:
            self.add(entry)

    def __len__(self) -> int:
        return len(self._entries)

    def add(self, entry: Entry) -> None:
        """Adds the entry, replacing any entry with its id."""
        self.remove(entry.entry_id)
        self._entries[entry.entry_id] = entry
        bucket_key, buckets = self._buckets_of(entry.pattern, create=True)
        buckets.setdefault(bucket_key, {})[entry.entry_id] = entry

    def remove(self, entry_id: str) -> None:
        """Removes the entry with this id, if there is one."""
        entry = self._entries.pop(entry_id, None)
        if entry is None:
            return
        bucket_key, buckets = self._buckets_of(entry.pattern, create=False)
        del buckets[bucket_key][entry_id]
        if not buckets[bucket_key]:
            del buckets[bucket_key]
        wildcards = _wildcard_positions(entry.pattern)
        if wildcards and not self._patterns[len(entry.pattern)][wildcards][1]:
            del self._patterns[len(entry.pattern)][wildcards]
            if not self._patterns[len(entry.pattern)]:
                del self._patterns[len(entry.pattern)]

    def match(self, read: str | Plate, at: float) -> list[Hit]:
        """The hits of a read at epoch time `at`: fewest substitutions first, exact before patterns, then by id."""
        key = (read if isinstance(read, Plate) else normalise(read)).key
        folded = fold(key)
        candidates = list(self._plain.get(folded, {}).values())
        for project, buckets in self._patterns.get(len(key), {}).values():
            candidates.extend(buckets.get(project(folded), {}).values())
        hits = []
        for entry in candidates:
            if not entry.valid_at(at):
                continue
            positions = tuple(i for i, (r, e) in enumerate(zip(key, entry.pattern)) if e != WILDCARD and r != e)
            if len(positions) > self.max_substitutions:
                continue
            kind = WILDCARD_MATCH if WILDCARD in entry.pattern else LOOKALIKE if positions else EXACT
            hits.append(Hit(entry, kind, positions))
        hits.sort(key=lambda hit: (hit.substitutions, hit.kind != EXACT, hit.entry.entry_id))
        return hits

    def _buckets_of(self, pattern: str, create: bool) -> tuple[str, dict[str, dict[str, Entry]]]:
        folded = fold(pattern)
        wildcards = _wildcard_positions(pattern)
        if not wildcards:
            return folded, self._plain
        layouts = self._patterns.setdefault(len(pattern), {}) if create else self._patterns[len(pattern)]
        if wildcards not in layouts:
            kept = [i for i in range(len(pattern)) if i not in wildcards]
            getter = operator.itemgetter(*kept)
            layouts[wildcards] = ((lambda key: "".join(getter(key))), {})
        project, buckets = layouts[wildcards]
        return project(folded), buckets


def _wildcard_positions(pattern: str) -> tuple[int, ...]:
    return tuple(i for i, c in enumerate(pattern) if c == WILDCARD)
