"""Writing validated dumps into the mirror's tables: upserts and --replace removals."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from models import Node, NodeVersion, Publisher
from models.columns import utcnow
from services.chunks import chunks
from services.dumps.hashes import UNLOADED
from services.dumps.reader import DumpRejected
from services.dumps.records import load_unloaded_node
from services.dumps.validation import IncomingMirror, IncomingNode
from services.imports.comfy_nodes import write_upstream_comfy_nodes
from services.imports.derived import (
    latest_version,
    nodes_of_publishers,
    serve_nodes,
    stamp_changed_nodes,
)
from services.imports.summary import ImportSummary
from services.imports.versions import (
    VersionWrites,
    diff_versions,
    full_versions,
    light_versions,
    needing_rows,
    same_row,
)
from services.progress import Step
from services.releases.incoming import write_release_notes


def _rows(
    session: Session, table: sa.Table, column: sa.Column, keys: list, columns: tuple = ()
) -> list[dict]:
    """Rows of `table` (or only `columns` of them) whose `column` is among `keys`, as dicts."""
    rows: list[dict] = []
    for chunk in chunks(keys):
        result = session.execute(sa.select(*(columns or (table,))).where(column.in_(chunk)))
        names = tuple(result.keys())
        rows.extend(dict(zip(names, row, strict=True)) for row in result)
    return rows


# Nodes per batch of comparisons: the mirror's rows are read a batch at a time.
NODES_PER_BATCH = 2_000
_nodes = Node.__table__
NODE_LIGHT = (_nodes.c.normalized_id, _nodes.c.latest_version, _nodes.c.content_hash)


def apply_incoming(
    session: Session,
    incoming: IncomingMirror,
    replace: bool,
    step: Step | None = None,
) -> ImportSummary:
    """Upsert (or, with replace, make the mirror equal to) the incoming data; no commit."""
    summary = ImportSummary(unknown_keys=incoming.unknown_keys, sources=incoming.sources)
    publishers_changed = _write_publishers(session, incoming, summary)
    _check_publisher_references(session, incoming, replace)
    _check_version_ids(session, incoming, replace)
    # Removed first, so an id a removed version held can be given anew.
    lost_versions = _remove_absent(session, incoming, summary) if replace else set()

    writes = _Writes()
    for keys in chunks(list(incoming.nodes), NODES_PER_BATCH):
        _diff_nodes(session, incoming, keys, lost_versions, writes, summary)
        if step is not None:
            step(len(keys))
    writes.execute(session)
    classes_changed = write_upstream_comfy_nodes(session, incoming, summary.comfy_nodes)
    stamp_changed_nodes(session, sorted(set(writes.changed_nodes()) | classes_changed))
    summary.release_notes = write_release_notes(session, incoming.release_notes, replace)
    # What the API serves for a node holds its publisher and its latest version too.
    served_changed = set(writes.changed_nodes()) | nodes_of_publishers(session, publishers_changed)
    serve_nodes(session, sorted(served_changed))
    session.flush()
    return summary


def _diff_nodes(
    session: Session,
    incoming: IncomingMirror,
    keys: Sequence[str],
    lost_versions: set[str],
    writes: "_Writes",
    summary: ImportSummary,
) -> None:
    """Queue the writes of one batch of the import's nodes and their versions."""
    now = utcnow()
    old_versions = light_versions(session, list(keys))
    needed = [
        version_id
        for key in keys
        for version_id in needing_rows(incoming.nodes[key], old_versions.get(key, {}))
    ]
    whole = full_versions(session, needed)
    node_table = Node.__table__
    light = {
        row["normalized_id"]: row
        for row in _rows(session, node_table, node_table.c.normalized_id, list(keys), NODE_LIGHT)
    }
    pending = []
    for key in keys:
        node = incoming.nodes[key]
        statuses, versions_changed = diff_versions(
            node, old_versions.get(key, {}), whole, writes.versions, summary
        )
        latest = latest_version(statuses)
        old = light.get(key)
        if (
            old is not None
            and not versions_changed
            and key not in lost_versions
            and old["latest_version"] == latest
            and node.record["content_hash"] is not None
            and old["content_hash"] == node.record["content_hash"]
        ):
            summary.nodes.unchanged += 1
            continue
        record = {**whole_node(node), "latest_version": latest}
        if old is None:
            record["changed_at"] = now
            writes.node_inserts.append(record)
            summary.nodes.added += 1
        elif versions_changed or key in lost_versions or old["latest_version"] != latest:
            record["changed_at"] = now
            writes.node_updates.append(record)
            summary.nodes.updated += 1
        else:
            pending.append(record)
    _compare_nodes(session, pending, writes, summary, now)


def whole_node(node: IncomingNode) -> dict:
    """The node's row to write: loaded now if validation left it unloaded."""
    if UNLOADED in node.record:
        return load_unloaded_node(node.record, node.place)
    return dict(node.record)


def _compare_nodes(
    session: Session, records: list[dict], writes: "_Writes", summary: ImportSummary, now: datetime
) -> None:
    """Compare nodes whose hash proves nothing with their whole stored rows; queue the writes."""
    table = Node.__table__
    keys = [record["normalized_id"] for record in records]
    old_rows = {
        row["normalized_id"]: row for row in _rows(session, table, table.c.normalized_id, keys)
    }
    for record in records:
        key = record["normalized_id"]
        if not same_row(record, old_rows[key]):
            record["changed_at"] = now
            writes.node_updates.append(record)
            summary.nodes.updated += 1
        else:
            summary.nodes.unchanged += 1
            writes.node_hashes.append({"key": key, "digest": record["content_hash"]})


