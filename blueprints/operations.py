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
    schema = query() if query is not None else None

    def declare(view):
        @functools.wraps(view)
        def load_and_call(*args, **kwargs):
            if schema is None:
                return view(*args, **kwargs)
            return view(query_arguments(schema), *args, **kwargs)

        load_and_call.openapi_operation = {**_summary(view), **described}
        return load_and_call

    return declare


def query_arguments(schema) -> dict:
    """The request's query parameters loaded through `schema`, or a 400 naming the bad one."""
    try:
        return load_query(schema, request.args)
    except ValidationError as exc:
        raise BadRequest(summarize_messages(exc.messages)) from None
