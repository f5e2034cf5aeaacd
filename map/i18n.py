"""Interface words of the map, marked for translation (context "map") and looked up at display time.

Layer models in layers/ are Qt-free and keep plain English titles and legend labels; the map translates
them here, by layer name or by label. Statuses and incident kinds come from data and are translated in
the console's "words" context (console/words.py marks them), which the map reuses.
"""
from __future__ import annotations

import re

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication

LAYER_TITLES = {
    "basemap": QT_TRANSLATE_NOOP("map", "Streets"),
    "grids": QT_TRANSLATE_NOOP("map", "Grid cells"),
    "incident_heat": QT_TRANSLATE_NOOP("map", "Incident heatmap"),
    "patrol_heat": QT_TRANSLATE_NOOP("map", "Patrol strength heatmap"),
    "stations": QT_TRANSLATE_NOOP("map", "Stations"),
    "checkpoints": QT_TRANSLATE_NOOP("map", "Checkpoints"),
    "cameras": QT_TRANSLATE_NOOP("map", "Cameras"),
    "incidents": QT_TRANSLATE_NOOP("map", "Incidents"),
    "trails": QT_TRANSLATE_NOOP("map", "Unit trails"),
    "units": QT_TRANSLATE_NOOP("map", "Units"),
    "raster": QT_TRANSLATE_NOOP("map", "Raster tiles"),
    "alarms": QT_TRANSLATE_NOOP("map", "Alarms"),
    "cases": QT_TRANSLATE_NOOP("map", "Grid cases"),
}

# One feature of a layer, for tooltips ("Central (station)").
FEATURE_NOUNS = {
    "stations": QT_TRANSLATE_NOOP("map", "station"),
    "checkpoints": QT_TRANSLATE_NOOP("map", "checkpoint"),
    "cameras": QT_TRANSLATE_NOOP("map", "camera"),
}

# Legend labels the layer models give in English.
LEGEND_LABELS = (
    QT_TRANSLATE_NOOP("map", "online"), QT_TRANSLATE_NOOP("map", "offline"), QT_TRANSLATE_NOOP("map", "unknown"),
    QT_TRANSLATE_NOOP("map", "station"), QT_TRANSLATE_NOOP("map", "no figures"),
    QT_TRANSLATE_NOOP("map", "卡口 bayonet"), QT_TRANSLATE_NOOP("map", "卡点 checkpoint"),
    QT_TRANSLATE_NOOP("map", "raised"), QT_TRANSLATE_NOOP("map", "acknowledged"),
    QT_TRANSLATE_NOOP("map", "overdue"),
)

# A camera's last observed state, in its tooltip.
CAMERA_STATE_WORDS = {
    "online": QT_TRANSLATE_NOOP("map", "online"),
    "offline": QT_TRANSLATE_NOOP("map", "OFFLINE"),
    "unknown": QT_TRANSLATE_NOOP("map", "state unknown"),
}

# What set_city builds, for the loading panel.
BUILD_STEPS = {
    "streets": QT_TRANSLATE_NOOP("map", "streets"),
    "areas": QT_TRANSLATE_NOOP("map", "areas"),
    "grid cells": QT_TRANSLATE_NOOP("map", "grid cells"),
    "stations": QT_TRANSLATE_NOOP("map", "stations"),
    "checkpoints": QT_TRANSLATE_NOOP("map", "checkpoints"),
    "cameras": QT_TRANSLATE_NOOP("map", "cameras"),
    "units": QT_TRANSLATE_NOOP("map", "units"),
}


# Names the city pack builder makes up where OSM has none (layers/osm_import.py), by their pattern; real
# (OSM) names stay as they are.
GENERATED_NAMES = (
    (re.compile(r"Grid (\d+)"), QT_TRANSLATE_NOOP("map", "Grid {0}")),
    (re.compile(r"Camera (\d+)"), QT_TRANSLATE_NOOP("map", "Camera {0}")),
    (re.compile(r"Police station (\d+)"), QT_TRANSLATE_NOOP("map", "Police station {0}")),
    (re.compile(r"Fire station (\d+)"), QT_TRANSLATE_NOOP("map", "Fire station {0}")),
    (re.compile(r"Police station \(placed\)"), QT_TRANSLATE_NOOP("map", "Police station (placed)")),
    (re.compile(r"Fire station \(placed\)"), QT_TRANSLATE_NOOP("map", "Fire station (placed)")),
    (re.compile(r"(.+) bayonet"), QT_TRANSLATE_NOOP("map", "{0} bayonet")),
    (re.compile(r"(.+) checkpoint"), QT_TRANSLATE_NOOP("map", "{0} checkpoint")),
)


def feature_name(name: str) -> str:
    """A grid cell's, camera's, station's or checkpoint's name in the current language: the builder's
    "Grid 001" is 网格 001 in Chinese. A few pattern tests per name: cheap enough for every drawn label."""
    for pattern, template in GENERATED_NAMES:
        match = pattern.fullmatch(name)
        if match:
            return tr(template).format(*match.groups())
    return name


def tr(text: str) -> str:
    return QCoreApplication.translate("map", text)


def word(text: str) -> str:
    """A status or incident kind from data, in the console's "words" context (unknown words pass through)."""
    return QCoreApplication.translate("words", text)


def layer_title(name: str, fallback: str = "") -> str:
    """The layer's title in the current language."""
    return tr(LAYER_TITLES[name]) if name in LAYER_TITLES else (fallback or name)


def feature_noun(name: str) -> str:
    return tr(FEATURE_NOUNS[name]) if name in FEATURE_NOUNS else layer_title(name)


def legend_label(layer: str, label: str) -> str:
    """A legend entry: statuses through "words", the map's own labels through "map", figures as they are."""
    if layer == "units" or (layer == "cases" and label not in LEGEND_LABELS):  # statuses from data
        return word(label.replace("_", " "))
    return tr(label) if label in LEGEND_LABELS else label
