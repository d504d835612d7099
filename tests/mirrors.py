"""A mirror app for tests on its own database and archive directory, and its import command."""

from collections.abc import Iterable
from contextlib import ExitStack, contextmanager
from pathlib import Path

from flask import Flask

from app import create_app
from extensions import db
from tests.databases import fresh_database

# What the import command says when it refuses, and when it changed nothing.
REFUSED = "Import refused; the mirror is unchanged:"
NOTHING_CHANGED = "nothing changed"
# How an import names a node id that breaks the registry's rule.
NODE_ID_RULE = (
    "Not a valid node id: 1-100 letters, digits, '.', '_' or '-', "
    "starting and ending with a letter or digit."
)


@contextmanager
def mirror_app(folder: Path, **settings):
    """A mirror app on its own database (tests.databases) and archive directory inside `folder`,
    disposed after.

    `settings` are app config keys (BULK_MAX_ITEMS=10, PUBLIC_BASE_URL=...) over the test ones;
    given SQLALCHEMY_DATABASE_URI, no database is made.
    """
    with ExitStack() as stack:
        if "SQLALCHEMY_DATABASE_URI" not in settings:
            settings["SQLALCHEMY_DATABASE_URI"] = stack.enter_context(fresh_database(folder))
        app = create_app({"TESTING": True, "ARCHIVE_DIR": str(folder / "archives"), **settings})
        try:
            yield app
        finally:
            with app.app_context():
                db.engine.dispose()


def database_path(app) -> Path:
    """The SQLite file an app's database lives in."""
    return Path(app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///"))


def run_import(app, *paths, options: Iterable[str] = ()):
    """Run `flask mirror import [OPTIONS] PATH...` in-process; the click result.

    `app` is the mirror app, or a CLI runner of it (the `runner` fixture).
    """
    runner = app.test_cli_runner() if isinstance(app, Flask) else app
    return runner.invoke(args=["mirror", "import", *options, *(str(path) for path in paths)])


def import_into(app, *paths, options: Iterable[str] = ()) -> str:
    """Run `flask mirror import` (on an app or its runner) and require success; its output."""
    result = run_import(app, *paths, options=options)
    assert result.exit_code == 0, result.output
    return result.output


def import_counts(output: str, kind: str) -> str:
    """An import summary's counts for `kind` (publishers, nodes, versions, unknown keys ignored)."""
    for line in output.splitlines():
        label, _, rest = line.strip().partition(": ")
        if label == kind:
            return rest
    raise AssertionError(f"no {kind!r} line in the summary:\n{output}")


def assert_refused(result, *problems: str) -> None:
    """The import failed and its message lists each problem."""
    assert result.exit_code != 0, result.output
    assert REFUSED in result.output
    for problem in problems:
        assert problem in result.output
