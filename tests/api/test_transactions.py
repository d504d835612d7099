"""How PostgreSQL transactions are begun: readers on one snapshot, writers after the last commit."""

import pytest
import sqlalchemy as sa

from database import begin_write
from extensions import db
from tests.databases import POSTGRESQL, backend

pytestmark = pytest.mark.skipif(
    backend() != POSTGRESQL, reason="PostgreSQL's isolation levels: runs with --database=postgresql"
)


def isolation(session) -> str:
    """The isolation level of the session's current transaction."""
    return session.execute(sa.text("SHOW transaction_isolation")).scalar_one()


def test_a_request_reads_one_snapshot_on_postgresql(client, app):
    with app.test_request_context("/nodes"):
        assert isolation(db.session) == "repeatable read"


def test_a_writer_reads_what_the_writer_before_it_committed_on_postgresql(app):
    with app.app_context():
        begin_write(db.session)
        assert isolation(db.session) == "read committed"
        held = db.session.execute(
            sa.text(
                "SELECT count(*) FROM pg_locks "
                "WHERE locktype = 'advisory' AND pid = pg_backend_pid()"
            )
        ).scalar_one()
        db.session.rollback()
    assert held == 1
