"""How the mirror uses its database: SQLite's settings, snapshots, the write lock, failures.

Every unit of work (a request, a command, an import) is one transaction. On SQLite the mirror
begins them itself: Python's sqlite3 driver begins none for SELECTs, so each statement of a
request would read the latest commit and one answer could mix two imports. A transaction that
will write begins with BEGIN IMMEDIATE, taking the write lock up front: two writers then
queue for it instead of both reading first and one failing when it tries to write. On
PostgreSQL every transaction is REPEATABLE READ (one snapshot) except a writer's: it takes a
transaction-level advisory lock, for the same queue, and reads at READ COMMITTED, so that once
the lock is its own it reads what the writer before it committed.

A writer first tries the lock without waiting; only when another holds it is the session's
WriterWait asked what to do: say so and wait (up to the lock timeout), or refuse at once.
"""

import contextlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from urllib.parse import unquote, urlsplit

import click
import sqlalchemy as sa
import sqlalchemy.exc as sa_exc
from sqlalchemy import event, make_url
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from services.listings import store_listings
from services.refusals import Refused

# Execution option of a connection whose transaction will write, holding its WriterWait, and
# the session's `info` key for the WriterWait its writers use (see begin_write).
WRITE_LOCK = "mirror_write_lock"
# The session's `info` key marking a transaction begun by begin_write, until it ends.
WRITING = "mirror_writing"
# PostgreSQL: the advisory lock key every writer of a mirror database takes (any constant
# works, as long as it is always the same one: it is scoped to the database).
POSTGRESQL_WRITE_LOCK_KEY = 0x6D6972726F72
# Execution option of a read connection that runs a single statement: one SELECT reads one
# snapshot by itself, so SQLite needs no BEGIN (nor, the driver then finding no transaction, a
# ROLLBACK): two calls into SQLite fewer, each of which hands Python's GIL to another thread
# and waits to take it back, which under gunicorn's threads cost far more than the calls.
ONE_STATEMENT = "mirror_one_statement"
SQLITE_CACHE_KIB = 64 * 1024
SQLITE_MMAP_BYTES = 2 * 1024 * 1024 * 1024
# A checkpoint after an import waits this long for readers of older snapshots to finish;
# past it, it copies what it can and leaves the rest to the next one.
CHECKPOINT_WAIT_MS = 2000


WRITER_WAITS = (
    "Another import, sync or repair is writing to this mirror's database; waiting for it to "
    "finish (up to {timeout} s; --no-wait to refuse instead)..."
)
WRITER_REFUSED = (
    "another import, sync or repair is writing to this mirror's database and --no-wait says not "
    "to wait: run the command again once it has finished, or without --no-wait"
)


class WriteLockHeld(Refused):
    """Another writer holds the write lock and this one was told not to wait; nothing changed."""


@dataclass(frozen=True)
class WriterWait:
    """What a writer does when another holds a lock it needs: say so and wait, or refuse."""

    wait: bool = True
    # Told, once the wait begins, what is being waited for.
    log: Callable[[str], None] | None = None

    def blocked(self, waiting: str, refused: str = WRITER_REFUSED) -> None:
        """Another holds the lock: refuse (WriteLockHeld, saying `refused`), or say `waiting`
        and return to wait."""
        if not self.wait:
            raise WriteLockHeld([refused])
        if self.log is not None:
            self.log(waiting)


def set_writer_wait(session: Session, wait: WriterWait) -> None:
    """Have the session's writers meet a lock another holds as `wait` says."""
    session.info[WRITE_LOCK] = wait


def writer_wait(session: Session) -> WriterWait:
    """How the session's writers meet a lock another holds (by default: wait, silently)."""
    return session.info.get(WRITE_LOCK) or WriterWait()


def configure_engine(engine: Engine, lock_timeout: int) -> None:
    """Tune each SQLite connection, and begin every transaction the mirror's way."""
    if engine.dialect.name == "postgresql":
        engine.update_execution_options(isolation_level="REPEATABLE READ")
        event.listen(engine, "begin", partial(_begin_postgresql, lock_timeout))
    if engine.dialect.name != "sqlite":
        return
    event.listen(engine, "connect", partial(_tune_sqlite, lock_timeout))
    event.listen(engine, "begin", partial(_begin, lock_timeout))


