"""Fixtures: a real app on a temporary SQLite file, its test client and CLI runner."""

import pytest

from app import create_app
from extensions import db


@pytest.fixture(autouse=True)
def archives_in_tmp(tmp_path, monkeypatch):
    """Every app a test makes stores archives in the test's own folder, never the repo's."""
    monkeypatch.setenv("MIRROR_ARCHIVE_DIR", str(tmp_path / "archives"))


@pytest.fixture
def database_url(tmp_path):
    """A fresh SQLite file for one test."""
    return f"sqlite:///{tmp_path / 'mirror.db'}"


@pytest.fixture
def app(database_url, tmp_path):
    """The mirror app, configured for tests, on its own database and archive directory."""
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "ARCHIVE_DIR": str(tmp_path / "archives"),
        }
    )
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def client(app):
    """An HTTP client that drives the app in-process."""
    return app.test_client()


@pytest.fixture
def runner(app):
    """Runs the app's `flask` commands in-process."""
    return app.test_cli_runner()
