"""CORS headers on every answer: flask-cors's own rules, worked out once per kind of request.

flask-cors works the headers out afresh for every response: it matches the path against its
resources, the Origin against the allowed origins, a preflight's method and headers against
the allowed ones, and builds a MultiDict of the result. They depend on nothing but the method
and four request headers, so each combination seen is worked out once, by flask-cors's own
`get_cors_headers`, and its headers are kept (a bounded number: the headers come from
clients). Every path is covered, as flask-cors's default resource covers them.
"""

from flask import Flask, Response, request
from flask_cors.core import (
    ACL_ORIGIN,
    ACL_REQUEST_HEADER_PRIVATE_NETWORK,
    ACL_REQUEST_HEADERS,
    ACL_REQUEST_METHOD,
    get_cors_headers,
    get_cors_options,
)

# What the API allows a browser page (the ComfyUI frontend) to send and read; the origins
# allowed are MIRROR_CORS_ORIGINS (CORS_ORIGINS in the app's config).
CORS_SETTINGS = {
    "methods": ["GET", "HEAD", "POST", "OPTIONS"],
    "allow_headers": ["Content-Type", "Range", "If-None-Match"],
    "expose_headers": ["Content-Length", "Content-Range", "ETag"],
    "max_age": 86400,
}
# Combinations of request headers kept; past it the kept ones are forgotten and worked out again.
KEPT = 1024


class CorsHeaders:
    """The CORS headers of an app's answers, by the request headers they depend on."""

    def __init__(self, app: Flask) -> None:
        """Resolve the app's CORS options (its config's CORS_* keys, then CORS_SETTINGS)."""
        self.options = get_cors_options(app, {"origins": app.config["CORS_ORIGINS"]}, CORS_SETTINGS)
        self.kept: dict[tuple, tuple] = {}

    def for_request(self, method: str, headers) -> tuple:
        """The (name, value) pairs to add to the answer of a request with these headers."""
        key = (
            method,
            headers.get("Origin"),
            headers.get(ACL_REQUEST_METHOD),
            headers.get(ACL_REQUEST_HEADERS),
            headers.get(ACL_REQUEST_HEADER_PRIVATE_NETWORK),
        )
        found = self.kept.get(key)
        if found is None:
            if len(self.kept) >= KEPT:
                self.kept.clear()
            worked_out = get_cors_headers(self.options, headers, method)
            found = self.kept[key] = tuple(worked_out.items(multi=True))
        return found

    def add_to(self, response: Response) -> Response:
        """Add the request's CORS headers to its answer, unless a view set them itself."""
        if response.headers.get(ACL_ORIGIN):
            return response
        add = response.headers.add
        for name, value in self.for_request(request.method, request.headers):
            add(name, value)
        return response


def register_cors(app: Flask) -> None:
    """Add CORS headers to every answer of the app, errors included."""
    app.after_request(CorsHeaders(app).add_to)
