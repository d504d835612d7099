"""SQLite's trigram search index of nodes (FTS5), filled from the nodes held; nothing on PostgreSQL.

Revision ID: 0007
Revises: 0005
Create Date: 2026-12-01

On SQLite 3.34 or later: the FTS5 table models/fts.py describes, its triggers, and a row for
every node, so an upgraded mirror's searches use it at once. An older SQLite library gets a
warning and searches that scan, as before. PostgreSQL has its trigram indexes (0002).
"""

from alembic import context, op

from models.fts import create_search_index, drop_search_index, search_index_statements

revision = "0007"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """SQLite: make the search index and fill it."""
    if op.get_bind().dialect.name != "sqlite":
        return
    if context.is_offline_mode():
        # `flask db upgrade --sql`: whoever runs the SQL needs SQLite 3.34 or later.
        for statement in search_index_statements():
            op.execute(statement)
        return
    create_search_index(op.get_bind())


def downgrade() -> None:
    """SQLite: drop the search index and its triggers."""
    drop_search_index(op.get_bind())
