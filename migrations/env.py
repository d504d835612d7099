"""Alembic's environment for `flask db ...`: the app's engine and models, SQLite-safe ALTERs.

Every change to the models' schema ships with one migration in versions/, made by
`flask db migrate -m WHAT --rev-id NNNN` and then read and corrected by hand; the first, 0001,
is the schema of 0.1.0. tests/test_migrations.py fails while the models and the migrations
disagree. A database 0.1.0 made holds the tables but no revision: it is recorded at 0001 here,
before anything runs, so `flask db upgrade` brings it forward in place.
"""

import contextlib
import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app

import models
from models.search import schema_object_included
from services.schema import FIRST_REVISION, recognise_0_1_0

config = context.config
log = logging.getLogger("alembic.env")

# Alembic reports each step on the console, unless whoever runs it (a test) has set up logging.
if config.config_file_name is not None and not logging.getLogger().handlers:
    fileConfig(config.config_file_name, disable_existing_loggers=False)

migrate = current_app.extensions["migrate"]
metadata = models.db.metadata
config.set_main_option(
    "sqlalchemy.url", migrate.db.engine.url.render_as_string(hide_password=False).replace("%", "%%")
)


def skip_empty_revision(context, revision, directives) -> None:
    """Write no migration when `flask db migrate` finds the models unchanged."""
    if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
        directives[:] = []
        log.info("No changes in schema detected.")


def run_migrations_offline() -> None:
    """Print the migrations' SQL (`flask db upgrade --sql`) instead of running them."""
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=metadata,
        literal_binds=True,
        **migrate.configure_args,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run the migrations on the app's database, recognising one 0.1.0 made first."""
    options = {
        "process_revision_directives": skip_empty_revision,
        "on_version_apply": refuse_dangling_references,
        **migrate.configure_args,
    }
    with migrate.db.engine.connect() as connection, sqlite_foreign_keys_off(connection):
        # Trigram indexes exist on PostgreSQL with pg_trgm only: elsewhere none is missing.
        options["include_object"] = schema_object_included(connection)
        # Alembic takes a transaction already begun for its caller's, and would never commit.
        connection.rollback()
        context.configure(connection=connection, target_metadata=metadata, **options)
        # Commands that only read (`flask db current`) leave the database as it is.
        if not context.get_context().opts.get("dont_mutate"):
            recognised = recognise_0_1_0(context.get_context(), metadata)
            connection.commit()
            if recognised:
                log.info("A database made by 0.1.0: recorded at revision %s.", FIRST_REVISION)
        with context.begin_transaction():
            context.run_migrations()


@contextlib.contextmanager
def sqlite_foreign_keys_off(connection):
    """On SQLite, turn foreign keys off while migrations run, and back on after.

    SQLite ALTERs by copying a table and dropping the old one; with foreign keys on, dropping
    `nodes` would delete every version through ON DELETE CASCADE. The pragma is ignored inside a
    transaction, hence the rollbacks before it; refuse_dangling_references checks what it allowed.
    """
    if connection.dialect.name != "sqlite":
        yield
        return
    connection.rollback()
    # Straight to the driver: the mirror begins a transaction before every statement it sends
    # (database.py), and the pragma must run outside one.
    connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")
    try:
        yield
    finally:
        connection.rollback()
        connection.connection.driver_connection.execute("PRAGMA foreign_keys=ON")


def refuse_dangling_references(ctx, step, heads, run_args) -> None:
    """After each migration, before it commits: fail it if a row refers to one that is gone.

    With foreign keys off nothing else would notice; failing here rolls the migration's rows
    and its revision back, so the database is not recorded at a revision it did not reach.
    """
    if ctx.connection.dialect.name != "sqlite":
        return
    dangling = ctx.connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if dangling:
        raise RuntimeError(
            f"migration {step.up_revision_id} left rows whose references are gone "
            f"(table, row, referred table, constraint): {dangling[:10]}"
        )


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
