"""One timed import in a process of its own, so its peak memory is the import's alone.

`python -m bench.import_child app|floor DATABASE_URL DUMP...` prints one JSON line: seconds,
peak resident memory (MB) and, for the app, the import's counts. `app` runs the real import
service; `floor` is the least any import must do: json.load each dump and executemany its rows
into the app's own schema with plain sqlite3, no validation, no comparison.
"""

import gzip
import json
import resource
import sqlite3
import sys
import time

import orjson

NODE_COLUMNS = (
    *("id", "name", "description", "author", "license", "repository", "icon", "banner_url"),
    *("category", "downloads", "github_stars", "rating", "status", "created_at"),
)
VERSION_COLUMNS = (
    *("id", "node_id", "version", "changelog", "deprecated", "download_url", "status"),
    *("status_reason", "comfy_node_extract_status", "supported_comfyui_version"),
    "supported_comfyui_frontend_version",
)
VERSION_JSON_COLUMNS = ("dependencies", "supported_os", "supported_accelerators", "tags")


def _load(path: str) -> dict:
    """A dump parsed with the standard library's json."""
    with gzip.open(path, "rb") if path.endswith(".gz") else open(path, "rb") as handle:
        return json.load(handle)


def floor(url: str, paths: list[str]) -> dict:
    """Parse the dumps and insert their rows with executemany; commit once."""
    connection = sqlite3.connect(url.removeprefix("sqlite:///"))
    now = "2026-12-01 00:00:00.000000"
    versions = 0
    for path in paths:
        document = _load(path)
        connection.executemany(
            "INSERT INTO publishers (id, name, status) VALUES (?, ?, ?)",
            [(p["id"], p.get("name"), p.get("status")) for p in document["publishers"]],
        )
        nodes, rows = [], []
        for node in document["nodes"]:
            key = node["id"].lower()
            nodes.append((key, node["publisher"]["id"], now, *(node.get(c) for c in NODE_COLUMNS)))
            for version in node["versions"]:
                rows.append(
                    (
                        key,
                        f"{key}/{version['version']}",
                        version.get("createdAt"),
                        orjson.dumps(version).decode(),
                        *(version.get(c) for c in VERSION_COLUMNS),
                        *(json.dumps(version.get(c)) for c in VERSION_JSON_COLUMNS),
                    )
                )
        connection.executemany(
            "INSERT INTO nodes (normalized_id, publisher_id, changed_at, "
            f"{', '.join(NODE_COLUMNS)}) VALUES ({', '.join('?' * (len(NODE_COLUMNS) + 3))})",
            nodes,
        )
        columns = ["node_normalized_id", "pair_key", "created_at", "serialized"]
        columns += [*VERSION_COLUMNS, *VERSION_JSON_COLUMNS]
        connection.executemany(
            f"INSERT INTO node_versions ({', '.join(columns)}) "
            f"VALUES ({', '.join('?' * len(columns))})",
            rows,
        )
        versions += len(rows)
        del document, nodes, rows
    connection.commit()
    connection.close()
    return {"versions": versions}


def app(url: str, paths: list[str]) -> dict:
    """Import the dumps with the real import service, as `flask mirror import` does."""
    from app import create_app
    from extensions import db
    from services.imports.run import import_dumps

    flask_app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with flask_app.app_context():
        # Timed from here: the app's start-up is no part of an import.
        start = time.perf_counter()
        summary = import_dumps(db.session, paths)
        seconds = time.perf_counter() - start
        db.engine.dispose()
    counts = summary.as_dict()
    return {"seconds": seconds, **{key: counts[key] for key in ("nodes", "versions")}}


def main(argv: list[str]) -> None:
    """Run one side, timed, and print its figures as one JSON line."""
    side, url, *paths = argv
    start = time.perf_counter()
    figures = (app if side == "app" else floor)(url, paths)
    figures["seconds"] = round(figures.get("seconds", time.perf_counter() - start), 3)
    figures["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print(json.dumps(figures), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
