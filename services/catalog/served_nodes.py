"""Nodes as the API sends them: made by the schemas when a node changes, stored, spliced on read.

`node_documents` is the one definition of a served node (NodeSchema, with its publisher and the
stored JSON of its latest version); imports store its output in Node.served
(services/imports/derived.py), and the read endpoints fetch that text with one Core statement
and splice it as an orjson.Fragment, as bulk does with versions. Only GetNode with
include_translations=true, which the stored form leaves out, serializes afresh.
"""

from collections.abc import Mapping, Sequence

import orjson
import sqlalchemy as sa
from sqlalchemy.orm import Session

from models import Node, Publisher, pair_key
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
# What a read of one node needs beside its stored form: its ids, status and latest version.
ONE_NODE = sa.select(
    _nodes.c.normalized_id, _nodes.c.id, _nodes.c.status, _nodes.c.latest_version, _nodes.c.served
).where(_nodes.c.normalized_id == sa.bindparam("key"))


def node_documents(
    session: Session, nodes: Sequence[Mapping], include_translations: bool = False
) -> list[dict]:
    """Nodes (rows holding NODE_COLUMNS) freshly serialized by the schemas: two queries in all."""
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
        if node["latest_version"]
    ]
    latest = find_serialized_versions(session, latest_keys) if latest_keys else {}
    schema = _node_schema_with_translations if include_translations else _node_schema
    documents = []
    for node in nodes:
        document = schema.dump(node)
        if node["publisher_id"] in publishers:
            document["publisher"] = publishers[node["publisher_id"]]
        if node["latest_version"]:
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


def served_documents(session: Session, query: sa.Select) -> list[orjson.Fragment]:
    """The stored forms of the nodes a query of Node.served selects, in its order."""
    fragment = orjson.Fragment
    return [fragment(served) for served in session.scalars(query)]
