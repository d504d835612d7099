"""Syncing from an upstream registry: into a bundle (--out), or into this mirror as one import.

Both ways first write a bundle in the DUMP-FORMAT.md format into a `.partial` work folder (see
services/sync/work.py): a bundle for --out is then verified and renamed into place; a sync into
this mirror imports the folder with import_dumps as ONE import (all or nothing), recorded as
kind "sync" with the upstream and the moment the sync began, and then removes it.

Incremental: the upstream's `timestamp` filter asks for nodes changed after `since`: --since, or
the start of the last successful sync from the same upstream recorded in this mirror. That start
is taken before the first request, and in the upstream's clock when its Date header is an earlier
second than ours, so a change made while a sync runs is fetched again by the next one rather than
lost.
A sync limited to --node ids is recorded as kind "sync-nodes" and never serves as the starting
point of a whole-registry sync.
"""

import hashlib
import os
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit

import sqlalchemy as sa
from sqlalchemy.orm import Session

from models import ImportRecord
from models.columns import utcnow
from schemas.dump import DUMP_FORMAT, DUMP_FORMAT_VERSION
from services.archives import ArchiveStore
from services.dumps.reader import DumpDocument, DumpRejected
from services.dumps.validation import validate_dumps
from services.imports.run import ImportOrigin, Progress, import_dumps
from services.imports.summary import ImportSummary
from services.sync.archives import ArchiveTally, fetch_archives, held_archives, plan_archives
from services.sync.client import ClientSettings, RequestCounts, UpstreamClient, UpstreamError
from services.sync.walk import Log, Phase, UpstreamCatalog, walk_catalog
from services.sync.work import SyncRefused, SyncWork

PUBLIC_REGISTRY = "https://api.comfy.org"
SYNC_KIND = "sync"
NODES_SYNC_KIND = "sync-nodes"


class SyncFailed(Exception):
    """A sync that wrote nothing (no bundle, no change to the mirror); every problem listed."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class SyncRequest:
    """What to sync, from where, and where to."""

    upstream: str
    out: str | None = None
    with_archives: bool = False
    since: datetime | None = None
    full: bool = False
    node_ids: tuple[str, ...] = ()
    settings: ClientSettings = field(default_factory=ClientSettings)
    # Where a sync into this mirror keeps its unfinished work.
    work_dir: str = "instance/sync"

    def identity(self) -> dict:
        """What makes a rerun "the same sync", allowed to resume the same .partial folder."""
        return {
            "upstream": self.upstream,
            "with_archives": self.with_archives,
            "since": _rfc3339(self.since) if self.since else None,
            "full": self.full,
            "node_ids": sorted({node_id.lower() for node_id in self.node_ids}),
        }


@dataclass
class SyncOutcome:
    """What a sync fetched and did."""

    upstream: str
    mode: str
    counts: RequestCounts
    nodes: int = 0
    versions: int = 0
    publishers: int = 0
    pages: int = 0
    archives: ArchiveTally | None = None
    warnings: list[str] = field(default_factory=list)
    bundle: str | None = None
    imported: ImportSummary | None = None

    def lines(self) -> list[str]:
        """The summary as a person reads it."""
        lines = [
            f"nodes: {self.nodes} in {self.pages} page(s); versions: {self.versions}; "
            f"publishers: {self.publishers}"
        ]
        if self.archives is not None:
            lines.append(self.archives.line())
        lines.append(self.counts.line())
        lines.extend(f"warning: {warning}" for warning in self.warnings)
        return lines


def normalize_upstream(url: str) -> str:
    """The upstream's base URL without a trailing slash; ValueError if it is not one."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ValueError(f"{url!r} is not an http(s) base URL such as {PUBLIC_REGISTRY}.")
    return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"


def last_sync_start(session: Session, upstream: str) -> datetime | None:
    """When the last successful whole-registry sync from `upstream` began, if one is recorded."""
    return session.execute(
        sa.select(ImportRecord.started_at)
        .where(
            ImportRecord.kind == SYNC_KIND,
            ImportRecord.origin == upstream,
            ImportRecord.started_at.is_not(None),
        )
        .order_by(ImportRecord.id.desc())
        .limit(1)
    ).scalar()


def _since(session: Session, request: SyncRequest) -> tuple[datetime | None, str]:
    """Where the sync starts from, and the words the summary uses for it."""
    if request.since is not None:
        since = _rfc3339(request.since)
        return request.since, f"incremental: nodes changed since {since} (--since)"
    if request.full:
        return None, "full (--full)"
    if request.node_ids:
        return None, f"full, for {len(set(request.node_ids))} listed node(s)"
    since = last_sync_start(session, request.upstream)
    if since is None:
        return None, f"full: this mirror records no earlier sync from {request.upstream}"
    return since, (
        f"incremental: nodes changed since {_rfc3339(since)}, when the last sync from "
        f"{request.upstream} began"
    )


