"""Checking the whole mirror: the database, the archives and the data derived on import
(including the listings' stored totals and page anchors)."""

import os
import re
from collections import defaultdict
from collections.abc import Iterable
from itertools import groupby

import orjson
import sqlalchemy as sa
from sqlalchemy.orm import Session

from models import Node, NodeVersion
from services.archives import LOCK_FILE, STAGING_PREFIX, ArchiveStore
from services.catalog.served_nodes import node_documents, node_rows
from services.chunks import KEYS_PER_STATEMENT, chunks
from services.digests import file_digest
from services.imports.derived import latest_version, serialize_version
from services.integrity.comfy_index import index_figures
from services.integrity.references import dangling_references
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
from services.integrity.search_index import check_search_index
from services.listings import stale_listings
from services.progress import Progress

# Kinds of problem, in the order a report lists them.
_PREFIX_FOLDER = re.compile(r"[0-9a-f]{2}")
_ARCHIVE_FILE = re.compile(r"([0-9a-f]{64})\.zip")
# Versions named in one line about an archive many versions share.
NAMED_VERSIONS = 3


def verify_mirror(
    session: Session,
    store: ArchiveStore,
    progress: Progress | None = None,
    own: str = "",
    store_locked: bool = False,
) -> VerifyReport:
    """Run every check; `own` is a staging folder of the caller's, not reported as stale.

    `store_locked`: the caller holds the archive directory's lock alone (see StoreLock).
    """
    report = VerifyReport()
    # First, so this session's snapshot begins while no import is between storing its
    # archives and committing the versions that refer to them.
    if store_locked or not os.path.isdir(store.root):
        check_archive_directory(session, store, report, own)
    else:
        with store.lock() as lock:
            if lock.try_alone():
                check_archive_directory(session, store, report, own)
            else:
                report.import_running = True
    check_database(session, report)
    check_archives(session, store, report, progress)
    check_derived_data(session, report, progress)
    for listing, detail in stale_listings(session):
        report.add(LISTINGS, listing, detail)
    check_search_index(session, report)
    report.comfy_nodes = index_figures(session)
    return report


def check_database(session: Session, report: VerifyReport) -> None:
    """SQLite's own integrity and foreign-key checks; PostgreSQL's foreign keys; else skipped."""
    backend = session.get_bind().dialect.name
    if backend not in ("sqlite", "postgresql"):
        report.integrity = f"skipped (no integrity check for {backend})"
        return
    found = len(report.problems)
    if backend == "sqlite":
        messages = [row[0] for row in session.execute(sa.text("PRAGMA integrity_check"))]
        if messages != ["ok"]:
            for message in messages:
                report.add(INTEGRITY, "database", message)
    for subject, column, value, parent in dangling_references(session):
        report.add(INTEGRITY, subject, f"{column} {value!r} names no row of {parent}")
    verdict = "ok" if len(report.problems) == found else "failed"
    # PostgreSQL has no page-level check to run from SQL (amcheck is an extension).
    page_check = "" if backend == "sqlite" else " (foreign keys; pages: not applicable, PostgreSQL)"
    report.integrity = verdict + page_check


def check_archives(
    session: Session, store: ArchiveStore, report: VerifyReport, progress: Progress | None = None
) -> None:
    """Every archive a version records is stored with the recorded size and sha256."""
    digest = NodeVersion.archive_sha256
    total = session.scalar(sa.select(sa.func.count(sa.distinct(digest))))
    step = progress("Hashing archives", total) if progress else None
    rows = session.execute(
        sa.select(digest, NodeVersion.archive_size, NodeVersion.node_id, NodeVersion.version)
        .where(digest.is_not(None))
        .order_by(digest)
        .execution_options(yield_per=KEYS_PER_STATEMENT)
    )
    for sha256, versions in groupby(rows, key=lambda row: row.archive_sha256):
        _check_archive(store, sha256, list(versions), report)
        if step is not None:
            step(1)


def _check_archive(store: ArchiveStore, sha256: str, versions: list, report: VerifyReport) -> None:
    names = _version_names(versions)
    try:
        path = store.path_for(sha256)
    except ValueError:
        report.add(ARCHIVE_RECORDS, names, f"archive_sha256 {sha256!r} is not a sha256 digest")
        return
    relative = os.path.relpath(path, store.root)
    recorded = sorted({row.archive_size for row in versions}, key=lambda size: size or 0)
    recorded_text = " or ".join(str(size) for size in recorded)
    if not os.path.isfile(path):
        report.add(MISSING, names, f"archive {relative} is missing", sha256)
        return
    actual, size = file_digest(path)
    report.archives += 1
    report.archive_bytes += size
    if actual != sha256 and size not in recorded:
        detail = f"archive {relative} is {size} bytes, the database records {recorded_text}"
        report.add(CORRUPT, names, detail, sha256)
    elif actual != sha256:
        detail = f"archive {relative} has the recorded size but sha256 {actual}"
        report.add(CORRUPT, names, detail, sha256)
    elif recorded != [size]:
        detail = (
            f"the database records {recorded_text} bytes for archive {relative}, "
            f"which matches its sha256 and is {size} bytes"
        )
        report.add(ARCHIVE_RECORDS, names, detail, sha256)


