"""The database's schema revision: new mirrors start at the newest, older ones must be upgraded."""

import functools
import os

import sqlalchemy as sa
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

MIGRATIONS_DIR = os.path.join(os.path.dirname(os.path.dirname(__file__)), "migrations")
# 0.1.0 made its tables with create_all and recorded no revision; this revision is its schema,
# so a database holding the mirror's tables and no revision is at it.
FIRST_REVISION = "0001"
MADE_BY_0_1_0 = "none (created by 0.1.0)"
VERSION_TABLE = "alembic_version"


class SchemaBehind(RuntimeError):
    """The database's schema is not the one this release's models need."""


@functools.cache
def migration_scripts() -> ScriptDirectory:
    """The release's migrations (read once: they only change with the code)."""
    return ScriptDirectory(MIGRATIONS_DIR)


def head_revision() -> str:
    """The revision this release needs: its newest migration."""
    return migration_scripts().get_current_head()


def holds_mirror_tables(connection: sa.Connection, metadata: sa.MetaData) -> bool:
    """Whether any of the mirror's tables exists in the database."""
    return bool(set(sa.inspect(connection).get_table_names()) & set(metadata.tables))


def stored_revision(connection: sa.Connection) -> str | None:
    """The revision recorded in the database's alembic_version table, None if none is."""
    # Read directly: a MigrationContext would log its set-up at every start and command.
    if not sa.inspect(connection).has_table(VERSION_TABLE):
        return None
    return connection.execute(sa.text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar()


def create_if_empty(engine: sa.Engine, metadata: sa.MetaData) -> bool:
    """Create the tables of a database holding none, recorded at the newest revision.

    The models and the migrations agree (tests/test_migrations.py checks it), so creating the
    tables from the models is the same schema as running every migration, only faster.
    """
    with engine.begin() as connection:
        if holds_mirror_tables(connection, metadata):
            return False
        metadata.create_all(connection)
        MigrationContext.configure(connection).stamp(migration_scripts(), "heads")
    return True


def recognise_0_1_0(migration: MigrationContext, metadata: sa.MetaData) -> bool:
    """Record FIRST_REVISION in a database 0.1.0 made, so later migrations apply to it."""
    connection = migration.connection
    if not holds_mirror_tables(connection, metadata) or stored_revision(connection) is not None:
        return False
    migration.stamp(migration_scripts(), FIRST_REVISION)
    return True


def schema_refusal(engine: sa.Engine, metadata: sa.MetaData) -> str | None:
    """Why this release must not use the database, or None when its schema is current."""
    with engine.connect() as connection:
        if not holds_mirror_tables(connection, metadata):
            return None
        current = stored_revision(connection)
    head = head_revision()
    if current == head:
        return None
    if current is not None and current not in known_revisions():
        return (
            f"the database is at revision {current}, which this release does not know "
            f"(a newer release upgraded it); this release needs {head}"
        )
    shown = MADE_BY_0_1_0 if current is None else current
    return f"the database is at revision {shown}, this release needs {head}: run `flask db upgrade`"


def known_revisions() -> set[str]:
    """Every revision this release's migrations define."""
    return {script.revision for script in migration_scripts().walk_revisions()}