def _tune_sqlite(lock_timeout: int, dbapi_connection, connection_record) -> None:
    """WAL lets readers keep their snapshot while an import writes; enforce foreign keys."""
    # The driver must not begin (or fail to begin) transactions itself: _begin does.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={lock_timeout * 1000}")
    # Bulk look-ups touch thousands of index and table pages at random: a larger page cache
    # and memory-mapped reads keep their cost from growing with the mirror's size.
    cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
    cursor.execute(f"PRAGMA mmap_size={SQLITE_MMAP_BYTES}")
    cursor.close()


def _begin(lock_timeout: int, connection: sa.Connection) -> None:
    """Begin a transaction: its first read fixes the snapshot every later statement sees."""
    options = connection.get_execution_options()
    wait = options.get(WRITE_LOCK)
    if not wait:
        if options.get(ONE_STATEMENT):
            return
        # Straight to the driver: SQLAlchemy's statement machinery cost a small read (a node,
        # an install) as much as its own query. A deferred BEGIN takes no lock and cannot wait.
        connection.connection.driver_connection.execute("BEGIN")
        return
    taken = _try_sqlite_write_lock(connection)
    if taken:
        return
    if taken is False:
        wait.blocked(WRITER_WAITS.format(timeout=lock_timeout))
    # Waits up to the busy timeout; any other failure (read-only...) is raised and told here.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def _try_sqlite_write_lock(connection: sa.Connection) -> bool | None:
    """BEGIN IMMEDIATE without waiting: True, False if another writer holds the lock, or None
    if it failed otherwise."""
    driver = connection.connection.driver_connection
    (timeout,) = driver.execute("PRAGMA busy_timeout").fetchone()
    driver.execute("PRAGMA busy_timeout=0")
    try:
        driver.execute("BEGIN IMMEDIATE")
    except connection.dialect.dbapi.OperationalError as exc:
        return False if exc.sqlite_errorcode == connection.dialect.dbapi.SQLITE_BUSY else None
    finally:
        driver.execute(f"PRAGMA busy_timeout={timeout}")
    return True


def _begin_postgresql(lock_timeout: int, connection: sa.Connection) -> None:
    """A writer waits up to `lock_timeout` seconds for the write lock, held until it ends."""
    wait = connection.get_execution_options().get(WRITE_LOCK)
    if not wait:
        return
    key = POSTGRESQL_WRITE_LOCK_KEY
    if connection.exec_driver_sql(f"SELECT pg_try_advisory_xact_lock({key})").scalar():
        return
    wait.blocked(WRITER_WAITS.format(timeout=lock_timeout))
    # SET LOCAL lasts as long as the transaction; 0 would mean "wait forever" to PostgreSQL.
    connection.exec_driver_sql(f"SET LOCAL lock_timeout = {max(lock_timeout * 1000, 1)}")
    connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({key})")


def begin_write(session: Session, catalog: bool = True) -> None:
    """End the session's read transaction; begin one that holds the write lock until commit
    (`catalog=False`: it changes no node or version, so its commit leaves the listings be)."""
    end_snapshot(session)
    options = {WRITE_LOCK: writer_wait(session)}
    if session.get_bind().dialect.name == "postgresql":
        # A snapshot taken before the lock was granted would miss the last writer's commit.
        options["isolation_level"] = "READ COMMITTED"
    session.connection(execution_options=options)
    session.info[WRITING] = catalog


@event.listens_for(Session, "before_commit")
def _before_write_commit(session: Session) -> None:
    """Make the listings' totals and anchors again before a writer commits: every writer
    (imports, syncs, seeds, repairs, indexing, any to come) begins with begin_write."""
    if session.info.pop(WRITING, False):
        store_listings(session)


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session: Session, previous_transaction) -> None:
    """A writer rolled back: the session's next transaction is not one unless begun so."""
    session.info.pop(WRITING, None)