@dataclass
class _Writes:
    """The statements one import will execute, gathered so each runs as one batch."""

    node_inserts: list[dict] = field(default_factory=list)
    node_updates: list[dict] = field(default_factory=list)
    # Nodes already holding what the import gives, whose stored hash only was missing or stale.
    node_hashes: list[dict] = field(default_factory=list)
    versions: VersionWrites = field(default_factory=VersionWrites)

    def changed_nodes(self) -> list[str]:
        """The normalized ids of the nodes written."""
        return [record["normalized_id"] for record in self.node_inserts + self.node_updates]

    def execute(self, session: Session) -> None:
        """Run the batches in an order the foreign keys and unique keys accept."""
        self.versions.delete(session)
        if self.node_inserts:
            session.execute(sa.insert(Node), self.node_inserts)
        if self.node_updates:
            session.execute(sa.update(Node), self.node_updates)
        if self.node_hashes:
            store = (
                _nodes.update()
                .where(_nodes.c.normalized_id == sa.bindparam("key"))
                .values(content_hash=sa.bindparam("digest"))
            )
            session.execute(store, self.node_hashes)
        self.versions.write(session)


def _write_publishers(
    session: Session, incoming: IncomingMirror, summary: ImportSummary
) -> list[str]:
    """Upsert the full publisher objects the dumps carry; return the ids of those updated."""
    table = Publisher.__table__
    existing = {
        row["id"]: row for row in _rows(session, table, table.c.id, list(incoming.publishers))
    }
    inserts, updates = [], []
    for publisher_id, record in incoming.publishers.items():
        old = existing.get(publisher_id)
        if old is None:
            inserts.append(record)
            summary.publishers.added += 1
        elif same_row(record, old):
            summary.publishers.unchanged += 1
        else:
            updates.append(record)
            summary.publishers.updated += 1
    if inserts:
        session.execute(sa.insert(Publisher), inserts)
    if updates:
        session.execute(sa.update(Publisher), updates)
    return [record["id"] for record in updates]


def _check_publisher_references(session: Session, incoming: IncomingMirror, replace: bool) -> None:
    """Every {"id": ...} publisher reference names a publisher the import or the mirror has."""
    missing = [pid for pid in incoming.publisher_references if pid not in incoming.publishers]
    if missing and not replace:
        table = Publisher.__table__
        known = {row["id"] for row in _rows(session, table, table.c.id, missing)}
        missing = [pid for pid in missing if pid not in known]
    if missing:
        raise DumpRejected(
            [
                f"{incoming.publisher_references[pid]}.id: unknown publisher {pid!r}: "
                "add it to the dump's publishers list."
                for pid in missing
            ]
        )


def _remove_absent(session: Session, incoming: IncomingMirror, summary: ImportSummary) -> set[str]:
    """With --replace: remove nodes, versions and publishers the dumps do not hold.

    Returns the kept nodes that lost versions.
    """
    keep = set(incoming.nodes)
    gone = [key for (key,) in session.execute(sa.select(Node.normalized_id)) if key not in keep]
    for chunk in chunks(gone):
        summary.versions.removed += session.execute(
            sa.select(sa.func.count()).where(NodeVersion.node_normalized_id.in_(chunk))
        ).scalar_one()
        session.execute(sa.delete(NodeVersion).where(NodeVersion.node_normalized_id.in_(chunk)))
        session.execute(sa.delete(Node).where(Node.normalized_id.in_(chunk)))
    summary.nodes.removed += len(gone)
    absent = [
        (version_id, node_key)
        for version_id, node_key, version in session.execute(
            sa.select(NodeVersion.id, NodeVersion.node_normalized_id, NodeVersion.version)
        )
        if version not in incoming.nodes[node_key].versions
    ]
    absent_versions = [version_id for version_id, _ in absent]
    for chunk in chunks(absent_versions):
        session.execute(sa.delete(NodeVersion).where(NodeVersion.id.in_(chunk)))
    summary.versions.removed += len(absent_versions)
    keep_publishers = set(incoming.publishers) | set(incoming.publisher_references)
    gone_publishers = [
        pid for (pid,) in session.execute(sa.select(Publisher.id)) if pid not in keep_publishers
    ]
    for chunk in chunks(gone_publishers):
        session.execute(sa.delete(Publisher).where(Publisher.id.in_(chunk)))
    summary.publishers.removed += len(gone_publishers)
    return {node_key for _, node_key in absent}


def _check_version_ids(session: Session, incoming: IncomingMirror, replace: bool) -> None:
    """Refuse a version id the mirror already gives another pair that will still be there."""
    table = NodeVersion.__table__
    problems = []
    columns = (table.c.id, table.c.pair_key, table.c.node_normalized_id, table.c.version)
    for row in _rows(
        session, table, table.c.id, list(incoming.version_ids), (*columns, table.c.node_id)
    ):
        pair, place = incoming.version_ids[row["id"]]
        if row["pair_key"] == pair:
            continue
        node = incoming.nodes.get(row["node_normalized_id"])
        stays = not replace or (node is not None and row["version"] in node.versions)
        if stays:
            problems.append(
                f"{place}.id: {row['id']!r} is already the id of version {row['version']!r} "
                f"of node {row['node_id']!r} in the mirror."
            )
    if problems:
        raise DumpRejected(problems)
