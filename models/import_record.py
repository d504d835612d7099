"""Import records: when data came into the mirror, from where, and what changed."""

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from models.base import db
from models.columns import utcnow


class ImportRecord(db.Model):
    """One committed import of dumps or bundles, by hand or by a sync from an upstream."""

    __tablename__ = "import_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    # "import" for `flask mirror import`/`seed`, "sync" for `flask mirror sync`.
    kind: Mapped[str] = mapped_column(sa.String(16), default="import")
    # The upstream registry a sync read from (its base URL), or the dumps' own `source`.
    origin: Mapped[str | None] = mapped_column(sa.Text)
    # When the work began: a sync's changes are complete up to this moment, so the next
    # incremental sync asks for changes after it.
    started_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    finished_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)
    sources: Mapped[list[str]] = mapped_column(sa.JSON)
    replace: Mapped[bool] = mapped_column(sa.Boolean)
    summary: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
