"""The read API's database: one Core connection per request, checked out when first used.

The hot read views (node pages, a node, an install, a version, bulk look-ups) run Core
statements only, so they take a plain connection rather than the ORM session: no Session to
build, begin and tear down at every request. The connection's first statement begins its
transaction the mirror's way (database.py: `BEGIN` on SQLite, REPEATABLE READ on PostgreSQL),
so the whole answer still reads one snapshot; it is rolled back and returned to the pool when
the request ends. A view takes either this connection or `db.session`, never both: two
transactions could see two imports.
"""

import sqlalchemy as sa
from flask import Flask, g

from database import ONE_STATEMENT
from extensions import db

# Where the request's connection is kept on flask.g.
_CONNECTION = "mirror_read_connection"


def read_connection(one_statement: bool = False) -> sa.Connection:
    """This request's read connection, checked out from the pool on first use.

    `one_statement` says the view runs a single statement in all (tests hold each such view to
    it): one SELECT reads one snapshot by itself, so on SQLite it runs without BEGIN
    (database.py: ONE_STATEMENT). PostgreSQL begins its REPEATABLE READ transaction either way.
    """
    connection = g.get(_CONNECTION)
    if connection is None:
        connection = db.engine.connect()
        if one_statement:
            connection.execution_options(**{ONE_STATEMENT: True})
        setattr(g, _CONNECTION, connection)
    return connection


def close_read_connection(_exc: BaseException | None = None) -> None:
    """End the request's read transaction (if one began) and return its connection."""
    connection = g.pop(_CONNECTION, None)
    if connection is not None:
        connection.close()


def register_read_connection(app: Flask) -> None:
    """Close every request's read connection when its app context ends."""
    app.teardown_appcontext(close_read_connection)
