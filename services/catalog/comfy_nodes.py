"""Reading the node-class index: which pack provides a class, and each version's classes.

Class names match whatever their case (A-Z folded, as services/catalog/casefold.py folds).
When several packs provide a class, GET /comfy-nodes/{name}/node answers with one by a stable
ranking: a pack whose latest version (its highest Active one) provides the class first, then the
most downloads, then the lower-cased id; banned packs never, and banned versions do not count.
Classes are listed in code-point order of their names.
"""

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from models import (
    ComfyNode,
    ComfyNodeIndex,
    IndexOrigin,
    Node,
    NodeStatus,
    NodeVersion,
    NodeVersionStatus,
    pair_key,
)
from models.casefold import fold_ascii
from schemas.comfy_node import ComfyNodeSchema
from services.catalog.queries import Page, get_node

_comfy_node_schema = ComfyNodeSchema()


def providing_node(session: Session, comfy_node_name: str) -> sa.Row | None:
    """The pack that provides the class, first by the ranking above (as get_node), or None."""
    provides_latest = sa.func.max(sa.case((NodeVersion.version == Node.latest_version, 1), else_=0))
    query = (
        sa.select(Node.normalized_id)
        .join(NodeVersion, NodeVersion.node_normalized_id == Node.normalized_id)
        .join(ComfyNode, ComfyNode.node_version_id == NodeVersion.id)
        .where(
            ComfyNode.normalized_name == fold_ascii(comfy_node_name),
            Node.status != NodeStatus.BANNED,
            NodeVersion.status != NodeVersionStatus.BANNED,
        )
        .group_by(Node.normalized_id, Node.downloads)
        .order_by(
            provides_latest.desc(),
            sa.func.coalesce(Node.downloads, 0).desc(),
            Node.normalized_id,
        )
        .limit(1)
    )
    key = session.execute(query).scalar()
    return get_node(session, key) if key is not None else None


def version_id(session: Session, node: sa.Row, version: str) -> str | None:
    """The id of one version of `node`, or None when it is not mirrored."""
    query = sa.select(NodeVersion.id).where(
        NodeVersion.pair_key == pair_key(node.normalized_id, version)
    )
    return session.execute(query).scalar()


def version_comfy_nodes(session: Session, node_version_id: str, number: int, size: int) -> Page:
    """One page of a version's classes, as the API sends them."""
    return _page(session, [ComfyNode.node_version_id == node_version_id], number, size)


def get_comfy_node(session: Session, node_version_id: str, comfy_node_name: str) -> dict | None:
    """One class of a version by its exact name, as the API sends it, or None."""
    found = session.scalars(
        sa.select(ComfyNode).where(
            ComfyNode.node_version_id == node_version_id,
            ComfyNode.comfy_node_name == comfy_node_name,
        )
    ).first()
    return _comfy_node_schema.dump(found) if found is not None else None


def find_comfy_nodes(
    session: Session,
    number: int,
    size: int,
    node_id: str | None = None,
    version: str | None = None,
    comfy_node_name: str | None = None,
) -> Page:
    """One page of every version's classes, by lower-cased node id, version, then name."""
    conditions = []
    if node_id:
        conditions.append(NodeVersion.node_normalized_id == node_id.lower())
    if version:
        conditions.append(NodeVersion.version == version)
    if comfy_node_name:
        conditions.append(ComfyNode.normalized_name == fold_ascii(comfy_node_name))
    return _page(session, conditions, number, size, by_version=True)


def _page(session: Session, conditions: list, number: int, size: int, by_version=False) -> Page:
    """A page of the classes meeting `conditions`."""
    joined = sa.select(ComfyNode).join(NodeVersion, ComfyNode.node_version_id == NodeVersion.id)
    count = sa.select(sa.func.count()).select_from(joined.where(*conditions).subquery())
    page = Page(items=[], total=session.execute(count).scalar_one(), number=number, size=size)
    if page.offset >= page.total:
        return page
    order = [NodeVersion.node_normalized_id, NodeVersion.version] if by_version else []
    query = (
        joined.where(*conditions)
        .order_by(*order, ComfyNode.comfy_node_name)
        .offset(page.offset)
        .limit(size)
    )
    page.items = [_comfy_node_schema.dump(found) for found in session.scalars(query)]
    return page


def upstream_comfy_nodes(session: Session) -> dict[str, list[dict[str, Any]]]:
    """Every version's classes that came from upstream, as the API sends them, by version id."""
    query = (
        sa.select(ComfyNode)
        .join(ComfyNodeIndex, ComfyNodeIndex.node_version_id == ComfyNode.node_version_id)
        .where(ComfyNodeIndex.origin == IndexOrigin.UPSTREAM.value)
        .order_by(ComfyNode.node_version_id, ComfyNode.comfy_node_name)
    )
    found: dict[str, list[dict[str, Any]]] = {}
    for comfy_node in session.scalars(query):
        found.setdefault(comfy_node.node_version_id, []).append(_comfy_node_schema.dump(comfy_node))
    return found
