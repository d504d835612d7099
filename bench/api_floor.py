"""The read API's floor: a bare WSGI function answering bench.api's requests (sqlite3, orjson).

No framework, no ORM, no schema: about the least work each answer takes on the mirror's own
database (BENCH_FLOOR_DB names its file). Nodes are built from their columns by hand, so the
floor does the same work whatever the app stores. bench.api calls it in-process and serves it
with the same gunicorn (`gunicorn bench.api_floor:application`, the project's gunicorn.conf.py).
"""

import os
import sqlite3
import threading
from urllib.parse import parse_qs

import orjson

from bench.pairs import floor_answer, sqlite_fetch

_NODE_FIELDS = ("id", "name", "description", "author", "license", "repository", "status")
_NODE_JSON = ("tags",)
_NUMBERS = ("downloads", "github_stars", "rating")
_PUBLISHER_FIELDS = ("id", "name", "description", "website", "support", "source_code_repo")
_NODE_SELECT = (
    "SELECT "
    + ", ".join(f"n.{c}" for c in (*_NODE_FIELDS, *_NODE_JSON, *_NUMBERS, "created_at"))
    + ", "
    + ", ".join(f"p.{c}" for c in _PUBLISHER_FIELDS)
    + ", v.serialized FROM nodes n LEFT JOIN publishers p ON p.id = n.publisher_id "
    "LEFT JOIN node_versions v ON v.pair_key = n.normalized_id || '/' || n.latest_version "
)
_SEARCHED = ("id", "name", "description", "author")
_SEARCH = " OR ".join(f"lower({c}) LIKE ?" for c in _SEARCHED)
_local = threading.local()


def connection() -> sqlite3.Connection:
    """This thread's connection to the mirror's database."""
    if getattr(_local, "connection", None) is None:
        _local.connection = sqlite3.connect(os.environ["BENCH_FLOOR_DB"], check_same_thread=False)
    return _local.connection


def node_document(row: tuple) -> dict:
    """A node from one row of _NODE_SELECT, built by hand."""
    document: dict = {}
    names = (*_NODE_FIELDS, *_NODE_JSON, *_NUMBERS, "created_at")
    for name, value in zip(names, row, strict=False):
        if value is not None:
            document[name] = orjson.Fragment(value) if name in _NODE_JSON else value
    publisher = row[len(names) : len(names) + len(_PUBLISHER_FIELDS)]
    if publisher[0] is not None:
        document["publisher"] = {
            key: value for key, value in zip(_PUBLISHER_FIELDS, publisher, strict=True) if value
        }
    if row[-1] is not None:
        document["latest_version"] = orjson.Fragment(row[-1])
    return document


def node_page(where: str, values: list, page: int, limit: int) -> dict:
    """A page of nodes in the API's envelope."""
    db = connection()
    total = db.execute(f"SELECT count(*) FROM nodes {where}", values).fetchone()[0]
    ids = f"SELECT normalized_id FROM nodes {where} ORDER BY normalized_id LIMIT ? OFFSET ?"
    rows = db.execute(
        f"{_NODE_SELECT} WHERE n.normalized_id IN ({ids}) ORDER BY n.normalized_id",
        [*values, limit, (page - 1) * limit],
    ).fetchall()
    nodes = [node_document(row) for row in rows]
    pages = -(-total // limit)
    return {"total": total, "nodes": nodes, "page": page, "limit": limit, "totalPages": pages}


def answer(method: str, path: str, query: dict, body: bytes) -> bytes | None:
    """The body for one request, or None for a 404."""
    db = connection()
    page = int(query.get("page", ["1"])[0])
    if path == "/health":
        return b"OK"
    if path == "/bulk/nodes/versions" and method == "POST":
        return floor_answer(sqlite_fetch(db), body)
    if path == "/nodes":
        return orjson.dumps(node_page("", [], page, int(query.get("limit", ["10"])[0])))
    if path == "/nodes/search":
        term = "%" + query["search"][0].lower() + "%"
        where = f"WHERE {_SEARCH}"
        limit = int(query.get("limit", ["10"])[0])
        return orjson.dumps(node_page(where, [term] * len(_SEARCHED), page, limit))
    if path == "/versions":
        size = int(query.get("pageSize", ["10"])[0])
        total = db.execute("SELECT count(*) FROM node_versions").fetchone()[0]
        rows = db.execute(
            "SELECT serialized FROM node_versions ORDER BY node_normalized_id, version "
            "LIMIT ? OFFSET ?",
            (size, (page - 1) * size),
        ).fetchall()
        versions = [orjson.Fragment(serialized) for (serialized,) in rows]
        document = {"total": total, "versions": versions, "page": page, "pageSize": size}
        return orjson.dumps(document)
    parts = path.split("/")
    if len(parts) == 3 and parts[1] == "nodes":
        row = db.execute(f"{_NODE_SELECT} WHERE n.normalized_id = ?", (parts[2].lower(),))
        found = row.fetchone()
        return orjson.dumps(node_document(found)) if found else None
    if len(parts) == 4 and parts[1] == "nodes" and parts[3] == "install":
        found = db.execute(
            "SELECT n.status, v.status, v.serialized FROM nodes n JOIN node_versions v "
            "ON v.pair_key = n.normalized_id || '/' || n.latest_version WHERE n.normalized_id = ?",
            (parts[2].lower(),),
        ).fetchone()
        return found[2].encode() if found else None
    return None


def application(environ: dict, start_response):
    """The WSGI entry point."""
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length) if length else b""
    query = parse_qs(environ.get("QUERY_STRING", ""))
    found = answer(environ["REQUEST_METHOD"], environ["PATH_INFO"], query, body)
    if found is None:
        start_response("404 Not Found", [("Content-Type", "application/json")])
        return [b'{"error":"Not Found"}']
    headers = [("Content-Type", "application/json"), ("Content-Length", str(len(found)))]
    start_response("200 OK", headers)
    return [found]
