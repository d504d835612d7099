"""The schema's revisions: models and migrations agree, new mirrors start current, old ones wait."""

import shutil
from contextlib import contextmanager

import click
import flask_migrate
import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from flask.cli import FlaskGroup, ScriptInfo

from app import create_app
from extensions import db
from services.schema import (
    MIGRATIONS_DIR,
    SchemaBehind,
    head_revision,
    stored_revision,
)
from tests.assertions import assert_error
from tests.bundles import table_contents
from tests.databases import POSTGRESQL, backend, database_url, postgres_database
from tests.dumps import catalogue_dump, dump, import_dump, node, version, write
from tests.revisions import behind_message, make_it_0_1_0, migrate_from_nothing, schema_differences


@contextmanager
def sqlite_database(folder):
    """A new SQLite file in a test's folder: its URL."""
    yield f"sqlite:///{folder / 'migrated.db'}"


@contextmanager
def postgresql_database(folder):
    """A new PostgreSQL database, on a run against PostgreSQL (where a server is known): its URL."""
    if backend() != POSTGRESQL:
        pytest.skip("PostgreSQL row: runs with --database=postgresql")
    with postgres_database() as name:
        yield database_url(name)


# The databases the migrations must build the models' schema on.
DATABASES = {"sqlite": sqlite_database, "postgresql": postgresql_database}


@pytest.fixture
def config(app) -> dict:
    """The settings of `app`: a new app made from them opens the same database and archives."""
    return {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
        "ARCHIVE_DIR": app.config["ARCHIVE_DIR"],
    }


@pytest.fixture
def behind(app, config) -> dict:
    """The settings of an app whose database 0.1.0 made (so its schema is behind)."""
    make_it_0_1_0(app)
    return config


@pytest.fixture
def flask_command(monkeypatch):
    """Runs `flask ARGS...` in-process, loading a new app from given settings as `flask` does."""
    # FlaskGroup marks the process as run from the CLI; keep that mark from leaking out.
    monkeypatch.delenv("FLASK_RUN_FROM_CLI", raising=False)

    def run(config: dict, *args: str):
        group = FlaskGroup(create_app=lambda: create_app(config), load_dotenv=False)
        return CliRunner().invoke(group, list(args))

    return run


def revision_of(app) -> str | None:
    """The revision the app's database records."""
    with app.app_context(), db.engine.connect() as connection:
        return stored_revision(connection)


def nodes_and_revision(url: str) -> tuple[int, str | None]:
    """How many nodes the database at `url` holds, and the revision it records."""
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        count = connection.execute(sa.text("SELECT count(*) FROM nodes")).scalar()
        revision = stored_revision(connection)
    engine.dispose()
    return count, revision


@pytest.mark.parametrize("backend", sorted(DATABASES))
def test_the_models_and_the_migrations_agree(backend, tmp_path, config):
    with DATABASES[backend](tmp_path) as url:
        app = create_app({**config, "SQLALCHEMY_DATABASE_URI": url})
        migrate_from_nothing(app)
        assert revision_of(app) == head_revision()
        assert schema_differences(app.config["SQLALCHEMY_DATABASE_URI"], db.metadata) == []
        with app.app_context():
            db.engine.dispose()


def test_an_empty_database_is_created_at_the_newest_revision(app):
    assert revision_of(app) == head_revision()
    with app.app_context():
        tables = set(sa.inspect(db.engine).get_table_names())
    assert set(db.metadata.tables) <= tables


def test_the_app_refuses_to_start_on_a_database_behind(behind):
    with pytest.raises(SchemaBehind) as refused:
        create_app(behind)
    assert str(refused.value) == behind_message()


def test_the_app_refuses_to_start_on_a_revision_it_does_not_know(app, config):
    with app.app_context(), db.engine.begin() as connection:
        connection.execute(sa.text("UPDATE alembic_version SET version_num = 'ffff'"))
    with pytest.raises(SchemaBehind, match="revision ffff, which this release does not know"):
        create_app(config)


