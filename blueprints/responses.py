"""JSON responses built with orjson, with mirrored archives' URLs pointing at this mirror."""

import orjson
from flask import Response, current_app, request

from services.archive_urls import marks_archive_urls, resolve_archive_urls

# The WSGI environ keys Werkzeug makes a request's root URL of (after ProxyFix, if trusted).
ROOT_URL_KEYS = ("wsgi.url_scheme", "HTTP_HOST", "SERVER_NAME", "SERVER_PORT", "SCRIPT_NAME")
# Root URLs kept, by those keys' values; past it they are forgotten (Host comes from clients).
KEPT_ROOT_URLS = 256
_root_urls: dict[tuple, str] = {}


def request_root_url() -> str:
    """The request's root URL without its final slash, as Werkzeug's `request.url_root` says.

    Werkzeug builds it afresh at every request (host checks, IRI decoding: about a tenth of a
    node's answer); it depends on nothing but ROOT_URL_KEYS, so each one seen is kept.
    """
    environ = request.environ
    key = tuple(environ.get(name) for name in ROOT_URL_KEYS)
    found = _root_urls.get(key)
    if found is None:
        if len(_root_urls) >= KEPT_ROOT_URLS:
            _root_urls.clear()
        found = _root_urls[key] = request.url_root.rstrip("/")
    return found


def public_base_url() -> str:
    """The mirror's URL as callers reach it: configured, or from the (proxy-aware) request."""
    configured = current_app.config.get("PUBLIC_BASE_URL")
    return configured.rstrip("/") if configured else request_root_url()


def json_response(document, status: int = 200) -> Response:
    """Serialize `document` (which may hold orjson.Fragment values) as the response body."""
    body = orjson.dumps(document)
    if marks_archive_urls(body):
        body = resolve_archive_urls(body, public_base_url())
    return Response(body, status=status, mimetype="application/json")
