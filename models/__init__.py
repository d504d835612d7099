"""What the mirror stores: publishers, nodes, versions, their node classes, release notes,
import records, verify runs, pull-through marks, the listings' totals and page anchors."""

from models.base import Base, db
from models.comfy_node import ComfyNode, ComfyNodeIndex, ComfyNodePolicy, IndexOrigin
from models.import_record import SYNC_KINDS, ImportKind, ImportRecord
from models.listing import ListingAnchor, ListingTotal
from models.node import Node
from models.node_version import NodeVersion, pair_key
from models.publisher import Publisher
from models.pull_through import PullThroughMark
from models.release_note import (
    FALLBACK_LOCALE,
    ReleaseAttention,
    ReleaseLocale,
    ReleaseNote,
    ReleaseProject,
)
from models.statuses import NodeStatus, NodeVersionStatus, PublisherStatus
from models.verify_run import VerifyRun

__all__ = [
    "FALLBACK_LOCALE",
    "SYNC_KINDS",
    "Base",
    "ComfyNode",
    "ComfyNodeIndex",
    "ComfyNodePolicy",
    "ImportKind",
    "ImportRecord",
    "IndexOrigin",
    "ListingAnchor",
    "ListingTotal",
    "Node",
    "NodeStatus",
    "NodeVersion",
    "NodeVersionStatus",
    "Publisher",
    "PublisherStatus",
    "PullThroughMark",
    "ReleaseAttention",
    "ReleaseLocale",
    "ReleaseNote",
    "ReleaseProject",
    "VerifyRun",
    "db",
    "pair_key",
]
