"""The mirror's own endpoints: health and the OpenAPI document."""

from flask import Blueprint, Response, current_app, jsonify, request

from blueprints.openapi import build_spec

bp = Blueprint("meta", __name__)


@bp.get("/health")
def health():
    """Plain OK while the app is up, as upstream answers."""
    return Response("OK", mimetype="text/plain")


@bp.get("/openapi.json")
def openapi_document():
    """The OpenAPI document of every route, generated from the schemas that serve them."""
    spec = current_app.extensions.get("mirror_openapi")
    if spec is None:
        spec = build_spec(current_app).to_dict()
        current_app.extensions["mirror_openapi"] = spec
    # The server is this mirror as the caller reaches it (through trusted proxies, if any).
    return jsonify({**spec, "servers": [{"url": request.url_root.rstrip("/")}]})
