"""The node archives a sync bundles: which versions get one, downloaded in parallel, journaled.

Versions whose status is Deleted or Banned get no archive: the registry withdrew them, and a
mirror must not hand out what the registry banned (their metadata is still mirrored). A sync
into this mirror skips archives the mirror already holds for the same version (archives never
change under a version). Each finished download is journaled, so a rerun of an interrupted sync
re-hashes what it already has instead of fetching it again.
"""

import os
from collections.abc import Collection
from concurrent.futures import Executor, as_completed
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import Session

from models import NodeVersion, NodeVersionStatus, pair_key
from models.statuses import ARCHIVED_STATUSES
from services.archives import ArchiveStore
from services.chunks import chunks
from services.digests import file_digest
from services.progress import Log, Progress
from services.sync.client import UpstreamClient, UpstreamError
from services.sync.hosts import ArchiveHosts
from services.sync.work import SyncWork

LISTED_FAILURES = 20


@dataclass(frozen=True)
class WantedArchive:
    """A version whose archive the bundle should carry."""

    node_id: str
    version: str
    url: str


@dataclass(frozen=True)
class MissingArchive:
    """A version's archive that could not be fetched, and why; its upstream URL is served."""

    node_id: str
    version: str
    url: str
    reason: str

    def line(self) -> str:
        """The missing archive as the summary lists it."""
        return f"{self.node_id} {self.version}: {self.reason}"

    def as_dict(self) -> dict:
        """The missing archive as the sync's import record keeps it."""
        return {
            "node_id": self.node_id,
            "version": self.version,
            "url": self.url,
            "reason": self.reason,
        }


@dataclass
class ArchiveTally:
    """What happened to each version's archive."""

    downloaded: int = 0
    downloaded_bytes: int = 0
    reused: int = 0
    held: int = 0
    without_url: int = 0
    not_mirrored: int = 0
    failures: list[MissingArchive] = field(default_factory=list)

    def line(self) -> str:
        """The tally as the summary prints it."""
        return (
            f"archives: {self.downloaded} downloaded ({self.downloaded_bytes / 1e6:.1f} MB), "
            f"{self.reused} reused from an interrupted run, {self.held} already in this mirror, "
            f"{self.without_url} without a downloadUrl, {self.not_mirrored} not mirrored "
            "(Deleted or Banned), "
            f"{len(self.failures)} failed"
        )

    def failure_lines(self) -> list[str]:
        """The failed downloads, the first LISTED_FAILURES of them by name."""
        lines = [missing.line() for missing in self.failures[:LISTED_FAILURES]]
        if len(self.failures) > LISTED_FAILURES:
            lines.append(f"... and {len(self.failures) - LISTED_FAILURES} more failed download(s)")
        return lines


def plan_archives(
    document: dict, held: Collection[str], tally: ArchiveTally
) -> list[WantedArchive]:
    """The archives to fetch for a dump's versions; `held` are pair keys this mirror has."""
    wanted = []
    for node in document["nodes"]:
        for version in node["versions"]:
            url = version.get("downloadUrl")
            if version.get("status", NodeVersionStatus.ACTIVE.value) not in ARCHIVED_STATUSES:
                tally.not_mirrored += 1
            elif not url:
                tally.without_url += 1
            elif pair_key(node["id"].lower(), version["version"]) in held:
                tally.held += 1
            else:
                wanted.append(WantedArchive(node["id"], version["version"], url))
    return wanted


def held_archives(session: Session, store: ArchiveStore, document: dict) -> set[str]:
    """Pair keys of the dump's versions whose archive this mirror already holds."""
    keys = [
        pair_key(node["id"].lower(), version["version"])
        for node in document["nodes"]
        for version in node["versions"]
    ]
    held = set()
    for chunk in chunks(keys):
        rows = session.execute(
            sa.select(NodeVersion.pair_key, NodeVersion.archive_sha256).where(
                NodeVersion.pair_key.in_(chunk),
                NodeVersion.archive_sha256.is_not(None),
            )
        )
        held.update(row.pair_key for row in rows if store.has(row.archive_sha256))
    return held


def _ensure_archive(
    client: UpstreamClient,
    hosts: ArchiveHosts,
    work: SyncWork,
    wanted: WantedArchive,
    journaled: dict,
) -> tuple[dict, bool]:
    """The archive's manifest entry, and whether an earlier run's copy was reused."""
    relative, target = work.archive_target(wanted.node_id, wanted.version)
    entry = journaled.get((wanted.node_id.lower(), wanted.version))
    if (
        entry is not None
        and entry.get("url") == wanted.url
        and entry.get("path") == relative
        and os.path.isfile(target)
        and file_digest(target) == (entry.get("sha256"), entry.get("size"))
    ):
        return entry, True
    url = hosts.rewrite(wanted.url)
    problem = hosts.unreachable(client, url)
    if problem is not None:
        raise UpstreamError(problem)
    downloaded = client.download(url, target)
    entry = {
        "node_id": wanted.node_id,
        "version": wanted.version,
        "url": wanted.url,
        "path": relative,
        "sha256": downloaded.sha256,
        "size": downloaded.size,
    }
    return entry, False


def fetch_archives(
    client: UpstreamClient,
    hosts: ArchiveHosts,
    executor: Executor,
    work: SyncWork,
    wanted: list[WantedArchive],
    tally: ArchiveTally,
    log: Log,
    phase: Progress,
) -> list[dict]:
    """Download (or reuse) every wanted archive; return manifest entries of those now on disk.

    Failures are added to `tally` and do not stop the others, so a rerun has less to fetch.
    """
    journaled = work.journaled()
    step = phase("Downloading archives", len(wanted))
    futures = {
        executor.submit(_ensure_archive, client, hosts, work, item, journaled): item
        for item in wanted
    }
    entries, every = [], max(len(wanted) // 10, 1)
    try:
        for done, future in enumerate(as_completed(futures), 1):
            item = futures[future]
            try:
                entry, reused = future.result()
            except UpstreamError as exc:
                tally.failures.append(
                    MissingArchive(item.node_id, item.version, item.url, str(exc))
                )
                log(f"download failed: {item.node_id} {item.version}: {exc}")
            else:
                if reused:
                    tally.reused += 1
                else:
                    work.record(entry)
                    tally.downloaded += 1
                    tally.downloaded_bytes += entry["size"]
                entries.append(
                    {k: entry[k] for k in ("node_id", "version", "path", "sha256", "size")}
                )
            step(1)
            if done % every == 0 or done == len(wanted):
                log(f"archives: {done}/{len(wanted)}")
    finally:
        for future in futures:
            future.cancel()
    tally.failures.sort(key=lambda missing: (missing.node_id.lower(), missing.version))
    return sorted(entries, key=lambda entry: entry["path"])
