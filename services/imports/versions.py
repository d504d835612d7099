"""Comparing an import's versions with the mirror's and queueing the writes they need.

The mirror's versions are read in two steps: a few columns of every one the import touches
(`LIGHT_COLUMNS`), then whole rows only for those whose content hash does not already prove
them unchanged; an unchanged version is neither loaded, serialized nor compared field by field.
"""

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from models import Node, NodeVersion, pair_key
from services.chunks import chunks
from services.dumps.hashes import UNLOADED
from services.dumps.reader import DumpDocument
from services.dumps.records import load_unloaded
from services.dumps.validation import IncomingNode, stable_version_id
from services.imports.comfy_nodes import forget_extracted_comfy_nodes
from services.imports.derived import serialize_version
from services.imports.summary import ImportSummary

_table = NodeVersion.__table__
_nodes = Node.__table__
LIGHT_COLUMNS = tuple(
    _table.c[name]
    for name in (
        "id",
        "node_normalized_id",
        "version",
        "node_id",
        "status",
        "archive_sha256",
        "archive_size",
        "content_hash",
    )
)

LIGHT_NAMES = tuple(column.name for column in LIGHT_COLUMNS)


@dataclass
class VersionWrites:
    """The version statements one import will execute, gathered so each runs as one batch."""

    inserts: list[dict] = field(default_factory=list)
    updates: list[dict] = field(default_factory=list)
    deletes: list[str] = field(default_factory=list)
    # Rows already holding what the import gives, whose stored hash only was missing or stale.
    hashes: list[dict] = field(default_factory=list)
    # Versions that keep their id but get another archive: classes read from the old one go.
    new_archives: list[str] = field(default_factory=list)

    def delete(self, session: Session) -> None:
        """Remove the rows replaced under a new id (first: their pairs are inserted again)."""
        for chunk in chunks(self.deletes):
            session.execute(sa.delete(NodeVersion).where(NodeVersion.id.in_(chunk)))

    def write(self, session: Session) -> None:
        """Insert and update, once the nodes they belong to are written."""
        if self.inserts:
            # Core, not the ORM: the ORM leaves None values out, splitting the batch into one
            # executemany per run of rows that hold None in the same columns.
            session.execute(sa.insert(_table), _one_key_set(self.inserts))
        if self.updates:
            session.execute(sa.update(NodeVersion), self.updates)
        if self.hashes:
            store = (
                _table.update()
                .where(_table.c.id == sa.bindparam("key"))
                .values(content_hash=sa.bindparam("digest"))
            )
            session.execute(store, self.hashes)
        forget_extracted_comfy_nodes(session, self.new_archives)


def light_versions(session: Session, keys: list[str]) -> dict[str, dict[str, dict]]:
    """The light columns of the versions of these nodes, by node key and version."""
    found: dict[str, dict[str, dict]] = {}
    for chunk in chunks(keys):
        query = sa.select(*LIGHT_COLUMNS).where(_table.c.node_normalized_id.in_(chunk))
        for values in session.execute(query):
            row = dict(zip(LIGHT_NAMES, values, strict=True))
            found.setdefault(row["node_normalized_id"], {})[row["version"]] = row
    return found


def full_versions(session: Session, ids: list[str]) -> dict[str, dict]:
    """Whole rows of these versions, by id."""
    found = {}
    for chunk in chunks(ids):
        for row in session.execute(sa.select(_table).where(_table.c.id.in_(chunk))).mappings():
            found[row["id"]] = dict(row)
    return found


def hash_proves_unchanged(record: dict[str, Any], old: dict[str, Any]) -> bool:
    """Whether the stored hash shows the row already holds this version as the import gives it."""
    if record["content_hash"] is None or old["content_hash"] != record["content_hash"]:
        return False
    if old["node_id"] != record["node_id"] or record["id"] not in (None, old["id"]):
        return False
    # A dump without archives keeps the archive the mirror already holds.
    given = (record.get("archive_sha256", old["archive_sha256"]), record.get("archive_size"))
    return given[0] == old["archive_sha256"] and given[1] in (None, old["archive_size"])


def needing_rows(node: IncomingNode, old_versions: dict[str, dict]) -> list[str]:
    """The ids of the node's stored versions that must be read whole to be compared."""
    ids = []
    for version, old in old_versions.items():
        record = node.versions.get(version)
        if record is None:
            if old["node_id"] != node.record["id"]:
                ids.append(old["id"])
        elif not hash_proves_unchanged(record, old):
            ids.append(old["id"])
    return ids


