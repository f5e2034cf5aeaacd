"""Offline geocoding from a city pack: typed text to a place on the map, and a map point to its address.

Sources, all from the pack: addresses and named places (places.csv, built from OSM by layers/osm_import.py),
streets and their intersections (streets layer), building outlines (areas layer, for reverse geocoding).
A pack without places.csv still geocodes streets and intersections.

Every result says how exact it is (`precision`):
- `address`: a house number OSM knows, at its building's centroid (else its entrance, else the shops there);
- `interpolated`: a number OSM does not know, placed between the nearest known numbers of the same parity
  on the same street, proportionally along the street and on the side their buildings stand; `extent_m`
  is how far apart those two known numbers are, the most the true door can be off along the street;
- `place`: a named place or POI;
- `intersection`: a node two named streets share;
- `street`: the street only, at the point of the street nearest its middle; `extent_m` is its length.

Matching is on normalised text (case and diacritics folded: "lonnrotinkatu" finds Lönnrotinkatu): exact,
then prefix (as the dispatcher types), then a word of the name, then inside it, then fuzzy (rapidfuzz) for
misspellings. Distances use an equirectangular projection at the city centre: under 0.1 % off across a city.
No Qt here.
"""
from __future__ import annotations

import functools
import math
import re
import unicodedata
from dataclasses import dataclass

import numpy as np
import shapely
from rapidfuzz import fuzz, process

PRECISIONS = ("address", "interpolated", "place", "intersection", "street")
ADDRESS_RADIUS_M = 40.0  # reverse geocoding: an address farther than this is not where the point is
INTERPOLATION_MAX_GAP = 20  # known numbers further apart than this (e.g. 3 and 29) are too far to guess between
INTERPOLATION_MAX_OFF_STREET_M = 60.0  # a known address farther than this from its street is not used to guess
FUZZY_ACCEPT = 88.0  # rapidfuzz ratio (0-100) from which a misspelling means that name: one wrong letter in 9
FUZZY_SUGGEST = 45.0  # ... and from which a name is offered as a suggestion for text that matches nothing
SUGGESTIONS = 3

_EARTH_M_PER_DEG = 111_320.0
_ADDRESS_QUERY = re.compile(r"(.+?)\s+(\d+(?:\s*[a-z])?(?:\s*-\s*\d+(?:\s*[a-z])?)?)")
_INTERSECTION_SPLIT = re.compile(r"\s*[&/]\s*")


@functools.lru_cache(maxsize=16_384)  # street names repeat once per edge; typed prefixes repeat as people type
def normalise(text: str) -> str:
    """Case, diacritics, full-width forms and spacing folded away: what names are compared by."""
    folded = unicodedata.normalize("NFKD", text.casefold())
    folded = "".join(c for c in folded if not unicodedata.combining(c))
    return re.sub(r"[\s,;]+", " ", folded).strip()


def _number_key(number: str) -> str:
    return normalise(number).replace(" ", "")


@dataclass(frozen=True)
class Place:
    label: str
    precision: str  # one of PRECISIONS
    lon: float
    lat: float
    score: float  # 0-100, how well the text matched (100: exactly)
    extent_m: float | None = None  # street: its length; interpolated: the distance between the known numbers
    between: tuple[str, str] | None = None  # interpolated: the known house numbers it lies between
    missing_number: str = ""  # street: the house number asked for, which the street does not have
    distance_m: float | None = None  # reverse: how far the point asked about is from it


class NoSuchPlace(ValueError):
    """Text that names no place of the city; `suggestions` are the closest names there are."""

    def __init__(self, text: str, suggestions: list[str]):
        self.text = text
        self.suggestions = suggestions
        hint = f": closest {', '.join(suggestions)}" if suggestions else ""
        super().__init__(f"no place called {text}{hint}")


@dataclass(frozen=True)
class _Street:
    name: str
    lon: float
    lat: float
    length_m: float | None
    line: object  # the street's merged centreline in local metres (None for a street known only by its addresses)


