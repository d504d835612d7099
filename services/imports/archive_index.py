"""The node classes of versions whose archive the mirror holds, read from the archives.

Which versions need reading (an archive, and no classes recorded: not upstream's, not read
before), reading their archives on a pool of processes (services/node_classes/pool.py), and
storing what was read with write_extracted_comfy_nodes, inside the caller's transaction.
Archives are read once per digest, however many versions share one.
"""

import contextlib
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import Session

from models import ComfyNodeIndex, IndexOrigin, NodeVersion, pair_key
from services.chunks import chunks
from services.dumps.validation import IncomingMirror
from services.imports.comfy_nodes import write_extracted_comfy_nodes
from services.imports.summary import IndexSummary
from services.node_classes import ScannedPack
from services.node_classes.pool import scan_archives
from services.progress import Progress

# An archive's scan, by its sha256.
Scans = dict[str, ScannedPack]
# Where the archive with a sha256 can be read.
ArchivePath = Callable[[str], str]


@dataclass
class ArchiveReading:
    """Archives read for versions' classes: where each is, what was found, and the counts."""

    path_of: ArchivePath
    scans: Scans = field(default_factory=dict)
    summary: IndexSummary = field(default_factory=IndexSummary)

    def read(self, digests: Iterable[str], progress: Progress | None = None) -> None:
        """Read these archives (those not read yet, whose file is there) on the pool."""
        self.scans.update(
            read_archives(set(digests) - self.scans.keys(), self.path_of, self.summary, progress)
        )


@dataclass(frozen=True)
class IndexableVersion:
    """A version whose classes can be read from its archive."""

    version_id: str
    pair_key: str
    archive_sha256: str


def indexable_versions(
    session: Session, pair_keys: Iterable[str] | None = None, rebuild: bool = False
) -> list[IndexableVersion]:
    """Versions with an archive and no classes recorded (with `rebuild`, also those read from
    their archive before), among `pair_keys` or, given None, the whole mirror."""
    index = ComfyNodeIndex
    query = (
        sa.select(NodeVersion.id, NodeVersion.pair_key, NodeVersion.archive_sha256)
        .outerjoin(index, index.node_version_id == NodeVersion.id)
        .where(NodeVersion.archive_sha256.is_not(None))
        .where(
            sa.or_(index.origin.is_(None), index.origin == IndexOrigin.EXTRACTED.value)
            if rebuild
            else index.origin.is_(None)
        )
        .order_by(NodeVersion.pair_key)
    )
    if pair_keys is None:
        return [IndexableVersion(*row) for row in session.execute(query)]
    found = []
    for chunk in chunks(sorted(pair_keys)):
        rows = session.execute(query.where(NodeVersion.pair_key.in_(chunk)))
        found.extend(IndexableVersion(*row) for row in rows)
    return found


def import_digests(session: Session, incoming: IncomingMirror) -> set[str]:
    """The archives of an import's versions that will need reading once it is written: those
    with an archive and no classes from upstream, unless the same archive was read before."""
    given = {}
    for node_key, node in incoming.nodes.items():
        for version, record in node.versions.items():
            if version not in node.comfy_nodes:
                given[pair_key(node_key, version)] = record.get("archive_sha256")
    stored = {}
    for chunk in chunks(sorted(given)):
        query = (
            sa.select(NodeVersion.pair_key, NodeVersion.archive_sha256, ComfyNodeIndex.origin)
            .outerjoin(ComfyNodeIndex, ComfyNodeIndex.node_version_id == NodeVersion.id)
            .where(NodeVersion.pair_key.in_(chunk))
        )
        stored.update((key, (sha256, origin)) for key, sha256, origin in session.execute(query))
    digests = set()
    for key, sha256 in given.items():
        old_sha256, origin = stored.get(key, (None, None))
        final = sha256 or old_sha256
        if final is None or origin == IndexOrigin.UPSTREAM.value:
            continue
        if origin is None or final != old_sha256:
            digests.add(final)
    return digests


def read_archives(
    digests: Iterable[str],
    path_of: ArchivePath,
    summary: IndexSummary,
    progress: Progress | None = None,
) -> Scans:
    """Each archive's scan by digest; archives whose file is missing are left out."""
    paths = {}
    for sha256 in sorted(set(digests)):
        with contextlib.suppress(ValueError):  # not a digest: verify reports it
            path = path_of(sha256)
            if os.path.isfile(path):
                paths[sha256] = os.path.abspath(path)
    if not paths:
        return {}
    step = progress("Indexing archives", len(paths)) if progress else None
    start = time.perf_counter()
    scanned = scan_archives(paths.values(), step=step)
    summary.seconds += time.perf_counter() - start
    summary.archives += len(paths)
    summary.archive_bytes += sum(os.path.getsize(path) for path in paths.values())
    return {sha256: scanned[path] for sha256, path in paths.items()}


def store_scans(
    session: Session, versions: list[IndexableVersion], scans: Scans, summary: IndexSummary
) -> None:
    """Write each version's classes as read (never over upstream's); count what was written.

    A version whose archive was not read (its file is missing) is left pending."""
    extracted = {}
    for version in versions:
        pack = scans.get(version.archive_sha256)
        if pack is None:
            summary.missing += 1
            continue
        extracted[version.version_id] = (list(pack.comfy_nodes), pack.problem)
        if pack.problem is None:
            summary.indexed += 1
            summary.classes += len(pack.comfy_nodes)
        else:
            summary.not_indexed[pack.problem] += 1
    write_extracted_comfy_nodes(session, extracted)


def index_versions(
    session: Session, versions: list[IndexableVersion], reading: ArchiveReading
) -> None:
    """Store the classes of `versions`, first reading the archives not read yet."""
    reading.read(version.archive_sha256 for version in versions)
    store_scans(session, versions, reading.scans, reading.summary)
