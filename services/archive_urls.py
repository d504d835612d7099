"""Download URLs of mirrored archives: stored with a mark, resolved against the mirror's URL.

The import writer stores the mark; the request-bound part (which URL the mirror has right now)
is in blueprints/responses.py.
"""

from urllib.parse import quote

import orjson

# Stored in place of the mirror's base URL in a version's serialized downloadUrl. Import refuses
# control characters in download URLs, and inside JSON the mark only ever follows the key
# unescaped, so the byte pattern below can only be a mirrored archive's URL.
ARCHIVE_URL_MARK = "\x01mirror\x01"
_MARKED = b'"downloadUrl":"\\u0001mirror\\u0001'
_UNMARKED = b'"downloadUrl":"'


def archive_path(node_id: str, version: str) -> str:
    """Where the mirror serves a version's archive, relative to its base URL."""
    return f"/archives/{quote(node_id, safe='')}/{quote(version, safe='')}/node.zip"


def marked_archive_url(node_id: str, version: str) -> str:
    """The downloadUrl stored for a version whose archive the mirror holds."""
    return ARCHIVE_URL_MARK + archive_path(node_id, version)


def marks_archive_urls(body: bytes) -> bool:
    """Whether a JSON body holds a marked downloadUrl (and so needs the mirror's URL)."""
    return _MARKED in body


def resolve_archive_urls(body: bytes, base_url: str) -> bytes:
    """Replace every marked downloadUrl in a JSON body with one under `base_url`."""
    if _MARKED not in body:
        return body
    escaped = orjson.dumps(base_url)[1:-1]
    return body.replace(_MARKED, _UNMARKED + escaped)
