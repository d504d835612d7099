"""Content hashes: each node's and version's digest of the dump object it was imported from.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import context, op

from models.fts import create_search_index

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add nodes.content_hash and node_versions.content_hash, empty: the next import of a row
    compares it in full, as before, and fills its hash."""
    op.add_column("nodes", sa.Column("content_hash", sa.String(32), nullable=True))
    op.add_column("node_versions", sa.Column("content_hash", sa.String(32), nullable=True))


def downgrade() -> None:
    """Drop both columns; on SQLite, make the search index again (the table was rebuilt)."""
    with op.batch_alter_table("node_versions") as batch:
        batch.drop_column("content_hash")
    with op.batch_alter_table("nodes") as batch:
        batch.drop_column("content_hash")
    # Rebuilding `nodes` dropped its search triggers and renumbered its rows (models/fts.py).
    if not context.is_offline_mode():
        create_search_index(op.get_bind())
