"""Geocoder latency as the dispatcher types: every prefix of real demo-city queries, one search per keystroke.

Prints `name value unit` lines. The same workload every run: the fixed queries below (addresses, places in
three languages, intersections, misspellings, streets), each typed one character at a time from its third
character, every prefix searched 5 times after one warm-up pass.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from layers.citypack import load_city  # noqa: E402
from layers.geocode import Geocoder  # noqa: E402

QUERIES = (
    "Mannerheimintie 5", "Aleksanterinkatu 52", "Pohjoisesplanadi 21", "Bulevardi 11", "Annankatu 25",
    "Yrjönkatu 8", "lonnrotinkatu 13", "Kiasma", "Ateneum", "Museum of Modern Art Kiasma", "赫尔辛基市政厅",
    "Helsinki railway station", "Mannerheimintie & Kaivokatu", "Unioninkatu / Aleksanterinkatu",
    "Mannerheimintei", "Alexanterinkatu 52", "Esplanadinpuisto", "Senaatintori", "Fabianinkatu", "Atlantis",
)
REPEATS = 5


def main() -> None:
    city = load_city("demo")
    began = time.perf_counter()
    geocoder = Geocoder(city.streets, city.places, city.areas)
    build_ms = (time.perf_counter() - began) * 1000
    prefixes = [query[:end] for query in QUERIES for end in range(3, len(query) + 1)]
    for prefix in prefixes:  # warm-up
        geocoder.search(prefix)
    times = []
    for _ in range(REPEATS):
        for prefix in prefixes:
            began = time.perf_counter()
            geocoder.search(prefix)
            times.append((time.perf_counter() - began) * 1000)
    print(f"geocode_build_ms {build_ms:.1f} ms")
    print(f"geocode_queries {len(times)} queries")
    print(f"geocode_p50_ms {np.percentile(times, 50):.2f} ms")
    print(f"geocode_p95_ms {np.percentile(times, 95):.2f} ms")


if __name__ == "__main__":
    main()
