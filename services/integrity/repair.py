"""Repairing the mirror from a bundle: archives restored, leftovers removed, derived data redone."""

import os
import shutil
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import Session

from database import begin_write
from models import Node, NodeVersion
from services.archives import ArchiveStore, StagedArchive
from services.bundles.reader import open_bundle
from services.chunks import chunks
from services.dumps.reader import DEFAULT_LIMITS, DumpLimits
from services.imports.derived import (
    latest_version,
    serialize_version,
    serve_nodes,
    stamp_changed_nodes,
)
from services.integrity.report import (
    ARCHIVE_RECORDS,
    CORRUPT,
    INTEGRITY,
    LATEST,
    LISTINGS,
    MISSING,
    ORPHAN,
    SERIALIZED,
    SERVED,
    STAGING,
    VerifyReport,
)
from services.integrity.search_index import remake_search_index
from services.integrity.verify import check_archive_directory, verify_mirror
from services.progress import Progress
from services.refusals import Refused

IMPORT_RUNNING = "an import or sync is running: repair once it has finished."


class RepairRefused(Refused):
    """A repair that could not start (an import holds the archive directory); nothing changed."""


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
    bundle_path: str | None = None,
    progress: Progress | None = None,
    limits: DumpLimits = DEFAULT_LIMITS,
) -> RepairReport:
    """Fix what verification finds, then verify again; archives come from `bundle_path`.

    A bundle is checked whole first (BundleRejected before anything changes). Missing and
    corrupt archives come from its archives with the digest the database records (without a
    bundle they are reported as not repaired); orphan files and stale staging folders are
    removed; derived data is recomputed. Refused while an import holds the archive directory.
    """
    with store.lock() as lock:
        if not lock.try_alone():
            raise RepairRefused([IMPORT_RUNNING])
        staging = store.staging_area() if bundle_path is not None else None
        try:
            archives = None
            if bundle_path is not None:
                with open_bundle(bundle_path, limits) as bundle:
                    archives = bundle.stage(store, staging)
            # Holding the write lock from the first read: the repair sees and fixes one state.
            begin_write(session)
            report = RepairReport(
                verify_mirror(session, store, progress, own=staging or "", store_locked=True)
            )
            _restore_archives(store, report, archives)
            report.repaired += remove_leftovers(report.before)
            _correct_archive_sizes(session, store, report)
            _recompute_derived_data(session, report)
            report.repaired += remake_search_index(session, report.before)
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
        report.after = verify_mirror(session, store, progress, store_locked=True)
    return report


def clean_leftovers(session: Session, store: ArchiveStore) -> list[str]:
    """Remove the staging folders and unreferenced archives interrupted imports left.

    Only while holding the store's lock alone (StoreLock.try_alone), in a transaction begun
    after taking it: then nothing found is the work of a running import.
    """
    report = VerifyReport()
    check_archive_directory(session, store, report)
    return remove_leftovers(report)


def _restore_archives(
    store: ArchiveStore, report: RepairReport, archives: list[StagedArchive] | None
) -> None:
    # Content-addressed: any archive of the bundle with the recorded digest is the right one.
    by_digest = {archive.sha256: archive for archive in archives or ()}
    for problem in report.before.problems:
        if problem.kind not in (MISSING, CORRUPT):
            continue
        if archives is None:
            report.not_repaired.append(
                f"{problem}: give a bundle that holds it (--repair FROM_BUNDLE) to restore it"
            )
            continue
        staged = by_digest.pop(problem.target, None)
        if staged is None:
            report.not_repaired.append(
                f"{problem.subject}: the bundle has no archive with sha256 {problem.target}"
            )
            continue
        relative = os.path.relpath(store.place(staged), store.root)
        report.repaired.append(f"{problem.subject}: restored archive {relative} from the bundle")


def remove_leftovers(report: VerifyReport) -> list[str]:
    """Remove the orphan archives and stale staging folders `report` found; say what went."""
    removed = []
    for problem in report.problems:
        if problem.kind == ORPHAN:
            ArchiveStore.unpublish([problem.target])
            removed.append(f"{problem.subject}: removed the orphan archive file")
        elif problem.kind == STAGING:
            shutil.rmtree(problem.target, ignore_errors=True)
            removed.append(f"{problem.subject}: removed the stale staging folder")
    return removed


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
    stale = {problem.target for problem in report.before.problems if problem.kind == SERVED}
    for problem in report.before.problems:
        if problem.kind == SERVED:
            report.repaired.append(f"{problem.subject}: made its served JSON again")
        elif problem.kind == LISTINGS:
            # As every writer's commit does (database.py), whatever else the repair changed.
            report.repaired.append(f"{problem.subject}: made its total and page anchors again")
    # What the API serves for these nodes changed: `timestamp` filters must see it.
    stamp_changed_nodes(session, sorted(touched | stale))
    serve_nodes(session, sorted(touched | stale))
