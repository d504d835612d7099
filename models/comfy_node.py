"""ComfyUI node classes: which classes each node version registers, and where that came from."""

import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from models.base import db
from models.columns import ordered_string, status_enum
from models.node_version import NULLABLE_JSON

# Room for any class name a dump may give (schemas/limits.py allows 500 characters).
MAX_COMFY_NODE_NAME = 1_000


class ComfyNodePolicy(enum.StrEnum):
    """Upstream's policy for one node class."""

    ACTIVE = "ComfyNodePolicyActive"
    BANNED = "ComfyNodePolicyBanned"
    LOCAL_ONLY = "ComfyNodePolicyLocalOnly"


class IndexOrigin(enum.StrEnum):
    """Where a version's node classes came from, as its ComfyNodeIndex records it."""

    # The upstream registry's own index (a dump's or bundle's `comfy_nodes`, or a sync).
    UPSTREAM = "upstream"
    # Read by this mirror from the version's archive.
    EXTRACTED = "extracted"


class ComfyNode(db.Model):
    """One ComfyUI node class a node version registers, with what upstream says of it."""

    __tablename__ = "comfy_nodes"
    __table_args__ = (sa.UniqueConstraint("node_version_id", "comfy_node_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    node_version_id: Mapped[str] = mapped_column(
        sa.String(36), sa.ForeignKey("node_versions.id", ondelete="CASCADE")
    )
    comfy_node_name: Mapped[str] = mapped_column(ordered_string(MAX_COMFY_NODE_NAME))
    # The name lower-cased (A-Z only, as models/casefold.py folds): look-ups by class
    # name go through this index, whatever case the frontend sends.
    normalized_name: Mapped[str] = mapped_column(ordered_string(MAX_COMFY_NODE_NAME), index=True)
    category: Mapped[str | None] = mapped_column(sa.Text)
    description: Mapped[str | None] = mapped_column(sa.Text)
    function: Mapped[str | None] = mapped_column(sa.Text)
    # Upstream sends these three as JSON text, and so does the mirror.
    input_types: Mapped[str | None] = mapped_column(sa.Text)
    return_types: Mapped[str | None] = mapped_column(sa.Text)
    return_names: Mapped[str | None] = mapped_column(sa.Text)
    output_is_list: Mapped[list[bool] | None] = mapped_column(NULLABLE_JSON)
    deprecated: Mapped[bool | None] = mapped_column(sa.Boolean)
    experimental: Mapped[bool | None] = mapped_column(sa.Boolean)
    policy: Mapped[ComfyNodePolicy | None] = mapped_column(status_enum(ComfyNodePolicy))
    # NODE_DISPLAY_NAME_MAPPINGS' name, when the mirror read it from the archive; upstream's
    # ComfyNode has no such field, so it is stored, not sent.
    display_name: Mapped[str | None] = mapped_column(sa.Text)


class ComfyNodeIndex(db.Model):
    """Per node version: where its node classes came from, or why they could not be read."""

    __tablename__ = "comfy_node_indexes"

    node_version_id: Mapped[str] = mapped_column(
        sa.String(36), sa.ForeignKey("node_versions.id", ondelete="CASCADE"), primary_key=True
    )
    # An IndexOrigin's value.
    origin: Mapped[str] = mapped_column(sa.String(16), index=True)
    # "not indexed: <reason>" when the archive could not be read (the version then has no
    # classes); None when its classes are known.
    problem: Mapped[str | None] = mapped_column(sa.Text)
