"""Archives a sync could not fetch: kept in its import record, and retried by the next one.

A sync into this mirror with archives records, in its import record's summary, `partial` and
`missing_archives` (each one's node id, version, upstream URL and why). The next such sync from
the same upstream retries exactly those archives, walking their nodes again even when upstream
did not change them (an incremental sync would not list them otherwise); a sync limited to some
nodes retries those nodes' missing archives and carries the others over to its own record.
"""

from concurrent.futures import Executor
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import Session

from models import SYNC_KINDS, ImportRecord
from services.progress import Log, Progress
from services.sync.archives import ArchiveTally
from services.sync.client import UpstreamClient
from services.sync.walk import UpstreamCatalog, walk_catalog

# Import records looked at, newest first, for the last one that tells the missing archives.
LOOKBACK = 50


@dataclass
class EarlierMissing:
    """The archives earlier syncs from this upstream could not fetch: to retry, or to carry."""

    retry: list[dict] = field(default_factory=list)
    carried: list[dict] = field(default_factory=list)


def earlier_missing(session: Session, upstream: str, node_ids: tuple[str, ...]) -> EarlierMissing:
    """The missing archives the last sync with archives from `upstream` recorded."""
    summaries = session.scalars(
        sa.select(ImportRecord.summary)
        .where(ImportRecord.kind.in_(SYNC_KINDS), ImportRecord.origin == upstream)
        .order_by(ImportRecord.id.desc())
        .limit(LOOKBACK)
    )
    recorded = next(
        (
            s["missing_archives"]
            for s in summaries
            if isinstance(s, dict) and "missing_archives" in s
        ),
        [],
    )
    wanted = {node_id.lower() for node_id in node_ids}
    found = EarlierMissing()
    for entry in recorded:
        in_scope = not wanted or entry["node_id"].lower() in wanted
        (found.retry if in_scope else found.carried).append(entry)
    return found


def walk_missing_nodes(
    client: UpstreamClient,
    executor: Executor,
    catalog: UpstreamCatalog,
    retry: list[dict],
    log: Log,
    phase: Progress,
) -> None:
    """Add to `catalog` the nodes of archives to retry that the walk did not list."""
    absent = sorted({e["node_id"] for e in retry if e["node_id"].lower() not in catalog.nodes})
    if not absent:
        return
    log(f"walking {len(absent)} node(s) again for the archives an earlier sync lacked")
    extra = walk_catalog(client, executor, None, absent, log, phase)
    catalog.nodes.update(extra.nodes)
    catalog.versions.update(extra.versions)
    catalog.comfy_nodes.update(extra.comfy_nodes)
    catalog.publishers.update(extra.publishers)
    catalog.warnings.extend(extra.warnings)


def record_details(tally: ArchiveTally, carried: list[dict]) -> dict:
    """What the sync's import record adds to its summary: partial, and the missing archives."""
    missing = [missing.as_dict() for missing in tally.failures]
    return {"partial": bool(missing), "missing_archives": missing + carried}
