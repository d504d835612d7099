"""Trigram indexes for node searches on PostgreSQL; nothing on SQLite.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30

On PostgreSQL: installs the pg_trgm extension where the role may (a role that may not gets a
warning, and searches scan the table as before), then one GIN trigram index per searched
column on the expression the searches use. The index DDL is written out here, as this
release makes it; installing the extension is the models' helper, shared with new databases.
"""

from alembic import context, op

from models.search import install_trigram_extension

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

SEARCHED = ("id", "name", "description", "author", "repository")
# models/casefold.py's ascii_lower on PostgreSQL: A-Z folded, every other letter kept.
FOLDED = "translate({}, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')"


def upgrade() -> None:
    """PostgreSQL with pg_trgm: a trigram index per searched column of nodes."""
    connection = op.get_bind()
    if connection.dialect.name != "postgresql":
        return
    if context.is_offline_mode():
        # `flask db upgrade --sql`: whoever runs the SQL creates the extension with it.
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    elif not install_trigram_extension(connection):
        return
    for column in SEARCHED:
        op.execute(
            f"CREATE INDEX ix_nodes_{column}_search ON nodes "
            f"USING gin ({FOLDED.format(column)} gin_trgm_ops)"
        )


def downgrade() -> None:
    """Drop the trigram indexes (the extension stays: other schemas may use it)."""
    if op.get_bind().dialect.name != "postgresql":
        return
    for column in SEARCHED:
        op.execute(f"DROP INDEX IF EXISTS ix_nodes_{column}_search")
