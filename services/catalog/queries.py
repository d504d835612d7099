"""Reading the catalogue: pages of nodes, searches, one node, its versions, pages of versions.

Nodes are always listed in order of their lower-cased id (the primary key), so a client walking
the pages while nothing is imported never sees a node twice or misses one. A node's "latest"
version is the one the importer derived: its highest version by semantic-version precedence
among LATEST_STATUSES (Active), so 1.10.0 beats 1.9.0 (upstream compares the strings as text).
Versions are sent as stored on import (NodeVersion.serialized), as the bulk endpoint sends them.
Where upstream publishes no rule: searches match case-insensitive substrings (comfy_node_search
in the classes a node's latest version registers, or in its preempted names); supported_os and
supported_accelerator keep nodes that list the value (any case) or list nothing at all; nodes
marked Deleted are listed like the rest (only include_banned=false leaves any node out).
"""

import json
import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.orm import Session

from models import (
    ComfyNode,
    Node,
    NodeStatus,
    NodeVersion,
    NodeVersionStatus,
    pair_key,
)
from models.casefold import ascii_lower, fold_ascii
from services import listings
from services.catalog.lookup import connection_of
from services.catalog.semver import precedence_key
from services.catalog.served_nodes import (
    ANSWER_COLUMNS,
    ONE_NODE,
    WITH_LATEST,
    served_documents,
)


@dataclass
class Page:
    """One page of a listing: its items, and where it sits in the whole."""

    items: list[Any]
    total: int
    number: int
    size: int

    @property
    def total_pages(self) -> int:
        """How many pages of `size` the whole listing fills (0 when it is empty)."""
        return math.ceil(self.total / self.size)

    @property
    def offset(self) -> int:
        """How many items precede this page."""
        return (self.number - 1) * self.size


@dataclass
class NodeFilters:
    """What a listing or search of nodes keeps; every filter left as None keeps everything."""

    node_ids: list[str] | None = None
    changed_after: datetime | None = None
    include_banned: bool = True
    supported_os: str | None = None
    supported_accelerator: str | None = None
    search: str | None = None
    repository_search: str | None = None
    comfy_node_search: str | None = None
    publisher_id: str | None = None


def _contains(column, text: str):
    """Case-insensitive (A-Z) substring match; % and _ in `text` are matched literally."""
    return ascii_lower(column).contains(fold_ascii(text), autoescape=True)


def _declares(column, value: str):
    """A JSON list column holds `value` (any case), or declares nothing and so restricts nothing."""
    as_text = ascii_lower(sa.cast(column, sa.Text))
    # JSON columns hold json.dumps text, so an element appears in it exactly as dumped here.
    element = json.dumps(fold_ascii(value))
    return sa.or_(
        column.is_(None),
        as_text.in_(("null", "[]")),
        as_text.contains(element, autoescape=True),
    )


def _node_conditions(filters: NodeFilters) -> list:
    """The WHERE clauses that implement `filters`."""
    conditions = []
    if filters.node_ids is not None:
        conditions.append(
            Node.normalized_id.in_(sorted({node_id.lower() for node_id in filters.node_ids}))
        )
    if filters.publisher_id is not None:
        conditions.append(Node.publisher_id == filters.publisher_id)
    if filters.changed_after is not None:
        conditions.append(Node.changed_at > filters.changed_after)
    if not filters.include_banned:
        conditions.append(Node.status != NodeStatus.BANNED)
    if filters.supported_os:
        conditions.append(_declares(Node.supported_os, filters.supported_os))
    if filters.supported_accelerator:
        conditions.append(_declares(Node.supported_accelerators, filters.supported_accelerator))
    if filters.search:
        conditions.append(
            sa.or_(
                *(
                    _contains(column, filters.search)
                    for column in (Node.id, Node.name, Node.description, Node.author)
                )
            )
        )
    if filters.repository_search:
        conditions.append(_contains(Node.repository, filters.repository_search))
    if filters.comfy_node_search:
        # A class the node's latest version registers, or a name it claims (preempts).
        provided = (
            sa.select(ComfyNode.id)
            .join(NodeVersion, ComfyNode.node_version_id == NodeVersion.id)
            .where(
                NodeVersion.node_normalized_id == Node.normalized_id,
                NodeVersion.version == Node.latest_version,
                ComfyNode.normalized_name.contains(
                    fold_ascii(filters.comfy_node_search), autoescape=True
                ),
            )
        )
        names = sa.cast(Node.preempted_comfy_node_names, sa.Text)
        conditions.append(sa.or_(provided.exists(), _contains(names, filters.comfy_node_search)))
    return conditions


def find_nodes(session: Session, filters: NodeFilters, number: int, size: int) -> Page:
    """One page of the nodes `filters` keeps, by id, as documents ready to send."""
    page = _counted_page(session, filters, number, size)
    if page.offset < page.total:
        answers = sa.select(*ANSWER_COLUMNS).select_from(WITH_LATEST)
        page.items = served_documents(session, _page_query(session, filters, answers, (), page))
    return page


def find_node_rows(
    session: Session, filters: NodeFilters, number: int, size: int, order: tuple = ()
) -> Page:
    """One page of the nodes `filters` keeps, as rows; by id unless `order` names other
    columns (the id last, so that pages never overlap)."""
    page = _counted_page(session, filters, number, size)
    if page.offset < page.total:
        query = _page_query(session, filters, sa.select(Node), order, page)
        page.items = list(session.scalars(query))
    return page


