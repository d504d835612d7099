"""Release notes: what GET /releases serves, mirrored from upstream like nodes.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def vocabulary(*values: str) -> sa.Enum:
    """A column of one of upstream's vocabularies: its string in a VARCHAR(40), unchecked."""
    return sa.Enum(*values, native_enum=False, length=40)


def upgrade() -> None:
    """Create the release_notes table and its index by project and locale."""
    op.create_table(
        "release_notes",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column(
            "project", vocabulary("comfyui", "comfyui_frontend", "desktop", "cloud"), nullable=False
        ),
        sa.Column("locale", vocabulary("en", "es", "fr", "ja", "ko", "ru", "zh"), nullable=False),
        sa.Column("version", sa.String(length=255), nullable=False),
        sa.Column("attention", vocabulary("low", "medium", "high"), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("published_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_release_notes")),
    )
    op.create_index(
        "ix_release_notes_project_locale", "release_notes", ["project", "locale"], unique=False
    )


def downgrade() -> None:
    """Drop the release_notes table."""
    op.drop_index("ix_release_notes_project_locale", table_name="release_notes")
    op.drop_table("release_notes")
