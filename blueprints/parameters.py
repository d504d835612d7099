"""What the read endpoints share: query and path parameters, documented responses."""

from flask import request
from marshmallow import ValidationError
from werkzeug.exceptions import BadRequest

from schemas.errors import summarize_messages
from schemas.pages import load_query


def path_parameter(name: str, description: str) -> dict:
    """An OpenAPI path parameter (a string), named as upstream names it."""
    return {
        "in": "path",
        "name": name,
        "required": True,
        "description": description,
        "schema": {"type": "string"},
    }


def json_content(schema, description: str) -> dict:
    """An OpenAPI response with a JSON body of `schema` (a schema class, name or dict)."""
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def error(description: str) -> dict:
    """An OpenAPI response whose body is an ErrorResponse."""
    return json_content("ErrorResponse", description)


BAD_REQUEST = error("A query parameter is invalid; the message names it")
SERVER_ERROR = error("Internal server error")


def query_args(schema) -> dict:
    """The request's query parameters loaded through `schema`, or a 400 naming the bad one."""
    try:
        return load_query(schema, request.args)
    except ValidationError as exc:
        raise BadRequest(summarize_messages(exc.messages)) from None
