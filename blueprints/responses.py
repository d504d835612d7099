"""JSON responses built with orjson, with mirrored archives' URLs pointing at this mirror."""

import orjson
from flask import Response, current_app, request

from services.archive_urls import resolve_archive_urls


def public_base_url() -> str:
    """The mirror's URL as callers reach it: configured, or from the (proxy-aware) request."""
    configured = current_app.config.get("PUBLIC_BASE_URL")
    return (configured or request.url_root).rstrip("/")


def json_response(document, status: int = 200) -> Response:
    """Serialize `document` (which may hold orjson.Fragment values) as the response body."""
    body = resolve_archive_urls(orjson.dumps(document), public_base_url())
    return Response(body, status=status, mimetype="application/json")
