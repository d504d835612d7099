"""The read API's connection: one per request, one snapshot, handed back when the request ends."""

import sqlalchemy as sa
from sqlalchemy import event

from blueprints.reading import read_connection
from extensions import db
from tests.databases import POSTGRESQL, backend


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
