"""Verify runs: when `flask mirror verify` last checked the mirror, and what it found."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from models.base import db
from models.columns import utcnow


class VerifyRun(db.Model):
    """One finished verification (after a repair: the verification that followed it)."""

    __tablename__ = "verify_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    finished_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)
    # Whether `--repair` ran first: the figures are then those of the mirror after it.
    repaired: Mapped[bool] = mapped_column(sa.Boolean)
    problems: Mapped[int] = mapped_column(sa.Integer)
    # How many problems of each kind (services/integrity/report.py), kinds without any left out.
    problem_kinds: Mapped[dict[str, int]] = mapped_column(sa.JSON)
    nodes: Mapped[int] = mapped_column(sa.Integer)
    versions: Mapped[int] = mapped_column(sa.Integer)
    archives: Mapped[int] = mapped_column(sa.Integer)
