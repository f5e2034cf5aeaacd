"""Colours and classes of the map's symbols, as plain RGB tuples (the map turns them into Qt colours).

Chosen for a dark basemap in a control room: status colours are distinguishable for the common
forms of colour blindness by lightness as well as hue, and urgent things are warm.
"""
from __future__ import annotations

import numpy as np

RGB = tuple[int, int, int]

UNIT_STATUS_COLORS: dict[str, RGB] = {
    "available": (34, 197, 94),    # green
    "dispatched": (250, 204, 21),  # yellow
    "enroute": (249, 115, 22),     # orange
    "onscene": (239, 68, 68),      # red
    "busy": (168, 85, 247),        # violet
    "offduty": (120, 128, 140),    # grey
}

INCIDENT_PRIORITY_COLORS: dict[int, RGB] = {
    1: (220, 38, 38),
    2: (249, 115, 22),
    3: (234, 179, 8),
    4: (56, 189, 248),
    5: (148, 163, 184),
}

# A camera's last observed state: online light teal, offline mid crimson (a fault worth seeing), never
# observed a dark grey, so the three differ in lightness as well as hue.
CAMERA_ONLINE: RGB = (45, 212, 191)
CAMERA_OFFLINE: RGB = (220, 60, 80)
CAMERA_UNKNOWN: RGB = (100, 108, 120)
CHECKPOINT_COLORS: dict[str, RGB] = {
    "bayonet": (192, 132, 252),     # 卡口: fixed vehicle checkpoint with ANPR
    "checkpoint": (244, 114, 182),  # 卡点: staffed checkpoint
}
STATION_COLOR: RGB = (96, 165, 250)
# Alarms: a raised one pulses in a hot red, an acknowledged one stays as a steady amber ring.
ALARM_RAISED: RGB = (255, 40, 40)
ALARM_ACKNOWLEDGED: RGB = (251, 191, 36)

# Grid cases (网格事件) by status, open ones only (closed and rejected are not drawn): cool while with the
# centre, warm once with a department, green when handled or verified; overdue: a red ring around them.
# Outlined in white (checkpoints' squares are outlined dark).
CASE_STATUS_COLORS: dict[str, RGB] = {
    "reported": (147, 197, 253),    # light blue: not looked at yet
    "registered": (59, 130, 246),   # blue
    "returned": (139, 92, 246),     # violet: back from a department
    "dispatched": (250, 204, 21),   # yellow
    "in_progress": (249, 115, 22),  # orange
    "handled": (134, 239, 172),     # light green
    "verified": (22, 163, 74),      # green
    "closed": (120, 128, 140),
    "rejected": (120, 128, 140),
}
CASE_OVERDUE: RGB = (255, 40, 40)

BACKGROUND: RGB = (22, 26, 32)
# Street classes, most important first: (core colour, width in pixels at street zoom).
STREET_CLASSES: list[tuple[str, RGB, float]] = [
    ("motorway", (214, 158, 46), 3.0),
    ("primary", (190, 150, 90), 2.4),
    ("secondary", (150, 140, 120), 2.0),
    ("tertiary", (120, 124, 132), 1.6),
    ("residential", (92, 98, 108), 1.2),
    ("service", (70, 76, 86), 1.0),
]
# OSM `highway` values mapped onto the classes above; anything else is "service".
HIGHWAY_CLASS: dict[str, int] = {
    "motorway": 0, "motorway_link": 0, "trunk": 0, "trunk_link": 0,
    "primary": 1, "primary_link": 1,
    "secondary": 2, "secondary_link": 2,
    "tertiary": 3, "tertiary_link": 3,
    "residential": 4, "unclassified": 4, "living_street": 4, "road": 4,
}
AREA_COLORS: dict[str, RGB] = {
    "water": (24, 52, 78),
    "park": (28, 52, 38),
    "forest": (26, 48, 34),
    "grass": (30, 50, 38),
    "building": (40, 44, 52),
    "residential": (30, 34, 40),
    "industrial": (38, 36, 44),
}
AREA_DEFAULT: RGB = (32, 36, 42)

# Choropleth of a per-grid-cell figure: light to dark red, drawn translucent over the basemap.
CHOROPLETH_RAMP: list[RGB] = [
    (254, 240, 217), (253, 204, 138), (252, 141, 89), (227, 74, 51), (179, 0, 0),
]


def heat_lut(stops: list[tuple[float, RGB, float]]) -> np.ndarray:
    """A 256-entry premultiplied ARGB32 lookup table from (position 0..1, RGB, alpha 0..1) stops."""
    positions = np.array([s[0] for s in stops])
    ramp = np.linspace(0.0, 1.0, 256)
    channels = [np.interp(ramp, positions, [s[1][c] for s in stops]) for c in range(3)]
    alpha = np.interp(ramp, positions, [s[2] for s in stops])
    a = np.round(alpha * 255).astype(np.uint32)
    r, g, b = (np.round(ch * alpha).astype(np.uint32) for ch in channels)
    return (a << 24) | (r << 16) | (g << 8) | b


# Patrol strength: cool colours; incidents: hot colours, so the two heatmaps never read as one.
PATROL_HEAT_LUT = heat_lut([(0.0, (20, 60, 160), 0.0), (0.25, (30, 120, 220), 0.35),
                            (0.6, (40, 200, 220), 0.55), (1.0, (200, 255, 240), 0.75)])
INCIDENT_HEAT_LUT = heat_lut([(0.0, (120, 0, 40), 0.0), (0.25, (200, 30, 40), 0.4),
                              (0.6, (250, 130, 20), 0.6), (1.0, (255, 240, 120), 0.8)])
