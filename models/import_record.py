"""Import records: when data came into the mirror, from where, and what changed."""

import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from models.base import db
from models.columns import utcnow


class ImportKind(enum.StrEnum):
    """What brought data in, as an import record's `kind` stores it."""

    # `flask mirror import` or `seed`: dumps and bundles loaded by hand.
    IMPORT = "import"
    # `flask mirror sync` of the whole registry: the next incremental sync starts from it.
    SYNC = "sync"
    # `flask mirror sync --node`: some nodes only, so never where a whole sync starts from.
    SYNC_NODES = "sync-nodes"
    # `flask mirror index`: node classes read from archives already mirrored, nothing else.
    INDEX = "index"
    # A request for a node the mirror lacked, fetched from MIRROR_PULL_THROUGH and stored.
    PULL_THROUGH = "pull-through"


SYNC_KINDS = (ImportKind.SYNC, ImportKind.SYNC_NODES)


class ImportRecord(db.Model):
    """One committed import of dumps or bundles, by hand or by a sync from an upstream."""

    __tablename__ = "import_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    # An ImportKind's value.
    kind: Mapped[str] = mapped_column(sa.String(16), default=ImportKind.IMPORT.value)
    # The upstream registry a sync read from (its base URL), or the dumps' own `source`.
    origin: Mapped[str | None] = mapped_column(sa.Text)
    # When the work began: a sync's changes are complete up to this moment, so the next
    # incremental sync asks for changes after it.
    started_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    finished_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)
    sources: Mapped[list[str]] = mapped_column(sa.JSON)
    replace: Mapped[bool] = mapped_column(sa.Boolean)
    summary: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
