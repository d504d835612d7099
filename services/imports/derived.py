"""Derived data an import stores beside the rows: each version's served JSON, each node's latest
version, and the time a node last changed."""

from typing import Any

import orjson
from sqlalchemy.orm import Session

from models import Node, NodeVersionStatus
from models.columns import utcnow
from schemas.node_version import NodeVersionSchema
from services.archive_urls import marked_archive_url
from services.catalog.semver import precedence_key
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
