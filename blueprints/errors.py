"""One JSON error shape for every error the app returns, 404, 405, 413 and 500 included.

A browser asking for one of the web pages (blueprints/web) gets the error as an HTML page
instead; the API's paths answer JSON whatever the Accept header says.
"""

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException, InternalServerError

from blueprints.web import is_web_path, render_error_page, wants_html
from extensions import db
from schemas.errors import ErrorResponseSchema

_error_schema = ErrorResponseSchema()


def error_response(status: int, error: str, message: str) -> Response:
    """An ErrorResponse body with the given HTTP status, or a page for a browser on a web page."""
    if is_web_path(request.path) and wants_html():
        return render_error_page(status, error, message)
    response = Response(
        _error_schema.dumps({"error": error, "message": message}), mimetype="application/json"
    )
    response.status_code = status
    return response


def handle_http_exception(exc: HTTPException) -> Response:
    """Answer Werkzeug's HTTP errors (404, 405, 413, ...) in the ErrorResponse shape."""
    response = error_response(exc.code or 500, exc.name, exc.description or exc.name)
    # Keep the exception's own headers (405's Allow, for one) but not its HTML content type.
    for name, value in exc.get_headers():
        if name != "Content-Type":
            response.headers[name] = value
    return response


def handle_internal_error(exc: InternalServerError) -> Response:
    """Roll back whatever the failed request left in the session and leak no internals."""
    db.session.rollback()
    return error_response(
        500, "Internal Server Error", "The mirror failed to answer this request; see its log."
    )


def register_error_handlers(app: Flask) -> None:
    """Route every HTTP error through error_response."""
    app.register_error_handler(InternalServerError, handle_internal_error)
    app.register_error_handler(HTTPException, handle_http_exception)