class Geocoder:
    """Built once per city (about 0.05 s for the demo city); every query after that is about a millisecond."""

    def __init__(self, streets, places=None, areas=None):
        lat0 = float(np.mean(streets.total_bounds[1::2])) if len(streets) else 0.0
        lon0 = float(np.mean(streets.total_bounds[0::2])) if len(streets) else 0.0
        self._origin = (lon0, lat0, math.cos(math.radians(lat0)))
        self._streets: dict[str, _Street] = {}
        self._addresses: dict[str, dict[str, tuple[str, float, float]]] = {}  # street key -> number key -> ...
        self._keys: list[str] = []  # normalised names, parallel to _entries
        self._entries: list[Place | str] = []  # a place, or a street key (its Place is made on demand)
        self._written: list[str] = []  # each key as the city writes it, for suggestions
        self._crossings: dict[str, dict[str, tuple[float, float]]] = {}  # street key -> crossing key -> lon/lat
        self._index_streets(streets)
        if places is not None and len(places):
            self._index_places(places)
        self._street_keys = sorted(self._streets)
        self._index_reverse(streets, places, areas)

    # ---- building ------------------------------------------------------------------------------

    def _xy(self, lon, lat) -> tuple[np.ndarray, np.ndarray]:
        lon0, lat0, scale = self._origin
        return ((np.asarray(lon, dtype=np.float64) - lon0) * _EARTH_M_PER_DEG * scale,
                (np.asarray(lat, dtype=np.float64) - lat0) * _EARTH_M_PER_DEG)

    def _lon_lat(self, x: float, y: float) -> tuple[float, float]:
        lon0, lat0, scale = self._origin
        return lon0 + x / (_EARTH_M_PER_DEG * scale), lat0 + y / _EARTH_M_PER_DEG

    def _to_local(self, geometries):
        return shapely.transform(geometries, lambda c: np.column_stack(self._xy(c[:, 0], c[:, 1])))

    def _index_streets(self, streets) -> None:
        named = streets[streets["name"].astype(str).str.strip() != ""]
        for name, group in named.groupby("name", sort=True):
            lines = group.geometry.values
            middles = shapely.line_interpolate_point(lines, 0.5, normalized=True)
            points = shapely.get_coordinates(middles)
            centre = points.mean(axis=0)
            lon, lat = points[np.argmin(((points - centre) ** 2).sum(axis=1))]  # on the street, not beside it
            # A two-way street may be stored once per direction: count each node pair once.
            pairs = {tuple(sorted(p)): length for p, length in zip(zip(group["u"], group["v"]), group["length_m"])}
            merged = shapely.line_merge(shapely.union_all(self._to_local(lines)))
            key = normalise(str(name))
            self._streets[key] = _Street(str(name), float(lon), float(lat), float(sum(pairs.values())), merged)
            self._add_name(str(name), key)
        names_at: dict[str, set[str]] = {}
        positions: dict[str, tuple[float, float]] = {}
        firsts = shapely.get_coordinates(shapely.get_point(named.geometry.values, 0))
        lasts = shapely.get_coordinates(shapely.get_point(named.geometry.values, -1))
        for u, v, name, first, last in zip(named["u"], named["v"], named["name"], firsts, lasts):
            for node, point in ((u, first), (v, last)):
                names_at.setdefault(node, set()).add(normalise(str(name)))
                positions.setdefault(node, (float(point[0]), float(point[1])))
        shared: dict[tuple[str, str], list[tuple[float, float]]] = {}
        for node in sorted(names_at):
            keys = sorted(names_at[node])
            for i, a in enumerate(keys):
                for b in keys[i + 1:]:
                    shared.setdefault((a, b), []).append(positions[node])
        for (a, b), points in shared.items():
            at = np.array(points)
            # A divided road meets a street at several nodes: the one nearest their middle stands for them all.
            lon, lat = at[np.argmin(((at - at.mean(axis=0)) ** 2).sum(axis=1))]
            self._crossings.setdefault(a, {})[b] = (float(lon), float(lat))
            self._crossings.setdefault(b, {})[a] = (float(lon), float(lat))

    def _index_places(self, places) -> None:
        lon = places.geometry.x.to_numpy()
        lat = places.geometry.y.to_numpy()
        rows = zip(places["kind"], places["name"], places["name_en"], places["name_zh"], places["street"],
                   places["housenumber"], lon, lat)
        address_streets: dict[str, tuple[str, list[tuple[float, float]]]] = {}  # key -> (name, positions)
        for kind, name, name_en, name_zh, street, number, x, y in rows:
            if kind == "address":
                key = normalise(street)
                self._addresses.setdefault(key, {})[_number_key(number)] = (number, float(x), float(y))
                address_streets.setdefault(key, (street, []))[1].append((float(x), float(y)))
                continue
            address = f", {street} {number}" if street and number else ""
            for label in dict.fromkeys(n for n in (name, name_en, name_zh) if n):
                shown = label if label == name else f"{label} · {name}"
                self._add_name(label, Place(shown + address, "place", float(x), float(y), 0.0))
        for key, (name, points) in sorted(address_streets.items()):
            if key in self._streets:
                continue
            # A street OSM knows only from addresses (a pedestrian square, a courtyard): at its middle address.
            at = np.array(points)
            lon, lat = at[np.argmin(((at - at.mean(axis=0)) ** 2).sum(axis=1))]
            self._streets[key] = _Street(name, float(lon), float(lat), None, None)
            self._add_name(name, key)

    def _add_name(self, written: str, entry: Place | str) -> None:
        self._keys.append(normalise(written))
        self._written.append(written)
        self._entries.append(entry)

    def _index_reverse(self, streets, places, areas) -> None:
        self._address_list: list[tuple[str, float, float]] = [
            (f"{self._streets[key].name} {number}", x, y)
            for key, numbers in sorted(self._addresses.items()) for number, x, y in numbers.values()
        ]
        ax, ay = self._xy([a[1] for a in self._address_list], [a[2] for a in self._address_list])
        self._address_tree = shapely.STRtree(shapely.points(ax, ay))
        buildings = np.empty(0, dtype=object)
        if areas is not None and len(areas) and "kind" in areas:
            buildings = self._to_local(areas.geometry.values[(areas["kind"] == "building").to_numpy()])
        self._building_tree = shapely.STRtree(buildings)
        self._street_lines = self._to_local(streets.geometry.values)
        self._street_names = streets["name"].astype(str).to_numpy()
        self._street_tree = shapely.STRtree(self._street_lines)

    # ---- forward -------------------------------------------------------------------------------

    def names(self) -> list[str]:
        """Every street and place name, for a completer."""
        return sorted(set(self._written), key=str.casefold)

    def search(self, text: str, limit: int = 5) -> list[Place]:
        """The best places for `text`, best first (at most `limit`); [] when nothing comes close."""
        query = normalise(text)
        if not query:
            return []
        if _INTERSECTION_SPLIT.search(text):
            found = self._intersections(*_INTERSECTION_SPLIT.split(text.strip(), maxsplit=1))
        else:
            found = self._names(query)
            address = _ADDRESS_QUERY.fullmatch(query)
            if address:
                found += self._addresses_for(address.group(1), address.group(2))
        found.sort(key=lambda p: (-p.score, PRECISIONS.index(p.precision), p.label))
        unique: dict[tuple, Place] = {}
        for place in found:
            unique.setdefault((place.label, round(place.lon, 5), round(place.lat, 5)), place)
        return list(unique.values())[:limit]

    def resolve(self, text: str) -> Place:
        """The one place `text` means, or NoSuchPlace with the closest names."""
        found = self.search(text, limit=1)
        if found:
            return found[0]
        raise NoSuchPlace(text.strip(), self.suggestions(text))

    def suggestions(self, text: str) -> list[str]:
        """The names closest to `text` (fuzzy), for telling the dispatcher what there is."""
        query = normalise(_INTERSECTION_SPLIT.split(text)[0])
        address = _ADDRESS_QUERY.fullmatch(query)
        query = address.group(1) if address else query
        seen: dict[str, None] = {}
        for _, _, index in process.extract(query, self._keys, scorer=fuzz.ratio, limit=SUGGESTIONS * 4,
                                           score_cutoff=FUZZY_SUGGEST):
            seen.setdefault(self._written[index], None)
            if len(seen) == SUGGESTIONS:
                break
        return list(seen)

    @staticmethod
    def _rank(query: str, keys: list[str]) -> list[tuple[int, float]]:
        """(index into keys, score) of every key `query` matches: exact 100, prefix 90-99, a word's start
        80-89, inside 70-79, fuzzy 70-80 (from FUZZY_ACCEPT)."""
        found = []
        for index, key in enumerate(keys):
            if key == query:
                found.append((index, 100.0))
            elif key.startswith(query):
                found.append((index, 90.0 + 9.0 * len(query) / len(key)))
            elif f" {query}" in key or f"-{query}" in key:
                found.append((index, 80.0 + 9.0 * len(query) / len(key)))
            elif len(query) >= 3 and query in key:
                found.append((index, 70.0 + 9.0 * len(query) / len(key)))
        if len(query) >= 4 and not any(score >= 90.0 for _, score in found):
            matched = {index for index, _ in found}
            # Whole names for a finished word, then the same length of each name for one still being typed
            # (a little lower, longer names lower still, so "Mannerheimintei" means the street, not its bike station).
            for whole, choices in ((True, keys), (False, [key[:len(query)] for key in keys])):
                for _, ratio, index in process.extract(query, choices, scorer=fuzz.ratio, limit=10,
                                                       score_cutoff=FUZZY_ACCEPT):
                    if index not in matched:
                        matched.add(index)
                        share = 1.0 if whole else 0.9 + 0.1 * len(query) / len(keys[index])
                        found.append((index, ratio * 0.8 * share))
        return found

    def _names(self, query: str) -> list[Place]:
        return [self._place_of(index, score) for index, score in self._rank(query, self._keys)]

    def _place_of(self, index: int, score: float) -> Place:
        entry = self._entries[index]
        if isinstance(entry, str):
            return self._street_place(entry, score)
        return Place(entry.label, entry.precision, entry.lon, entry.lat, score)

    def _street_place(self, key: str, score: float, missing_number: str = "") -> Place:
        street = self._streets[key]
        return Place(street.name, "street", street.lon, street.lat, score, extent_m=street.length_m,
                     missing_number=missing_number)

    def _matching_streets(self, text: str, among: list[str] | None = None) -> list[tuple[str, float]]:
        keys = self._street_keys if among is None else among
        ranked = sorted(self._rank(normalise(text), keys), key=lambda hit: -hit[1])[:3]
        return [(keys[index], score) for index, score in ranked]

    def _addresses_for(self, street_text: str, number: str) -> list[Place]:
        found = []
        wanted = _number_key(number)
        for key, score in self._matching_streets(street_text):
            street = self._streets[key]
            known = self._addresses.get(key, {})
            if wanted in known:
                shown, lon, lat = known[wanted]
                found.append(Place(f"{street.name} {shown}", "address", lon, lat, score))
                continue
            # "13" where OSM has only "13 A" (and "13 B"): the first staircase is the building's door.
            same_base = sorted(k for k in known if re.match(rf"{re.escape(wanted)}[a-z]", k))
            if same_base and wanted.isdigit():
                shown, lon, lat = known[same_base[0]]
                found.append(Place(f"{street.name} {shown}", "address", lon, lat, score - 1.0))
                continue
            guessed = self._interpolate(key, int(re.match(r"\d+", wanted).group()), score - 2.0)
            found.append(guessed or self._street_place(key, score - 5.0, missing_number=number.upper()))
        return found

    def _interpolate(self, key: str, number: int, score: float) -> Place | None:
        street = self._streets[key]
        if street.line is None:
            return None
        known = {}  # base number -> address; "13" before "13a", "13a" before "13b"
        for number_key, address in sorted(self._addresses.get(key, {}).items()):
            base = re.fullmatch(r"(\d+)[a-z]?", number_key)
            if base:
                known.setdefault(int(base.group(1)), address)
        lower = [n for n in known if n < number and n % 2 == number % 2]
        upper = [n for n in known if n > number and n % 2 == number % 2]
        if not lower or not upper or min(upper) - max(lower) > INTERPOLATION_MAX_GAP:
            return None
        low, high = max(lower), min(upper)
        ends = [shapely.Point(*(float(v) for v in self._xy(known[n][1], known[n][2]))) for n in (low, high)]
        parts = shapely.get_parts(street.line)
        part = min(parts, key=lambda p: max(p.distance(ends[0]), p.distance(ends[1])))
        if max(part.distance(ends[0]), part.distance(ends[1])) > INTERPOLATION_MAX_OFF_STREET_M:
            return None
        along = [part.project(end) for end in ends]
        share = (number - low) / (high - low)
        on_street = part.interpolate(along[0] + share * (along[1] - along[0]))
        # Odd and even numbers face each other: stand on the side the neighbours' buildings are.
        offsets = [np.subtract(end.coords[0], part.interpolate(a).coords[0]) for end, a in zip(ends, along)]
        x, y = np.add(on_street.coords[0], (offsets[0] * (1 - share) + offsets[1] * share))
        lon, lat = self._lon_lat(float(x), float(y))
        return Place(f"{street.name} {number}", "interpolated", lon, lat, score,
                     extent_m=float(ends[0].distance(ends[1])), between=(known[low][0], known[high][0]))

    def _intersections(self, first: str, second: str) -> list[Place]:
        found = []
        for key, score in self._matching_streets(first):
            crossing = sorted(self._crossings.get(key, {}))
            if not crossing:
                continue
            if not normalise(second):  # "Mannerheimintie & ": every street it meets, as the dispatcher types on
                matches = [(other, score - 1.0) for other in crossing]
            else:
                matches = [(other, min(score, other_score))
                           for other, other_score in self._matching_streets(second, crossing)]
            for other, both in matches:
                lon, lat = self._crossings[key][other]
                label = f"{self._streets[key].name} & {self._streets[other].name}"
                found.append(Place(label, "intersection", lon, lat, both))
        return found

    # ---- reverse -------------------------------------------------------------------------------

    def reverse(self, lon: float, lat: float, radius_m: float = ADDRESS_RADIUS_M) -> Place | None:
        """The address at (lon, lat): the building's own address when the point is inside an addressed
        building, else the nearest address within `radius_m`, else the nearest street; None without streets."""
        point = shapely.Point(*(float(v) for v in self._xy(lon, lat)))
        if self._address_list:
            inside = self._building_tree.query(point, predicate="within")
            candidates = []
            for building in self._building_tree.geometries.take(inside):
                candidates.extend(self._address_tree.query(building, predicate="contains_properly"))
            if candidates:
                nearest = min(candidates, key=lambda i: self._address_tree.geometries[i].distance(point))
                return self._address_place(int(nearest), point)
            nearest = self._address_tree.query_nearest(point, max_distance=radius_m) if radius_m > 0 else []
            if len(nearest):
                return self._address_place(int(nearest[0]), point)
        if not len(self._street_lines):
            return None
        hits = self._street_tree.query_nearest(point)
        named = [i for i in hits if self._street_names[i]] or list(hits)
        line = self._street_lines[named[0]]
        foot = line.interpolate(line.project(point))
        at_lon, at_lat = self._lon_lat(foot.x, foot.y)
        name = self._street_names[named[0]]
        key = normalise(name)
        return Place(name, "street", at_lon, at_lat, 100.0,
                     extent_m=self._streets[key].length_m if key in self._streets else None,
                     distance_m=float(foot.distance(point)))

    def _address_place(self, index: int, point) -> Place:
        label, lon, lat = self._address_list[index]
        return Place(label, "address", lon, lat, 100.0,
                     distance_m=float(self._address_tree.geometries[index].distance(point)))
