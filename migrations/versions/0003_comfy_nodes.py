"""The node-class index: each version's ComfyUI node classes, and where they came from.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30

Two new tables, nothing else changed: comfy_nodes (one row per class a version registers,
found by its lower-cased name) and comfy_node_indexes (per version, "upstream" or "extracted",
or why its archive could not be read).
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def ordered(length: int) -> sa.String:
    """A name listings order by; on PostgreSQL in code-point order, as on SQLite."""
    return sa.String(length).with_variant(sa.String(length, collation="C"), "postgresql")


def upgrade() -> None:
    """Create comfy_nodes and comfy_node_indexes with their indexes."""
    op.create_table(
        "comfy_nodes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("node_version_id", sa.String(length=36), nullable=False),
        sa.Column("comfy_node_name", ordered(1000), nullable=False),
        sa.Column("normalized_name", ordered(1000), nullable=False),
        sa.Column("category", sa.Text(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("function", sa.Text(), nullable=True),
        sa.Column("input_types", sa.Text(), nullable=True),
        sa.Column("return_types", sa.Text(), nullable=True),
        sa.Column("return_names", sa.Text(), nullable=True),
        sa.Column("output_is_list", sa.JSON(), nullable=True),
        sa.Column("deprecated", sa.Boolean(), nullable=True),
        sa.Column("experimental", sa.Boolean(), nullable=True),
        sa.Column(
            "policy",
            sa.Enum(
                "ComfyNodePolicyActive",
                "ComfyNodePolicyBanned",
                "ComfyNodePolicyLocalOnly",
                name="comfynodepolicy",
                native_enum=False,
                length=40,
            ),
            nullable=True,
        ),
        sa.Column("display_name", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["node_version_id"],
            ["node_versions.id"],
            name=op.f("fk_comfy_nodes_node_version_id_node_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_comfy_nodes")),
        sa.UniqueConstraint(
            "node_version_id", "comfy_node_name", name=op.f("uq_comfy_nodes_node_version_id")
        ),
    )
    op.create_index(op.f("ix_comfy_nodes_normalized_name"), "comfy_nodes", ["normalized_name"])
    op.create_table(
        "comfy_node_indexes",
        sa.Column("node_version_id", sa.String(length=36), nullable=False),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("problem", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["node_version_id"],
            ["node_versions.id"],
            name=op.f("fk_comfy_node_indexes_node_version_id_node_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("node_version_id", name=op.f("pk_comfy_node_indexes")),
    )
    op.create_index(op.f("ix_comfy_node_indexes_origin"), "comfy_node_indexes", ["origin"])


def downgrade() -> None:
    """Drop the two tables."""
    op.drop_table("comfy_node_indexes")
    op.drop_table("comfy_nodes")
