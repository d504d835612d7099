"""Import records: when data came into the mirror, from where, and what changed."""

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from models.base import db
from models.columns import utcnow


class ImportRecord(db.Model):
    """One committed import of dumps or bundles."""

    __tablename__ = "import_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    finished_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)
    sources: Mapped[list[str]] = mapped_column(sa.JSON)
    replace: Mapped[bool] = mapped_column(sa.Boolean)
    summary: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
