"""Syncing from an upstream registry: into a bundle (--out), or into this mirror as one import.

Both ways first write a bundle (the README's "Bundles" format) into a `.partial` work folder
(see services/sync/work.py): a bundle for --out is then verified and renamed into place; a sync
into this mirror imports the folder with import_dumps as ONE import (all or nothing), recorded
as kind ImportKind.SYNC with the upstream and the moment the sync began, and then removes it.
An archive that cannot be fetched leaves its version served with the upstream's downloadUrl and
makes the sync partial (services/sync/missing.py), unless --require-archives refuses the sync.

Incremental: the upstream's `timestamp` filter asks for nodes changed after `since`: --since, or
the start of the last successful sync from the same upstream recorded in this mirror. That start
is taken before the first request, and in the upstream's clock when its Date header is an
earlier second than ours, so a change made while a sync runs is fetched again by the next one
rather than lost.
A sync limited to --node ids is recorded as ImportKind.SYNC_NODES and never serves as the
starting point of a whole-registry sync.
"""

import hashlib
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from database import end_snapshot
from models import ImportKind, ImportRecord
from models.columns import utcnow
from services.archives import ArchiveStore
from services.dumps.reader import DumpDocument
from services.dumps.validation import validate_dumps
from services.imports.run import ImportOrigin, import_dumps
from services.progress import Log, Progress
from services.refusals import Refused
from services.sync.archives import ArchiveTally, fetch_archives, held_archives, plan_archives
from services.sync.client import RequestCounts, UpstreamClient, UpstreamError
from services.sync.hosts import ArchiveHosts
from services.sync.missing import (
    EarlierMissing,
    earlier_missing,
    record_details,
    walk_missing_nodes,
)
from services.sync.publishers import add_publishers, fetch_publishers
from services.sync.releases import fetch_release_notes
from services.sync.removals import Removals
from services.sync.request import Snapshot, SyncOutcome, SyncRequest
from services.sync.translations import fetch_translations, keep_mirrored_translations
from services.sync.walk import UpstreamCatalog, walk_catalog
from services.sync.work import SyncRefused, SyncWork, sync_refusal
from services.timestamps import rfc3339


@dataclass
class _Sync:
    """One sync under way: what it was asked, where it writes, and how it reaches the upstream."""

    session: Session
    store: ArchiveStore
    request: SyncRequest
    work: SyncWork
    client: UpstreamClient
    executor: ThreadPoolExecutor
    log: Log
    phase: Progress
    hosts: ArchiveHosts
    # Archives earlier syncs into this mirror could not fetch.
    earlier: EarlierMissing
    # The sync's own dump, once made, to name nodes in the problems of a refused one.
    document: dict | None = None


def last_sync_start(session: Session, upstream: str) -> datetime | None:
    """When the last successful whole-registry sync from `upstream` began, if one is recorded."""
    return session.execute(
        sa.select(ImportRecord.started_at)
        .where(
            ImportRecord.kind == ImportKind.SYNC,
            ImportRecord.origin == upstream,
            ImportRecord.started_at.is_not(None),
        )
        .order_by(ImportRecord.id.desc())
        .limit(1)
    ).scalar()


