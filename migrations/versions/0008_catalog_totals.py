"""Listing totals and page anchors: GET /nodes and /versions pages without counting or skipping.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.orm import Session

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def ordered(length: int) -> sa.String:
    """A string in code-point order on every backend (models/columns.py:ordered_string)."""
    return sa.String(length).with_variant(sa.String(length, collation="C"), "postgresql")


def upgrade() -> None:
    """Create catalog_totals and catalog_anchors and fill them from the rows held."""
    # Imported here, not at the top: only an upgrade needs them, as they are today.
    from services.listings import store_listings

    op.create_table(
        "catalog_totals",
        sa.Column("listing", sa.String(length=40), nullable=False),
        sa.Column("total", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("listing", name=op.f("pk_catalog_totals")),
    )
    op.create_table(
        "catalog_anchors",
        sa.Column("listing", sa.String(length=40), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("node_key", ordered(100), nullable=False),
        sa.Column("version_key", ordered(255), nullable=True),
        sa.PrimaryKeyConstraint("listing", "position", name=op.f("pk_catalog_anchors")),
    )
    session = Session(bind=op.get_bind())
    store_listings(session)
    session.flush()


def downgrade() -> None:
    """Drop catalog_anchors and catalog_totals."""
    op.drop_table("catalog_anchors")
    op.drop_table("catalog_totals")
