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


def ordered_string(length: int) -> sa.String:
    """A string column listings are ordered by: in code-point order on every backend.

    SQLite compares text by bytes; PostgreSQL by the database's collation unless the column
    names one, and "C" is bytes there too, so both list (and index) ids in the same order.
    """
    return sa.String(length).with_variant(sa.String(length, collation="C"), "postgresql")


def utcnow() -> datetime:
    """The current time as naive UTC, the form every timestamp is stored in."""
    return datetime.now(UTC).replace(tzinfo=None)