def _version_names(versions: list) -> str:
    names = [f"{row.node_id} {row.version}" for row in versions[:NAMED_VERSIONS]]
    if len(versions) > NAMED_VERSIONS:
        names.append(f"and {len(versions) - NAMED_VERSIONS} more versions")
    return ", ".join(names)


def check_archive_directory(
    session: Session, store: ArchiveStore, report: VerifyReport, own: str = ""
) -> None:
    """Archive files no version refers to, and staging folders imports left behind."""
    if not os.path.isdir(store.root):
        return
    for entry in sorted(os.scandir(store.root), key=lambda entry: entry.name):
        is_folder = entry.is_dir(follow_symlinks=False)
        if entry.name == LOCK_FILE and entry.is_file(follow_symlinks=False):
            continue
        if is_folder and entry.name.startswith(STAGING_PREFIX):
            if entry.path != own:
                detail = "a staging folder an import or repair left behind"
                report.add(STAGING, entry.name, detail, entry.path)
        elif is_folder and _PREFIX_FOLDER.fullmatch(entry.name):
            _check_prefix_folder(session, store, entry.name, report)
        else:
            report.warnings.append(entry.name)


def _check_prefix_folder(
    session: Session, store: ArchiveStore, prefix: str, report: VerifyReport
) -> None:
    # One folder's digests at a time: memory stays small however many archives are stored.
    digest = NodeVersion.archive_sha256
    referenced = set(
        session.scalars(
            sa.select(digest).distinct().where(digest.between(prefix + "0" * 62, prefix + "f" * 62))
        )
    )
    folder = os.path.join(store.root, prefix)
    for entry in sorted(os.scandir(folder), key=lambda entry: entry.name):
        relative = f"{prefix}/{entry.name}"
        match = _ARCHIVE_FILE.fullmatch(entry.name)
        if not (entry.is_file(follow_symlinks=False) and match and match[1].startswith(prefix)):
            report.warnings.append(relative)
        elif match[1] not in referenced:
            report.add(ORPHAN, relative, "no version refers to this archive", entry.path)


def check_derived_data(
    session: Session, report: VerifyReport, progress: Progress | None = None
) -> None:
    """Each node's latest_version and served JSON and each version's serialized JSON match the
    stored fields."""
    nodes = session.execute(
        sa.select(Node.normalized_id, Node.id, Node.latest_version).order_by(Node.normalized_id)
    ).all()
    total = session.scalar(sa.select(sa.func.count()).select_from(NodeVersion))
    step = progress("Checking derived data", total) if progress else None
    report.nodes = len(nodes)
    for chunk in chunks(nodes):
        statuses: dict[str, dict] = defaultdict(dict)
        # Nodes whose served JSON a repair makes again anyway, so not listed twice.
        remade: set[str] = set()
        for record in _version_records(session, [key for key, _, _ in chunk]):
            statuses[record["node_normalized_id"]][record["version"]] = record["status"]
            report.versions += 1
            expected = serialize_version(record)
            if record["serialized"] != expected:
                detail = _serialized_difference(record["serialized"], expected)
                name = f"{record['node_id']} {record['version']}"
                report.add(SERIALIZED, name, detail, record["id"])
                remade.add(record["node_normalized_id"])
            if step is not None:
                step(1)
        for key, node_id, stored in chunk:
            expected = latest_version(statuses.get(key, {}))
            if stored != expected:
                detail = f"latest_version is {stored!r}; its versions make it {expected!r}"
                report.add(LATEST, node_id, detail, key)
                remade.add(key)
        _check_served(session, report, [key for key, _, _ in chunk if key not in remade])


def _check_served(session: Session, report: VerifyReport, keys: list[str]) -> None:
    """Each node's stored answer is what the schemas make of its stored rows now."""
    stored = dict(
        session.execute(
            sa.select(Node.normalized_id, Node.served).where(Node.normalized_id.in_(keys))
        ).all()
    )
    rows = node_rows(session, keys)
    documents = node_documents(session, rows, with_latest=False)
    for row, document in zip(rows, documents, strict=True):
        if stored[row["normalized_id"]] != orjson.dumps(document).decode():
            detail = "served differs from what its node and publisher make"
            report.add(SERVED, row["id"], detail, row["normalized_id"])


def _version_records(session: Session, node_keys: list[str]) -> Iterable[dict]:
    table = NodeVersion.__table__
    query = sa.select(table).where(table.c.node_normalized_id.in_(node_keys))
    for row in session.execute(query).mappings():
        yield dict(row)


def _serialized_difference(stored: str, expected: str) -> str:
    """Which fields of a stored serialized version differ from its columns."""
    try:
        document = orjson.loads(stored)
    except orjson.JSONDecodeError:
        return "serialized is not valid JSON"
    if not isinstance(document, dict):
        return "serialized is not a JSON object"
    wanted = orjson.loads(expected)
    keys = sorted(k for k in document.keys() | wanted.keys() if document.get(k) != wanted.get(k))
    if not keys:
        return "serialized is formatted differently from what the mirror writes"
    return f"serialized differs from its stored fields in {', '.join(keys)}"
