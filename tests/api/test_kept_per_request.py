"""What is worked out once and kept answers like working it out at every request: each view's
loaded query strings, and the request's root URL."""

import random
from urllib.parse import quote

from flask import Flask, request
from werkzeug.exceptions import BadRequest

from blueprints import responses
from blueprints.operations import QueryLoader, query_arguments
from blueprints.responses import request_root_url

VALUES = (
    "",
    "1",
    "0",
    "-3",
    "30",
    "101",
    "99999999999999999999",
    "abc",
    "true",
    "false",
    "True",
    "1.2.3",
    "v1.0",
    "2024-01-01T00:00:00Z",
    "2024-13-01",
    "Active",
    "NodeVersionStatusActive",
    "banned",
    "windows",
    "cuda",
    "x" * 300,
    "%",
    "ä",
    "a b",
)


def query_schemas(app) -> dict[str, type]:
    """Every view's query schema (class), by operation id."""
    found = {}
    for view in app.view_functions.values():
        described = getattr(view, "openapi_operation", {})
        for parameter in described.get("parameters", []):
            if parameter.get("in") == "query" and isinstance(parameter.get("schema"), type):
                found[described["operationId"]] = parameter["schema"]
    return found


def query_strings(schema: type, count: int, seed: int) -> list[str]:
    """`count` query strings over the schema's parameters (and others), with good and bad values."""
    names = [field.data_key or name for name, field in schema().fields.items()]
    names += ["unknown", "PAGE"]
    rng = random.Random(seed)
    made = [""]
    for _ in range(count):
        pairs = [
            (rng.choice(names), rng.choice(VALUES)) for _ in range(rng.choice((1, 1, 2, 3, 5)))
        ]
        made.append("&".join(f"{quote(name)}={quote(value)}" for name, value in pairs))
    return made


def outcome(load) -> tuple:
    """What loading gave: ("loaded", values) or ("refused", the 400's message)."""
    try:
        return ("loaded", load())
    except BadRequest as exc:
        return ("refused", exc.description)


def test_every_view_loads_query_strings(app):
    assert {"ListAllNodes", "GetNode", "InstallNode", "SearchNodes"} <= set(query_schemas(app))


def test_kept_query_strings_load_as_the_schema_loads_them(app):
    compared = refused = 0
    for seed, (operation, schema) in enumerate(sorted(query_schemas(app).items())):
        loader = QueryLoader(schema())
        for query in query_strings(schema, 150, seed):
            with app.test_request_context(f"/?{query}"):
                expected = outcome(lambda schema=schema: query_arguments(schema()))
                first, kept = outcome(loader.load), outcome(loader.load)
            assert first == expected == kept, (operation, query)
            compared += 1
            refused += expected[0] == "refused"
    # Both kinds were compared, many times over.
    assert compared > 1000 and 100 < refused < compared - 100


def test_a_view_changing_its_arguments_changes_no_later_request(app):
    loader = QueryLoader(query_schemas(app)["ListAllNodes"]())
    with app.test_request_context("/?page=2"):
        loader.load()["page"] = 7
        assert loader.load()["page"] == 2


def test_past_the_limit_kept_query_strings_are_forgotten(app, monkeypatch):
    monkeypatch.setattr("blueprints.operations.KEPT_QUERIES", 2)
    loader = QueryLoader(query_schemas(app)["ListAllNodes"]())
    for page in range(1, 6):
        with app.test_request_context(f"/?page={page}"):
            assert loader.load()["page"] == page
        assert len(loader.kept) <= 2


ENVIRONS = [
    {},
    {"base_url": "https://mirror.example:8443/prefix/"},
    {"base_url": "http://[::1]:8080"},
    {"headers": {"Host": "other.example"}},
    {"headers": {"Host": "xn--bcher-kva.example"}},
    {"headers": {"Host": "b%C3%BCcher.example"}},
    {"base_url": "http://localhost/a%20b/"},
    {"environ_overrides": {"wsgi.url_scheme": "https", "SERVER_PORT": "443"}},
]


def test_kept_root_urls_are_werkzeugs(app):
    for round_ in range(2):
        for settings in ENVIRONS:
            with app.test_request_context("/nodes", **settings):
                assert request_root_url() == request.url_root.rstrip("/"), (settings, round_)


def test_past_the_limit_kept_root_urls_are_forgotten(app, monkeypatch):
    monkeypatch.setattr(responses, "KEPT_ROOT_URLS", 2)
    for number in range(5):
        with app.test_request_context("/", headers={"Host": f"host{number}.example"}):
            assert request_root_url() == f"http://host{number}.example"
        assert len(responses._root_urls) <= 2


def test_kept_sync_answers_are_flasks(app):
    hooks = [*app.before_request_funcs[None], *app.after_request_funcs[None]]
    for func in [*app.view_functions.values(), *hooks]:
        assert app.ensure_sync(func) is Flask.ensure_sync(app, func) is func
        assert app.ensure_sync(func) is func


def test_past_the_limit_kept_sync_answers_are_forgotten(app, monkeypatch):
    monkeypatch.setattr("app.KEPT_SYNCED", 2)
    for number in range(5):

        def func(number=number):
            return number

        assert app.ensure_sync(func)() == number
        assert len(app.__dict__["_mirror_synced"]) <= 2
