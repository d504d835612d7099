"""Writing validated dumps into the mirror's tables: upserts and --replace removals."""

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from models import Node, NodeVersion, Publisher, pair_key
from models.columns import utcnow
from services.chunks import chunks
from services.dumps.reader import DumpRejected
from services.dumps.validation import IncomingMirror, IncomingNode, stable_version_id
from services.imports.comfy_nodes import forget_extracted_comfy_nodes, write_upstream_comfy_nodes
from services.imports.derived import (
    latest_version,
    nodes_of_publishers,
    serialize_version,
    serve_nodes,
    stamp_changed_nodes,
)
from services.imports.summary import ImportSummary
from services.progress import Step
from services.releases.incoming import write_release_notes


def _rows(session: Session, table: sa.Table, column: sa.Column, keys: list) -> list[dict]:
    """Rows of `table` whose `column` is among `keys`, as plain dicts."""
    rows: list[dict] = []
    for chunk in chunks(keys):
        result = session.execute(sa.select(table).where(column.in_(chunk)))
        rows.extend(dict(row) for row in result.mappings())
    return rows


def _same(new: dict[str, Any], old: dict[str, Any]) -> bool:
    """Whether a stored row already holds every value of an incoming record."""
    return all(old.get(key) == value for key, value in new.items())


def apply_incoming(
    session: Session,
    incoming: IncomingMirror,
    replace: bool,
    step: Step | None = None,
) -> ImportSummary:
    """Upsert (or, with replace, make the mirror equal to) the incoming data; no commit."""
    summary = ImportSummary(unknown_keys=incoming.unknown_keys, sources=incoming.sources)
    now = utcnow()
    publishers_changed = _write_publishers(session, incoming, summary)
    _check_publisher_references(session, incoming, replace)
    _check_version_ids(session, incoming, replace)
    # Removed first, so an id a removed version held can be given anew.
    lost_versions = _remove_absent(session, incoming, summary) if replace else set()

    node_table = Node.__table__
    version_table = NodeVersion.__table__
    keys = list(incoming.nodes)
    existing_nodes = {
        row["normalized_id"]: row
        for row in _rows(session, node_table, node_table.c.normalized_id, keys)
    }
    existing_versions: dict[str, dict[str, dict]] = {}
    for row in _rows(session, version_table, version_table.c.node_normalized_id, keys):
        existing_versions.setdefault(row["node_normalized_id"], {})[row["version"]] = row

    writes = _Writes()
    for key, node in incoming.nodes.items():
        if step is not None:
            step(1)
        old_versions = existing_versions.get(key, {})
        statuses, versions_changed = _diff_versions(node, old_versions, writes, summary)
        versions_changed = versions_changed or key in lost_versions
        record = dict(node.record)
        record["latest_version"] = latest_version(statuses)
        old_node = existing_nodes.get(key)
        if old_node is None:
            record["changed_at"] = now
            writes.node_inserts.append(record)
            summary.nodes.added += 1
        elif versions_changed or not _same(record, old_node):
            record["changed_at"] = now
            writes.node_updates.append(record)
            summary.nodes.updated += 1
        else:
            summary.nodes.unchanged += 1
    writes.execute(session)
    classes_changed = write_upstream_comfy_nodes(session, incoming, summary.comfy_nodes)
    stamp_changed_nodes(session, sorted(set(writes.changed_nodes()) | classes_changed))
    summary.release_notes = write_release_notes(session, incoming.release_notes, replace)
    # What the API serves for a node holds its publisher and its latest version too.
    served_changed = set(writes.changed_nodes()) | nodes_of_publishers(session, publishers_changed)
    serve_nodes(session, sorted(served_changed))
    session.flush()
    return summary


@dataclass
class _Writes:
    """The statements one import will execute, gathered so each runs as one batch."""

    node_inserts: list[dict] = field(default_factory=list)
    node_updates: list[dict] = field(default_factory=list)
    version_inserts: list[dict] = field(default_factory=list)
    version_updates: list[dict] = field(default_factory=list)
    version_deletes: list[str] = field(default_factory=list)
    # Versions that keep their id but get another archive: classes read from the old one go.
    new_archives: list[str] = field(default_factory=list)

    def changed_nodes(self) -> list[str]:
        """The normalized ids of the nodes written."""
        return [record["normalized_id"] for record in self.node_inserts + self.node_updates]

    def execute(self, session: Session) -> None:
        """Run the batches in an order the foreign keys and unique keys accept."""
        for chunk in chunks(self.version_deletes):
            session.execute(sa.delete(NodeVersion).where(NodeVersion.id.in_(chunk)))
        if self.node_inserts:
            session.execute(sa.insert(Node), self.node_inserts)
        if self.node_updates:
            session.execute(sa.update(Node), self.node_updates)
        if self.version_inserts:
            # Core, not the ORM: the ORM leaves None values out, splitting the batch into one
            # executemany per run of rows that hold None in the same columns.
            session.execute(sa.insert(NodeVersion.__table__), _one_key_set(self.version_inserts))
        if self.version_updates:
            session.execute(sa.update(NodeVersion), self.version_updates)
        forget_extracted_comfy_nodes(session, self.new_archives)


def _diff_versions(
    node: IncomingNode,
    old_versions: dict[str, dict],
    writes: _Writes,
    summary: ImportSummary,
) -> tuple[dict[str, Any], bool]:
    """Queue one node's version writes; return the statuses it will have and whether any changed."""
    key = node.record["normalized_id"]
    changed = False
    statuses: dict[str, Any] = {}
    for version, given in node.versions.items():
        old = old_versions.get(version)
        record = dict(given)
        if record["id"] is None:
            record["id"] = old["id"] if old else stable_version_id(key, version)
        if old is not None and "archive_sha256" not in record:
            # A dump without archives keeps the archive the mirror already holds.
            record["archive_sha256"] = old["archive_sha256"]
            record["archive_size"] = old["archive_size"]
        record["pair_key"] = pair_key(key, version)
        record["serialized"] = serialize_version(record)
        statuses[version] = record["status"]
        if old is None:
            writes.version_inserts.append(record)
            summary.versions.added += 1
        elif old["id"] != record["id"]:
            # A new id for the same pair: replace the row rather than rewrite a primary key.
            writes.version_deletes.append(old["id"])
            writes.version_inserts.append(record)
            summary.versions.updated += 1
        elif _same(record, old):
            summary.versions.unchanged += 1
            continue
        else:
            writes.version_updates.append(record)
            if record["archive_sha256"] != old["archive_sha256"]:
                writes.new_archives.append(record["id"])
            summary.versions.updated += 1
        changed = True
    for version, old in old_versions.items():
        if version in node.versions:
            continue
        statuses[version] = old["status"]
        if old["node_id"] != node.record["id"]:
            # The node's id changed case: versions this dump leaves out carry the new spelling.
            record = {**old, "node_id": node.record["id"]}
            record["serialized"] = serialize_version(record)
            writes.version_updates.append(record)
            summary.versions.updated += 1
            changed = True
    return statuses, changed


def _one_key_set(records: list[dict]) -> list[dict]:
    """Records padded to one set of keys (None where absent): one executemany takes them all.

    For versions only, whose columns have no defaults for an absent key to mean.
    """
    keys = set().union(*records)
    return [dict.fromkeys(keys) | record for record in records]


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
        elif _same(record, old):
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
    for row in _rows(session, table, table.c.id, list(incoming.version_ids)):
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
