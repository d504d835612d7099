"""Served nodes: each node's answer stored, as each version's is, and made for every node held.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.orm import Session

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add nodes.served and fill it for every node, so an upgraded mirror answers as before."""
    # Imported here, not at the top: only an upgrade needs the serializer, as it is today.
    from services.imports.derived import serve_nodes

    op.add_column("nodes", sa.Column("served", sa.Text(), nullable=True))
    session = Session(bind=op.get_bind())
    keys = list(session.scalars(sa.text("SELECT normalized_id FROM nodes ORDER BY normalized_id")))
    serve_nodes(session, keys)
    session.flush()


def downgrade() -> None:
    """Drop nodes.served."""
    with op.batch_alter_table("nodes") as batch:
        batch.drop_column("served")
