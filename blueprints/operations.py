"""One declaration per view: its OpenAPI operation, and the query parameters it is given.

`@operation(...)` is the only place a view names its schemas. The query schema both documents
the parameters and loads them (a bad one is a 400 naming it); the loaded values reach the view
as its first argument, as flask-smorest passes them. The HTTP method and the path parameters
come from the route (see blueprints/openapi.py).
"""

import functools

from flask import request
from marshmallow import ValidationError
from werkzeug.exceptions import BadRequest

from schemas.errors import ErrorResponseSchema, summarize_messages
from schemas.pages import load_query

SERVER_ERROR = "Internal server error"
BAD_QUERY = "A query parameter is invalid; the message names it"
# Loaded query strings each view keeps (at most MAX_QUERY_BYTES each).
KEPT_QUERIES = 256


def _json(schema, description: str) -> dict:
    """An OpenAPI response with a JSON body of `schema` (a schema class or a dict)."""
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _response(declared) -> dict:
    """A response in shorthand: a description is an ErrorResponse, (schema, description) JSON."""
    if isinstance(declared, str):
        return _json(ErrorResponseSchema, declared)
    if isinstance(declared, tuple):
        return _json(*declared)
    return declared


def _summary(view) -> dict:
    """The first line of the view's docstring as the operation's summary, if it has one."""
    lines = (view.__doc__ or "").strip().splitlines()
    return {"summary": lines[0]} if lines else {}


def operation(
    operation_id: str,
    *,
    responses: dict,
    query=None,
    parameters: list[dict] | None = None,
    body=None,
    tag: str = "Registry",
    description: str | None = None,
):
    """Declare a view's operation; with `query`, load the query string into its first argument.

    `responses` maps a status to a description (an ErrorResponse), a (schema, description) pair
    (a JSON body) or a full OpenAPI response. A 400 is added when there is a query schema and a
    500 always, unless given. `parameters` are further query parameters, documented only;
    `body` is the schema documenting the request body.
    """
    described = {"operationId": operation_id, "tags": [tag]}
    if description:
        described["description"] = description
    documented = [{"in": "query", "schema": query}] if query is not None else []
    if documented or parameters:
        described["parameters"] = documented + (parameters or [])
    if body is not None:
        described["requestBody"] = {
            "content": {"application/json": {"schema": body}},
            "required": True,
        }
    defaults = {400: BAD_QUERY} if query is not None else {}
    responses = {**defaults, **responses, 500: responses.get(500, SERVER_ERROR)}
    described["responses"] = {str(code): _response(value) for code, value in responses.items()}
    loader = QueryLoader(query()) if query is not None else None

    def declare(view):
        @functools.wraps(view)
        def load_and_call(*args, **kwargs):
            if loader is None:
                return view(*args, **kwargs)
            return view(loader.load(), *args, **kwargs)

        load_and_call.openapi_operation = {**_summary(view), **described}
        return load_and_call

    return declare


class QueryLoader:
    """A view's query strings loaded through its schema, each distinct one loaded once.

    Loading depends on nothing but the query string, and clients send the same few over and
    over (none, `page=1&limit=30`...): marshmallow's work is done the first time only. A bad
    query string is not kept; it is refused each time. Past KEPT_QUERIES the kept ones are
    forgotten (query strings come from clients).
    """

    def __init__(self, schema) -> None:
        """Load through `schema` (an instance)."""
        self.schema = schema
        self.kept: dict[bytes, dict] = {}

    def load(self) -> dict:
        """The request's query parameters, loaded (a copy: a view may change its own)."""
        sent = request.query_string
        loaded = self.kept.get(sent)
        if loaded is None:
            loaded = query_arguments(self.schema)
            if len(self.kept) >= KEPT_QUERIES:
                self.kept.clear()
            self.kept[sent] = loaded
        return dict(loaded)


def query_arguments(schema) -> dict:
    """The request's query parameters loaded through `schema`, or a 400 naming the bad one."""
    try:
        return load_query(schema, request.args)
    except ValidationError as exc:
        raise BadRequest(summarize_messages(exc.messages)) from None
