"""What the mirror holds and where it came from, for GET /status and `flask mirror status`.

Aggregate queries only, most of them answered from indexes: no file is read or hashed.
"""

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from models import (
    SYNC_KINDS,
    ComfyNode,
    ComfyNodeIndex,
    ImportKind,
    ImportRecord,
    IndexOrigin,
    Node,
    NodeVersion,
    NodeVersionStatus,
    VerifyRun,
)
from models.statuses import ARCHIVED_STATUSES
from services.releases.reading import count_release_notes
from version import __version__


def mirror_status(session: Session) -> dict[str, Any]:
    """Counts of nodes, versions, archives, node classes and release notes, the newest data,
    the last import, sync, pull-through and verification."""
    by_status = dict.fromkeys(NodeVersionStatus, 0)
    counts = sa.select(NodeVersion.status, sa.func.count()).group_by(NodeVersion.status)
    by_status.update(session.execute(counts).all())
    return {
        "software_version": __version__,
        "nodes": session.scalar(sa.select(sa.func.count()).select_from(Node)),
        "versions": sum(by_status.values()),
        "versions_by_status": {status.value: count for status, count in by_status.items()},
        "archives": archive_figures(session),
        "release_notes": count_release_notes(session),
        "comfy_nodes": comfy_node_figures(session),
        "newest_created_at": session.scalar(sa.select(sa.func.max(NodeVersion.created_at))),
        "last_import": last_record(session, ImportRecord.kind == ImportKind.IMPORT),
        "last_sync": last_record(session, ImportRecord.kind.in_(SYNC_KINDS)),
        "last_verify": last_verification(session),
        "pull_through_imports": session.scalar(
            sa.select(sa.func.count()).where(ImportRecord.kind == ImportKind.PULL_THROUGH)
        ),
        "last_pull_through": last_record(session, ImportRecord.kind == ImportKind.PULL_THROUGH),
    }


def archive_figures(session: Session) -> dict[str, int]:
    """Versions with an archive, those that lack theirs, distinct stored archives, their bytes."""
    digest = NodeVersion.archive_sha256
    with_archive = session.scalar(sa.select(sa.func.count(digest)))
    # Deleted and Banned versions never get an archive: they do not lack one.
    missing = session.scalar(
        sa.select(sa.func.count()).where(
            digest.is_(None), NodeVersion.status.in_(ARCHIVED_STATUSES)
        )
    )
    # Identical archives are stored once: count each digest, and its size, once.
    stored = (
        sa.select(sa.func.max(NodeVersion.archive_size).label("size"))
        .where(digest.is_not(None))
        .group_by(digest)
        .subquery()
    )
    count, total = session.execute(
        sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(stored.c.size), 0))
    ).one()
    return {"versions": with_archive, "missing": missing, "stored": count, "bytes": int(total)}


def comfy_node_figures(session: Session) -> dict[str, int]:
    """How many versions have their node classes, from where, and how many could not be read."""
    by_origin = dict(
        session.execute(
            sa.select(ComfyNodeIndex.origin, sa.func.count())
            .where(ComfyNodeIndex.problem.is_(None))
            .group_by(ComfyNodeIndex.origin)
        ).all()
    )
    not_indexed = session.scalar(
        sa.select(sa.func.count()).where(ComfyNodeIndex.problem.is_not(None))
    )
    # What `flask mirror index` would read: versions with an archive and nothing recorded.
    pending = session.scalar(
        sa.select(sa.func.count())
        .select_from(NodeVersion)
        .outerjoin(ComfyNodeIndex, ComfyNodeIndex.node_version_id == NodeVersion.id)
        .where(NodeVersion.archive_sha256.is_not(None), ComfyNodeIndex.origin.is_(None))
    )
    return {
        "upstream": by_origin.get(IndexOrigin.UPSTREAM.value, 0),
        "extracted": by_origin.get(IndexOrigin.EXTRACTED.value, 0),
        "not_indexed": not_indexed,
        "pending": pending,
        "classes": session.scalar(sa.select(sa.func.count()).select_from(ComfyNode)),
    }


def last_record(session: Session, condition: sa.ColumnElement[bool]) -> ImportRecord | None:
    """The import record meeting `condition` that finished last."""
    return session.scalars(
        sa.select(ImportRecord)
        .where(condition)
        .order_by(ImportRecord.finished_at.desc(), ImportRecord.id.desc())
        .limit(1)
    ).first()


def last_verification(session: Session) -> VerifyRun | None:
    """The verification that finished last, if any was recorded."""
    return session.scalars(sa.select(VerifyRun).order_by(VerifyRun.id.desc()).limit(1)).first()


def data_generation(session: Session) -> tuple[int | None, datetime | None]:
    """Changes whenever an import or sync commits: the newest import record's id and time."""
    row = session.execute(
        sa.select(sa.func.max(ImportRecord.id), sa.func.max(ImportRecord.finished_at))
    ).one()
    return tuple(row)
