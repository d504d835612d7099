"""Publishers: the accounts that publish node packs."""

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from models.base import db
from models.columns import ordered_string, status_enum
from models.statuses import PublisherStatus


class Publisher(db.Model):
    """A publisher as upstream describes it."""

    __tablename__ = "publishers"

    id: Mapped[str] = mapped_column(ordered_string(100), primary_key=True)
    name: Mapped[str | None] = mapped_column(sa.Text)
    description: Mapped[str | None] = mapped_column(sa.Text)
    website: Mapped[str | None] = mapped_column(sa.Text)
    support: Mapped[str | None] = mapped_column(sa.Text)
    source_code_repo: Mapped[str | None] = mapped_column(sa.Text)
    logo: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    status: Mapped[PublisherStatus | None] = mapped_column(status_enum(PublisherStatus))
    members: Mapped[list[dict[str, Any]] | None] = mapped_column(sa.JSON)
