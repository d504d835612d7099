"""Running one import: read dumps and bundles, validate, stage archives, write, commit or undo."""

import contextlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from database import begin_write, checkpoint_wal
from models import ImportRecord
from services.archives import ArchiveStore
from services.bundles.reader import BundleContents, is_bundle, read_bundle
from services.dumps.reader import DumpDocument, DumpRejected, dump_files, read_dump_file
from services.dumps.validation import IncomingMirror, validate_dumps
from services.imports.summary import ImportSummary
from services.imports.writer import apply_incoming
from services.integrity.repair import clean_leftovers

Progress = Callable[[str, int], Callable[[int], None]]


@dataclass(frozen=True)
class ImportOrigin:
    """Where an import's data came from, as its import record keeps it."""

    kind: str = "import"
    # The upstream's base URL for a sync; None for dumps imported by hand.
    origin: str | None = None
    # When the work that produced the data began (a sync's snapshot time).
    started_at: datetime | None = None


def import_dumps(
    session: Session,
    paths: list[str],
    replace: bool = False,
    progress: Progress | None = None,
    archive_store: ArchiveStore | None = None,
    origin: ImportOrigin = ImportOrigin(),
) -> ImportSummary:
    """Read, validate and write the dumps and bundles at `paths` as one transaction."""
    staging: list[str] = []
    try:
        with contextlib.ExitStack() as held:
            removed = []
            if _uses_store(paths, archive_store):
                removed = _hold_store(session, archive_store, held)
            try:
                documents, bundles = read_sources(paths, archive_store, staging)
                summary = _import(
                    session, paths, documents, bundles, replace, progress, archive_store, origin
                )
            finally:
                for folder in staging:
                    ArchiveStore.discard(folder)
    except OSError as exc:
        where = archive_store.root if archive_store is not None else "the dumps"
        raise DumpRejected(
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
    lock.share()
    return removed


def read_sources(
    paths: list[str], archive_store: ArchiveStore | None, staging: list[str]
) -> tuple[list[DumpDocument], list[BundleContents]]:
    """The dumps the PATH arguments name, in order, and the verified bundles among them.

    A staging folder is made (and added to `staging`) only when a bundle is read.
    """
    documents: list[DumpDocument] = []
    bundles: list[BundleContents] = []
    for path in paths:
        if is_bundle(path):
            if archive_store is None:
                raise DumpRejected([f"{path}: bundles need an archive directory to import into."])
            if not staging:
                staging.append(archive_store.staging_area())
            bundle = read_bundle(path, archive_store, staging[0])
            bundles.append(bundle)
            documents.append(bundle.dump)
        else:
            documents.extend(read_dump_file(file_path) for file_path in dump_files(path))
    return documents, bundles


def attach_archives(incoming: IncomingMirror, bundles: list[BundleContents]) -> None:
    """Give each version its bundle's archive; refuse archives for versions no dump holds."""
    problems = []
    for bundle in bundles:
        for archive in bundle.archives:
            key = (archive.node_id.lower(), archive.version)
            node = incoming.nodes.get(key[0])
            record = node.versions.get(archive.version) if node is not None else None
            if record is None:
                problems.append(
                    f"{bundle.places[key]}: version {archive.version!r} of node "
                    f"{archive.node_id!r} is not in the bundle's dump."
                )
                continue
            record["archive_sha256"] = archive.sha256
            record["archive_size"] = archive.size
    if problems:
        raise DumpRejected(problems)


def _import(
    session, paths, documents, bundles, replace, progress, archive_store, origin
) -> ImportSummary:
    """Validate and write; publish staged archives only as the transaction commits."""
    total_nodes = sum(
        len(d.content.get("nodes", []))
        if isinstance(d.content, dict) and isinstance(d.content.get("nodes"), list)
        else 0
        for d in documents
    )
    step = progress("Validating", total_nodes) if progress else None
    incoming = validate_dumps(documents, step)
    attach_archives(incoming, bundles)
    step = progress("Writing", len(incoming.nodes)) if progress else None
    published: list[str] = []
    try:
        begin_write(session)
        summary = apply_incoming(session, incoming, replace, step)
        if archive_store is not None:
            archive_store.publish((a for bundle in bundles for a in bundle.archives), published)
        summary.archives_stored = len(published)
        summary.archives_verified = sum(len(bundle.archives) for bundle in bundles)
        session.add(
            ImportRecord(
                kind=origin.kind,
                origin=origin.origin or _dump_source(documents),
                started_at=origin.started_at,
                sources=paths,
                replace=replace,
                summary=summary.as_dict(),
            )
        )
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
    return summary


def _dump_source(documents: list[DumpDocument]) -> str | None:
    """The `source` the dumps name, when they agree on one."""
    sources = {
        d.content.get("source") for d in documents if isinstance(d.content.get("source"), str)
    }
    return sources.pop() if len(sources) == 1 else None