def run_sync(
    session: Session,
    store: ArchiveStore,
    request: SyncRequest,
    log: Log,
    phase: Phase,
    import_progress: Progress | None = None,
) -> SyncOutcome:
    """Run one sync; raise SyncFailed, having written no bundle and changed nothing, on failure."""
    since, mode = _since(session, request)
    if request.out is not None:
        final = request.out.rstrip("/")
        work_path, private = f"{final}.partial", False
    else:
        slug = hashlib.sha256(request.upstream.encode()).hexdigest()[:16]
        final, private = None, True
        work_path = os.path.join(request.work_dir, f"sync-{slug}.partial")
    try:
        work = SyncWork.open(work_path, final, request.identity(), private)
    except (SyncRefused, OSError) as exc:
        raise SyncFailed([str(exc)]) from None
    counts = RequestCounts()
    client = UpstreamClient(request.upstream, request.settings, counts)
    executor = ThreadPoolExecutor(max_workers=request.settings.jobs)
    done, document = False, None
    try:
        state = work.resumed_state
        if state is not None:
            since = _parse(state["since"]) if state["since"] else None
            mode, started_at = state["mode"], _parse(state["started_at"])
            log(f"resuming the unfinished sync in {work.path}")
        else:
            started_at = utcnow()
            work.save_state(_state(request, since, mode, started_at))
        outcome = SyncOutcome(request.upstream, mode, counts)
        catalog = walk_catalog(client, executor, since, list(request.node_ids), log, phase)
        # A Date header counts whole seconds: only an earlier second shows the upstream's clock
        # behind ours (comparing it with our microseconds would move every start back to the
        # second, and the next sync would fetch again every node stamped in that second).
        started_second = started_at.replace(microsecond=0)
        if state is None and catalog.first_date is not None and catalog.first_date < started_second:
            # The upstream's clock is behind ours: take the snapshot time in its terms.
            started_at = catalog.first_date
            work.save_state(_state(request, since, mode, started_at))
        document = dump_document(catalog, request.upstream, started_at)
        if request.with_archives or final is not None:
            # Refuse bad data before downloading for it, and never write a bundle that
            # `flask mirror import` would refuse; a plain sync into this mirror leaves it to
            # the import, which validates the same way.
            validate_dumps([DumpDocument("upstream", document)])
        outcome.warnings = catalog.warnings
        outcome.pages, outcome.nodes = catalog.pages, len(document["nodes"])
        outcome.versions = sum(len(node["versions"]) for node in document["nodes"])
        outcome.publishers = len(document["publishers"])
        entries = []
        if request.with_archives:
            outcome.archives = ArchiveTally()
            held = held_archives(session, store, document) if final is None else set()
            wanted = plan_archives(document, held, outcome.archives)
            entries = fetch_archives(client, executor, work, wanted, outcome.archives, log, phase)
            if outcome.archives.failures:
                kept = len(entries)
                raise SyncFailed(
                    [
                        f"{len(outcome.archives.failures)} archive(s) could not be downloaded:",
                        *outcome.archives.failure_lines(),
                        counts.line(),
                        *(
                            [
                                f"The {kept} archive(s) that arrived are kept in {work.path}: "
                                "run the same command again to resume."
                            ]
                            if kept
                            else []
                        ),
                    ]
                )
        work.write_bundle(document, entries, request.upstream, _rfc3339(utcnow()))
        if final is not None:
            work.finish()
            outcome.bundle = final
        else:
            kind = NODES_SYNC_KIND if request.node_ids else SYNC_KIND
            origin = ImportOrigin(kind=kind, origin=request.upstream, started_at=started_at)
            outcome.imported = import_dumps(
                session, [work.path], progress=import_progress, archive_store=store, origin=origin
            )
            work.discard()
        done = True
        return outcome
    except UpstreamError as exc:
        raise SyncFailed([str(exc), counts.line()]) from None
    except DumpRejected as exc:
        problems = _by_node_id(exc.problems, document)
        raise SyncFailed(["the upstream's data was refused:", *problems]) from None
    except SyncRefused as exc:
        raise SyncFailed([str(exc)]) from None
    except OSError as exc:
        raise SyncFailed([f"could not write {work.path}: {exc.strerror or exc}."]) from None
    finally:
        executor.shutdown(wait=True, cancel_futures=True)
        client.close()
        if not done and not work.worth_resuming():
            # Nothing a rerun could reuse: leave no clutter behind.
            work.discard()
        work.close()


def dump_document(catalog: UpstreamCatalog, upstream: str, started_at: datetime) -> dict:
    """The catalogue as a dump: publishers once, nodes referring to them, versions inside nodes."""
    nodes = []
    for key in sorted(catalog.nodes):
        node = dict(catalog.nodes[key])
        publisher = node.pop("publisher", None)
        if isinstance(publisher, dict) and publisher.get("id") in catalog.publishers:
            node["publisher"] = {"id": publisher["id"]}
        versions: dict[str, dict] = {}
        for version in catalog.versions.get(key, []):
            if not isinstance(version, dict):
                continue
            node_id = version.get("node_id")
            if isinstance(node_id, str) and node_id.lower() == key:
                # Upstream may spell the node id in another case inside its versions.
                version = {**version, "node_id": node["id"]}
            versions.setdefault(str(version.get("version")), version)
        node["versions"] = list(versions.values())
        nodes.append(node)
    return {
        "format": DUMP_FORMAT,
        "format_version": DUMP_FORMAT_VERSION,
        "exported_at": _rfc3339(started_at),
        "source": upstream,
        "publishers": [catalog.publishers[key] for key in sorted(catalog.publishers)],
        "nodes": nodes,
    }


def _by_node_id(problems: list[str], document: dict | None) -> list[str]:
    """Problems with the places in the sync's own dump ("nodes[12]") named by node id."""
    if document is None:
        return problems
    ids = [node.get("id") for node in document["nodes"]]

    def by_id(match: re.Match) -> str:
        index = int(match.group(1))
        return f"node {ids[index]!r}" if index < len(ids) else match.group(0)

    return [re.sub(r"nodes\[(\d+)\]", by_id, problem) for problem in problems]


def _state(request: SyncRequest, since, mode: str, started_at: datetime) -> dict:
    return {
        "identity": request.identity(),
        "since": _rfc3339(since) if since else None,
        "mode": mode,
        "started_at": _rfc3339(started_at),
    }


def _rfc3339(moment: datetime) -> str:
    """A naive UTC time as upstream writes it (microseconds, Z)."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _parse(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ")
