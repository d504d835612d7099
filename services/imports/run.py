"""Running one import: read dumps and bundles, validate, stage archives, write, commit or undo.

The stages run cheapest first, so a refusal costs little: bundles' manifests and dumps are
checked and every dump validated before a single archive is copied into staging and hashed.
Staged archives move into the archive store only as the transaction commits.
"""

import contextlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from database import begin_write, checkpoint_wal, end_snapshot, writer_wait
from models import ImportKind, ImportRecord, pair_key
from services.archives import ArchiveStore, StagedArchive
from services.bundles.reader import BundleRejected, OpenBundle, is_bundle, open_bundle
from services.dumps.reader import (
    DEFAULT_LIMITS,
    DumpDocument,
    DumpLimits,
    DumpRejected,
    dump_files,
    read_dump_file,
)
from services.dumps.validation import IncomingMirror, validate_dumps
from services.imports.archive_index import (
    ArchiveReading,
    import_digests,
    index_versions,
    indexable_versions,
)
from services.imports.summary import ImportSummary
from services.imports.versions import stored_hashes
from services.imports.writer import apply_incoming
from services.integrity.repair import clean_leftovers
from services.progress import Progress
from services.refusals import Refused

# A repair holds the archive directory alone while it works, and an import while it removes
# what dead ones left; other imports wait for it, or refuse with --no-wait.
STORE_WAITS = (
    "A repair or another import's clean-up holds this mirror's archive directory; waiting for it "
    "to finish (--no-wait to refuse instead)..."
)
STORE_REFUSED = (
    "a repair or another import's clean-up holds this mirror's archive directory and --no-wait "
    "says not to wait: run the command again once it has finished, or without --no-wait"
)


# A change its caller makes in the import's transaction, after the writes (a sync's --prune):
# it counts itself in the summary and returns the archive files to remove once it commits.
Removal = Callable[[Session, ImportSummary], list[str]]


class ImportRefused(Refused):
    """An import that could not be carried out (the disk failed it); nothing was imported."""


@dataclass(frozen=True)
class ImportOrigin:
    """Where an import's data came from, as its import record keeps it."""

    kind: ImportKind = ImportKind.IMPORT
    # The upstream's base URL for a sync; None for dumps imported by hand.
    origin: str | None = None
    # When the work that produced the data began (a sync's snapshot time).
    started_at: datetime | None = None
    # What the record's summary adds to the import's own (a sync's missing archives).
    details: dict | None = None


@dataclass(frozen=True)
class ImportRequest:
    """One import as asked: what to read, whether to replace, where archives go, what to record."""

    paths: list[str]
    replace: bool = False
    progress: Progress | None = None
    archive_store: ArchiveStore | None = None
    origin: ImportOrigin = field(default_factory=ImportOrigin)
    limits: DumpLimits = DEFAULT_LIMITS
    removal: Removal | None = None


@dataclass
class ImportSources:
    """The dumps an import's PATH arguments name, in order, and the bundles among them."""

    documents: list[DumpDocument] = field(default_factory=list)
    bundles: list[OpenBundle] = field(default_factory=list)


def import_dumps(
    session: Session,
    paths: list[str],
    replace: bool = False,
    progress: Progress | None = None,
    archive_store: ArchiveStore | None = None,
    origin: ImportOrigin = ImportOrigin(),
    limits: DumpLimits = DEFAULT_LIMITS,
    removal: Removal | None = None,
) -> ImportSummary:
    """Read, validate and write the dumps and bundles at `paths` as one transaction."""
    request = ImportRequest(paths, replace, progress, archive_store, origin, limits, removal)
    with contextlib.ExitStack() as held:
        try:
            removed = []
            if _uses_store(paths, archive_store):
                removed = _hold_store(session, archive_store, held)
            sources = read_sources(request, held)
            incoming = _validate(request, sources, stored_hashes(session, sources.documents))
            staged = _stage_archives(request, sources, held)
            reading = _read_archives(session, request, incoming, staged)
            summary = _write(session, request, sources, incoming, staged, reading)
        except OSError as exc:
            where = archive_store.root if archive_store is not None else "the dumps"
            raise ImportRefused(
                [f"could not write {where}: {exc.strerror or exc}. Nothing was imported."]
            ) from None
    summary.leftovers_removed = len(removed)
    # A large import leaves a WAL file as large as itself until a checkpoint truncates it.
    checkpoint_wal(session.get_bind())
    return summary


def _uses_store(paths: list[str], store: ArchiveStore | None) -> bool:
    """Whether this import stores archives, or may find leftovers to clean in the store."""
    if store is None:
        return False
    # An import of dumps alone into a mirror without archives leaves the store uncreated.
    return os.path.isdir(store.root) or any(is_bundle(path) for path in paths)


def _hold_store(session: Session, store: ArchiveStore, held: contextlib.ExitStack) -> list[str]:
    """Hold the archive directory for this import; first remove what dead imports left, if alone."""
    lock = held.enter_context(store.lock())
    removed = []
    if lock.try_alone():
        # A snapshot begun now: every import that stored archives has committed or undone.
        session.commit()
        removed = clean_leftovers(session, store)
        session.commit()
    wait = writer_wait(session)
    lock.share(lambda: wait.blocked(STORE_WAITS, STORE_REFUSED))
    return removed


