"""Sending a file with its Range header read as RFC 9110 (section 14) reads it.

Werkzeug alone answers 416 to a suffix longer than the file (which asks for the whole file), to
a range unit it does not know (which must be ignored) and to several ranges, and lets a Range
win over a matching If-None-Match (which must answer 304). Here:
- a unit other than bytes, or several ranges, is ignored: 200 with the whole file (RFC 9110
  allows that in place of multipart/byteranges, which no registry client asks for);
- one byte range is served as 206, clipped to the file, or refused with 416 naming the problem
  (and Content-Range: bytes */size) when it is invalid or starts past the end;
- If-None-Match and If-Modified-Since are weighed first, and If-Range before the range.
"""

import os
import re

from flask import Response, current_app
from werkzeug.exceptions import RequestedRangeNotSatisfiable
from werkzeug.http import is_resource_modified
from werkzeug.utils import send_file

_INT_RANGE = re.compile(r"([0-9]+)-([0-9]*)")
_SUFFIX_RANGE = re.compile(r"-([0-9]+)")
_EXAMPLES = "e.g. bytes=0-1023, bytes=1024- or bytes=-500"


class InvalidRange(ValueError):
    """A single byte range that cannot be served; the message says why."""


def byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The first and last byte a Range header asks of `size` bytes; None to send them all."""
    if not header or size == 0:
        return None
    unit, equals, ranges = header.partition("=")
    if unit.strip(" \t").lower() != "bytes":
        return None
    # A list may carry empty elements (RFC 9110 section 5.6.1): "bytes=0-9," is one range.
    specs = [spec.strip(" \t") for spec in ranges.split(",") if spec.strip(" \t")]
    if len(specs) > 1:
        return None
    if not equals or not specs:
        raise InvalidRange(f"Range {header!r} is not a valid byte range ({_EXAMPLES}).")
    if suffix := _SUFFIX_RANGE.fullmatch(specs[0]):
        length = int(suffix[1])
        if length == 0:
            raise InvalidRange(f"Range {header!r} asks for an empty suffix of the file.")
        return max(size - length, 0), size - 1
    span = _INT_RANGE.fullmatch(specs[0])
    if span is None or (span[2] and int(span[2]) < int(span[1])):
        raise InvalidRange(f"Range {header!r} is not a valid byte range ({_EXAMPLES}).")
    first = int(span[1])
    if first >= size:
        raise InvalidRange(f"Range {header!r} starts past the end of the {size}-byte file.")
    last = int(span[2]) if span[2] else size - 1
    return first, min(last, size - 1)


def send_ranged_file(path: str, environ: dict, etag: str, **options) -> Response:
    """Send the file at `path` (whose content `etag` names) as this request asks; see above."""
    size = os.path.getsize(path)
    whole = {key: value for key, value in environ.items() if key != "HTTP_RANGE"}
    response = send_file(
        path,
        whole,
        etag=etag,
        conditional=True,
        response_class=current_app.response_class,
        **options,
    )
    if response.status_code != 200 or not _range_applies(environ, response):
        return response
    try:
        chosen = byte_range(environ["HTTP_RANGE"], size)
    except InvalidRange as exc:
        response.close()
        raise RequestedRangeNotSatisfiable(length=size, description=str(exc)) from None
    if chosen is None:
        return response
    ranged = {**whole, "HTTP_RANGE": f"bytes={chosen[0]}-{chosen[1]}"}
    return response.make_conditional(ranged, accept_ranges=True, complete_length=size)


def _range_applies(environ: dict, response: Response) -> bool:
    """Whether the request has a Range and no If-Range saying the client holds other content."""
    if "HTTP_RANGE" not in environ:
        return False
    return "HTTP_IF_RANGE" not in environ or not is_resource_modified(
        environ,
        response.get_etag()[0],
        last_modified=response.last_modified,
        ignore_if_range=False,
    )
