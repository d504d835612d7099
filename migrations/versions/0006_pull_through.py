"""Pull-through marks: the nodes being fetched from the upstream, and those asked lately.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the pull_through_marks table (empty: nothing has been pulled yet)."""
    op.create_table(
        "pull_through_marks",
        sa.Column("node_key", sa.String(length=255), nullable=False),
        sa.Column("claimed_until", sa.DateTime(), nullable=True),
        sa.Column("fresh_until", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("node_key", name=op.f("pk_pull_through_marks")),
    )


def downgrade() -> None:
    """Drop the pull_through_marks table."""
    op.drop_table("pull_through_marks")
