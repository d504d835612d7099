"""Column types shared by the tables."""

import enum
from datetime import UTC, datetime

import sqlalchemy as sa


def status_enum(enum_class: type[enum.Enum]) -> sa.Enum:
    """A portable status column: stored as its upstream string, read back as the enum."""
    return sa.Enum(
        enum_class,
        native_enum=False,
        length=40,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )


def utcnow() -> datetime:
    """The current time as naive UTC, the form every timestamp is stored in."""
    return datetime.now(UTC).replace(tzinfo=None)
