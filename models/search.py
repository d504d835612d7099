"""Searching nodes on PostgreSQL: trigram indexes over the lower-cased searched columns.

Searches match case-insensitive substrings (`ascii_lower(column) LIKE '%term%'`), which no
B-tree can serve. PostgreSQL's pg_trgm extension gives GIN indexes that can, on the very
expression the searches use. Where the extension cannot be installed (a role without the right
to create it), the mirror goes on without the indexes and searches scan the table, as SQLite's
do (SQLite has no such index; there the indexes are never made).
"""

import logging
import warnings

import sqlalchemy as sa

from models.casefold import ascii_lower
from models.fts import SEARCH_TABLE

TRIGRAM_EXTENSION = "pg_trgm"
TRIGRAM_OPS = "gin_trgm_ops"
# Set on each trigram index's `info`, so schema comparisons know it is PostgreSQL's alone.
TRIGRAM_INDEX = "trigram_index"

log = logging.getLogger(__name__)


def has_trigram_extension(connection: sa.Connection) -> bool:
    """Whether pg_trgm is installed in the database (never on SQLite)."""
    if connection.dialect.name != "postgresql":
        return False
    installed = connection.exec_driver_sql(
        f"SELECT 1 FROM pg_extension WHERE extname = '{TRIGRAM_EXTENSION}'"
    )
    return installed.first() is not None


def install_trigram_extension(connection: sa.Connection) -> bool:
    """PostgreSQL: create pg_trgm if it is missing and may be; warn, not fail, where it may not."""
    if connection.dialect.name != "postgresql":
        return False
    if has_trigram_extension(connection):
        return True
    available = connection.exec_driver_sql(
        f"SELECT 1 FROM pg_available_extensions WHERE name = '{TRIGRAM_EXTENSION}'"
    ).first()
    if available is None:
        return _without_indexes("the server does not have it (install PostgreSQL's contrib)")
    try:
        # In a savepoint: a refusal must not abort the transaction creating the schema.
        with connection.begin_nested():
            connection.exec_driver_sql(f"CREATE EXTENSION IF NOT EXISTS {TRIGRAM_EXTENSION}")
    except sa.exc.DBAPIError as exc:
        reason = (str(exc.orig).strip() or type(exc.orig).__name__).splitlines()[0]
        return _without_indexes(f"creating it failed: {reason}")
    return True


def _without_indexes(reason: str) -> bool:
    """Warn that searches will scan the nodes table; False."""
    log.warning(
        "PostgreSQL extension %s is not installed and %s; node searches will scan the whole "
        "table. A superuser can run `CREATE EXTENSION %s;` in this database, then "
        "`flask db downgrade 0001 && flask db upgrade` to add the search indexes.",
        TRIGRAM_EXTENSION,
        reason,
        TRIGRAM_EXTENSION,
    )
    return False


def _trigram_ready(ddl, target, bind, **kw) -> bool:
    """Create a trigram index only where pg_trgm is installed."""
    return bind is not None and has_trigram_extension(bind)


def trigram_index(column: sa.Column) -> sa.Index:
    """A GIN trigram index on `ascii_lower(column)`, made on PostgreSQL with pg_trgm only."""
    label = f"{column.name}_search"
    index = sa.Index(
        f"ix_{column.table.name}_{label}",
        ascii_lower(column).label(label),
        postgresql_using="gin",
        postgresql_ops={label: TRIGRAM_OPS},
        info={TRIGRAM_INDEX: True},
    )
    index.ddl_if(dialect="postgresql", callable_=_trigram_ready)
    return index


def before_create_nodes(target, connection: sa.Connection, **kw) -> None:
    """Install pg_trgm, if it may be, before create_all makes the nodes table and its indexes."""
    install_trigram_extension(connection)


def schema_object_included(connection: sa.Connection):
    """An `include_object` for Alembic: leave out trigram indexes this database cannot have, and
    SQLite's search index (models/fts.py: a virtual table and its own tables, not models)."""
    trigram = has_trigram_extension(connection)
    # Alembic cannot read expression indexes back from SQLite and warns of each it skips;
    # these are PostgreSQL's alone, left out there anyway.
    warnings.filterwarnings(
        "ignore", message=r"autogenerate skipping .* index 'ix_nodes_\w+_search'; dialect 'sqlite'"
    )

    def include(schema_object, name, type_, reflected, compare_to) -> bool:
        """Skip a trigram index where it would not be made (SQLite, PostgreSQL without pg_trgm)."""
        if type_ == "index" and schema_object.info.get(TRIGRAM_INDEX) and not reflected:
            return trigram
        if type_ == "table" and reflected and compare_to is None:
            return name != SEARCH_TABLE and not name.startswith(f"{SEARCH_TABLE}_")
        return True

    return include
