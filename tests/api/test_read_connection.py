"""The read API's connection: one per request, one snapshot, handed back when the request ends."""

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from blueprints.reading import read_connection
from database import ONE_STATEMENT
from extensions import db
from tests.bundles import write_bundle
from tests.databases import POSTGRESQL, backend, statements_run
from tests.dumps import dump, node, version
from tests.mirrors import import_into


def test_a_request_reads_through_one_connection_in_one_transaction(app):
    with app.test_request_context("/nodes"):
        connection = read_connection()
        assert read_connection() is connection
        if backend() == POSTGRESQL:
            level = connection.execute(sa.text("SHOW transaction_isolation")).scalar_one()
            assert level == "repeatable read"
        else:
            connection.execute(sa.text("SELECT count(*) FROM nodes")).scalar_one()
            # Python's sqlite3 begins nothing for a SELECT: only database.py's BEGIN makes one.
            assert connection.connection.driver_connection.in_transaction


def test_the_read_transaction_ends_with_its_request(app, client):
    ended = []

    def rolled_back(connection) -> None:
        ended.append(connection)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "rollback", rolled_back)
    try:
        assert client.get("/nodes/missing").status_code == 404
        assert client.get("/nodes?page=1&limit=5").status_code == 200
    finally:
        event.remove(engine, "rollback", rolled_back)
    # Each request's connection was closed (so its transaction rolled back), not left to the GC.
    assert len(ended) == 2
    assert engine.pool.checkedout() == 0


def test_a_one_statement_connection_reads_without_a_transaction_on_sqlite(app):
    with app.test_request_context("/nodes/x/install"):
        connection = read_connection(one_statement=True)
        if backend() == POSTGRESQL:
            level = connection.execute(sa.text("SHOW transaction_isolation")).scalar_one()
            assert level == "repeatable read"
        else:
            connection.execute(sa.text("SELECT count(*) FROM nodes")).scalar_one()
            assert not connection.connection.driver_connection.in_transaction


@pytest.fixture
def one_node(app, tmp_path) -> None:
    """The app holds one node of two versions, the first with its archive."""
    held = dump(node("pack", version("1.0.0"), version("1.1.0")))
    import_into(app, write_bundle(tmp_path / "bundle", held))


BULK = {
    "node_versions": [{"node_id": "pack", "version": "1.0.0"}, {"node_id": "x", "version": "1"}]
}


@pytest.mark.parametrize(
    "method, path, status",
    [
        ("GET", "/nodes/pack", 200),
        ("GET", "/nodes/PACK", 302),
        ("GET", "/nodes/missing", 404),
        ("GET", "/nodes/pack/install", 200),
        ("GET", "/nodes/pack/install?version=1.0.0", 200),
        ("GET", "/nodes/pack/install?version=9.9.9", 404),
        ("POST", "/bulk/nodes/versions", 200),
    ],
)
def test_one_statement_views_run_one_statement(app, client, one_node, method, path, status):
    # Without a transaction (SQLite), a second statement could read a later import.
    with app.app_context():
        engine = db.engine
    with statements_run(engine, "") as statements:
        response = client.open(path, method=method, json=BULK if method == "POST" else None)
    assert response.status_code == status
    assert len(statements) == 1, statements


def test_a_node_with_translations_is_read_in_one_transaction(app, client, one_node):
    began = []

    def begun(connection) -> None:
        began.append(connection.get_execution_options().get(ONE_STATEMENT))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "begin", begun)
    try:
        with statements_run(engine, "") as statements:
            assert client.get("/nodes/pack?include_translations=true").status_code == 200
    finally:
        event.remove(engine, "begin", begun)
    assert len(statements) > 1 and began == [None]
