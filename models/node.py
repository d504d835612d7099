"""Nodes: the custom-node packs the registry lists."""

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Mapped, mapped_column

from models.base import db
from models.columns import ordered_string, status_enum, utcnow
from models.fts import after_create_nodes, before_drop_nodes
from models.search import before_create_nodes, trigram_index
from models.statuses import NodeStatus


class Node(db.Model):
    """A node pack, keyed by its lower-cased id as upstream normalizes it."""

    __tablename__ = "nodes"

    # Upstream ids are unique case-insensitively; look-ups go through the lower-cased form.
    normalized_id: Mapped[str] = mapped_column(ordered_string(100), primary_key=True)
    # The id as published, which responses carry.
    id: Mapped[str] = mapped_column(sa.String(100), unique=True)
    name: Mapped[str | None] = mapped_column(sa.Text)
    description: Mapped[str | None] = mapped_column(sa.Text)
    author: Mapped[str | None] = mapped_column(sa.Text)
    license: Mapped[str | None] = mapped_column(sa.Text)
    repository: Mapped[str | None] = mapped_column(sa.Text)
    icon: Mapped[str | None] = mapped_column(sa.Text)
    banner_url: Mapped[str | None] = mapped_column(sa.Text)
    category: Mapped[str | None] = mapped_column(sa.Text)
    tags: Mapped[list[str] | None] = mapped_column(sa.JSON)
    tags_admin: Mapped[list[str] | None] = mapped_column(sa.JSON)
    downloads: Mapped[int | None] = mapped_column(sa.BigInteger)
    github_stars: Mapped[int | None] = mapped_column(sa.BigInteger)
    rating: Mapped[float | None] = mapped_column(sa.Float)
    status: Mapped[NodeStatus] = mapped_column(status_enum(NodeStatus), index=True)
    status_detail: Mapped[str | None] = mapped_column(sa.Text)
    publisher_id: Mapped[str | None] = mapped_column(
        ordered_string(100), sa.ForeignKey("publishers.id", ondelete="SET NULL"), index=True
    )
    supported_os: Mapped[list[str] | None] = mapped_column(sa.JSON)
    supported_accelerators: Mapped[list[str] | None] = mapped_column(sa.JSON)
    supported_comfyui_version: Mapped[str | None] = mapped_column(sa.Text)
    supported_comfyui_frontend_version: Mapped[str | None] = mapped_column(sa.Text)
    translations: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    search_ranking: Mapped[int | None] = mapped_column(sa.Integer)
    preempted_comfy_node_names: Mapped[list[str] | None] = mapped_column(sa.JSON)
    created_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    # Derived by the mirror on import: the highest active version by semantic-version precedence.
    latest_version: Mapped[str | None] = mapped_column(sa.String(255))
    # When this mirror last saw the node or one of its versions change (drives `timestamp` filters).
    changed_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow, index=True)
    # The node as the API sends it, with its publisher, without translations and without its
    # latest version, which reads join and splice in (services/catalog/served_nodes.py); made
    # whenever the node or its publisher changes. NULL only inside the transaction that writes
    # the node, until it is made.
    served: Mapped[str | None] = mapped_column(sa.Text)
    # The digest of the dump object (without its versions) the row was last imported from; NULL
    # means "compare in full" (see NodeVersion.content_hash).
    content_hash: Mapped[str | None] = mapped_column(sa.String(32))


# The web's "recently updated" order (services/catalog/pages.py) in one index walk: one import
# stamps many nodes alike, and without the id beside it every tie was sorted.
sa.Index("ix_nodes_changed_at_order", Node.changed_at.desc(), Node.normalized_id)

# What `search` and `repository_search` match substrings of: trigram-indexed on PostgreSQL, and
# on SQLite in models/fts.py's FTS5 table (made and dropped with `nodes`).
SEARCHED_COLUMNS = (Node.id, Node.name, Node.description, Node.author, Node.repository)
for searched in SEARCHED_COLUMNS:
    trigram_index(searched.expression)
event.listen(Node.__table__, "before_create", before_create_nodes)
event.listen(Node.__table__, "after_create", after_create_nodes)
event.listen(Node.__table__, "before_drop", before_drop_nodes)
