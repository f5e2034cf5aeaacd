"""Test session set-up: every GUI test runs in real windows on a two-monitor Xvfb display."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from support.xvfb import start_xvfb  # noqa: E402

_xvfb = None


def pytest_configure(config):
    global _xvfb
    # Before any QApplication exists: Qt picks its platform once per process.
    if os.environ.get("ONEMAP_TEST_DISPLAY"):
        os.environ["DISPLAY"] = os.environ["ONEMAP_TEST_DISPLAY"]
    else:
        display, _xvfb = start_xvfb(two_monitors=True)
        os.environ["DISPLAY"] = display
    os.environ["QT_QPA_PLATFORM"] = "xcb"
    os.environ.setdefault("LANGUAGE", "en")


def pytest_unconfigure(config):
    if _xvfb is not None:
        _xvfb.terminate()
        _xvfb.wait(timeout=10)


SCREENSHOTS = Path(__file__).resolve().parents[1] / "out" / "screenshots"


@pytest.fixture
def screenshot(qapp):
    """screenshot(name, screen=0) -> path of a PNG of that whole monitor, under out/screenshots/."""

    def take(name: str, screen: int = 0) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        target = qapp.screens()[screen]
        size = target.size()
        path = SCREENSHOTS / f"{name}.png"
        # Window 0 is the X root; the rectangle is relative to the monitor. Native children are included.
        if not target.grabWindow(0, 0, 0, size.width(), size.height()).save(str(path)):
            raise OSError(f"could not save {path}")
        return path

    return take


@pytest.fixture(scope="session")
def postgres():
    """One real PostgreSQL cluster for the session (tests/support/postgres.py); each test takes a database."""
    from support.postgres import PostgresCluster

    with PostgresCluster() as cluster:
        yield cluster


@pytest.fixture
def servers_of_one_log(postgres):
    """`servers_of_one_log(users_file)`: two `onemap server` processes started on one new PostgreSQL database
    (several servers, one log: docs/deploy.md); killed when the test ends, whatever it did to them."""
    from support.server import ServerProcess

    started = []

    def start(users_file, count: int = 2) -> list:
        log = postgres.new_database()
        servers = [ServerProcess(log, users_file) for _ in range(count)]
        started.extend(servers)
        for server in servers:
            server.start()
        return servers

    yield start
    for server in started:
        server.kill()


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_store(request, tmp_path):
    """`empty_store()` opens an empty event log, on each store the server can run on: a new SQLite file, or a
    PostgreSQL database emptied (one database per test; creating one per call would cost 100 ms each)."""
    import psycopg

    from dispatch.stores import store_factory

    opened = []
    if request.param == "sqlite":
        def open_empty():
            opened.append(store_factory(str(tmp_path / f"events-{len(opened)}.db"))())
            return opened[-1]
    else:
        url = request.getfixturevalue("postgres").new_database()

        def open_empty():
            opened.append(store_factory(url)())  # its tables exist from here
            with psycopg.connect(url, autocommit=True) as db:
                db.execute("TRUNCATE events, heads, keyframes, chunks, meta, snapshots, audit")
            return opened[-1]
    yield open_empty
    for store in opened:
        store.close()
