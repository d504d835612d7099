"""Writing validated dumps into the mirror: one transaction, upserts, --replace, a summary."""

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models import ImportRecord, Node, NodeVersion, NodeVersionStatus, Publisher, pair_key
from models.columns import utcnow
from schemas.node_version import NodeVersionSchema
from services.dump_reader import DumpRejected, read_dumps
from services.dump_validation import IncomingMirror, stable_version_id, validate_dumps
from services.semver import precedence_key

# Bound values per statement when filtering by many keys.
CHUNK = 5_000
# The statuses a node's "latest" version is chosen among.
LATEST_STATUSES = frozenset({NodeVersionStatus.ACTIVE})

_version_schema = NodeVersionSchema()


@dataclass
class Tally:
    """How many records of one kind an import added, updated, left unchanged and removed."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0

    def as_dict(self) -> dict[str, int]:
        """The four counts by name."""
        return {
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "removed": self.removed,
        }


@dataclass
class ImportSummary:
    """What one import did."""

    publishers: Tally = field(default_factory=Tally)
    nodes: Tally = field(default_factory=Tally)
    versions: Tally = field(default_factory=Tally)
    unknown_keys: Counter = field(default_factory=Counter)
    sources: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        """Whether the import changed anything at all."""
        return any(
            t.added or t.updated or t.removed for t in (self.publishers, self.nodes, self.versions)
        )

    def as_dict(self) -> dict[str, Any]:
        """The summary as plain data, as stored in the import record."""
        return {
            "publishers": self.publishers.as_dict(),
            "nodes": self.nodes.as_dict(),
            "versions": self.versions.as_dict(),
            "unknown_keys": dict(self.unknown_keys),
        }

    def lines(self) -> list[str]:
        """The summary as a person reads it."""
        lines = [
            f"{name}: {t.added} added, {t.updated} updated, {t.unchanged} unchanged, "
            f"{t.removed} removed"
            for name, t in (
                ("publishers", self.publishers),
                ("nodes", self.nodes),
                ("versions", self.versions),
            )
        ]
        total_unknown = sum(self.unknown_keys.values())
        if total_unknown:
            common = ", ".join(
                f"{key} ({count})" for key, count in self.unknown_keys.most_common(5)
            )
            lines.append(f"unknown keys ignored: {total_unknown} ({common})")
        else:
            lines.append("unknown keys ignored: 0")
        if not self.changed:
            lines.append("The mirror already held exactly this data: nothing changed.")
        return lines


def serialize_version(record: dict[str, Any]) -> str:
    """The version as the API sends it, made once here and stored (see NodeVersion.serialized)."""
    return orjson.dumps(_version_schema.dump(record)).decode()


def _chunks(keys: list, size: int = CHUNK) -> Iterable[list]:
    for start in range(0, len(keys), size):
        yield keys[start : start + size]


def _rows(session: Session, table: sa.Table, column: sa.Column, keys: list) -> list[dict]:
    """Rows of `table` whose `column` is among `keys`, as plain dicts."""
    rows: list[dict] = []
    for chunk in _chunks(keys):
        result = session.execute(sa.select(table).where(column.in_(chunk)))
        rows.extend(dict(row) for row in result.mappings())
    return rows


def _same(new: dict[str, Any], old: dict[str, Any], ignore: frozenset = frozenset()) -> bool:
    return all(old.get(key) == value for key, value in new.items() if key not in ignore)


def import_dumps(
    session: Session,
    paths: list[str],
    replace: bool = False,
    progress: Callable[[str, int], Callable[[int], None]] | None = None,
) -> ImportSummary:
    """Read, validate and write the dumps at `paths` as one transaction, then record it."""
    documents = read_dumps(paths)
    total_nodes = sum(
        len(d.content.get("nodes", []))
        if isinstance(d.content, dict) and isinstance(d.content.get("nodes"), list)
        else 0
        for d in documents
    )
    step = progress("Validating", total_nodes) if progress else None
    incoming = validate_dumps(documents, step)
    step = progress("Writing", len(incoming.nodes)) if progress else None
    try:
        summary = apply_incoming(session, incoming, replace, step)
        session.add(ImportRecord(sources=paths, replace=replace, summary=summary.as_dict()))
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        raise DumpRejected(
            [f"the dumps conflict with the mirror's data: {exc.orig}. Nothing was imported."]
        ) from None
    except BaseException:
        session.rollback()
        raise
    return summary


def apply_incoming(
    session: Session,
    incoming: IncomingMirror,
    replace: bool,
    step: Callable[[int], None] | None = None,
) -> ImportSummary:
    """Upsert (or, with replace, make the mirror equal to) the incoming data; no commit."""
    summary = ImportSummary(unknown_keys=incoming.unknown_keys, sources=incoming.sources)
    now = utcnow()
    _write_publishers(session, incoming, summary)
    _check_publisher_references(session, incoming, replace)

    node_table = Node.__table__
    version_table = NodeVersion.__table__
    existing_nodes = {
        row["normalized_id"]: row
        for row in _rows(session, node_table, node_table.c.normalized_id, list(incoming.nodes))
    }
    existing_versions: dict[str, dict[str, dict]] = {}
    for row in _rows(
        session, version_table, version_table.c.node_normalized_id, list(incoming.nodes)
    ):
        existing_versions.setdefault(row["node_normalized_id"], {})[row["version"]] = row

    node_inserts, node_updates = [], []
    version_inserts, version_updates, version_deletes = [], [], []
    for key, node in incoming.nodes.items():
        if step is not None:
            step(1)
        old_versions = existing_versions.get(key, {})
        versions_changed = False
        final_versions: dict[str, Any] = {}
        for version, record in node.versions.items():
            old = old_versions.get(version)
            record = dict(record)
            if record["id"] is None:
                record["id"] = old["id"] if old else stable_version_id(key, version)
            record["pair_key"] = pair_key(key, version)
            record["serialized"] = serialize_version(record)
            final_versions[version] = record["status"]
            if old is None:
                version_inserts.append(record)
                summary.versions.added += 1
                versions_changed = True
            elif old["id"] != record["id"]:
                # A new id for the same pair: replace the row rather than rewrite a primary key.
                version_deletes.append(old["id"])
                version_inserts.append(record)
                summary.versions.updated += 1
                versions_changed = True
            elif _same(record, old):
                summary.versions.unchanged += 1
            else:
                version_updates.append(record)
                summary.versions.updated += 1
                versions_changed = True
        for version, old in old_versions.items():
            if version in node.versions:
                continue
            if replace:
                version_deletes.append(old["id"])
                summary.versions.removed += 1
                versions_changed = True
            else:
                final_versions[version] = old["status"]

        record = dict(node.record)
        record["latest_version"] = latest_version(final_versions)
        old_node = existing_nodes.get(key)
        if old_node is None:
            record["changed_at"] = now
            node_inserts.append(record)
            summary.nodes.added += 1
        elif versions_changed or not _same(record, old_node):
            record["changed_at"] = now
            node_updates.append(record)
            summary.nodes.updated += 1
        else:
            summary.nodes.unchanged += 1

    if node_inserts:
        session.execute(sa.insert(Node), node_inserts)
    if node_updates:
        session.execute(sa.update(Node), node_updates)
    for chunk in _chunks(version_deletes):
        session.execute(sa.delete(NodeVersion).where(NodeVersion.id.in_(chunk)))
    if version_inserts:
        session.execute(sa.insert(NodeVersion), version_inserts)
    if version_updates:
        session.execute(sa.update(NodeVersion), version_updates)
    if replace:
        _remove_absent(session, incoming, summary)
    session.flush()
    return summary


def latest_version(statuses: dict[str, Any]) -> str | None:
    """The highest-precedence version among those whose status counts for "latest"."""
    candidates = [version for version, status in statuses.items() if status in LATEST_STATUSES]
    return max(candidates, key=precedence_key) if candidates else None


def _write_publishers(session: Session, incoming: IncomingMirror, summary: ImportSummary) -> None:
    """Upsert the full publisher objects the dumps carry."""
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


def _remove_absent(session: Session, incoming: IncomingMirror, summary: ImportSummary) -> None:
    """With --replace: remove nodes, their versions and publishers the dumps do not hold."""
    keep = set(incoming.nodes)
    gone = [key for (key,) in session.execute(sa.select(Node.normalized_id)) if key not in keep]
    for chunk in _chunks(gone):
        summary.versions.removed += session.execute(
            sa.select(sa.func.count()).where(NodeVersion.node_normalized_id.in_(chunk))
        ).scalar_one()
        session.execute(sa.delete(NodeVersion).where(NodeVersion.node_normalized_id.in_(chunk)))
        session.execute(sa.delete(Node).where(Node.normalized_id.in_(chunk)))
    summary.nodes.removed += len(gone)
    keep_publishers = set(incoming.publishers) | set(incoming.publisher_references)
    gone_publishers = [
        pid for (pid,) in session.execute(sa.select(Publisher.id)) if pid not in keep_publishers
    ]
    for chunk in _chunks(gone_publishers):
        session.execute(sa.delete(Publisher).where(Publisher.id.in_(chunk)))
    summary.publishers.removed += len(gone_publishers)
