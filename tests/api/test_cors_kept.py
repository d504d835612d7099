"""CORS headers worked out once per kind of request answer exactly as flask-cors's extension."""

import itertools

import pytest
from flask import Flask
from flask_cors import CORS

from blueprints import cors as mirror_cors

ORIGINS = (None, "", "http://127.0.0.1:8188", "http://allowed.test", "HTTP://ALLOWED.TEST")
PREFLIGHT_METHODS = (None, "POST", "post", "GET", "DELETE")
PREFLIGHT_HEADERS = (None, "content-type", "Content-Type, Range", "if-none-match, x-y")
PRIVATE_NETWORK = (None, "true", "false")
REQUESTS = (
    ("OPTIONS", "/bulk/nodes/versions"),
    ("POST", "/bulk/nodes/versions"),
    ("GET", "/nodes"),
    ("HEAD", "/no/such/path%20x"),
)


def flask_cors_app(origins) -> Flask:
    """An app whose CORS headers come from flask-cors's extension, set up as the mirror's was."""
    app = Flask(__name__)
    app.config["CORS_ORIGINS"] = origins

    @app.route("/", defaults={"path": ""}, methods=["GET", "POST"])
    @app.route("/<path:path>", methods=["GET", "POST"])
    def anything(path):
        return "x"

    CORS(app, origins=origins, **mirror_cors.CORS_SETTINGS)
    return app


def cors_headers(response) -> list[tuple[str, str]]:
    """The answer's CORS headers (and Vary), in order."""
    return [
        (name, value)
        for name, value in response.headers.items()
        if name.startswith("Access-Control-") or name == "Vary"
    ]


def request_headers(origin, method, headers, private) -> dict:
    """The request headers CORS reads, those that are not None."""
    sent = {
        "Origin": origin,
        "Access-Control-Request-Method": method,
        "Access-Control-Request-Headers": headers,
        "Access-Control-Request-Private-Network": private,
    }
    return {name: value for name, value in sent.items() if value is not None}


@pytest.mark.parametrize("origins", ["*", ["http://allowed.test", "http://other.test"]])
def test_kept_cors_headers_are_flask_cors_headers(make_mirror, origins):
    mirror = make_mirror(CORS_ORIGINS=origins).test_client()
    reference = flask_cors_app(origins).test_client()
    compared = 0
    for (method, path), *sent in itertools.product(
        REQUESTS, ORIGINS, PREFLIGHT_METHODS, PREFLIGHT_HEADERS, PRIVATE_NETWORK
    ):
        headers = request_headers(*sent)
        expected = cors_headers(reference.open(path, method=method, headers=headers))
        # Twice: worked out, then kept.
        for _ in range(2):
            assert cors_headers(mirror.open(path, method=method, headers=headers)) == expected, (
                method,
                path,
                headers,
            )
        compared += 1
    assert compared == len(REQUESTS) * 5 * 5 * 4 * 3


def test_forgotten_headers_are_worked_out_again(make_mirror, monkeypatch):
    monkeypatch.setattr(mirror_cors, "KEPT", 3)
    mirror = make_mirror(CORS_ORIGINS=["http://allowed.test"]).test_client()
    for round_ in range(3):
        for origin in ("http://allowed.test", "http://a.test", "http://b.test", "http://c.test"):
            allowed = mirror.get("/health", headers={"Origin": origin})
            expected = origin if origin == "http://allowed.test" else None
            assert allowed.headers.get("Access-Control-Allow-Origin") == expected, round_
