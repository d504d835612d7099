"""Writing the whole mirror as a dump that imports back into the same responses."""

import gzip

import orjson
import sqlalchemy as sa
from sqlalchemy.orm import Session

from models import Node, NodeVersion, Publisher
from schemas.dump import DUMP_FORMAT, DUMP_FORMAT_VERSION
from schemas.node import NodeSchema, PublisherSchema
from schemas.node_version import NodeVersionSchema
from services.catalog.comfy_nodes import upstream_comfy_nodes
from services.catalog.semver import precedence_key
from services.files import atomic_file
from services.progress import Step
from services.releases.reading import exported_release_notes
from services.timestamps import now_rfc3339

# The `source` of the dumps and bundles this mirror writes of itself.
MIRROR_SOURCE = "comfy-registry-mirror"

_publisher_schema = PublisherSchema()
_node_schema = NodeSchema(exclude=("latest_version", "publisher"))
_version_schema = NodeVersionSchema()


def _exported_version(version: NodeVersion, classes: list[dict]) -> orjson.Fragment | dict:
    """A version as the dump carries it: with its upstream downloadUrl, never the mirror's, and
    the node classes upstream lists for it, if any."""
    if version.archive_sha256 is None and not classes:
        # Stored versions are already in the wire format the dump uses.
        return orjson.Fragment(version.serialized)
    document = _version_schema.dump(version)
    if classes:
        document["comfy_nodes"] = classes
    return document


def build_dump(session: Session, step: Step | None = None) -> dict:
    """The mirror's publishers, nodes, every version and its release notes, in the dump format."""
    publishers = [
        _publisher_schema.dump(publisher)
        for publisher in session.execute(sa.select(Publisher).order_by(Publisher.id)).scalars()
    ]
    upstream_classes = upstream_comfy_nodes(session)
    versions_by_node: dict[str, list[NodeVersion]] = {}
    for version in session.execute(sa.select(NodeVersion)).scalars():
        versions_by_node.setdefault(version.node_normalized_id, []).append(version)
    nodes = []
    for node in session.execute(sa.select(Node).order_by(Node.normalized_id)).scalars():
        if step is not None:
            step(1)
        document = _node_schema.dump(node)
        if node.publisher_id is not None:
            document["publisher"] = {"id": node.publisher_id}
        versions = sorted(
            versions_by_node.get(node.normalized_id, []),
            key=lambda version: precedence_key(version.version),
            reverse=True,
        )
        document["versions"] = [
            _exported_version(version, upstream_classes.get(version.id, [])) for version in versions
        ]
        nodes.append(document)
    document = dump_document(publishers, nodes, MIRROR_SOURCE, now_rfc3339())
    document["release_notes"] = exported_release_notes(session)
    return document


def dump_document(publishers: list, nodes: list, source: str, exported_at: str) -> dict:
    """A dump in the format this mirror reads, holding `publishers` and `nodes` as given."""
    return {
        "format": DUMP_FORMAT,
        "format_version": DUMP_FORMAT_VERSION,
        "exported_at": exported_at,
        "source": source,
        "publishers": publishers,
        "nodes": nodes,
    }


def write_dump(document: dict, path: str) -> None:
    """Write a dump atomically; gzip-compressed when the path ends in .gz."""
    raw = orjson.dumps(document, option=orjson.OPT_INDENT_2)
    if path.endswith(".gz"):
        raw = gzip.compress(raw, mtime=0)
    with atomic_file(path) as out:
        out.write(raw)


def count_nodes(session: Session) -> int:
    """How many nodes the mirror holds."""
    return session.execute(sa.select(sa.func.count()).select_from(Node)).scalar_one()