def read_sources(request: ImportRequest, held: contextlib.ExitStack) -> ImportSources:
    """Read every dump and open every bundle (kept open in `held`), refusing what is damaged."""
    sources = ImportSources()
    for path in request.paths:
        if not is_bundle(path):
            sources.documents.extend(
                read_dump_file(name, request.limits) for name in dump_files(path)
            )
            continue
        if request.archive_store is None:
            raise BundleRejected([f"{path}: bundles need an archive directory to import into."])
        bundle = held.enter_context(open_bundle(path, request.limits))
        sources.bundles.append(bundle)
        sources.documents.append(bundle.read_dump())
    return sources


def _validate(
    request: ImportRequest, sources: ImportSources, stored: dict[str, str]
) -> IncomingMirror:
    """Every dump validated whole (versions the mirror holds unchanged left unloaded), and
    every bundle's archives matched to a version."""
    documents = sources.documents
    nodes = sum(
        len(d.content["nodes"])
        for d in documents
        if isinstance(d.content, dict) and isinstance(d.content.get("nodes"), list)
    )
    step = request.progress("Validating", nodes) if request.progress else None
    incoming = validate_dumps(documents, step, stored)
    attach_archives(incoming, sources.bundles)
    return incoming


def attach_archives(incoming: IncomingMirror, bundles: list[OpenBundle]) -> None:
    """Give each version its bundle's archive; refuse archives for versions no dump holds."""
    problems = []
    for bundle in bundles:
        for archive in bundle.archives:
            node = incoming.nodes.get(archive.node_id.lower())
            record = node.versions.get(archive.version) if node is not None else None
            if record is None:
                problems.append(
                    f"{archive.place}: version {archive.version!r} of node "
                    f"{archive.node_id!r} is not in the bundle's dump."
                )
                continue
            record["archive_sha256"] = archive.sha256
            record["archive_size"] = archive.size
    if problems:
        raise BundleRejected(problems)


def _stage_archives(
    request: ImportRequest, sources: ImportSources, held: contextlib.ExitStack
) -> list[StagedArchive]:
    """Copy the bundles' archives into one staging folder (removed when `held` closes)."""
    if not sources.bundles:
        return []
    store = request.archive_store
    staging = store.staging_area()
    held.callback(ArchiveStore.discard, staging)
    return [archive for bundle in sources.bundles for archive in bundle.stage(store, staging)]


def _read_archives(
    session: Session, request: ImportRequest, incoming: IncomingMirror, staged: list[StagedArchive]
) -> ArchiveReading | None:
    """Read, before taking the write lock, the archives the import's versions will need indexed
    (staged ones from staging, the others from the store)."""
    store = request.archive_store
    if store is None:
        return None
    staged_paths = {archive.sha256: archive.staged_path for archive in staged}
    reading = ArchiveReading(lambda sha256: staged_paths.get(sha256) or store.path_for(sha256))
    digests = import_digests(session, incoming)
    end_snapshot(session)  # no snapshot held while the archives are read
    reading.read(digests, request.progress)
    return reading


def _index(session: Session, incoming: IncomingMirror, reading: ArchiveReading | None) -> None:
    """Store the classes of the import's versions that have an archive and none recorded."""
    if reading is None:
        return
    keys = [
        pair_key(key, version) for key, node in incoming.nodes.items() for version in node.versions
    ]
    index_versions(session, indexable_versions(session, keys), reading)


def _write(
    session: Session,
    request: ImportRequest,
    sources: ImportSources,
    incoming: IncomingMirror,
    staged: list[StagedArchive],
    reading: ArchiveReading | None,
) -> ImportSummary:
    """Write and commit; publish staged archives only as the transaction commits."""
    step = request.progress("Writing", len(incoming.nodes)) if request.progress else None
    published: list[str] = []
    try:
        begin_write(session)
        summary = apply_incoming(session, incoming, request.replace, step)
        _index(session, incoming, reading)
        unreferenced = request.removal(session, summary) if request.removal else []
        if reading is not None:
            summary.indexing = reading.summary
        if request.archive_store is not None:
            request.archive_store.publish(staged, published)
        summary.archives_stored = len(published)
        summary.archives_verified = len(staged)
        session.add(_record(request, sources, summary))
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        ArchiveStore.unpublish(published)
        raise DumpRejected(
            [f"the dumps conflict with the mirror's data: {exc.orig}. Nothing was imported."]
        ) from None
    except BaseException:
        session.rollback()
        ArchiveStore.unpublish(published)
        raise
    ArchiveStore.unpublish(unreferenced)
    return summary


def _record(request: ImportRequest, sources: ImportSources, summary: ImportSummary) -> ImportRecord:
    """The import record this import leaves behind."""
    origin = request.origin
    return ImportRecord(
        kind=origin.kind,
        origin=origin.origin or _dump_source(sources.documents),
        started_at=origin.started_at,
        sources=request.paths,
        replace=request.replace,
        summary={**summary.as_dict(), **(origin.details or {})},
    )


def _dump_source(documents: list[DumpDocument]) -> str | None:
    """The `source` the dumps name, when they agree on one."""
    sources = {
        d.content.get("source") for d in documents if isinstance(d.content.get("source"), str)
    }
    return sources.pop() if len(sources) == 1 else None