@pytest.mark.parametrize(
    "args",
    [("mirror", "import", "DUMP"), ("mirror", "seed", "--from", "DUMP"), ("mirror", "status")],
    ids=["import", "seed", "status"],
)
def test_mirror_commands_refuse_a_database_behind(behind, flask_command, tmp_path, args):
    path = str(write(tmp_path / "dump.json", catalogue_dump()))
    result = flask_command(behind, *[path if arg == "DUMP" else arg for arg in args])
    assert result.exit_code == 1
    assert behind_message() in result.output
    assert nodes_and_revision(behind["SQLALCHEMY_DATABASE_URI"]) == (0, None)


def test_flask_db_upgrade_brings_a_database_behind_forward(behind, flask_command, tmp_path):
    path = str(write(tmp_path / "dump.json", dump(node("pack", version("1.0.0")))))
    upgraded = flask_command(behind, "db", "upgrade")
    assert upgraded.exit_code == 0, upgraded.output
    imported = flask_command(behind, "mirror", "import", path)
    assert imported.exit_code == 0, imported.output
    assert nodes_and_revision(behind["SQLALCHEMY_DATABASE_URI"]) == (1, head_revision())
    assert create_app(behind).test_client().get("/nodes/pack").status_code == 200


def test_requests_under_flask_run_are_refused_until_the_database_is_upgraded(behind):
    # As `flask run` loads it: inside the `flask` command, which must not stop `flask db upgrade`.
    with click.Context(click.Command("run"), obj=ScriptInfo(create_app=None)):
        app = create_app(behind)
    client = app.test_client()
    assert assert_error(client.get("/nodes"), 503) == behind_message()
    with app.app_context():
        flask_migrate.upgrade()
        db.engine.dispose()
    assert client.get("/nodes").status_code == 200


# A later migration, 0999 after this release's newest; its upgrade() is given.
LATER_MIGRATION = '''"""A later migration."""

import sqlalchemy as sa
from alembic import op

revision = "0999"
down_revision = "{head}"


def upgrade():
{body}
'''
# The kind SQLite needs for most changes: it copies `nodes` to a new table and drops the old.
COPY_NODES = """\
    with op.batch_alter_table("nodes", recreate="always") as batch:
        batch.add_column(sa.Column("extra", sa.Text(), nullable=True))"""
# A faulty one: with foreign keys off, it leaves every version referring to a node that is gone.
DROP_NODES = """\
    op.execute("DELETE FROM nodes")"""


def upgrade_with_later_migration(app, tmp_path, body: str) -> None:
    """Run this release's migrations and LATER_MIGRATION with `body` on the app's database."""
    directory = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS_DIR, directory)
    migration = LATER_MIGRATION.format(head=head_revision(), body=body)
    (directory / "versions" / "0999_later.py").write_text(migration)
    with app.app_context():
        try:
            flask_migrate.upgrade(directory=str(directory))
        finally:
            db.engine.dispose()


@pytest.mark.sqlite_only("only SQLite alters a table by copying it")
def test_a_migration_that_copies_a_table_keeps_every_row(app, runner, tmp_path):
    assert import_dump(runner, tmp_path, catalogue_dump()).exit_code == 0
    before = table_contents(app)
    upgrade_with_later_migration(app, tmp_path, COPY_NODES)
    assert revision_of(app) == "0999"
    assert table_contents(app) == before


@pytest.mark.sqlite_only("only SQLite runs migrations with foreign keys off")
def test_a_migration_that_leaves_dangling_references_fails_and_is_undone(app, runner, tmp_path):
    assert import_dump(runner, tmp_path, catalogue_dump()).exit_code == 0
    before = table_contents(app)
    with pytest.raises(SystemExit):  # how `flask db upgrade` reports a failed migration
        upgrade_with_later_migration(app, tmp_path, DROP_NODES)
    assert revision_of(app) == head_revision()
    assert table_contents(app) == before
