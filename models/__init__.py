"""What the mirror stores: publishers, nodes, versions, their node classes, import records."""

from models.base import Base, db
from models.comfy_node import ComfyNode, ComfyNodeIndex, ComfyNodePolicy, IndexOrigin
from models.import_record import SYNC_KINDS, ImportKind, ImportRecord
from models.node import Node
from models.node_version import NodeVersion, pair_key
from models.publisher import Publisher
from models.statuses import NodeStatus, NodeVersionStatus, PublisherStatus

__all__ = [
    "SYNC_KINDS",
    "Base",
    "ComfyNode",
    "ComfyNodeIndex",
    "ComfyNodePolicy",
    "ImportKind",
    "ImportRecord",
    "IndexOrigin",
    "Node",
    "NodeStatus",
    "NodeVersion",
    "NodeVersionStatus",
    "Publisher",
    "PublisherStatus",
    "db",
    "pair_key",
]
