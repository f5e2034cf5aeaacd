"""Every string of the interface has a Chinese translation, and the shipped .qm is compiled from the .ts."""
from __future__ import annotations

import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from PySide6.QtCore import QCoreApplication

from console import i18n
from console.words import word

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
TS = ROOT / "resources" / "i18n" / "onemap_zh_CN.ts"


def _sources() -> list[str]:
    return sorted(str(p) for folder in ("console", "map", "video") for p in (ROOT / folder).glob("*.py"))


def test_every_interface_string_is_translated(tmp_path):
    copy = tmp_path / TS.name
    shutil.copy(TS, copy)
    subprocess.run([str(BIN / "pyside6-lupdate"), *_sources(), "-ts", str(copy), "-no-obsolete",
                    "-locations", "none"], check=True, capture_output=True)
    untranslated = [m.find("source").text for m in ET.parse(copy).iter("message")
                    if m.find("translation").get("type") == "unfinished" or not m.find("translation").text]
    assert untranslated == [], f"run scripts/i18n.sh and translate: {untranslated}"


def test_shipped_qm_is_compiled_from_the_ts(tmp_path):
    built = tmp_path / "onemap_zh_CN.qm"
    subprocess.run([str(BIN / "pyside6-lrelease"), str(TS), "-qm", str(built)], check=True, capture_output=True)
    assert built.read_bytes() == TS.with_suffix(".qm").read_bytes(), "run scripts/i18n.sh"


def test_chinese_is_installed_and_english_is_the_source(qapp):
    assert i18n.install(qapp, "zh_CN") == "zh_CN"
    assert word("available") == "空闲"
    assert QCoreApplication.translate("MainWindow", "Incident queue") == "警情队列"
    assert i18n.install(qapp, "en") == "en"
    assert word("available") == "available"
    assert i18n.resolve("zh_TW") == "zh_CN" and i18n.resolve("fi_FI") == "en"


def test_no_string_is_marked_outside_a_translation_context():
    """lupdate files a tr() it cannot tie to a class (e.g. a local alias of translate) under an empty
    context, where the running console never looks it up: it would stay English in every language."""
    nameless = [m.find("source").text for context in ET.parse(TS).iter("context")
                if not (context.findtext("name") or "").strip() for m in context.iter("message")]
    assert nameless == []
