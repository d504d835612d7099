"""Derived data an import stores beside the rows: each version's and each node's served JSON,
each node's latest version, and the time a node last changed."""

from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.orm import Session

from models import Node, NodeVersionStatus
from models.columns import utcnow
from schemas.node_version import NodeVersionSchema
from services.archive_urls import marked_archive_url
from services.catalog.semver import precedence_key
from services.catalog.served_nodes import node_documents, node_rows
from services.chunks import chunks

# The statuses a node's "latest" version is chosen among.
LATEST_STATUSES = frozenset({NodeVersionStatus.ACTIVE})

_version_schema = NodeVersionSchema()


def serialize_version(record: dict[str, Any]) -> str:
    """The version as the API sends it, made once here and stored (see NodeVersion.serialized).

    A version whose archive the mirror holds is sent with the mirror's own download URL.
    """
    if record.get("archive_sha256"):
        record = {
            **record,
            "download_url": marked_archive_url(record["node_id"], record["version"]),
        }
    return orjson.dumps(_version_schema.dump(record)).decode()


def latest_version(statuses: dict[str, Any]) -> str | None:
    """The highest-precedence version among those whose status counts for "latest"."""
    candidates = [version for version, status in statuses.items() if status in LATEST_STATUSES]
    return max(candidates, key=precedence_key) if candidates else None


def stamp_changed_nodes(session: Session, keys: list[str]) -> None:
    """Mark the nodes with these normalized ids changed now, for `timestamp` filters to see.

    An import stamps them just before it commits: readers see the changes only at the commit,
    so a stamp from when the writing began could be earlier than a sync that started meanwhile,
    which would then miss them for good.
    """
    table = Node.__table__
    stamp = utcnow()
    for chunk in chunks(keys):
        session.execute(
            table.update().where(table.c.normalized_id.in_(chunk)).values(changed_at=stamp)
        )


def serve_nodes(session: Session, keys: list[str]) -> None:
    """Store the served JSON of the nodes with these normalized ids (see Node.served).

    Every writer calls it for each node whose fields, publisher or latest version it changed,
    after writing them, in the same transaction.
    """
    table = Node.__table__
    store = (
        table.update()
        .where(table.c.normalized_id == sa.bindparam("key"))
        .values(served=sa.bindparam("document"))
    )
    for chunk in chunks(keys):
        rows = node_rows(session, chunk)
        documents = node_documents(session, rows, with_latest=False)
        updates = [
            {"key": row["normalized_id"], "document": orjson.dumps(document).decode()}
            for row, document in zip(rows, documents, strict=True)
        ]
        if updates:
            session.execute(store, updates)


def nodes_of_publishers(session: Session, publisher_ids: list[str]) -> set[str]:
    """The normalized ids of the nodes these publishers publish."""
    table = Node.__table__
    found: set[str] = set()
    for chunk in chunks(publisher_ids):
        query = sa.select(table.c.normalized_id).where(table.c.publisher_id.in_(chunk))
        found.update(session.scalars(query))
    return found
