"""Limits the app enforces itself, below gunicorn's, so that a request past them gets a JSON
ErrorResponse naming the limit rather than gunicorn's HTML error page."""

from flask import Blueprint, current_app, request
from werkzeug.exceptions import RequestURITooLarge

from blueprints.parameters import error

bp = Blueprint("limits", __name__)

QUERY_TOO_LONG = error("The query string is longer than this mirror answers; the message says so")


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
