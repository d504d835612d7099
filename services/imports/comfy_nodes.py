"""Writing the node classes upstream lists for each version, inside an import's transaction.

A version whose dump carries `comfy_nodes` gets exactly those classes, recorded as upstream's
(replacing any the mirror extracted); a version whose dump carries none keeps what it has.
"""

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from models import ComfyNode, ComfyNodeIndex, IndexOrigin, NodeVersion, pair_key
from models.casefold import fold_ascii
from services.chunks import chunks
from services.dumps.validation import IncomingMirror
from services.imports.summary import Tally

# The ComfyNode fields a dump gives, stored as given (None where absent).
COMFY_NODE_FIELDS = (
    "category",
    "deprecated",
    "description",
    "experimental",
    "function",
    "input_types",
    "output_is_list",
    "policy",
    "return_names",
    "return_types",
)


def comfy_node_rows(version_id: str, classes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """comfy_nodes rows of one version, in code-point order of their names."""
    rows = []
    for given in sorted(classes, key=lambda comfy_node: comfy_node["comfy_node_name"]):
        name = given["comfy_node_name"]
        rows.append(
            {
                "node_version_id": version_id,
                "comfy_node_name": name,
                "normalized_name": fold_ascii(name),
                **{column: given.get(column) for column in COMFY_NODE_FIELDS},
                # Only read from archives: upstream's ComfyNode has no display name.
                "display_name": given.get("display_name"),
            }
        )
    return rows


def _by_version(session: Session, column: sa.Column, ids: list[str]) -> dict[str, list[dict]]:
    """Rows of column's table whose node_version_id is among `ids`, grouped by it."""
    table = column.table
    found: dict[str, list[dict]] = {}
    for chunk in chunks(ids):
        query = sa.select(table).where(column.in_(chunk))
        for row in session.execute(query).mappings():
            found.setdefault(row["node_version_id"], []).append(dict(row))
    return found


def _version_ids(session: Session, keys: list[str]) -> dict[str, tuple[str, str]]:
    """Each pair key's version id and normalized node id."""
    found = {}
    for chunk in chunks(keys):
        query = sa.select(NodeVersion.pair_key, NodeVersion.id, NodeVersion.node_normalized_id)
        for key, version_id, node_key in session.execute(
            query.where(NodeVersion.pair_key.in_(chunk))
        ):
            found[key] = (version_id, node_key)
    return found


def write_upstream_comfy_nodes(
    session: Session, incoming: IncomingMirror, tally: Tally
) -> set[str]:
    """Store the classes the dumps carry; return the nodes (lower-cased ids) they changed."""
    given = {
        pair_key(node_key, version): classes
        for node_key, node in incoming.nodes.items()
        for version, classes in node.comfy_nodes.items()
    }
    if not given:
        return set()
    versions = _version_ids(session, list(given))
    ids = [version_id for version_id, _ in versions.values()]
    indexes = _by_version(session, ComfyNodeIndex.node_version_id, ids)
    stored = _by_version(session, ComfyNode.node_version_id, ids)
    replaced, inserts, changed = [], [], set()
    for key, classes in given.items():
        version_id, node_key = versions[key]
        rows = comfy_node_rows(version_id, classes)
        index = indexes.get(version_id)
        old = sorted(stored.get(version_id, []), key=lambda row: row["comfy_node_name"])
        old = [{column: row[column] for column in rows[0]} for row in old]
        if index and index[0]["origin"] == IndexOrigin.UPSTREAM and old == rows:
            tally.unchanged += 1
            continue
        if index:
            tally.updated += 1
            replaced.append(version_id)
        else:
            tally.added += 1
        inserts.extend(rows)
        changed.add(node_key)
    for chunk in chunks(replaced):
        session.execute(sa.delete(ComfyNode).where(ComfyNode.node_version_id.in_(chunk)))
        session.execute(sa.delete(ComfyNodeIndex).where(ComfyNodeIndex.node_version_id.in_(chunk)))
    written = {row["node_version_id"] for row in inserts}
    if inserts:
        session.execute(sa.insert(ComfyNode.__table__), inserts)
        session.execute(
            sa.insert(ComfyNodeIndex.__table__),
            [
                {"node_version_id": v, "origin": IndexOrigin.UPSTREAM.value, "problem": None}
                for v in sorted(written)
            ],
        )
    return changed


def forget_extracted_comfy_nodes(session: Session, version_ids: list[str]) -> None:
    """Remove the classes read from these versions' archives (upstream's stay), so they are
    read again: their archive changed."""
    for chunk in chunks(version_ids):
        extracted = (
            sa.select(ComfyNodeIndex.node_version_id)
            .where(ComfyNodeIndex.node_version_id.in_(chunk))
            .where(ComfyNodeIndex.origin == IndexOrigin.EXTRACTED.value)
        )
        ids = list(session.scalars(extracted))
        if ids:
            session.execute(sa.delete(ComfyNode).where(ComfyNode.node_version_id.in_(ids)))
            session.execute(
                sa.delete(ComfyNodeIndex).where(ComfyNodeIndex.node_version_id.in_(ids))
            )


def write_extracted_comfy_nodes(
    session: Session, extracted: dict[str, tuple[list[dict[str, Any]], str | None]]
) -> int:
    """Store classes read from archives: (classes, "not indexed: <reason>" or None) by version id.

    Versions whose classes came from upstream keep them (upstream's index wins); the others get
    exactly what was read. Returns how many versions were written.
    """
    ids = sorted(extracted)
    indexes = _by_version(session, ComfyNodeIndex.node_version_id, ids)
    written = [
        version_id
        for version_id in ids
        if not indexes.get(version_id) or indexes[version_id][0]["origin"] != IndexOrigin.UPSTREAM
    ]
    for chunk in chunks(written):
        session.execute(sa.delete(ComfyNode).where(ComfyNode.node_version_id.in_(chunk)))
        session.execute(sa.delete(ComfyNodeIndex).where(ComfyNodeIndex.node_version_id.in_(chunk)))
    rows = [row for v in written for row in comfy_node_rows(v, extracted[v][0])]
    if rows:
        session.execute(sa.insert(ComfyNode.__table__), rows)
    if written:
        origin = IndexOrigin.EXTRACTED.value
        session.execute(
            sa.insert(ComfyNodeIndex.__table__),
            [{"node_version_id": v, "origin": origin, "problem": extracted[v][1]} for v in written],
        )
    return len(written)
