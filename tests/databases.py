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

from database import POSTGRESQL_WRITE_LOCK_KEY

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
def database_of_a_restricted_role():
    """A new PostgreSQL database and a role of its own that may make tables there, but not
    extensions (as on hosts that give no superuser): the URL that connects as the role."""
    role = NAME_PREFIX + "role_" + uuid.uuid4().hex[:12]
    with postgres_database() as name, _maintenance() as server:
        server.execute(f"CREATE ROLE {role} LOGIN")
        url = database_url(name)
        with psycopg_connection(url) as owner:
            owner.execute(f"GRANT USAGE, CREATE ON SCHEMA public TO {role}")
        try:
            yield sa.make_url(url).set(username=role).render_as_string(hide_password=False)
        finally:
            with psycopg_connection(url) as owner:
                owner.execute(f"DROP OWNED BY {role}")
            server.execute(f"DROP ROLE {role}")


def psycopg_connection(url: str):
    """An autocommit psycopg connection to the database at SQLAlchemy URL `url`."""
    import psycopg

    plain = sa.make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    return psycopg.connect(plain, autocommit=True, connect_timeout=CONNECT_TIMEOUT_SECONDS)


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


@contextmanager
def statements_run(engine: sa.Engine, containing: str):
    """The (SQL, parameters) the engine runs inside the block whose SQL holds `containing`."""
    statements = []

    def record(connection, cursor, statement, parameters, context, executemany) -> None:
        if containing in statement:
            statements.append((statement, parameters))

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)


def query_plans(engine: sa.Engine, statements: list, priced_out: tuple[str, ...] = ()) -> list[str]:
    """PostgreSQL's EXPLAIN of each (SQL, parameters), with the `priced_out` scans (e.g.
    "seqscan") made to cost so much that the planner takes any other way it has."""
    plans = []
    with engine.connect() as connection:
        cursor = connection.connection.driver_connection.cursor()
        for scan in priced_out:
            # Priced out, not forbidden: a plan with no other way keeps the scan.
            cursor.execute(f"SET LOCAL enable_{scan} = off")
        for statement, parameters in statements:
            cursor.execute(f"EXPLAIN {statement}", parameters)
            plans.append("\n".join(row[0] for row in cursor.fetchall()))
        connection.rollback()
    return plans


@contextmanager
def write_lock_held(url: str):
    """Another writer holds the write lock of the database at `url`: yields what the mirror
    says of waiting for it in vain."""
    if sa.make_url(url).get_backend_name() == POSTGRESQL:
        holder = psycopg_connection(url)
        holder.autocommit = False
        holder.execute("SELECT pg_advisory_xact_lock(%s)", (POSTGRESQL_WRITE_LOCK_KEY,))
        said = "failed: canceling statement due to lock timeout"
    else:
        path = sa.make_url(url).database
        holder = sqlite3.connect(path, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        said = f"the database {path} failed: database is locked"
    try:
        yield said
    finally:
        holder.rollback()
        holder.close()


def make_unreachable(url: str) -> None:
    """Take the database at `url` away, as an outage would: its SQLite file's folder renamed,
    or its PostgreSQL database dropped. Its app's pooled connections must be disposed first."""
    if backend() == SQLITE:
        folder = Path(sa.make_url(url).database).parent
        folder.rename(folder.with_name(folder.name + "-gone"))
        return
    with _maintenance() as connection:
        connection.execute(f"DROP DATABASE {sa.make_url(url).database} WITH (FORCE)")
