"""The mirror's own endpoints: health, readiness and the OpenAPI document."""

from flask import Blueprint, Response, current_app, jsonify, request
from werkzeug.exceptions import ServiceUnavailable

from blueprints.openapi import build_spec
from extensions import db
from services.readiness import readiness_problem
from services.schema import head_revision
from version import __version__

bp = Blueprint("meta", __name__)


@bp.get("/health")
def health():
    """Plain OK while the app is up, as upstream answers."""
    return Response("OK", mimetype="text/plain")


@bp.get("/ready")
def ready():
    """Ready to serve: the database answers at the schema this release needs, archives readable.

    /health only says the process is up; a load balancer should send traffic by this one.
    """
    store = current_app.extensions["archive_store"]
    problem = readiness_problem(db.engine, db.metadata, store.root)
    if problem is not None:
        raise ServiceUnavailable(f"Not ready: {problem}.")
    return jsonify(
        {"status": "ready", "revision": head_revision(), "software_version": __version__}
    )


@bp.get("/openapi.json")
def openapi_document():
    """The OpenAPI document of every route, generated from the schemas that serve them."""
    spec = current_app.extensions.get("mirror_openapi")
    if spec is None:
        spec = build_spec(current_app).to_dict()
        current_app.extensions["mirror_openapi"] = spec
    # The server is this mirror as the caller reaches it (through trusted proxies, if any).
    return jsonify({**spec, "servers": [{"url": request.url_root.rstrip("/")}]})
