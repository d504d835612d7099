"""The listings' pages the plain way, counted and skipped by OFFSET: the reference the stored
totals and anchors (services/listings.py) are tested and benchmarked against."""

import sqlalchemy as sa

from models import Node, NodeVersion
from services.catalog.served_nodes import ANSWER_COLUMNS, WITH_LATEST


def plain_versions(number: int, size: int) -> tuple[sa.Select, sa.Select]:
    """Every version counted, and page `number` of `size` by OFFSET over the rows, as stored."""
    count = sa.select(sa.func.count()).select_from(NodeVersion)
    page = (
        sa.select(NodeVersion.serialized)
        .order_by(NodeVersion.node_normalized_id, NodeVersion.version)
        .offset((number - 1) * size)
        .limit(size)
    )
    return count, page


def plain_nodes(number: int, size: int) -> tuple[sa.Select, sa.Select]:
    """Every node counted, and page `number` of `size` by OFFSET over the rows: stored forms."""
    count = sa.select(sa.func.count()).select_from(Node)
    page = (
        sa.select(*ANSWER_COLUMNS)
        .select_from(WITH_LATEST)
        .order_by(Node.normalized_id)
        .offset((number - 1) * size)
        .limit(size)
    )
    return count, page
