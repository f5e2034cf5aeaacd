"""Plates normalised and checked (anpr/plates.py): Chinese plates by GA 36-2018's rules, whatever the case,
spacing, dots or full-width forms of the read; a plate that looks Chinese and breaks a rule says which; other
plates pass as read, upper-cased, without spaces."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from anpr.plates import INVALID, NEW_ENERGY, ORDINARY, OTHER, PROVINCES, normalise

ROOT = Path(__file__).resolve().parents[2]

VALID = [  # read, key, display, kind
    ("粤S12345", "粤S12345", "粤S·12345", ORDINARY),
    ("粤s12345", "粤S12345", "粤S·12345", ORDINARY),
    ("粤 S 123 45", "粤S12345", "粤S·12345", ORDINARY),
    ("粤S·12345", "粤S12345", "粤S·12345", ORDINARY),
    ("粤S.12345", "粤S12345", "粤S·12345", ORDINARY),
    ("粤S・12345", "粤S12345", "粤S·12345", ORDINARY),
    ("粤Ｓ１２３４５", "粤S12345", "粤S·12345", ORDINARY),   # full-width
    ("京a8b9c2", "京A8B9C2", "京A·8B9C2", ORDINARY),
    ("沪C1234学", "沪C1234学", "沪C·1234学", ORDINARY),
    ("川A0001警", "川A0001警", "川A·0001警", ORDINARY),
    ("粤Z1234港", "粤Z1234港", "粤Z·1234港", ORDINARY),
    ("粤BD12345", "粤BD12345", "粤B·D12345", NEW_ENERGY),  # small, battery electric
    ("粤b f a2345", "粤BFA2345", "粤B·FA2345", NEW_ENERGY),  # small, other new energy, a letter second
    ("苏E12345D", "苏E12345D", "苏E·12345D", NEW_ENERGY),  # large
    ("琼A67890F", "琼A67890F", "琼A·67890F", NEW_ENERGY),
]

BROKEN = [  # read, key, what the reason says
    ("粤SO1234", "粤SO1234", "I or O"),
    ("粤S1I234", "粤S1I234", "I or O"),
    ("港A12345", "港A12345", "province"),
    ("粤S1234", "粤S1234", "6 characters"),
    ("粤S123456789", "粤S123456789", "11 characters"),
    ("粤112345", "粤112345", "authority"),
    ("粤S12警34", "粤S12警34", "serial"),
    ("粤S1234-", "粤S1234-", "serial"),
    ("粤BA12345", "粤BA12345", "new-energy"),   # 8 characters, neither D nor F first
    ("粤BD1234A", "粤BD1234A", "new-energy"),  # small, the last four not digits
    ("粤B1234D5", "粤B1234D5", "new-energy"),  # large, D not last
    ("粤S12345x", "粤S12345X", "new-energy"),
]

OTHERS = [  # read, key
    ("ab 123 cd", "AB123CD"),
    ("B-MW 1234", "B-MW1234"),
    ("6pk132", "6PK132"),
    ("?? #", "??#"),
    ("AB.12", "AB.12"),  # dots are dropped from Chinese plates only
]


@pytest.mark.parametrize("read, key, display, kind", VALID)
def test_a_chinese_plate_is_normalised_to_its_key_and_display_forms(read, key, display, kind):
    plate = normalise(read)
    assert (plate.text, plate.key, plate.display, plate.kind, plate.problem) == (read, key, display, kind, None)


@pytest.mark.parametrize("read, key, reason", BROKEN)
def test_a_plate_that_looks_chinese_and_breaks_a_rule_says_which(read, key, reason):
    plate = normalise(read)
    assert (plate.key, plate.display, plate.kind) == (key, key, INVALID)
    assert reason in plate.problem


@pytest.mark.parametrize("read, key", OTHERS)
def test_other_plates_pass_as_read_upper_cased_without_spaces(read, key):
    plate = normalise(read)
    assert (plate.key, plate.display, plate.kind, plate.problem) == (key, key, OTHER, None)


def test_every_province_abbreviation_makes_a_valid_plate_and_there_are_31():
    assert len(set(PROVINCES)) == 31
    assert all(normalise(f"{p}A12345").kind == ORDINARY for p in PROVINCES)


@pytest.mark.parametrize("read", ["", "   ", 12345, None])
def test_nothing_to_read_is_refused(read):
    with pytest.raises(ValueError, match="empty|text"):
        normalise(read)


def test_the_anpr_room_never_imports_qt():
    done = subprocess.run([sys.executable, "-c", "import sys, anpr.plates, anpr.watchlist, anpr.openalpr, anpr.gateway; "
                           "print(sorted(m for m in sys.modules if m.split('.')[0] in ('PySide6', 'pyqtgraph')))"],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
