"""Fixtures for the video tests: the generated clip, loopback stream servers, walls that clean up."""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

# The suite runs with --import-mode=importlib, which puts no test folder on sys.path: the helper here
# (pattern) is imported by name, by the tests.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from video.loopback_streams import StreamServer, make_media_dir, make_test_clip  # noqa: E402
from video.wall import Wall  # noqa: E402


@pytest.fixture(scope="session")
def test_clip() -> Path:
    directory = make_media_dir()
    try:
        yield make_test_clip(directory)
    finally:
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def serve(test_clip):
    """serve(protocol="http", paths=("cam1",)) -> a running StreamServer, closed after the test."""
    servers: list[StreamServer] = []

    def start(protocol: str = "http", paths: tuple[str, ...] = ("cam1",)) -> StreamServer:
        server = StreamServer(test_clip, protocol, paths)
        servers.append(server)
        server.start()
        return server

    yield start
    for server in servers:
        server.close()


@pytest.fixture
def make_wall(qtbot, qapp):
    """make_wall(layout, screen=0) -> a Wall shown full screen on that monitor, closed after the test."""

    def make(layout: str, screen: int = 0) -> Wall:
        wall = Wall(layout)
        qtbot.addWidget(wall)
        with qtbot.waitExposed(wall):
            wall.show_on_screen(qapp.screens()[screen])
        return wall

    return make
