"""Databases built through the migrations, their schema compared, and what old ones are told."""

import flask_migrate
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from extensions import db
from models.search import schema_object_included
from services.schema import FIRST_REVISION, VERSION_TABLE, head_revision


def migrate_from_nothing(app, revision: str = "head", directory: str | None = None) -> None:
    """Empty the app's database, then run the migrations on it up to `revision`."""
    with app.app_context():
        db.drop_all()
        with db.engine.begin() as connection:
            connection.execute(sa.text(f"DROP TABLE IF EXISTS {VERSION_TABLE}"))
        flask_migrate.upgrade(directory=directory, revision=revision)
        db.engine.dispose()


def schema_differences(url: str, metadata: sa.MetaData) -> list:
    """What Alembic's autogenerate would change to make the database at `url` match `metadata`."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            # As `flask db migrate` compares (migrations/env.py): without PostgreSQL's
            # trigram indexes where the database cannot have them.
            options = {"include_object": schema_object_included(connection)}
            return compare_metadata(MigrationContext.configure(connection, opts=options), metadata)
    finally:
        engine.dispose()


def make_it_0_1_0(app) -> None:
    """Turn the app's database into one as 0.1.0 left it: its tables, and no revision recorded."""
    migrate_from_nothing(app, FIRST_REVISION)
    with app.app_context():
        with db.engine.begin() as connection:
            connection.execute(sa.text(f"DROP TABLE {VERSION_TABLE}"))
        db.engine.dispose()


def behind_message() -> str:
    """What this release says of a database 0.1.0 made."""
    return (
        f"the database is at revision none (created by 0.1.0), this release needs "
        f"{head_revision()}: run `flask db upgrade`"
    )
