"""Fixtures for a test module that shares one users file and one OneMap server on the demo city (the
gateways' tests: tests/tak, tests/alarms). A conftest imports them by name."""
from __future__ import annotations

import pytest

from support.server import ServerProcess, make_users


@pytest.fixture(scope="module")
def users(tmp_path_factory):
    path = tmp_path_factory.mktemp("users") / "users.json"
    return path, make_users(path)


@pytest.fixture(scope="module")
def tokens(users):
    return users[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory, users):
    """One OneMap server on the demo city for the module's tests."""
    process = ServerProcess(tmp_path_factory.mktemp("db") / "events.db", users[0])
    process.start()
    yield process
    process.kill()
