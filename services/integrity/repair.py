"""Repairing the mirror from a bundle: archives restored, leftovers removed, derived data redone."""

import os
import shutil
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import Session

from models import Node, NodeVersion
from services.archives import ArchiveStore, StagedArchive
from services.bundles.reader import open_bundle
from services.chunks import chunks
from services.dumps.reader import DEFAULT_LIMITS, DumpLimits
from services.imports.writer import latest_version, serialize_version, stamp_changed_nodes
from services.integrity.verify import (
    ARCHIVE_RECORDS,
    CORRUPT,
    INTEGRITY,
    LATEST,
    MISSING,
    ORPHAN,
    SERIALIZED,
    STAGING,
    VerifyReport,
    verify_mirror,
)
from services.progress import Progress


@dataclass
class RepairReport:
    """What a repair changed, what it could not, and the verification before and after it."""

    before: VerifyReport
    after: VerifyReport | None = None
    repaired: list[str] = field(default_factory=list)
    not_repaired: list[str] = field(default_factory=list)


def repair_mirror(
    session: Session,
    store: ArchiveStore,
    bundle_path: str,
    progress: Progress | None = None,
    limits: DumpLimits = DEFAULT_LIMITS,
) -> RepairReport:
    """Verify `bundle_path`, then fix what verification finds, then verify again.

    The bundle is checked whole first (BundleRejected before anything changes). Missing and
    corrupt archives come from its archives with the digest the database records; orphan
    files and stale staging folders are removed; derived data is recomputed.
    """
    staging = store.staging_area()
    try:
        with open_bundle(bundle_path, limits) as bundle:
            archives = bundle.stage(store, staging)
        report = RepairReport(verify_mirror(session, store, progress, own=staging))
        _restore_archives(store, report, archives)
        _remove_leftovers(report)
        _correct_archive_sizes(session, store, report)
        _recompute_derived_data(session, report)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        ArchiveStore.discard(staging)
    for problem in report.before.problems:
        if problem.kind == INTEGRITY:
            report.not_repaired.append(
                f"{problem}: not repaired; restore the database from a backup or re-import"
            )
    report.after = verify_mirror(session, store, progress)
    return report


def _restore_archives(
    store: ArchiveStore, report: RepairReport, archives: list[StagedArchive]
) -> None:
    # Content-addressed: any archive of the bundle with the recorded digest is the right one.
    by_digest = {archive.sha256: archive for archive in archives}
    for problem in report.before.problems:
        if problem.kind not in (MISSING, CORRUPT):
            continue
        staged = by_digest.pop(problem.target, None)
        if staged is None:
            report.not_repaired.append(
                f"{problem.subject}: the bundle has no archive with sha256 {problem.target}"
            )
            continue
        relative = os.path.relpath(store.place(staged), store.root)
        report.repaired.append(f"{problem.subject}: restored archive {relative} from the bundle")


def _remove_leftovers(report: RepairReport) -> None:
    for problem in report.before.problems:
        if problem.kind == ORPHAN:
            ArchiveStore.unpublish([problem.target])
            report.repaired.append(f"{problem.subject}: removed the orphan archive file")
        elif problem.kind == STAGING:
            shutil.rmtree(problem.target, ignore_errors=True)
            report.repaired.append(f"{problem.subject}: removed the stale staging folder")


def _correct_archive_sizes(session: Session, store: ArchiveStore, report: RepairReport) -> None:
    for problem in report.before.problems:
        if problem.kind != ARCHIVE_RECORDS:
            continue
        if problem.target is None:
            report.not_repaired.append(f"{problem}: re-import the version from a dump or bundle")
            continue
        size = os.path.getsize(store.path_for(problem.target))
        session.execute(
            sa.update(NodeVersion)
            .where(NodeVersion.archive_sha256 == problem.target)
            .values(archive_size=size)
        )
        report.repaired.append(f"{problem.subject}: recorded the archive's size, {size} bytes")


def _recompute_derived_data(session: Session, report: RepairReport) -> None:
    version_ids = [p.target for p in report.before.problems if p.kind == SERIALIZED]
    touched: set[str] = set()
    for chunk in chunks(version_ids):
        rows = session.execute(sa.select(NodeVersion.__table__).where(NodeVersion.id.in_(chunk)))
        updates = []
        for row in rows.mappings().all():
            updates.append({"id": row["id"], "serialized": serialize_version(dict(row))})
            touched.add(row["node_normalized_id"])
            report.repaired.append(f"{row['node_id']} {row['version']}: recomputed serialized")
        if updates:
            session.execute(sa.update(NodeVersion), updates)
    for problem in report.before.problems:
        if problem.kind != LATEST:
            continue
        query = sa.select(NodeVersion.version, NodeVersion.status).where(
            NodeVersion.node_normalized_id == problem.target
        )
        expected = latest_version(dict(session.execute(query).all()))
        session.execute(
            sa.update(Node)
            .where(Node.normalized_id == problem.target)
            .values(latest_version=expected)
        )
        touched.add(problem.target)
        report.repaired.append(f"{problem.subject}: recomputed latest_version, {expected!r}")
    # What the API serves for these nodes changed: `timestamp` filters must see it.
    stamp_changed_nodes(session, sorted(touched))
