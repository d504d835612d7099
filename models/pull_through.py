"""Pull-through marks: which missing node one worker is fetching, and which were asked lately."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from models.base import db


class PullThroughMark(db.Model):
    """One node id asked of the upstream: claimed while fetched, then fresh for a while."""

    __tablename__ = "pull_through_marks"

    # The node id lower-cased, as nodes.normalized_id keeps it.
    node_key: Mapped[str] = mapped_column(sa.String(255), primary_key=True)
    # Set while a worker fetches the node; past it, a claim whose worker died is taken over.
    claimed_until: Mapped[datetime | None] = mapped_column(sa.DateTime)
    # Set when the upstream answered (a 404, or the node fetched): until then, asks for the node
    # (a version it lacks, say) do not reach the upstream again.
    fresh_until: Mapped[datetime | None] = mapped_column(sa.DateTime)
