"""What verify says of the node-class index: versions indexed and from where, and the archives
that could not be read, with why (the first few)."""

from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import Session

from models import ComfyNodeIndex, NodeVersion
from services.catalog.status import comfy_node_figures

# Unreadable archives named in a report; the rest are counted.
NAMED_UNREADABLE = 5


@dataclass
class IndexFigures:
    """How many versions have their node classes, from where, and why some could not."""

    counts: dict[str, int] = field(default_factory=dict)
    # "<node id> <version>: not indexed: <reason>", the first few in node and version order.
    unreadable: list[str] = field(default_factory=list)


def index_figures(session: Session) -> IndexFigures:
    """The node-class index's counts and its first few unreadable archives."""
    rows = session.execute(
        sa.select(NodeVersion.node_id, NodeVersion.version, ComfyNodeIndex.problem)
        .join(ComfyNodeIndex, ComfyNodeIndex.node_version_id == NodeVersion.id)
        .where(ComfyNodeIndex.problem.is_not(None))
        .order_by(NodeVersion.node_normalized_id, NodeVersion.version)
        .limit(NAMED_UNREADABLE)
    )
    return IndexFigures(
        comfy_node_figures(session),
        [f"{node} {version}: {problem}" for node, version, problem in rows],
    )
