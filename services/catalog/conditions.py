"""What a listing or search of nodes keeps, as SQL conditions, and how a search finds its nodes.

A search term matches case-insensitive (A-Z) substrings. On PostgreSQL the trigram indexes
(models/search.py) serve the very expressions the conditions test; on SQLite the FTS5 trigram
index (models/fts.py) gives the candidates, and the same exact conditions keep or drop each,
so both backends, with an index or without one, give the same answers.
"""

import json
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from models import ComfyNode, Node, NodeStatus, NodeVersion
from models.casefold import ascii_lower, fold_ascii
from models.fts import candidates, indexed, indexed_rows, search_index_ready
from services.catalog.lookup import connection_of

# The columns `search` matches, and `repository_search` (models/fts.py indexes them by name).
SEARCHED = (Node.id, Node.name, Node.description, Node.author)
REPOSITORY = (Node.repository,)
# SQLite's own row number, which ties a node to its row of the search index.
_NODE_ROWID = sa.literal_column(f"{Node.__tablename__}.rowid")
# A term held by more than one node in DENSE_SHARE is searched by scanning: the scan walks the
# id order and stops once the page is full, while the index would read and sort every match
# (and a count reads every node either way).
DENSE_SHARE = 4
_TERMS = {"search": SEARCHED, "repository_search": REPOSITORY}


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


def contains(column, text: str):
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


def _matches(columns: tuple, term: str, use_index: bool) -> list:
    """`term` is a substring of one of `columns`: candidates from SQLite's index when
    `use_index`, each then tested exactly."""
    exact = sa.or_(*(contains(column, term) for column in columns))
    if not use_index:
        return [exact]
    names = tuple(column.name for column in columns)
    return [_NODE_ROWID.in_(indexed_rows(names, fold_ascii(term))), exact]


def node_conditions(filters: NodeFilters, indexed_terms: frozenset = frozenset()) -> list:
    """The WHERE clauses that implement `filters`; `indexed_terms`: the filters ("search",
    "repository_search") whose candidates come from SQLite's search index."""
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
        conditions += _matches(SEARCHED, filters.search, "search" in indexed_terms)
    if filters.repository_search:
        repository = "repository_search" in indexed_terms
        conditions += _matches(REPOSITORY, filters.repository_search, repository)
    if filters.comfy_node_search:
        conditions.append(_provides(filters.comfy_node_search))
    return conditions


def _provides(term: str):
    """A class the node's latest version registers, or a name it claims (preempts), holds `term`."""
    provided = (
        sa.select(ComfyNode.id)
        .join(NodeVersion, ComfyNode.node_version_id == NodeVersion.id)
        .where(
            NodeVersion.node_normalized_id == Node.normalized_id,
            NodeVersion.version == Node.latest_version,
            ComfyNode.normalized_name.contains(fold_ascii(term), autoescape=True),
        )
    )
    names = sa.cast(Node.preempted_comfy_node_names, sa.Text)
    return sa.or_(provided.exists(), contains(names, term))


def searches(filters: NodeFilters) -> bool:
    """Whether `filters` match substrings of the columns with trigram indexes (models/search.py)."""
    return bool(filters.search or filters.repository_search)


def indexed_searches(session: Session, filters: NodeFilters) -> frozenset:
    """The terms of `filters` whose candidates SQLite's search index should give: where it is
    ready, for terms of three characters or more held by few enough nodes (else the scan)."""
    connection = connection_of(session)
    if not searches(filters) or connection.dialect.name != "sqlite":
        return frozenset()
    if not search_index_ready(connection):
        return frozenset()
    # The highest rowid: as many as the nodes held, or a few more, read in one step.
    nodes = connection.exec_driver_sql("SELECT max(rowid) FROM nodes").scalar() or 0
    cap = nodes // DENSE_SHARE + 1
    chosen = set()
    for name, columns in _TERMS.items():
        term = getattr(filters, name)
        if not term or not indexed(term):
            continue
        names = tuple(column.name for column in columns)
        if session.execute(candidates(names, fold_ascii(term), cap)).scalar_one() < cap:
            chosen.add(name)
    return frozenset(chosen)


def found_first(
    columns: sa.Select, conditions: list, order: tuple, offset: int, size: int
) -> sa.Select:
    """`columns` of the page of nodes `conditions` keep, that page found before any is read.

    A search keeps few nodes, scattered through the id order. Asked for the first page, the
    PostgreSQL planner would rather walk the primary key testing every node until the page is
    full (it expects that soon), which is a scan of the table; found first, in a materialized
    CTE, the matches come from the trigram indexes, and only their keys are sorted and cut to
    the page, so a term most nodes hold reads whole rows for one page, not for every match.
    """
    found = (
        sa.select(Node.normalized_id)
        .where(*conditions)
        .order_by(*order)
        .offset(offset)
        .limit(size)
        .cte("found")
        .prefix_with("MATERIALIZED")
    )
    return columns.join(found, Node.normalized_id == found.c.normalized_id).order_by(*order)
