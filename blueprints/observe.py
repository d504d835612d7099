"""What each request leaves behind: its request id (echoed in X-Request-Id), the fields of its
access-log line, and, unless MIRROR_METRICS=0, its figures in /metrics.

The access log is gunicorn's own (gunicorn.conf.py): one line per request, written once the
answer is sent. The app hands it the request id, the route template and a bulk request's pair
count through the WSGI environ (`%({mirror.route}e)s`...), so nothing extra reaches clients.
"""

import random
import re
import time
import uuid
from operator import itemgetter

from flask import Flask, Response, current_app, request

from services.metrics.requests import (
    UNMATCHED,
    record_archive_bytes,
    record_bulk,
    record_request,
)

REQUEST_ID_HEADER = "X-Request-Id"
# The environ keys gunicorn's access log format reads (lower case: gunicorn's atoms are).
REQUEST_ID = "mirror.request_id"
ROUTE = "mirror.route"
PAIRS = "mirror.pairs"
STARTED = "mirror.started"
# An id from the proxy is kept when it is short and plain (nginx's $request_id is 32 hex
# digits; UUIDs and most tracing ids fit), so it cannot forge or break a log line.
ACCEPTED_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,128}")


def register_request_observers(app: Flask) -> None:
    """Tag every request and its answer; count them too unless METRICS is off."""
    # Registered before the blueprints' own hooks, so the clock starts before any of them runs.
    if app.config["METRICS"]:
        app.before_request(start_clock)
        app.after_request(count_request)
    app.after_request(tag_request)


def start_clock() -> None:
    """Note when the app began answering this request."""
    request.environ[STARTED] = time.perf_counter()


def new_request_id() -> str:
    """A new request id: a random version-4 UUID in hex, as uuid4().hex writes it.

    Its bits come from `random` rather than uuid4's os.urandom: a request id names a request,
    it guards nothing, and os.urandom releases the GIL (a syscall), which under gunicorn's
    threads costs a wait to take it back. `random` is reseeded in every forked worker.
    """
    return uuid.UUID(int=random.getrandbits(128), version=4).hex


def request_id() -> str:
    """The request's id: the proxy's X-Request-Id when acceptable, else a new uuid4 (hex)."""
    environ = request.environ
    found = environ.get(REQUEST_ID)
    if found is None:
        sent = environ.get("HTTP_X_REQUEST_ID", "")
        found = sent if ACCEPTED_REQUEST_ID.fullmatch(sent) else new_request_id()
        environ[REQUEST_ID] = found
    return found


def route_template() -> str:
    """The URL rule the request matched (`/nodes/<nodeId>`), never the raw path."""
    rule = request.url_rule
    return rule.rule if rule is not None else UNMATCHED


def tag_request(response: Response) -> Response:
    """Echo the request id; leave the route for the access log."""
    response.headers[REQUEST_ID_HEADER] = request_id()
    request.environ[ROUTE] = route_template()
    return response


def count_request(response: Response) -> Response:
    """Count the answered request and the time it took to build."""
    started = request.environ.get(STARTED)
    seconds = time.perf_counter() - started if started is not None else 0.0
    record_request(route_template(), request.method, response.status_code, seconds)
    return response


def note_bulk_pairs(results: list[dict]) -> None:
    """A bulk request's pairs: their number for the access log, their statuses for /metrics."""
    request.environ[PAIRS] = len(results)
    if current_app.config["METRICS"]:
        record_bulk(map(itemgetter("status"), results))


def note_archive_bytes(response: Response) -> None:
    """Count the bytes an archive answer carries (or hands to the proxy to send)."""
    if not current_app.config["METRICS"] or request.method == "HEAD":
        return
    if response.status_code in (200, 206) and response.content_length:
        record_archive_bytes(response.content_length)
