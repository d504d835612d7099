"""The pair look-up: each backend's fast path and the portable twin give the same answers."""

import pytest
import sqlalchemy as sa

from extensions import db
from services.catalog.lookup import (
    KEYS_PER_QUERY,
    find_serialized_versions,
    find_serialized_versions_portably,
)
from tests.databases import backend
from tests.dumps import dump, import_dump, node, version


@pytest.fixture
def mirrored(runner, tmp_path):
    document = dump(
        node("Pack-A", version("1.0.0"), version("1.1.0")),
        node("pack-b", version("2.0.0-beta.1")),
    )
    assert import_dump(runner, tmp_path, document).exit_code == 0


KEYS = ["pack-a/1.0.0", "pack-a/1.1.0", "pack-b/2.0.0-beta.1", "pack-a/9.9.9", "missing/1.0.0"]


def test_fast_path_and_portable_twin_find_the_same_versions(app, mirrored):
    with app.app_context():
        assert db.session.connection().dialect.name == backend()
        fast = find_serialized_versions(db.session, KEYS)
        portable = find_serialized_versions_portably(db.session, KEYS)
    assert fast == portable
    assert sorted(fast) == ["pack-a/1.0.0", "pack-a/1.1.0", "pack-b/2.0.0-beta.1"]


def test_keys_with_json_and_sql_metacharacters_are_looked_up_literally(app, mirrored):
    tricky = ['pack-a/1.0.0"', "pack-a/1.0.0' OR '1'='1", "pack-a/%", "pack-a/\\u0000", "[]"]
    with app.app_context():
        assert find_serialized_versions(db.session, tricky) == {}
        assert find_serialized_versions_portably(db.session, tricky) == {}


def test_portable_twin_splits_long_key_lists(app, mirrored):
    keys = [f"missing/{i}" for i in range(KEYS_PER_QUERY + 5)] + ["pack-a/1.0.0"]
    with app.app_context():
        found = find_serialized_versions_portably(db.session, keys)
    assert list(found) == ["pack-a/1.0.0"]


@pytest.mark.sqlite_only("WAL and the foreign_keys pragma are SQLite's")
def test_sqlite_connections_use_wal_and_enforce_foreign_keys(app):
    with app.app_context():
        connection = db.session.connection()
        assert connection.execute(sa.text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(sa.text("PRAGMA foreign_keys")).scalar() == 1
