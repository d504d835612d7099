"""The web's "recently updated" order served by one index, ties included.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Index nodes by changed_at (newest first), then id."""
    op.create_index(
        "ix_nodes_changed_at_order", "nodes", [sa.text("changed_at DESC"), "normalized_id"]
    )


def downgrade() -> None:
    """Drop the index."""
    op.drop_index("ix_nodes_changed_at_order", table_name="nodes")