def run_sync(
    session: Session,
    store: ArchiveStore,
    request: SyncRequest,
    log: Log,
    phase: Progress,
    import_progress: Progress | None = None,
) -> SyncOutcome:
    """Run one sync; raise SyncRefused, having written no bundle and changed nothing, on failure."""
    work = _open_work(request)
    counts = RequestCounts()
    client = UpstreamClient(request.upstream, request.settings, counts)
    executor = ThreadPoolExecutor(max_workers=request.settings.jobs)
    hosts = ArchiveHosts(request.upstream, request.archive_hosts)
    earlier = EarlierMissing()
    if request.with_archives and request.out is None:
        earlier = earlier_missing(session, request.upstream, request.node_ids)
    sync = _Sync(session, store, request, work, client, executor, log, phase, hosts, earlier)
    done = False
    try:
        snapshot = _take_snapshot(sync)
        outcome = SyncOutcome(request.upstream, snapshot.mode, counts)
        _fetch_catalog(sync, snapshot, outcome)
        entries = _fetch_archives(sync, outcome) if request.with_archives else []
        _deliver(sync, snapshot, entries, outcome, import_progress)
        done = True
        return outcome
    except Refused as exc:
        raise sync_refusal(exc, sync.document) from None
    except UpstreamError as exc:
        raise SyncRefused([str(exc), counts.line()]) from None
    except OSError as exc:
        raise SyncRefused([f"could not write {work.path}: {exc.strerror or exc}."]) from None
    finally:
        executor.shutdown(wait=True, cancel_futures=True)
        client.close()
        if not done and not work.worth_resuming():
            # Nothing a rerun could reuse: leave no clutter behind.
            work.discard()
        work.close()


def _open_work(request: SyncRequest) -> SyncWork:
    """Lock the sync's work folder: OUT.partial for --out, else one per upstream in work_dir."""
    if request.out is not None:
        final = request.out.rstrip("/")
        path, private = f"{final}.partial", False
    else:
        slug = hashlib.sha256(request.upstream.encode()).hexdigest()[:16]
        final, private = None, True
        path = os.path.join(request.work_dir, f"sync-{slug}.partial")
    try:
        return SyncWork.open(path, final, request.identity(), private)
    except OSError as exc:
        raise SyncRefused([str(exc)]) from None


def _take_snapshot(sync: _Sync) -> Snapshot:
    """The resumed run's snapshot, or a new one, saved before the first request."""
    if sync.work.resumed_state is not None:
        sync.log(f"resuming the unfinished sync in {sync.work.path}")
        return Snapshot.from_state(sync.work.resumed_state)
    since, mode = _since(sync.session, sync.request)
    # No read transaction stays open through hours of requests: it would keep the WAL growing.
    end_snapshot(sync.session)
    snapshot = Snapshot(since, mode, utcnow())
    sync.work.save_state(snapshot.state(sync.request))
    return snapshot


def _since(session: Session, request: SyncRequest) -> tuple[datetime | None, str]:
    """Where the sync starts from, and the words the summary uses for it."""
    if request.since is not None:
        return request.since, f"incremental: nodes changed since {rfc3339(request.since)} (--since)"
    if request.full:
        return None, "full (--full)"
    if request.node_ids:
        return None, f"full, for {len(set(request.node_ids))} listed node(s)"
    since = last_sync_start(session, request.upstream)
    if since is None:
        return None, f"full: this mirror records no earlier sync from {request.upstream}"
    return since, (
        f"incremental: nodes changed since {rfc3339(since)}, when the last sync from "
        f"{request.upstream} began"
    )