def _counted_page(session: Session, filters: NodeFilters, number: int, size: int) -> Page:
    """A page of the nodes `filters` keeps, with their total and no items yet.

    Past the end nothing is fetched (and no huge OFFSET goes to the database to refuse). All
    nodes are counted once per import (services/listings.py); what filters keep, every time.
    """
    conditions = _node_conditions(filters)
    if conditions:
        counted = sa.select(sa.func.count()).select_from(Node).where(*conditions)
        total = session.execute(counted).scalar_one()
    else:
        total = listings.listing_total(session, listings.NODES)
    return Page(items=[], total=total, number=number, size=size)


def _page_query(
    session: Session, filters: NodeFilters, columns: sa.Select, order: tuple, page: Page
) -> sa.Select:
    """`columns` of the nodes on `page`, by `order` or else by id; all nodes by id are reached
    through the stored anchors; on PostgreSQL a search's matches are found first."""
    conditions = _node_conditions(filters)
    if _searches(filters) and connection_of(session).dialect.name == "postgresql":
        query = _found_first(columns, conditions)
    else:
        query = columns.where(*conditions)
    query = query.order_by(*(order or listings.NODES.keys)).limit(page.size)
    if not order and not conditions:
        return listings.seek(session, listings.NODES, query, page.offset)
    return query.offset(page.offset)


def _searches(filters: NodeFilters) -> bool:
    """Whether `filters` match substrings of the columns with trigram indexes (models/search.py)."""
    return bool(filters.search or filters.repository_search)


def _found_first(columns: sa.Select, conditions: list) -> sa.Select:
    """The nodes `conditions` keep, every one found before any is ordered.

    A search keeps few nodes, scattered through the id order. Asked for the first page, the
    PostgreSQL planner would rather walk the primary key testing every node until the page is
    full (it expects that soon), which is a scan of the table; found first, in a materialized
    CTE, the matches come from the trigram indexes, and only they are sorted. (SQLite, with no
    such index, scans either way, and faster without the CTE.)
    """
    found = sa.select(Node.normalized_id).where(*conditions).cte("found")
    found = found.prefix_with("MATERIALIZED")
    return columns.join(found, Node.normalized_id == found.c.normalized_id)


def get_node(session: Session, node_id: str) -> sa.Row | None:
    """The node whose id is `node_id` in any case (ONE_NODE's columns of it), or None."""
    return session.execute(ONE_NODE, {"key": node_id.lower()}).one_or_none()


def get_version(session: Session, node: sa.Row, version: str) -> sa.Row | None:
    """One version of `node`: its `status` and `serialized` form, or None when not mirrored."""
    query = sa.select(NodeVersion.status, NodeVersion.serialized).where(
        NodeVersion.pair_key == pair_key(node.normalized_id, version)
    )
    return session.execute(query).one_or_none()


def _version_conditions(
    statuses: list[NodeVersionStatus] | None, status_reason: str | None = None
) -> list:
    conditions = []
    if statuses:
        conditions.append(NodeVersion.status.in_(statuses))
    if status_reason:
        conditions.append(_contains(NodeVersion.status_reason, status_reason))
    return conditions


def node_versions(
    session: Session,
    node: sa.Row,
    statuses: list[NodeVersionStatus] | None = None,
    status_reason: str | None = None,
) -> list[str]:
    """Every version of `node` (in `statuses`, if given), serialized, newest first by precedence."""
    query = sa.select(NodeVersion.version, NodeVersion.serialized).where(
        NodeVersion.node_normalized_id == node.normalized_id,
        *_version_conditions(statuses, status_reason),
    )
    rows = session.execute(query).all()
    rows.sort(key=lambda row: precedence_key(row.version), reverse=True)
    return [row.serialized for row in rows]


def find_versions(
    session: Session,
    number: int,
    size: int,
    node: sa.Row | None = None,
    statuses: list[NodeVersionStatus] | None = None,
    status_reason: str | None = None,
) -> Page:
    """One page of serialized versions.

    One node's versions come newest first by precedence, as ListNodeVersions sends them; all
    versions come by lower-cased node id, then version string, which the (node, version)
    unique index serves without sorting the table; unfiltered, their total is stored and a
    deep page is reached through the stored anchors (services/listings.py).
    """
    if node is not None:
        every = node_versions(session, node, statuses, status_reason)
        page = Page(items=[], total=len(every), number=number, size=size)
        page.items = every[page.offset : page.offset + size]
        return page
    conditions = _version_conditions(statuses, status_reason)
    if conditions:
        counted = sa.select(sa.func.count()).select_from(NodeVersion).where(*conditions)
        total = session.execute(counted).scalar_one()
    else:
        total = listings.listing_total(session, listings.VERSIONS)
    page = Page(items=[], total=total, number=number, size=size)
    if page.offset >= page.total:
        return page
    query = (
        sa.select(NodeVersion.serialized)
        .where(*conditions)
        .order_by(*listings.VERSIONS.keys)
        .limit(size)
    )
    if conditions:
        query = query.offset(page.offset)
    else:
        query = listings.seek(session, listings.VERSIONS, query, page.offset)
    page.items = list(session.scalars(query))
    return page


def without_status_reason(serialized: str) -> dict:
    """A stored version with status_reason dropped, for listings that were not asked for it."""
    version = orjson.loads(serialized)
    version.pop("status_reason", None)
    return version
