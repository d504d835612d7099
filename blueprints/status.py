"""GET /status: what the mirror holds, when it was last imported and synced, its version."""

import time

from flask import Blueprint, current_app

from blueprints.operations import operation
from blueprints.responses import json_response
from extensions import db
from schemas.status import StatusSchema
from services.catalog.status import data_generation, mirror_status

bp = Blueprint("status", __name__)

# On a million versions the counts take a second or two, too long to pay on every poll. The
# figures change only when an import or sync commits (a new import record), so they are kept
# until then; the time limit bounds how long a change made another way (a repair, plain SQL)
# can go unseen.
STATUS_CACHE_SECONDS = 60


@bp.get("/status")
@operation(
    "GetMirrorStatus",
    tag="Mirror",
    responses={200: (StatusSchema, "The mirror's contents and freshness")},
)
def status():
    """What the mirror holds, when it was last imported and synced, and its software version"""
    return json_response(status_document())


def status_document() -> dict:
    """The status document, recomputed only after an import or sync, or once a minute."""
    generation = data_generation(db.session)
    cached = current_app.extensions.get("mirror_status")
    now = time.monotonic()
    if cached is not None and cached[0] == generation and now - cached[1] < STATUS_CACHE_SECONDS:
        return cached[2]
    document = StatusSchema().dump(mirror_status(db.session))
    current_app.extensions["mirror_status"] = (generation, now, document)
    return document
