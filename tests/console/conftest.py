from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings

from support.server import ServerProcess, make_users


@pytest.fixture(autouse=True)
def private_settings(tmp_path):
    """Each test gets its own settings (layouts, language), never the user's."""
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "config"))


@pytest.fixture(autouse=True)
def english_after(qapp):
    """A test that opens a console in another language leaves the application in English: translators are
    the application's, and the next test's texts are asserted in English."""
    yield
    from console import i18n

    i18n.install(qapp, "en")


@pytest.fixture
def users(tmp_path):
    path = tmp_path / "users.json"
    return path, make_users(path)


@pytest.fixture
def server(tmp_path, users):
    process = ServerProcess(tmp_path / "events.db", users[0])
    process.start()
    yield process
    process.kill()

