"""GET /metrics: the mirror's figures in Prometheus's text format (MIRROR_METRICS=0: off)."""

from datetime import UTC, datetime

import sqlalchemy as sa
from flask import Blueprint, Response, current_app
from werkzeug.exceptions import NotFound

from extensions import db
from services.metrics.database import database_figures, database_up
from services.metrics.exposition import CONTENT_TYPE, exposition

bp = Blueprint("metrics", __name__)


@bp.get("/metrics")
def metrics():
    """Requests, latency, bulk pairs, archive bytes, imports, data age and schema revision."""
    if not current_app.config["METRICS"]:
        raise NotFound("Metrics are off on this mirror (MIRROR_METRICS=0).")
    now = datetime.now(UTC).replace(tzinfo=None)
    try:
        families = [*database_figures(db.session, now), database_up(True)]
    except sa.exc.DBAPIError as exc:
        # Whatever the database's fault (down, locked, a table missing), the request figures
        # are still worth a scrape, and mirror_database_up 0 says the rest is missing.
        db.session.rollback()
        current_app.logger.warning("metrics: the database failed: %s", exc.orig)
        families = [database_up(False)]
    return Response(exposition(families), content_type=CONTENT_TYPE)
