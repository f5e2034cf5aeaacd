"""Which units to send: the nearest available units of the kinds the incident's run card needs, then the
nearest others, by street (straight line where no street joins).

The run card (dispatch/procedures.py) says what an incident kind needs, e.g. a fire 2 fire engines and 1
ambulance; units already assigned count towards it, and the nearest available units fill what is still
short, each saying which need it fills ("fire 2/2").

Street distance is a shortest path over the city pack's street network (networkx), from the street node
nearest each unit to the node nearest the incident; the ETA assumes an urban response speed. Dijkstra
runs once per incident on the reversed graph (all units to one target), so ranking 5,000 units costs one
search, not 5,000.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import networkx as nx
import numpy as np
from scipy.spatial import cKDTree

from dispatch.procedures import DEFAULT_RUN_CARDS, fill, needs_of

# Assumed average speed on urban streets with lights and sirens; a stated assumption, not a measurement.
RESPONSE_SPEED_MPS = 30 / 3.6
EARTH_RADIUS_M = 6_371_008.8


def _local_xy(lon, lat, lat0: float) -> np.ndarray:
    """Equirectangular metres around lat0: exact enough for distances inside one city."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    k = math.pi / 180 * EARTH_RADIUS_M
    return np.column_stack([lon * k * math.cos(math.radians(lat0)), lat * k])


@dataclass(frozen=True)
class Recommendation:
    unit_id: str
    callsign: str
    straight_m: float
    street_m: float | None  # None when no street path joins the unit to the incident
    eta_s: float
    kind: str = ""  # the unit's kind (patrol, fire, ...)
    need: str | None = None  # the run card's need it fills, e.g. "fire 1/2"; None when beyond the card


class StreetRouter:
    def __init__(self, streets):
        """`streets`: a GeoDataFrame of LineStrings with u, v, length_m, oneway (a city pack's streets)."""
        self.graph = nx.DiGraph()
        coords: dict[int, tuple[float, float]] = {}
        for row in streets.itertuples(index=False):
            line = row.geometry.coords
            coords.setdefault(row.u, line[0])
            coords.setdefault(row.v, line[-1])
            length = float(row.length_m)
            self._add(row.u, row.v, length)
            if not bool(row.oneway):
                self._add(row.v, row.u, length)
        self.nodes = list(coords)
        lonlat = np.array([coords[n] for n in self.nodes]) if coords else np.zeros((0, 2))
        self.lat0 = float(lonlat[:, 1].mean()) if len(lonlat) else 0.0
        self._tree = cKDTree(_local_xy(lonlat[:, 0], lonlat[:, 1], self.lat0)) if len(lonlat) else None
        self._reversed = self.graph.reverse(copy=False)
        self._to_target: dict[tuple[float, float], tuple[dict, float]] = {}

    def _add(self, u, v, length: float) -> None:
        existing = self.graph.get_edge_data(u, v)
        if existing is None or existing["length"] > length:
            self.graph.add_edge(u, v, length=length)

    def snap(self, lon, lat) -> tuple[np.ndarray, np.ndarray]:
        """Nearest street node of each point, and the straight distance to it in metres."""
        distance, index = self._tree.query(_local_xy(np.atleast_1d(lon), np.atleast_1d(lat), self.lat0))
        return np.asarray(self.nodes, dtype=object)[index], distance

    def distances_to(self, lon: float, lat: float) -> tuple[dict, float]:
        """Street metres from every node to the node nearest (lon, lat), and that node's offset.
        Incidents do not move, so each search is kept (a console asks again every second)."""
        key = (lon, lat)
        if key not in self._to_target:
            (target,), (offset,) = self.snap(lon, lat)
            lengths = nx.single_source_dijkstra_path_length(self._reversed, target, weight="length")
            self._to_target[key] = (lengths, float(offset))
        return self._to_target[key]


def recommend(state: dict, incident_id: str, router: StreetRouter | None, limit: int = 5,
              run_cards: dict[str, list[dict]] = DEFAULT_RUN_CARDS) -> list[Recommendation]:
    """The `limit` best available units for the incident: first the nearest (by ETA over the streets) that
    fill what its run card still needs, then the nearest others."""
    incident = state["incidents"][incident_id]
    units = [u for u in state["units"].values() if u["status"] == "available"]
    if not units:
        return []
    lon = np.array([u["lon"] for u in units])
    lat = np.array([u["lat"] for u in units])
    lat0 = incident["lat"]
    here = _local_xy([incident["lon"]], [lat0], lat0)[0]
    straight = np.hypot(*(_local_xy(lon, lat, lat0) - here).T)
    street = np.full(len(units), np.nan)
    if router is not None and router.nodes:
        to_target, target_offset = router.distances_to(incident["lon"], incident["lat"])
        nodes, offsets = router.snap(lon, lat)
        for i, (node, offset) in enumerate(zip(nodes, offsets)):
            along = to_target.get(node)
            if along is not None:
                street[i] = offset + along + target_offset
    ranking_m = np.where(np.isnan(street), straight, street)
    nearest_first = np.argsort(ranking_m, kind="stable")
    needs, filled = fill(needs_of(state, incident_id, run_cards), [units[i].get("kind") for i in nearest_first])
    labels = [None if f is None else f"{needs[f[0]].name} {f[1]}/{needs[f[0]].count}" for f in filled]
    order = [k for k, f in enumerate(filled) if f is not None] + [k for k, f in enumerate(filled) if f is None]
    chosen = []
    for k in order[:limit]:
        i = nearest_first[k]
        chosen.append(Recommendation(units[i]["unit_id"], units[i].get("callsign") or units[i]["unit_id"],
                                     float(straight[i]), None if np.isnan(street[i]) else float(street[i]),
                                     float(ranking_m[i] / RESPONSE_SPEED_MPS), units[i].get("kind") or "",
                                     labels[k]))
    return chosen
