"""Pull-through marks: which missing node one worker is fetching, and which upstream lacks."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from models.base import db


class PullThroughMark(db.Model):
    """One node id asked of the upstream: claimed while fetched, or known missing there."""

    __tablename__ = "pull_through_marks"

    # The node id lower-cased, as nodes.normalized_id keeps it.
    node_key: Mapped[str] = mapped_column(sa.String(255), primary_key=True)
    # Set while a worker fetches the node; past it, a claim whose worker died is taken over.
    claimed_until: Mapped[datetime | None] = mapped_column(sa.DateTime)
    # Set when the upstream answered 404: until then, asks do not reach the upstream again.
    missing_until: Mapped[datetime | None] = mapped_column(sa.DateTime)