def _fetch_catalog(sync: _Sync, snapshot: Snapshot, outcome: SyncOutcome) -> None:
    """Walk the upstream into the sync's dump (sync.document), checked when a bundle needs it."""
    request = sync.request
    resumed = sync.work.resumed_state is not None
    catalog = walk_catalog(
        sync.client, sync.executor, snapshot.since, list(request.node_ids), sync.log, sync.phase
    )
    # A Date header counts whole seconds: only an earlier second shows the upstream's clock
    # behind ours (comparing it with our microseconds would move every start back to the
    # second, and the next sync would fetch again every node stamped in that second).
    started_second = snapshot.started_at.replace(microsecond=0)
    if not resumed and catalog.first_date is not None and catalog.first_date < started_second:
        # The upstream's clock is behind ours: take the snapshot time in its terms.
        snapshot.started_at = catalog.first_date
        sync.work.save_state(snapshot.state(request))
    walk_missing_nodes(
        sync.client, sync.executor, catalog, sync.earlier.retry, sync.log, sync.phase
    )
    translated = set()
    if request.with_translations:
        translated = fetch_translations(sync.client, sync.executor, catalog.nodes)
    document = sync.document = catalog.as_dump(request.upstream, snapshot.started_at)
    if not request.node_ids:
        # Release notes and the publishers' list concern the whole registry: a sync of some
        # nodes leaves them alone.
        notes = fetch_release_notes(sync.client, catalog.warnings)
        if notes is not None:
            document["release_notes"] = outcome.release_notes = notes
        listed = fetch_publishers(sync.client, catalog.warnings)
        if listed is not None:
            add_publishers(document, listed)
    if request.out is None:
        keep_mirrored_translations(sync.session, document, translated)
        end_snapshot(sync.session)
        outcome.removals = _removals(sync, catalog)
    if request.with_archives or request.out is not None:
        # Refuse bad data before downloading for it, and never write a bundle that
        # `flask mirror import` would refuse; a plain sync into this mirror leaves it to
        # the import, which validates the same way.
        validate_dumps([DumpDocument("upstream", document)])
    outcome.warnings = catalog.warnings
    outcome.pages, outcome.nodes = catalog.pages, len(document["nodes"])
    outcome.versions = sum(len(node["versions"]) for node in document["nodes"])
    outcome.publishers = len(document["publishers"])


def _removals(sync: _Sync, catalog: UpstreamCatalog) -> Removals | None:
    """What a --full sync into this mirror finds upstream no longer has (None for others)."""
    request = sync.request
    if not request.full or request.node_ids:
        return None
    if request.prune and not catalog.listed:
        raise SyncRefused(
            ["the upstream lists no nodes at all: --prune would empty this mirror, so it refuses"]
        )
    publishers = frozenset(publisher["id"] for publisher in sync.document["publishers"])
    return Removals(frozenset(catalog.listed), publishers, request.prune, sync.store)


def _fetch_archives(sync: _Sync, outcome: SyncOutcome) -> list[dict]:
    """Download the archives the dump's versions need; with --require-archives, SyncRefused if
    any could not be, else those are left out (the sync is partial)."""
    tally = outcome.archives = ArchiveTally()
    into_mirror = sync.request.out is None
    held = held_archives(sync.session, sync.store, sync.document) if into_mirror else set()
    end_snapshot(sync.session)
    wanted = plan_archives(sync.document, held, tally)
    entries = fetch_archives(
        sync.client, sync.hosts, sync.executor, sync.work, wanted, tally, sync.log, sync.phase
    )
    if not tally.failures or not sync.request.require_archives:
        return entries
    problems = [
        f"{len(tally.failures)} archive(s) could not be downloaded:",
        *tally.failure_lines(),
        outcome.counts.line(),
    ]
    if entries:
        problems.append(
            f"The {len(entries)} archive(s) that arrived are kept in {sync.work.path}: "
            "run the same command again to resume."
        )
    raise SyncRefused(problems)


def _deliver(
    sync: _Sync,
    snapshot: Snapshot,
    entries: list[dict],
    outcome: SyncOutcome,
    import_progress: Progress | None,
) -> None:
    """Write the bundle; then move it into place (--out) or import it into this mirror."""
    request, work = sync.request, sync.work
    work.write_bundle(sync.document, entries, request.upstream)
    if request.out is not None:
        work.finish()
        outcome.bundle = work.final
        return
    details = None
    if outcome.archives is not None:
        details = record_details(outcome.archives, sync.earlier.carried)
    origin = ImportOrigin(request.kind(), request.upstream, snapshot.started_at, details)
    outcome.imported = import_dumps(
        sync.session,
        [work.path],
        progress=import_progress,
        archive_store=sync.store,
        origin=origin,
        limits=sync.request.limits,
        removal=outcome.removals.apply if outcome.removals is not None else None,
    )
    work.discard()
