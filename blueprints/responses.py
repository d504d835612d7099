"""JSON responses built with orjson, with mirrored archives' URLs pointing at this mirror."""

import orjson
from flask import Response

from blueprints.download_urls import public_base_url, resolve_archive_urls


def json_response(document, status: int = 200) -> Response:
    """Serialize `document` (which may hold orjson.Fragment values) as the response body."""
    body = resolve_archive_urls(orjson.dumps(document), public_base_url())
    return Response(body, status=status, mimetype="application/json")
