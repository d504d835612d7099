"""Node versions: one published release of a node pack."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from models.base import db
from models.columns import ordered_string, status_enum
from models.statuses import NodeVersionStatus

# None is stored as SQL NULL, never as the JSON text 'null': imports insert versions with Core
# executemany (services/imports/writer.py), where None reaches the column's type as a value.
NULLABLE_JSON = sa.JSON(none_as_null=True)


class NodeVersion(db.Model):
    """A version of a node, unique per (node, version string)."""

    __tablename__ = "node_versions"
    __table_args__ = (
        sa.UniqueConstraint("node_normalized_id", "version"),
        # Status and verify add up stored archives by digest without reading the table.
        sa.Index("ix_node_versions_archive", "archive_sha256", "archive_size"),
    )

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    node_normalized_id: Mapped[str] = mapped_column(
        ordered_string(100), sa.ForeignKey("nodes.normalized_id", ondelete="CASCADE")
    )
    # The node id as published, carried in every serialized version.
    node_id: Mapped[str] = mapped_column(sa.String(100))
    version: Mapped[str] = mapped_column(ordered_string(255))
    # "<normalized node id>/<version>": node ids never hold "/" and stored versions never do, so
    # the key is unambiguous, and one query finds many pairs through this single-column index
    # (services/catalog/lookup.py); a row-value IN over two columns scans the whole table in SQLite.
    pair_key: Mapped[str] = mapped_column(sa.String(360), unique=True)
    changelog: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime | None] = mapped_column(sa.DateTime, index=True)
    dependencies: Mapped[list[str]] = mapped_column(NULLABLE_JSON)
    deprecated: Mapped[bool] = mapped_column(sa.Boolean)
    download_url: Mapped[str | None] = mapped_column(sa.Text)
    status: Mapped[NodeVersionStatus] = mapped_column(status_enum(NodeVersionStatus), index=True)
    status_reason: Mapped[str] = mapped_column(sa.Text)
    comfy_node_extract_status: Mapped[str | None] = mapped_column(sa.Text)
    supported_comfyui_version: Mapped[str | None] = mapped_column(sa.Text)
    supported_comfyui_frontend_version: Mapped[str | None] = mapped_column(sa.Text)
    supported_os: Mapped[list[str] | None] = mapped_column(NULLABLE_JSON)
    supported_accelerators: Mapped[list[str] | None] = mapped_column(NULLABLE_JSON)
    tags: Mapped[list[str] | None] = mapped_column(NULLABLE_JSON)
    tags_admin: Mapped[list[str] | None] = mapped_column(NULLABLE_JSON)
    # The node archive this mirror holds for the version (content-addressed by sha256), if any.
    archive_sha256: Mapped[str | None] = mapped_column(sa.String(64))
    archive_size: Mapped[int | None] = mapped_column(sa.BigInteger)
    # The version exactly as the API serializes it (NodeVersionSchema), made once on import so
    # a bulk answer splices stored JSON instead of re-serializing thousands of rows per request.
    serialized: Mapped[str] = mapped_column(sa.Text)
    # The digest of the dump object the row was last imported from (services/dumps/hashes.py):
    # an import skips a version whose object is unchanged. NULL (written otherwise, or before
    # the column existed) means "compare in full".
    content_hash: Mapped[str | None] = mapped_column(sa.String(32))


def pair_key(normalized_node_id: str, version: str) -> str:
    """The look-up key of a (node, version) pair; see NodeVersion.pair_key."""
    return f"{normalized_node_id}/{version}"