def same_row(new: dict[str, Any], old: dict[str, Any]) -> bool:
    """Whether a stored row already holds every value of an incoming record (hash aside)."""
    return all(old.get(key) == value for key, value in new.items() if key != "content_hash")


def diff_versions(
    node: IncomingNode,
    old_versions: dict[str, dict],
    whole: dict[str, dict],
    writes: VersionWrites,
    summary: ImportSummary,
) -> tuple[dict[str, Any], bool]:
    """Queue one node's version writes; return the statuses it will have and whether any changed.

    `old_versions` are the node's stored versions (light columns), `whole` the whole rows of
    those `needing_rows` named.
    """
    key = node.record["normalized_id"]
    changed = False
    statuses: dict[str, Any] = {}
    for version, given in node.versions.items():
        light = old_versions.get(version)
        statuses[version] = given["status"]
        if light is not None and hash_proves_unchanged(given, light):
            summary.versions.unchanged += 1
            continue
        record = dict(given)
        if UNLOADED in record:
            record = load_unloaded(record, node.record, node.version_places[version])
        old = whole[light["id"]] if light is not None else None
        changed = _diff_version(key, version, record, old, writes, summary) or changed
        statuses[version] = record["status"]
    for version, light in old_versions.items():
        if version in node.versions:
            continue
        statuses[version] = light["status"]
        if light["node_id"] != node.record["id"]:
            # The node's id changed case: versions this dump leaves out carry the new spelling.
            record = {**whole[light["id"]], "node_id": node.record["id"]}
            record["serialized"] = serialize_version(record)
            writes.updates.append(record)
            summary.versions.updated += 1
            changed = True
    return statuses, changed


def _diff_version(
    key: str,
    version: str,
    record: dict[str, Any],
    old: dict[str, Any] | None,
    writes: VersionWrites,
    summary: ImportSummary,
) -> bool:
    """Queue the write one loaded version needs against its stored row; whether it changed."""
    if record["id"] is None:
        record["id"] = old["id"] if old else stable_version_id(key, version)
    if old is not None and "archive_sha256" not in record:
        # A dump without archives keeps the archive the mirror already holds.
        record["archive_sha256"] = old["archive_sha256"]
        record["archive_size"] = old["archive_size"]
    record["pair_key"] = pair_key(key, version)
    record["serialized"] = serialize_version(record)
    if old is None:
        writes.inserts.append(record)
        summary.versions.added += 1
    elif old["id"] != record["id"]:
        # A new id for the same pair: replace the row rather than rewrite a primary key.
        writes.deletes.append(old["id"])
        writes.inserts.append(record)
        summary.versions.updated += 1
    elif same_row(record, old):
        summary.versions.unchanged += 1
        if old["content_hash"] != record["content_hash"]:
            writes.hashes.append({"key": old["id"], "digest": record["content_hash"]})
        return False
    else:
        writes.updates.append(record)
        if record["archive_sha256"] != old["archive_sha256"]:
            writes.new_archives.append(record["id"])
        summary.versions.updated += 1
    return True


def _one_key_set(records: list[dict]) -> list[dict]:
    """Records padded to one set of keys (None where absent): one executemany takes them all.

    For versions only, whose columns have no defaults for an absent key to mean.
    """
    keys = set().union(*records)
    return [dict.fromkeys(keys) | record for record in records]


def stored_hashes(session: Session, documents: list[DumpDocument]) -> dict[str, str]:
    """The content hash of each stored node the dumps give, by normalized id, and of each of its
    versions, by pair key (read before validating: ids that are not strings match no row)."""
    keys = sorted(
        {
            node["id"].lower()
            for document in documents
            if isinstance(document.content, dict)
            and isinstance(document.content.get("nodes"), list)
            for node in document.content["nodes"]
            if isinstance(node, dict) and isinstance(node.get("id"), str)
        }
    )
    found = {}
    for chunk in chunks(keys):
        query = sa.select(_table.c.pair_key, _table.c.content_hash).where(
            _table.c.node_normalized_id.in_(chunk), _table.c.content_hash.is_not(None)
        )
        found.update((key, digest) for key, digest in session.execute(query))
        query = sa.select(_nodes.c.normalized_id, _nodes.c.content_hash).where(
            _nodes.c.normalized_id.in_(chunk), _nodes.c.content_hash.is_not(None)
        )
        found.update((key, digest) for key, digest in session.execute(query))
    return found
