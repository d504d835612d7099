"""Limits the app enforces itself: on query strings, below gunicorn's own limit so that a request
past it gets a JSON ErrorResponse rather than gunicorn's HTML page, on control characters in
paths, and on stalled downloads."""

from flask import Blueprint, current_app, request
from marshmallow import ValidationError
from werkzeug.exceptions import BadRequest, RequestURITooLarge

from schemas.errors import ErrorResponseSchema
from schemas.rules import validate_no_control_characters

bp = Blueprint("limits", __name__)

QUERY_TOO_LONG = {
    "description": "The query string is longer than this mirror answers; the message says so",
    "content": {"application/json": {"schema": ErrorResponseSchema}},
}


@bp.before_app_request
def refuse_long_query_strings() -> None:
    """Answer 414 to a query string longer than MAX_QUERY_BYTES, on every path."""
    limit = current_app.config["MAX_QUERY_BYTES"]
    length = len(request.query_string)
    if length > limit:
        raise RequestURITooLarge(
            f"The query string is {length} bytes; this mirror answers at most {limit} "
            "(MIRROR_MAX_QUERY_BYTES)."
        )


@bp.before_app_request
def refuse_control_characters_in_paths() -> None:
    """Answer 400 to a path holding a control character (%00 and the like), on every path.

    No node id, version, publisher id or node class name the mirror stores holds one, and
    PostgreSQL cannot even be asked about a NUL.
    """
    try:
        validate_no_control_characters(request.path)
    except ValidationError:
        raise BadRequest(
            "The path holds a control character (such as %00), which no id, version or "
            "node class name holds."
        ) from None


def drop_stalled_download() -> None:
    """Let gunicorn drop this request's client if it accepts no bytes for DOWNLOAD_STALL_SECONDS.

    Only for archives: gunicorn sends them with sendfile or in small chunks, so the socket
    timeout bounds a stall, never how long a download takes. (A JSON body goes out in one write,
    which a socket timeout would bound as a whole.) A thread would otherwise wait forever on a
    client that stopped reading.
    """
    seconds = current_app.config["DOWNLOAD_STALL_SECONDS"]
    client = request.environ.get("gunicorn.socket")
    if client is not None and seconds > 0:
        client.settimeout(seconds)
