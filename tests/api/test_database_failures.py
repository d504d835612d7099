"""A failing database ends every `flask mirror` command in one line, and nothing half-written."""

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import event

from app import create_app
from extensions import db
from tests.bundles import mirror_app, mirror_state, table_contents, write_bundle
from tests.databases import write_lock_held
from tests.dumps import dump, node, version, write
from tests.serving import flask

FIRST = dump(node("pack-one", version("1.0.0")), node("pack-two", version("0.1.0")))
# Enough rows that the database must grow by many pages to hold them.
LARGE = dump(*(node(f"pack-{index:04d}", version("1.0.0"), name="x" * 200) for index in range(400)))
# Damaged, full and write-protected databases are made of SQLite files.
ON_SQLITE_FILES = pytest.mark.sqlite_only("the failure is made on a SQLite file")
NOT_A_DATABASE = b"This is not a SQLite database, whatever its name says.\n" * 200


def database_file(app) -> Path:
    """The SQLite file of an app on a plain sqlite:/// URL."""
    return Path(app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///"))


def refusal(result) -> str:
    """The one line a failed command printed, checked to be a refusal and not a traceback."""
    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    assert len(lines) == 1, result.output
    assert lines[0].startswith("Error: the database "), lines[0]
    return lines[0]


def invoke(app, *args: str):
    """Run a `flask mirror` command in-process."""
    return app.test_cli_runner().invoke(args=["mirror", *args])


@pytest.fixture
def filled(app, runner, tmp_path):
    """The test app, holding FIRST."""
    result = runner.invoke(args=["mirror", "import", str(write(tmp_path / "first.json", FIRST))])
    assert result.exit_code == 0, result.output
    return app


@ON_SQLITE_FILES
@pytest.mark.parametrize("read_only", ["mode=ro", "immutable=1"])
def test_a_read_only_database_refuses_an_import_in_one_line(filled, tmp_path, read_only):
    path = database_file(filled)
    before = table_contents(filled)
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///file:{path}?{read_only}&uri=true",
            "ARCHIVE_DIR": filled.config["ARCHIVE_DIR"],
        }
    )
    line = refusal(invoke(app, "import", str(write(tmp_path / "large.json", LARGE))))
    assert f"the database {path} failed: attempt to write a readonly database" in line
    assert "read-only" in line
    # Reading still works: status and export answer from the read-only file.
    assert invoke(app, "status").exit_code == 0
    assert invoke(app, "export", str(tmp_path / "out.json")).exit_code == 0
    with app.app_context():
        db.engine.dispose()
    assert table_contents(filled) == before


@ON_SQLITE_FILES
def test_a_full_disk_refuses_a_bundle_import_in_one_line_and_stores_nothing(filled, tmp_path):
    path = database_file(filled)
    before = mirror_state(filled)
    with sqlite3.connect(path) as probe:
        (pages,) = probe.execute("PRAGMA page_count").fetchone()
    with filled.app_context():
        # A disk with room for a few more pages than the database has now.
        event.listen(
            db.engine,
            "connect",
            lambda connection, record: connection.execute(f"PRAGMA max_page_count={pages + 4}"),
        )
        db.engine.dispose()
    bundle = write_bundle(tmp_path / "bundle", LARGE)
    line = refusal(invoke(filled, "import", str(bundle)))
    assert f"the database {path} failed: database or disk is full" in line
    assert "free space" in line
    assert mirror_state(filled) == before


def test_a_locked_database_refuses_an_import_after_the_lock_timeout(tmp_path):
    with mirror_app(tmp_path / "mirror", DB_LOCK_TIMEOUT=1) as app:
        assert invoke(app, "import", str(write(tmp_path / "first.json", FIRST))).exit_code == 0
        before = table_contents(app)
        with write_lock_held(app.config["SQLALCHEMY_DATABASE_URI"]) as said:
            result = invoke(app, "import", str(write(tmp_path / "large.json", LARGE)))
            waiting, line = result.output.splitlines()
            assert waiting.startswith("Another import, sync or repair is writing"), waiting
            assert "(up to 1 s; --no-wait to refuse instead)" in waiting
            # Readers are never kept waiting by a writer.
            assert invoke(app, "status").exit_code == 0
            assert invoke(app, "export", str(tmp_path / "out.json")).exit_code == 0
        assert line.startswith("Error: the database ") and said in line
        assert "waited 1 s, MIRROR_DB_LOCK_TIMEOUT" in line
        assert table_contents(app) == before
        # Once the other writer is gone, the same import goes through.
        assert invoke(app, "import", str(tmp_path / "large.json")).exit_code == 0


@ON_SQLITE_FILES
@pytest.mark.parametrize(
    "command",
    [
        ["status"],
        ["export", "{tmp}/out.json"],
        ["export", "--with-archives", "{tmp}/out-bundle"],
        ["verify"],
        ["verify", "--repair"],
        ["import", "{tmp}/first.json"],
        ["seed", "--from", "{tmp}/first.json"],
    ],
)
def test_every_command_refuses_a_file_that_is_not_a_database_in_one_line(filled, tmp_path, command):
    path = database_file(filled)
    with filled.app_context():
        db.engine.dispose()
    for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        leftover.unlink(missing_ok=True)
    path.write_bytes(NOT_A_DATABASE)
    line = refusal(invoke(filled, *(part.format(tmp=tmp_path) for part in command)))
    assert f"the database {path} failed: file is not a database" in line
    assert "check DATABASE_URL" in line
    assert not (tmp_path / "out.json").exists()
    assert not (tmp_path / "out-bundle").exists()


@ON_SQLITE_FILES
@pytest.mark.e2e
def test_the_flask_command_refuses_a_database_it_cannot_read_in_one_line(tmp_path):
    path = tmp_path / "mirror.db"
    path.write_bytes(NOT_A_DATABASE)
    result = flask(
        "mirror",
        "status",
        env={"DATABASE_URL": f"sqlite:///{path}", "MIRROR_ARCHIVE_DIR": str(tmp_path / "a")},
    )
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.startswith(f"Error: the database {path} failed: file is not a database")
    assert len(result.stderr.splitlines()) == 1


@pytest.mark.sqlite_only("busy_timeout is SQLite's; PostgreSQL's lock_timeout is set per writer")
def test_the_lock_timeout_setting_is_the_databases_busy_timeout(monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'env.db'}")
    monkeypatch.setenv("MIRROR_DB_LOCK_TIMEOUT", "7")
    app = create_app()
    with app.app_context():
        (timeout,) = db.session.execute(db.text("PRAGMA busy_timeout")).one()
        db.session.remove()
        db.engine.dispose()
    assert timeout == 7000


@pytest.mark.parametrize("value", ["soon", "1.5", "-1"])
def test_a_bad_lock_timeout_fails_naming_the_variable(monkeypatch, value):
    monkeypatch.setenv("MIRROR_DB_LOCK_TIMEOUT", value)
    with pytest.raises(RuntimeError, match="MIRROR_DB_LOCK_TIMEOUT"):
        create_app()
