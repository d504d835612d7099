"""The schema of 0.1.0: publishers, nodes, node versions and import records.

Revision ID: 0001
Revises:
Create Date: 2026-11-30

0.1.0 made these tables with create_all and recorded no revision; env.py records such a
database at this revision. Written out in full rather than from the models, so later changes
to the models leave it as 0.1.0 released it.
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def status(*values: str, name: str) -> sa.Enum:
    """A status column as 0.1.0 stored it: the upstream string in a VARCHAR(40), unchecked."""
    return sa.Enum(*values, name=name, native_enum=False, length=40)


def ordered(length: int) -> sa.String:
    """An id or version listings order by; on PostgreSQL in code-point order, as on SQLite.

    0.1.0 ran on SQLite only, where this is the plain VARCHAR it made.
    """
    return sa.String(length).with_variant(sa.String(length, collation="C"), "postgresql")


def upgrade() -> None:
    """Create the four tables of 0.1.0 and their indexes."""
    create_import_records()
    create_publishers()
    create_nodes()
    create_node_versions()


def downgrade() -> None:
    """Drop every table (the revision before this one is an empty database)."""
    op.drop_table("node_versions")
    op.drop_table("nodes")
    op.drop_table("publishers")
    op.drop_table("import_records")


def create_import_records() -> None:
    """One row per committed import or sync."""
    op.create_table(
        "import_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("origin", sa.Text(), nullable=True),
        sa.Column("started_at", sa.DateTime(), nullable=True),
        sa.Column("finished_at", sa.DateTime(), nullable=False),
        sa.Column("sources", sa.JSON(), nullable=False),
        sa.Column("replace", sa.Boolean(), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_records")),
    )


def create_publishers() -> None:
    """Publishers, keyed by their upstream id."""
    op.create_table(
        "publishers",
        sa.Column("id", ordered(100), nullable=False),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("website", sa.Text(), nullable=True),
        sa.Column("support", sa.Text(), nullable=True),
        sa.Column("source_code_repo", sa.Text(), nullable=True),
        sa.Column("logo", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=True),
        sa.Column(
            "status",
            status("PublisherStatusActive", "PublisherStatusBanned", name="publisherstatus"),
            nullable=True,
        ),
        sa.Column("members", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_publishers")),
    )


def create_nodes() -> None:
    """Node packs, keyed by their lower-cased id."""
    op.create_table(
        "nodes",
        sa.Column("normalized_id", ordered(100), nullable=False),
        sa.Column("id", sa.String(length=100), nullable=False),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("author", sa.Text(), nullable=True),
        sa.Column("license", sa.Text(), nullable=True),
        sa.Column("repository", sa.Text(), nullable=True),
        sa.Column("icon", sa.Text(), nullable=True),
        sa.Column("banner_url", sa.Text(), nullable=True),
        sa.Column("category", sa.Text(), nullable=True),
        sa.Column("tags", sa.JSON(), nullable=True),
        sa.Column("tags_admin", sa.JSON(), nullable=True),
        sa.Column("downloads", sa.BigInteger(), nullable=True),
        sa.Column("github_stars", sa.BigInteger(), nullable=True),
        sa.Column("rating", sa.Float(), nullable=True),
        sa.Column(
            "status",
            status("NodeStatusActive", "NodeStatusDeleted", "NodeStatusBanned", name="nodestatus"),
            nullable=False,
        ),
        sa.Column("status_detail", sa.Text(), nullable=True),
        sa.Column("publisher_id", ordered(100), nullable=True),
        sa.Column("supported_os", sa.JSON(), nullable=True),
        sa.Column("supported_accelerators", sa.JSON(), nullable=True),
        sa.Column("supported_comfyui_version", sa.Text(), nullable=True),
        sa.Column("supported_comfyui_frontend_version", sa.Text(), nullable=True),
        sa.Column("translations", sa.JSON(), nullable=True),
        sa.Column("search_ranking", sa.Integer(), nullable=True),
        sa.Column("preempted_comfy_node_names", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=True),
        sa.Column("latest_version", sa.String(length=255), nullable=True),
        sa.Column("changed_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["publisher_id"],
            ["publishers.id"],
            name=op.f("fk_nodes_publisher_id_publishers"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("normalized_id", name=op.f("pk_nodes")),
        sa.UniqueConstraint("id", name=op.f("uq_nodes_id")),
    )
    op.create_index(op.f("ix_nodes_changed_at"), "nodes", ["changed_at"])
    op.create_index(op.f("ix_nodes_publisher_id"), "nodes", ["publisher_id"])
    op.create_index(op.f("ix_nodes_status"), "nodes", ["status"])


def create_node_versions() -> None:
    """Published versions, unique per (node, version string)."""
    version_status = status(
        "NodeVersionStatusActive",
        "NodeVersionStatusDeleted",
        "NodeVersionStatusBanned",
        "NodeVersionStatusPending",
        "NodeVersionStatusFlagged",
        name="nodeversionstatus",
    )
    op.create_table(
        "node_versions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("node_normalized_id", ordered(100), nullable=False),
        sa.Column("node_id", sa.String(length=100), nullable=False),
        sa.Column("version", ordered(255), nullable=False),
        sa.Column("pair_key", sa.String(length=360), nullable=False),
        sa.Column("changelog", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=True),
        sa.Column("dependencies", sa.JSON(), nullable=False),
        sa.Column("deprecated", sa.Boolean(), nullable=False),
        sa.Column("download_url", sa.Text(), nullable=True),
        sa.Column("status", version_status, nullable=False),
        sa.Column("status_reason", sa.Text(), nullable=False),
        sa.Column("comfy_node_extract_status", sa.Text(), nullable=True),
        sa.Column("supported_comfyui_version", sa.Text(), nullable=True),
        sa.Column("supported_comfyui_frontend_version", sa.Text(), nullable=True),
        sa.Column("supported_os", sa.JSON(), nullable=True),
        sa.Column("supported_accelerators", sa.JSON(), nullable=True),
        sa.Column("tags", sa.JSON(), nullable=True),
        sa.Column("tags_admin", sa.JSON(), nullable=True),
        sa.Column("archive_sha256", sa.String(length=64), nullable=True),
        sa.Column("archive_size", sa.BigInteger(), nullable=True),
        sa.Column("serialized", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["node_normalized_id"],
            ["nodes.normalized_id"],
            name=op.f("fk_node_versions_node_normalized_id_nodes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_node_versions")),
        sa.UniqueConstraint(
            "node_normalized_id", "version", name=op.f("uq_node_versions_node_normalized_id")
        ),
        sa.UniqueConstraint("pair_key", name=op.f("uq_node_versions_pair_key")),
    )
    op.create_index("ix_node_versions_archive", "node_versions", ["archive_sha256", "archive_size"])
    op.create_index(op.f("ix_node_versions_created_at"), "node_versions", ["created_at"])
    op.create_index(op.f("ix_node_versions_status"), "node_versions", ["status"])
