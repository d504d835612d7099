"""The registry's status vocabularies, shared by tables and schemas."""

import enum


class NodeVersionStatus(enum.StrEnum):
    """Review state of one published version."""

    ACTIVE = "NodeVersionStatusActive"
    DELETED = "NodeVersionStatusDeleted"
    BANNED = "NodeVersionStatusBanned"
    PENDING = "NodeVersionStatusPending"
    FLAGGED = "NodeVersionStatusFlagged"


# The versions whose archive a mirror holds: Deleted and Banned ones the registry withdrew.
ARCHIVED_STATUSES = frozenset(
    {NodeVersionStatus.ACTIVE, NodeVersionStatus.PENDING, NodeVersionStatus.FLAGGED}
)


class NodeStatus(enum.StrEnum):
    """State of a whole node pack."""

    ACTIVE = "NodeStatusActive"
    DELETED = "NodeStatusDeleted"
    BANNED = "NodeStatusBanned"


class PublisherStatus(enum.StrEnum):
    """State of a publisher account."""

    ACTIVE = "PublisherStatusActive"
    BANNED = "PublisherStatusBanned"
