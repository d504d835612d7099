"""What a sync is asked (SyncRequest), where it starts from (Snapshot), and what it reports."""

from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit

from models import ImportKind
from services.dumps.reader import DumpLimits
from services.imports.summary import ImportSummary
from services.sync.archives import ArchiveTally
from services.sync.client import ClientSettings, RequestCounts
from services.sync.removals import Removals
from services.timestamps import parse_rfc3339, rfc3339

PUBLIC_REGISTRY = "https://api.comfy.org"


@dataclass(frozen=True)
class SyncRequest:
    """What to sync, from where, and where to."""

    upstream: str
    out: str | None = None
    with_archives: bool = False
    # Refuse the whole sync if any archive cannot be fetched (else the sync is partial).
    require_archives: bool = False
    # --archive-host-map: (host[:port], [scheme://]host[:port]) rewrites of archive URLs.
    archive_hosts: tuple[tuple[str, str], ...] = ()
    since: datetime | None = None
    full: bool = False
    # --prune: remove what a --full sync finds upstream no longer has.
    prune: bool = False
    # --with-translations: fetch each walked node's translations (one request per node).
    with_translations: bool = False
    node_ids: tuple[str, ...] = ()
    settings: ClientSettings = field(default_factory=ClientSettings)
    # Where a sync into this mirror keeps its unfinished work.
    work_dir: str = "instance/sync"
    # The bounds its import reads the fetched bundle with, as `flask mirror import` would.
    limits: DumpLimits = field(default_factory=DumpLimits)
    # How the import record names it, when not by what it fetched (a pull-through's nodes).
    record_kind: ImportKind | None = None

    def identity(self) -> dict:
        """What makes a rerun "the same sync", allowed to resume the same .partial folder."""
        return {
            "upstream": self.upstream,
            "with_archives": self.with_archives,
            "since": rfc3339(self.since) if self.since else None,
            "full": self.full,
            "node_ids": sorted({node_id.lower() for node_id in self.node_ids}),
        }

    def kind(self) -> ImportKind:
        """How the import record names a sync like this one."""
        if self.record_kind is not None:
            return self.record_kind
        return ImportKind.SYNC_NODES if self.node_ids else ImportKind.SYNC


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
    # The release notes fetched; None when the sync fetched none.
    release_notes: list[dict] | None = None
    archives: ArchiveTally | None = None
    warnings: list[str] = field(default_factory=list)
    bundle: str | None = None
    imported: ImportSummary | None = None
    # What a --full sync into this mirror found upstream no longer has.
    removals: Removals | None = None

    @property
    def partial(self) -> bool:
        """Whether some archives could not be fetched (their versions keep upstream's URL)."""
        return self.archives is not None and bool(self.archives.failures)

    def lines(self) -> list[str]:
        """The summary as a person reads it."""
        fetched = (
            f"nodes: {self.nodes} in {self.pages} page(s); versions: {self.versions}; "
            f"publishers: {self.publishers}"
        )
        if self.release_notes is not None:
            fetched += f"; release notes: {len(self.release_notes)}"
        lines = [fetched]
        if self.archives is not None:
            lines.append(self.archives.line())
            if self.partial:
                lines.append(
                    f"missing archives ({len(self.archives.failures)}; served with their "
                    "upstream downloadUrl, retried by the next sync with --with-archives):"
                )
                lines.extend(f"  {line}" for line in self.archives.failure_lines())
        lines.append(self.counts.line())
        if self.removals is not None:
            lines.extend(self.removals.lines())
        lines.extend(f"warning: {warning}" for warning in self.warnings)
        return lines


@dataclass
class Snapshot:
    """Where a sync starts from (`since`), the words for it, and when it began."""

    since: datetime | None
    mode: str
    started_at: datetime

    def state(self, request: SyncRequest) -> dict:
        """The snapshot as sync-state.json keeps it, for a rerun to resume."""
        return {
            "identity": request.identity(),
            "since": rfc3339(self.since) if self.since else None,
            "mode": self.mode,
            "started_at": rfc3339(self.started_at),
        }

    @classmethod
    def from_state(cls, state: dict) -> "Snapshot":
        """The snapshot an earlier, interrupted run saved."""
        since = parse_rfc3339(state["since"]) if state["since"] else None
        return cls(since, state["mode"], parse_rfc3339(state["started_at"]))


def normalize_upstream(url: str) -> str:
    """The upstream's base URL without a trailing slash; ValueError if it is not one."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ValueError(f"{url!r} is not an http(s) base URL such as {PUBLIC_REGISTRY}.")
    return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"
