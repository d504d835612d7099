"""A writing command that finds another writing says so at once on stderr and waits for it;
with --no-wait it refuses at once, changing nothing."""

from contextlib import contextmanager

import pytest

from database import WRITER_REFUSED, WRITER_WAITS
from services.archives import ArchiveStore
from services.imports.run import STORE_REFUSED, STORE_WAITS
from tests.bundles import mirrored_node_ids, table_contents, write_bundle
from tests.databases import write_lock_held
from tests.dumps import dump, node, version, write
from tests.serving import flask_process

PACKS = dump(node("pack-one", version("1.0.0")), node("pack-two", version("0.1.0")))
# The waiting command's lock timeout: far longer than any test waits.
LOCK_TIMEOUT = 120


@contextmanager
def archive_directory_held(app):
    """The app's archive directory held alone, as a repair holds it while it works."""
    with ArchiveStore(app.config["ARCHIVE_DIR"]).lock() as lock:
        assert lock.try_alone()
        yield


def held(app, what: str):
    """What another writer holds: the database's write lock, or the archive directory."""
    if what == "database":
        return write_lock_held(app.config["SQLALCHEMY_DATABASE_URI"])
    return archive_directory_held(app)


def arguments(command: str, tmp_path) -> list[str]:
    """A writing command's arguments, its dump or bundle written into `tmp_path`."""
    if command == "bundle import":
        return ["import", str(write_bundle(tmp_path / "bundle", PACKS))]
    path = str(write(tmp_path / "packs.json", PACKS))
    return {
        "import": ["import", path],
        "seed": ["seed", "--from", path],
        "repair": ["verify", "--repair"],
        "index": ["index"],
    }[command]


WAITS = [
    pytest.param("import", "database", WRITER_WAITS.format(timeout=LOCK_TIMEOUT), id="import"),
    pytest.param("seed", "database", WRITER_WAITS.format(timeout=LOCK_TIMEOUT), id="seed"),
    pytest.param("repair", "database", WRITER_WAITS.format(timeout=LOCK_TIMEOUT), id="repair"),
    pytest.param("index", "database", WRITER_WAITS.format(timeout=LOCK_TIMEOUT), id="index"),
    pytest.param("bundle import", "archives", STORE_WAITS, id="bundle-import-during-repair"),
]


@pytest.mark.e2e
@pytest.mark.parametrize(("command", "what", "message"), WAITS)
def test_a_writer_says_it_waits_for_the_one_before_it_then_finishes(
    app, tmp_path, command, what, message
):
    env = {
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "MIRROR_ARCHIVE_DIR": app.config["ARCHIVE_DIR"],
        "MIRROR_DB_LOCK_TIMEOUT": str(LOCK_TIMEOUT),
    }
    with held(app, what):
        process = flask_process("mirror", *arguments(command, tmp_path), env=env)
        # Read until the line comes; at the end of stderr (the command ended) there is none.
        said = next((line for line in process.stderr if line.startswith(message[:40])), None)
        assert said == message + "\n"
        assert mirrored_node_ids(app) == set()
    stdout, stderr = process.communicate(timeout=LOCK_TIMEOUT)
    assert process.returncode == 0, stderr
    if command == "repair":
        assert "Nothing to repair." in stdout
    elif command == "index":
        assert "Nothing to index" in stdout
    else:
        assert mirrored_node_ids(app) == {"pack-one", "pack-two"}


NO_WAIT = [
    pytest.param("import", "database", "Import refused;", WRITER_REFUSED, id="import"),
    pytest.param("seed", "database", "Seed data refused;", WRITER_REFUSED, id="seed"),
    pytest.param("repair", "database", "Repair refused;", WRITER_REFUSED, id="repair"),
    pytest.param("index", "database", "Indexing refused;", WRITER_REFUSED, id="index"),
    pytest.param("bundle import", "archives", "Import refused;", STORE_REFUSED, id="bundle-import"),
]


@pytest.mark.parametrize(("command", "what", "title", "problem"), NO_WAIT)
def test_no_wait_refuses_at_once_while_another_writes(
    app, runner, tmp_path, command, what, title, problem
):
    before = table_contents(app)
    with held(app, what):
        result = runner.invoke(args=["mirror", *arguments(command, tmp_path), "--no-wait"])
    assert result.exit_code == 1, result.output
    # At once: had it waited, the lock timeout would have ended it with another message.
    assert result.output.splitlines() == [f"{title} the mirror is unchanged:", f"  {problem}"]
    assert table_contents(app) == before


def test_a_sync_with_no_wait_contacts_nothing_while_another_writes(
    app, runner, misbehaving_upstream
):
    before = table_contents(app)
    with held(app, "database"):
        result = runner.invoke(
            args=["mirror", "sync", "--upstream", misbehaving_upstream.url, "--no-wait"]
        )
    assert result.exit_code == 1, result.output
    assert f"  {WRITER_REFUSED}" in result.output.splitlines()
    assert misbehaving_upstream.requests == []
    assert table_contents(app) == before


def test_no_wait_imports_as_usual_when_no_one_else_writes(app, runner, tmp_path):
    result = runner.invoke(args=["mirror", *arguments("import", tmp_path), "--no-wait"])
    assert result.exit_code == 0, result.output
    assert mirrored_node_ids(app) == {"pack-one", "pack-two"}
