"""What the web pages read beyond the API's queries: a pack and its versions as rows, and the
history of imports and syncs, each in one query."""

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from models import ImportRecord, Node, NodeVersion
from services.catalog.semver import precedence_key

# How a search page may be ordered: by name, most downloads, or most recently changed.
NODE_ORDERS = {
    "name": (Node.normalized_id,),
    "downloads": (Node.downloads.desc().nulls_last(), Node.normalized_id),
    "updated": (Node.changed_at.desc(), Node.normalized_id),
}


@dataclass
class HistoryPoint:
    """One committed import or sync: when, what kind, and how many versions it added."""

    finished_at: datetime
    kind: str
    versions_added: int


def find_pack(session: Session, node_id: str) -> Node | None:
    """The node whose id is `node_id` in any case, with every column a page shows, or None."""
    query = sa.select(Node).where(Node.normalized_id == node_id.lower())
    return session.scalars(query).one_or_none()


def version_rows(session: Session, node: Node) -> list[sa.Row]:
    """Every version of `node` with what a person reads of it, newest first by precedence."""
    query = sa.select(
        NodeVersion.version,
        NodeVersion.node_id,
        NodeVersion.status,
        NodeVersion.status_reason,
        NodeVersion.created_at,
        NodeVersion.changelog,
        NodeVersion.dependencies,
        NodeVersion.deprecated,
        NodeVersion.download_url,
        NodeVersion.archive_sha256,
        NodeVersion.archive_size,
        NodeVersion.supported_comfyui_version,
    ).where(NodeVersion.node_normalized_id == node.normalized_id)
    rows = session.execute(query).all()
    rows.sort(key=lambda row: precedence_key(row.version), reverse=True)
    return rows


def import_history(session: Session, limit: int = 30) -> list[HistoryPoint]:
    """The last `limit` imports and syncs, oldest first, with the versions each added."""
    records = session.scalars(
        sa.select(ImportRecord)
        .order_by(ImportRecord.finished_at.desc(), ImportRecord.id.desc())
        .limit(limit)
    ).all()
    return [
        HistoryPoint(
            finished_at=record.finished_at,
            kind=record.kind,
            versions_added=int((record.summary or {}).get("versions", {}).get("added", 0)),
        )
        for record in reversed(records)
    ]
