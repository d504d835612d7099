"""The fixtures every layer shares: mirrors on their own databases (`make_mirror`, `app`,
`client`, `runner`), the read API's catalogue loaded once a session, the environment of a
mirror's `flask` and gunicorn processes, the seeded mirror served by real gunicorn, and a
misbehaving upstream. Tests under tests/e2e are marked `e2e`.

`--database=postgresql` (or MIRROR_TEST_DATABASE=postgresql) runs them on PostgreSQL: each
mirror gets its own database there, and tests marked `sqlite_only` are skipped."""

import os
from contextlib import ExitStack
from pathlib import Path

import pytest

from extensions import db
from tests.bundles import hold_archives_catalogue
from tests.databases import (
    BACKENDS,
    POSTGRESQL,
    Backend,
    Dropper,
    backend,
    copy_database,
    fresh_database,
    postgres_unreachable,
)
from tests.dumps import catalogue_dump, write
from tests.fault_upstream import fault_upstream
from tests.mirrors import import_into, mirror_app
from tests.serving import mirror_env, serve_mirror

E2E = Path(__file__).resolve().parent / "e2e"


def pytest_addoption(parser) -> None:
    """--database: the backend every test mirror uses."""
    parser.addoption(
        "--database",
        choices=BACKENDS,
        default=None,
        help="the database test mirrors use (default: MIRROR_TEST_DATABASE, else sqlite)",
    )


def pytest_configure(config) -> None:
    """Choose the run's backend; without a PostgreSQL server, skip the run (fail it on CI)."""
    Backend.name = config.getoption("--database") or backend()
    if Backend.name != POSTGRESQL:
        return
    reason = postgres_unreachable()
    if reason is None:
        return
    if os.environ.get("CI") == "true":
        pytest.exit(f"PostgreSQL run failed: {reason}", returncode=pytest.ExitCode.TESTS_FAILED)
    pytest.exit(f"PostgreSQL run skipped: {reason}", returncode=pytest.ExitCode.OK)


def pytest_unconfigure(config) -> None:
    """Drop the PostgreSQL databases the run made before it ends."""
    Dropper.finish()


def pytest_collection_modifyitems(items) -> None:
    """Mark every test under tests/e2e `e2e`; skip `sqlite_only` tests on other backends."""
    for item in items:
        if E2E in Path(item.path).parents:
            item.add_marker(pytest.mark.e2e)
        only = item.get_closest_marker("sqlite_only")
        if only is not None and backend() != "sqlite":
            item.add_marker(pytest.mark.skip(reason=f"SQLite only: {only.args[0]}"))


@pytest.fixture(autouse=True)
def archives_in_tmp(tmp_path, monkeypatch):
    """Every app a test makes stores archives in the test's own folder, never the repo's."""
    monkeypatch.setenv("MIRROR_ARCHIVE_DIR", str(tmp_path / "archives"))


@pytest.fixture
def make_mirror(tmp_path):
    """make_mirror(**settings): a new mirror app with those config settings, on its own database
    and archive directory under tmp_path (mirror-1/, mirror-2/...), disposed after the test."""
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
def catalogue_database(tmp_path_factory) -> str:
    """tests.dumps.catalogue_dump() imported once a session, into a database to copy: its URL."""
    folder = tmp_path_factory.mktemp("catalogue")
    with fresh_database(folder) as url:
        with mirror_app(folder, SQLALCHEMY_DATABASE_URI=url) as app:
            import_into(app, write(folder / "catalogue.json", catalogue_dump()))
        yield url


@pytest.fixture(scope="session")
def catalogue_client(catalogue_database, tmp_path_factory):
    """A client of one app on the session's catalogue, shared by every test that only reads it.

    A test that changes the catalogue takes `catalogue` (a copy in `app`) instead.
    """
    with mirror_app(tmp_path_factory.mktemp("catalogue-client")) as app:
        copy_database(catalogue_database, app.config["SQLALCHEMY_DATABASE_URI"])
        yield app.test_client()


@pytest.fixture
def catalogue(app, catalogue_database) -> None:
    """The app holds tests.dumps.catalogue_dump(): a copy of the session's, its own to change."""
    with app.app_context():
        db.engine.dispose()
    copy_database(catalogue_database, app.config["SQLALCHEMY_DATABASE_URI"])


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


@pytest.fixture
def process_env(tmp_path):
    """The environment of a mirror's `flask` and gunicorn processes (tests.serving.mirror_env),
    empty, on a database of its own with files in tmp_path/served, dropped after the test."""
    with fresh_database(tmp_path / "served") as database:
        yield mirror_env(tmp_path / "served", database)


@pytest.fixture(scope="session")
def seeded_server(tmp_path_factory):
    """seed_data/ loaded by `flask mirror seed` and served by real gunicorn (one worker), once a
    session, for the tests that only read from it: a tests.serving.ServedMirror."""
    with serve_mirror(tmp_path_factory.mktemp("served")) as served:
        yield served
