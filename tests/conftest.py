"""The fixtures every layer shares: mirrors on their own SQLite files (`make_mirror`, `app`,
`client`, `runner`), the read API's catalogue loaded once a session, the seeded mirror served by
real gunicorn, and a misbehaving upstream. Tests under tests/e2e are marked `e2e`."""

import sqlite3
from contextlib import ExitStack
from pathlib import Path

import pytest

from extensions import db
from tests.bundles import hold_archives_catalogue
from tests.dumps import catalogue_dump, write
from tests.fault_upstream import fault_upstream
from tests.mirrors import database_path, import_into, mirror_app
from tests.serving import serve_mirror

E2E = Path(__file__).resolve().parent / "e2e"


def pytest_collection_modifyitems(items) -> None:
    """Mark every test under tests/e2e `e2e`: each starts real processes or servers."""
    for item in items:
        if E2E in Path(item.path).parents:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(autouse=True)
def archives_in_tmp(tmp_path, monkeypatch):
    """Every app a test makes stores archives in the test's own folder, never the repo's."""
    monkeypatch.setenv("MIRROR_ARCHIVE_DIR", str(tmp_path / "archives"))


@pytest.fixture
def make_mirror(tmp_path):
    """make_mirror(**settings): a new mirror app with those config settings, on its own SQLite
    file and archive directory under tmp_path (mirror-1/, mirror-2/...), disposed after the test."""
    with ExitStack() as stack:
        made = 0

        def make(**settings):
            nonlocal made
            made += 1
            return stack.enter_context(mirror_app(tmp_path / f"mirror-{made}", **settings))

        yield make


@pytest.fixture
def app(make_mirror):
    """The mirror app, configured for tests, on its own database and archive directory."""
    return make_mirror()


@pytest.fixture
def empty_mirror(make_mirror):
    """A second mirror app, still empty, on its own database and archive directory."""
    return make_mirror()


@pytest.fixture
def client(app):
    """An HTTP client that drives the app in-process."""
    return app.test_client()


@pytest.fixture
def runner(app):
    """Runs the app's `flask` commands in-process."""
    return app.test_cli_runner()


@pytest.fixture(scope="session")
def catalogue_database(tmp_path_factory) -> Path:
    """tests.dumps.catalogue_dump() imported once a session, into an SQLite file to copy."""
    folder = tmp_path_factory.mktemp("catalogue")
    with mirror_app(folder) as app:
        import_into(app, write(folder / "catalogue.json", catalogue_dump()))
        return database_path(app)


@pytest.fixture(scope="session")
def catalogue_client(catalogue_database):
    """A client of one app on the session's catalogue, shared by every test that only reads it.

    A test that changes the catalogue takes `catalogue` (a copy in `app`) instead.
    """
    with mirror_app(catalogue_database.parent) as app:
        yield app.test_client()


@pytest.fixture
def catalogue(app, catalogue_database) -> None:
    """The app holds tests.dumps.catalogue_dump(): a copy of the session's, its own to change."""
    with app.app_context():
        db.engine.dispose()
    source, target = sqlite3.connect(catalogue_database), sqlite3.connect(database_path(app))
    try:
        source.backup(target)
    finally:
        source.close()
        target.close()


@pytest.fixture
def archived_catalogue(app, tmp_path) -> None:
    """The app holds tests.bundles.archives_catalogue(), with archives for ARCHIVED."""
    hold_archives_catalogue(app, tmp_path / "catalogue-bundle")


@pytest.fixture
def misbehaving_upstream(tmp_path):
    """A tests.fault_upstream.FaultUpstream serving its small registry: told to fail as a test
    wants, it counts what it was asked."""
    with fault_upstream(tmp_path) as server:
        yield server


@pytest.fixture(scope="session")
def seeded_server(tmp_path_factory):
    """seed_data/ loaded by `flask mirror seed` and served by real gunicorn (one worker), once a
    session, for the tests that only read from it: a tests.serving.ServedMirror."""
    with serve_mirror(tmp_path_factory.mktemp("served")) as served:
        yield served
