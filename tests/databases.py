"""The database each test mirror gets: its own SQLite file, or its own PostgreSQL database.

The backend is chosen once a run (`--database`, or MIRROR_TEST_DATABASE); PostgreSQL databases
are made on the server MIRROR_TEST_POSTGRES_URL names, through its maintenance database.
"""

import os
import queue
import sqlite3
import threading
import uuid
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

SQLITE = "sqlite"
POSTGRESQL = "postgresql"
BACKENDS = (SQLITE, POSTGRESQL)
DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
# Every database a test run makes is named so; a killed run's leftovers are recognisable.
NAME_PREFIX = "mirror_test_"
CONNECT_TIMEOUT_SECONDS = 5


class Backend:
    """The run's database backend; set once by tests/conftest.py before any test runs."""

    name = os.environ.get("MIRROR_TEST_DATABASE") or SQLITE


def backend() -> str:
    """The backend this run's test mirrors use: "sqlite" or "postgresql"."""
    return Backend.name


def postgres_url() -> str:
    """The maintenance database of the PostgreSQL server tests use."""
    return os.environ.get("MIRROR_TEST_POSTGRES_URL") or DEFAULT_POSTGRES_URL


def _maintenance():
    """An autocommit psycopg connection to the maintenance database (CREATE DATABASE needs it)."""
    import psycopg

    return psycopg.connect(postgres_url(), autocommit=True, connect_timeout=CONNECT_TIMEOUT_SECONDS)


def postgres_unreachable() -> str | None:
    """Why the tests' PostgreSQL server cannot be used, or None when it can."""
    try:
        with _maintenance() as connection:
            connection.execute("SELECT 1")
    except Exception as exc:
        first_line = (str(exc).strip() or type(exc).__name__).splitlines()[0]
        return f"no PostgreSQL at {postgres_url()} (MIRROR_TEST_POSTGRES_URL): {first_line}"
    return None


def database_url(name: str) -> str:
    """The URL of database `name` on the tests' PostgreSQL server."""
    return sa.make_url(postgres_url()).set(database=name).render_as_string(hide_password=False)


class Dropper:
    """Drops finished tests' databases on a thread of its own, as the next tests run.

    DROP DATABASE waits for a checkpoint (about 0.2 s); hundreds of them in line would double
    the PostgreSQL run's time.
    """

    names: queue.Queue = queue.Queue()
    thread: threading.Thread | None = None

    @classmethod
    def drop(cls, name: str) -> None:
        """Drop database `name` soon."""
        if cls.thread is None:
            cls.thread = threading.Thread(target=cls._drop_each, daemon=True)
            cls.thread.start()
        cls.names.put(name)

    @classmethod
    def finish(cls) -> None:
        """Wait until every database handed over is dropped."""
        if cls.thread is not None:
            cls.names.put(None)
            cls.thread.join()
            cls.thread = None

    @classmethod
    def _drop_each(cls) -> None:
        """Drop each name handed over, until None."""
        with _maintenance() as connection:
            while (name := cls.names.get()) is not None:
                connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@contextmanager
def postgres_database(icu_locale: str | None = None):
    """A new, empty PostgreSQL database (collating by `icu_locale` if given): its name; dropped
    after."""
    name = NAME_PREFIX + uuid.uuid4().hex[:16]
    # Only template0 may be copied with a collation other than the server's.
    locale = (
        f" LOCALE_PROVIDER icu ICU_LOCALE '{icu_locale}' TEMPLATE template0" if icu_locale else ""
    )
    with _maintenance() as connection:
        connection.execute(f"CREATE DATABASE {name}{locale}")
    try:
        yield name
    finally:
        Dropper.drop(name)


@contextmanager
def fresh_database(folder: Path):
    """The URL of a new, empty database for a mirror whose files live in `folder`."""
    if backend() == SQLITE:
        yield f"sqlite:///{folder / 'mirror.db'}"
        return
    with postgres_database() as name:
        yield database_url(name)


def copy_database(source: str, target: str) -> None:
    """Make the database at URL `target` hold what the one at `source` holds (no one connected)."""
    if backend() == SQLITE:
        source_file = sqlite3.connect(sa.make_url(source).database)
        target_file = sqlite3.connect(sa.make_url(target).database)
        try:
            source_file.backup(target_file)
        finally:
            source_file.close()
            target_file.close()
        return
    source_name, target_name = sa.make_url(source).database, sa.make_url(target).database
    with _maintenance() as connection:
        connection.execute(f"DROP DATABASE {target_name} WITH (FORCE)")
        connection.execute(f"CREATE DATABASE {target_name} TEMPLATE {source_name}")


def make_unreachable(url: str) -> None:
    """Take the database at `url` away, as an outage would: its SQLite file's folder renamed,
    or its PostgreSQL database dropped. Its app's pooled connections must be disposed first."""
    if backend() == SQLITE:
        folder = Path(sa.make_url(url).database).parent
        folder.rename(folder.with_name(folder.name + "-gone"))
        return
    with _maintenance() as connection:
        connection.execute(f"DROP DATABASE {sa.make_url(url).database} WITH (FORCE)")