def refuse_if_writing(session: Session) -> None:
    """With a writer told not to wait: refuse now, before any work, if another is writing."""
    if not writer_wait(session).wait:
        begin_write(session)
        session.rollback()


def end_snapshot(session: Session) -> None:
    """End the session's read transaction before a long wait (downloads) that needs none."""
    # A snapshot held for hours would keep SQLite from checkpointing the WAL past it.
    session.commit()


def begin_snapshot(session: Session) -> None:
    """Make the session's next transaction read one snapshot throughout, on any backend."""
    # Every SQLite transaction already does (see _begin), and so does every PostgreSQL one but a
    # writer's (see configure_engine); this says so where a command relies on it.
    if session.get_bind().dialect.name == "postgresql":
        session.commit()
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})


def checkpoint_wal(engine: Engine) -> None:
    """SQLite: copy the WAL into the database file and truncate it, as after a large import."""
    if engine.dialect.name != "sqlite":
        return
    # Outside any transaction: a checkpoint cannot truncate a WAL its own connection reads.
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        (timeout,) = cursor.execute("PRAGMA busy_timeout").fetchone()
        cursor.execute(f"PRAGMA busy_timeout={min(timeout, CHECKPOINT_WAIT_MS)}")
        # Housekeeping only: the import has committed, so a failure here must not report one.
        with contextlib.suppress(engine.dialect.dbapi.Error):
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        cursor.execute(f"PRAGMA busy_timeout={timeout}")
        cursor.close()
    finally:
        connection.close()


def database_path(url: str) -> str | None:
    """The file a SQLite URL names (plain or `file:` URI form); None for memory or others."""
    parsed = make_url(url)
    name = parsed.database
    if parsed.get_backend_name() != "sqlite" or name in (None, "", ":memory:"):
        return None
    if parsed.query.get("uri") == "true" and name.startswith("file:"):
        if parsed.query.get("mode") == "memory":
            return None
        name = unquote(urlsplit(name).path)
    return os.path.abspath(name)


def is_database_failure(exc: BaseException) -> bool:
    """Whether the database itself failed (locked, read-only, full, unreadable).

    Integrity, programming and data errors are the mirror's own mistakes and keep their tracebacks.
    """
    return isinstance(exc, sa_exc.DatabaseError) and not isinstance(
        exc, sa_exc.IntegrityError | sa_exc.ProgrammingError | sa_exc.DataError
    )


# What to do, by words of SQLite's (or PostgreSQL's) message; the first match wins.
ADVICE = (
    (
        ("locked", "busy", "lock timeout"),
        "another import, sync or repair holds its write lock (waited {timeout} s, "
        "MIRROR_DB_LOCK_TIMEOUT): run the command again once it has finished",
    ),
    (
        ("readonly", "read-only"),
        "the file, its folder or its filesystem is read-only: make them writable, "
        "or run only commands that read",
    ),
    (("disk is full",), "free space on its disk, then run the command again"),
    (("unable to open",), "check DATABASE_URL and that its folder exists and can be read"),
    (
        ("not a database", "malformed"),
        "it is not a mirror database or it is damaged: check DATABASE_URL, "
        "or restore the file from a backup",
    ),
)


class DatabaseUnavailable(click.ClickException):
    """A database failure told in one line: what failed, where, and what to do."""

    @classmethod
    def from_error(cls, exc: sa_exc.DBAPIError, url: str, lock_timeout: int):
        """Describe `exc`, raised by the database at `url`."""
        where = database_path(url) or make_url(url).render_as_string(hide_password=True)
        reason = str(exc.orig).strip() or type(exc.orig).__name__
        advice = next(
            (text for words, text in ADVICE if any(word in reason.lower() for word in words)),
            "check the database, then run the command again",
        )
        advice = advice.format(timeout=lock_timeout)
        return cls(
            f"the database {where} failed: {reason}; {advice}. Unfinished changes were rolled back."
        )
