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

import math
from dataclasses import dataclass
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.orm import Session

from models import Node, NodeVersion, NodeVersionStatus, pair_key
from services import listings
from services.catalog.conditions import (
    NodeFilters,
    contains,
    found_first,
    indexed_searches,
    node_conditions,
    searches,
)
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


def find_nodes(session: Session, filters: NodeFilters, number: int, size: int) -> Page:
    """One page of the nodes `filters` keeps, by id, as documents ready to send."""
    conditions = node_conditions(filters, indexed_searches(session, filters))
    page = _counted_page(session, conditions, number, size)
    if page.offset < page.total:
        answers = sa.select(*ANSWER_COLUMNS).select_from(WITH_LATEST)
        query = _page_query(session, filters, conditions, answers, (), page)
        page.items = served_documents(session, query)
    return page


def find_node_rows(
    session: Session, filters: NodeFilters, number: int, size: int, order: tuple = ()
) -> Page:
    """One page of the nodes `filters` keeps, as rows; by id unless `order` names other
    columns (the id last, so that pages never overlap)."""
    conditions = node_conditions(filters, indexed_searches(session, filters))
    page = _counted_page(session, conditions, number, size)
    if page.offset < page.total:
        query = _page_query(session, filters, conditions, sa.select(Node), order, page)
        page.items = list(session.scalars(query))
    return page


def _counted_page(session: Session, conditions: list, number: int, size: int) -> Page:
    """A page of the nodes `conditions` keep, with their total and no items yet.

    Past the end nothing is fetched (and no huge OFFSET goes to the database to refuse). All
    nodes are counted once per import (services/listings.py); what filters keep, every time.
    """
    if conditions:
        counted = sa.select(sa.func.count()).select_from(Node).where(*conditions)
        total = session.execute(counted).scalar_one()
    else:
        total = listings.listing_total(session, listings.NODES)
    return Page(items=[], total=total, number=number, size=size)


def _page_query(
    session: Session,
    filters: NodeFilters,
    conditions: list,
    columns: sa.Select,
    order: tuple,
    page: Page,
) -> sa.Select:
    """`columns` of the nodes on `page`, by `order` or else by id; all nodes by id are reached
    through the stored anchors; on PostgreSQL a search's page is found first."""
    by_id = not order
    order = order or listings.NODES.keys
    if searches(filters) and connection_of(session).dialect.name == "postgresql":
        return found_first(columns, conditions, order, page.offset, page.size)
    query = columns.where(*conditions).order_by(*order).limit(page.size)
    if by_id and not conditions:
        return listings.seek(session, listings.NODES, query, page.offset)
    return query.offset(page.offset)


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
        conditions.append(contains(NodeVersion.status_reason, status_reason))
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
