"""What upstream no longer has: mirrored nodes a --full sync did not find listed, and publishers
left without nodes; listed in the summary, or removed with --prune.

Only a --full sync reads the upstream's whole node list, so only it can tell a node removed
upstream from one that did not change. The finding and the removing run inside the sync's
import transaction, after its writes (see Removals.apply), so they see the mirror exactly as the
import leaves it and are committed, or undone, with it. A publisher goes when the upstream no
longer lists it (in GET /publishers, or embedded in a node when the upstream lists none) and no
node left in the mirror names it. The archive store is content-addressed: a removed version's
archive file goes, once the import has committed, only when no version left refers to it.
"""

from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import Session

from models import Node, NodeVersion, Publisher
from services.archives import ArchiveStore
from services.chunks import chunks
from services.imports.summary import ImportSummary

# How many ids a summary line names before "and N more".
SHOWN_IDS = 20


@dataclass
class Removals:
    """Mirrored nodes and publishers the upstream no longer has; removed when `prune`."""

    # Lower-cased ids of every node the upstream lists, and the ids of its publishers.
    upstream_nodes: frozenset[str]
    upstream_publishers: frozenset[str]
    prune: bool
    store: ArchiveStore
    nodes: list[str] = field(default_factory=list)
    publishers: list[str] = field(default_factory=list)
    versions: int = 0
    archives: int = 0

    def apply(self, session: Session, summary: ImportSummary) -> list[str]:
        """Find (and with `prune` remove) what upstream no longer has, in the import's
        transaction; return the archive files to remove once it commits."""
        gone = {
            key: node_id
            for key, node_id in session.execute(sa.select(Node.normalized_id, Node.id))
            if key not in self.upstream_nodes
        }
        self.nodes = sorted(gone.values(), key=str.lower)
        rows = session.execute(sa.select(Node.normalized_id, Node.publisher_id))
        named = {pid for key, pid in rows if key not in gone and pid is not None}
        kept = named | self.upstream_publishers
        self.publishers = sorted(
            pid for pid in session.scalars(sa.select(Publisher.id)) if pid not in kept
        )
        if not self.prune:
            return []
        doomed = self._remove_nodes(session, sorted(gone))
        for chunk in chunks(self.publishers):
            session.execute(sa.delete(Publisher).where(Publisher.id.in_(chunk)))
        summary.nodes.removed += len(gone)
        summary.versions.removed += self.versions
        summary.publishers.removed += len(self.publishers)
        self.archives = len(doomed)
        return [self.store.path_for(digest) for digest in sorted(doomed)]

    def _remove_nodes(self, session: Session, keys: list[str]) -> set[str]:
        """Remove the nodes and their versions (their node classes go with them, by the foreign
        keys); return the digests of the archives no version left refers to."""
        digests: set[str] = set()
        for chunk in chunks(keys):
            versions = NodeVersion.node_normalized_id.in_(chunk)
            for digest in session.scalars(sa.select(NodeVersion.archive_sha256).where(versions)):
                if digest:
                    digests.add(digest)
            self.versions += session.execute(
                sa.select(sa.func.count()).where(versions)
            ).scalar_one()
            session.execute(sa.delete(NodeVersion).where(versions))
            session.execute(sa.delete(Node).where(Node.normalized_id.in_(chunk)))
        for chunk in chunks(sorted(digests)):
            query = sa.select(NodeVersion.archive_sha256).where(
                NodeVersion.archive_sha256.in_(chunk)
            )
            digests.difference_update(session.scalars(query))
        return {digest for digest in digests if self.store.has(digest)}

    def lines(self) -> list[str]:
        """What the summary says of them."""
        if self.prune:
            return [
                f"removed {len(self.nodes)} node(s) no longer upstream{_named(self.nodes)}, "
                f"with {self.versions} version(s) and {self.archives} archive file(s)",
                f"removed {len(self.publishers)} publisher(s) no longer upstream and without "
                f"nodes{_named(self.publishers)}",
            ]
        lines = []
        if self.nodes:
            lines.append(
                f"{len(self.nodes)} nodes no longer upstream{_named(self.nodes)} "
                "(use --prune to remove them)"
            )
        if self.publishers:
            lines.append(
                f"{len(self.publishers)} publishers no longer upstream and without nodes"
                f"{_named(self.publishers)} (use --prune to remove them)"
            )
        return lines


def _named(ids: list[str]) -> str:
    """ ": a, b, c" (at most SHOWN_IDS of them, then "and N more"), or nothing for none."""
    if not ids:
        return ""
    shown = ", ".join(ids[:SHOWN_IDS])
    more = f" and {len(ids) - SHOWN_IDS} more" if len(ids) > SHOWN_IDS else ""
    return f": {shown}{more}"
