"""Nodes as the API sends them: made by the schemas when a node changes, stored, spliced on read.

`node_documents` is the one definition of a served node (NodeSchema, with its publisher and the
stored JSON of its latest version). Imports store its output but the latest version in
Node.served (services/imports/derived.py); the read endpoints fetch that text and the latest
version's stored JSON with one Core statement and splice them (`served_answer`), as bulk splices
versions. The latest version is joined on read rather than copied, so its one stored form
(NodeVersion.serialized) is the one every endpoint sends. Only GetNode with
include_translations=true, which the stored form leaves out, serializes afresh.
"""

from collections.abc import Mapping, Sequence

import orjson
import sqlalchemy as sa
from sqlalchemy.orm import Session

from models import Node, NodeVersion, Publisher, pair_key
from schemas.node import NodeSchema, PublisherSchema
from services.catalog.lookup import find_serialized_versions

_node_schema = NodeSchema(exclude=("latest_version", "publisher", "translations"))
_node_schema_with_translations = NodeSchema(exclude=("latest_version", "publisher"))
_publisher_schema = PublisherSchema()

_nodes = Node.__table__
# The node columns a served node is made from: those NodeSchema reads, and what finds the rest.
NODE_COLUMNS = (
    *(
        _nodes.c[field.attribute or name]
        for name, field in NodeSchema().fields.items()
        if (field.attribute or name) in _nodes.c
    ),
    _nodes.c.normalized_id,
    _nodes.c.publisher_id,
)
_versions = NodeVersion.__table__
# Nodes joined to their latest version, through the (node, version) unique index.
WITH_LATEST = _nodes.outerjoin(
    _versions,
    sa.and_(
        _versions.c.node_normalized_id == _nodes.c.normalized_id,
        _versions.c.version == _nodes.c.latest_version,
    ),
)
# What reads select to answer with a node: its stored form and its latest version's.
ANSWER_COLUMNS = (_nodes.c.served, _versions.c.serialized.label("latest"))
# One node: its ids, status and latest version, and what answers with it.
ONE_NODE = (
    sa.select(
        _nodes.c.normalized_id,
        _nodes.c.id,
        _nodes.c.status,
        _nodes.c.latest_version,
        *ANSWER_COLUMNS,
    )
    .select_from(WITH_LATEST)
    .where(_nodes.c.normalized_id == sa.bindparam("key"))
)


# A node (its ids, status, latest version) and the version of it an install asks for (its
# latest when none is named): that version's `version_status` and `serialized`, both None when
# the mirror does not hold it.
_INSTALL = (
    sa.select(
        _nodes.c.normalized_id,
        _nodes.c.id,
        _nodes.c.status,
        _nodes.c.latest_version,
        _versions.c.status.label("version_status"),
        _versions.c.serialized,
    )
    .select_from(
        _nodes.outerjoin(
            _versions,
            sa.and_(
                _versions.c.node_normalized_id == _nodes.c.normalized_id,
                _versions.c.version
                == sa.func.coalesce(
                    sa.bindparam("version", type_=_versions.c.version.type),
                    _nodes.c.latest_version,
                ),
            ),
        )
    )
    .where(_nodes.c.normalized_id == sa.bindparam("key"))
)


def get_install(session: Session, node_id: str, version: str | None) -> sa.Row | None:
    """The node whose id is `node_id` in any case, with `version` (or its latest), or None."""
    return session.execute(_INSTALL, {"key": node_id.lower(), "version": version}).one_or_none()


def node_documents(
    session: Session,
    nodes: Sequence[Mapping],
    include_translations: bool = False,
    with_latest: bool = True,
) -> list[dict]:
    """Nodes (rows holding NODE_COLUMNS) freshly serialized by the schemas: two queries in all.

    Without `with_latest`, as stored: the latest version is spliced in on read (served_answer).
    """
    publisher_ids = {node["publisher_id"] for node in nodes if node["publisher_id"]}
    publishers = {}
    if publisher_ids:
        table = Publisher.__table__
        query = sa.select(table).where(table.c.id.in_(sorted(publisher_ids)))
        found = session.execute(query).mappings()
        publishers = {publisher["id"]: _publisher_schema.dump(publisher) for publisher in found}
    latest_keys = [
        pair_key(node["normalized_id"], node["latest_version"])
        for node in nodes
        if node["latest_version"] and with_latest
    ]
    latest = find_serialized_versions(session, latest_keys) if latest_keys else {}
    schema = _node_schema_with_translations if include_translations else _node_schema
    documents = []
    for node in nodes:
        document = schema.dump(node)
        if node["publisher_id"] in publishers:
            document["publisher"] = publishers[node["publisher_id"]]
        if node["latest_version"] and with_latest:
            serialized = latest.get(pair_key(node["normalized_id"], node["latest_version"]))
            if serialized is not None:
                document["latest_version"] = orjson.Fragment(serialized)
        documents.append(document)
    return documents


def node_rows(session: Session, keys: Sequence[str]) -> list[Mapping]:
    """The NODE_COLUMNS of the nodes with these normalized ids, in the order of their ids."""
    query = (
        sa.select(*NODE_COLUMNS)
        .where(_nodes.c.normalized_id.in_(keys))
        .order_by(_nodes.c.normalized_id)
    )
    return list(session.execute(query).mappings())


def fresh_node(session: Session, key: str, include_translations: bool = False) -> dict:
    """The node with this normalized id serialized afresh by the schemas (it must exist)."""
    [row] = node_rows(session, [key])
    [document] = node_documents(session, [row], include_translations)
    return document


def served_answer(row) -> orjson.Fragment:
    """A node as the API sends it, from a row of ANSWER_COLUMNS: stored form, then latest version.

    Splices what orjson.dumps would write for the document with "latest_version" added last.
    """
    if row.latest is None:
        return orjson.Fragment(row.served)
    return orjson.Fragment(f'{row.served[:-1]},"latest_version":{row.latest}}}')


def served_documents(session: Session, query: sa.Select) -> list[orjson.Fragment]:
    """The nodes a query of ANSWER_COLUMNS selects, as the API sends them, in its order."""
    return [served_answer(row) for row in session.execute(query)]
