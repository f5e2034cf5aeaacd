"""`onemap server`: a dispatch server on a city pack, stopped cleanly by Ctrl-C or SIGTERM."""
from __future__ import annotations

import asyncio
import gc
import logging
import signal
import ssl
import sys
import time
from pathlib import Path

from dispatch.city_state import centre_of, initial_state
from dispatch.domain import LIVE
from dispatch.procedures import disposition_codes
from dispatch.retention import DEFAULT_PLATE_RETENTION_DAYS
from dispatch.nearby import Nearby
from dispatch.server import DEFAULT_REALERT_S, DispatchServer, Limits
from dispatch.stores import store_factory

STORE_GIL_SWITCH_S = 0.001


def tls_context(cert: str | None, key: str | None) -> ssl.SSLContext | None:
    if not cert and not key:
        return None
    if not (cert and key):
        raise ValueError("TLS needs both --cert and --key")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context


# A full collection walks every object of the oldest generation. The state grows (a city's 100,000-entry
# watchlist and its index, a shift's hits), and one walk of it held the event loop 130-230 ms (bench/anpr.py).
SLOW_FULL_COLLECTION_S = 0.05


def _freeze_after_slow_full_collections() -> None:
    """After a full collection slower than SLOW_FULL_COLLECTION_S, freeze what survived it: the next ones
    walk only what came since. The price is that a reference cycle frozen while alive is never collected;
    the state makes none, and a freeze comes only after the heap grew by a slow collection's worth, so
    how often it can happen is bounded by the growth, not by time."""
    started = time.perf_counter()

    def watch(phase: str, info: dict) -> None:
        nonlocal started
        if info["generation"] != 2:
            return
        if phase == "start":
            started = time.perf_counter()
        elif time.perf_counter() - started > SLOW_FULL_COLLECTION_S:
            gc.freeze()

    gc.callbacks.append(watch)


async def serve_city(city_name: str, store: str, users_file: str, host: str, port: int,
                     cert: str | None = None, key: str | None = None, limits: Limits | None = None,
                     realert_s: float = DEFAULT_REALERT_S,
                     plate_retention_days: float = DEFAULT_PLATE_RETENTION_DAYS, reports_dir: str | None = None) -> None:
    from layers.citypack import load_city  # geopandas is slow to import: only when serving

    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    context = tls_context(cert, key)
    city = load_city(city_name)
    server = DispatchServer(store_factory(store), users_file, initial_state(city), city.grid_at,
                            limits, city_name=city.name, dispositions=disposition_codes(city.meta["dispositions"]),
                            centre=centre_of(city), nearby=Nearby.of_city(city), realert_s=realert_s,
                            plate_retention_days=plate_retention_days)
    bound_host, bound_port = await server.start(host, port, context)
    # The city, its live state and the loaded modules live as long as the server: frozen, full
    # collections skip them instead of pausing the event loop ~30 ms each (5,000 units).
    gc.freeze()
    _freeze_after_slow_full_collections()
    # The store thread takes the GIL back after every database call; at the default 5 ms a busy event
    # loop made a commit wait 20-50 ms for it.
    sys.setswitchinterval(STORE_GIL_SWITCH_S)
    scheme = "wss" if context else "ws"
    print(f"listening on {scheme}://{bound_host}:{bound_port}/ws", flush=True)
    loop = asyncio.get_running_loop()
    stopping = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopping.set)
    stop_waiter = asyncio.ensure_future(stopping.wait())
    failed_waiter = asyncio.ensure_future(server.wait_stopped())
    reporting = None
    if reports_dir is not None:  # the day's, week's and month's statistics as each ends (reports/scheduled.py)
        from reports.scheduled import write_reports

        reporting = asyncio.ensure_future(write_reports(store, LIVE, Path(reports_dir), centre_of(city).zone,
                                                        stopping))
    await asyncio.wait({stop_waiter, failed_waiter}, return_when=asyncio.FIRST_COMPLETED)
    if reporting is not None:
        reporting.cancel()
    if stopping.is_set():
        print("stopping", file=sys.stderr, flush=True)
        await server.stop()
    stop_waiter.cancel()
    await failed_waiter  # raises FatalStoreError if the store failed
