"""A benchmark mirror: generated dumps loaded through the real import service, timed; then
opened for the app and the floor to answer bulk requests on it."""

import argparse
import hashlib
import os
import resource
import shutil
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass

from app import create_app
from bench import postgres
from bench.dumps import write_dumps
from bench.pairs import BenchmarkError, floor_answer, sqlite_fetch
from extensions import db
from services.imports.run import import_dumps

BULK_PATH = "/bulk/nodes/versions"


def add_mirror_options(parser: argparse.ArgumentParser, workdir: str) -> None:
    """The options of a benchmark that builds its mirror with build_mirror."""
    parser.add_argument("--versions-per-node", type=int, default=20, help="(%(default)s)")
    parser.add_argument("--nodes-per-import", type=int, default=5000, help="(%(default)s)")
    parser.add_argument("--workdir", default=workdir, help="(%(default)s)")
    parser.add_argument("--reuse", action="store_true", help="reuse the workdir's mirrors")
    parser.add_argument("--smoke", action="store_true", help="a tiny run, to check it works")
    parser.add_argument("--json", help="also write the figures to this file")


def peak_rss_mb() -> float:
    """This process's peak resident memory so far, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _sqlite_mirror(db_path: str, reuse: bool) -> tuple[str, bool]:
    """A SQLite mirror's URL, and whether an earlier run's is reused (else it is removed)."""
    if reuse and os.path.exists(db_path):
        return f"sqlite:///{db_path}", True
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(db_path + suffix):
            os.remove(db_path + suffix)
    return f"sqlite:///{db_path}", False


def _postgresql_mirror(server_url: str, name: str, reuse: bool) -> tuple[str, bool]:
    """A PostgreSQL mirror's URL, and whether an earlier run's is reused (else it is emptied)."""
    if reuse and postgres.database_exists(server_url, name):
        return postgres.database_url(server_url, name), True
    postgres.recreate_database(server_url, name)
    return postgres.database_url(server_url, name), False


def build_mirror(
    workdir: str,
    nodes: int,
    versions_per_node: int,
    nodes_per_import: int,
    reuse: bool,
    server_url: str | None = None,
    generate: Callable[[str, int, int, int], list[str]] = write_dumps,
    label: str = "mirror",
) -> dict:
    """Generate a mirror's dumps and load them with the import service; return the figures.

    The mirror is a SQLite file in `workdir`, or a database on the PostgreSQL `server_url`;
    `generate` writes its dumps (as bench/dumps.py's write_dumps), `label` names its files.
    """
    # Named after the work folder too, so runs with different folders never share a database.
    folder = hashlib.sha256(os.path.abspath(workdir).encode()).hexdigest()[:8]
    name = f"{label}_{nodes}x{versions_per_node}_{folder}"
    db_path = os.path.join(workdir, f"{label}-{nodes}x{versions_per_node}.db")
    url, reused = (
        _postgresql_mirror(server_url, name, reuse)
        if server_url
        else _sqlite_mirror(db_path, reuse)
    )
    figures = {"db_path": db_path if not server_url else name, "db_url": url, "reused": reused}
    if not reused:
        shape = (nodes, versions_per_node, nodes_per_import)
        figures.update(_load(workdir, url, shape, generate))
    figures["db_mb"] = (
        postgres.database_mb(url) if server_url else round(os.path.getsize(db_path) / 1e6, 1)
    )
    return figures


def _load(workdir: str, url: str, shape: tuple[int, int, int], generate: Callable) -> dict:
    """Generate the dumps (nodes, versions per node, nodes per import) and import them into the
    database at `url`, timed."""
    figures = {}
    nodes, versions_per_node, per_import = shape
    dump_dir = os.path.join(workdir, f"dumps-{nodes}x{versions_per_node}")
    start = time.perf_counter()
    paths = generate(dump_dir, nodes, versions_per_node, per_import)
    figures["generate_s"] = round(time.perf_counter() - start, 2)
    figures["dump_mb"] = round(sum(os.path.getsize(path) for path in paths) / 1e6, 1)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    calls = []
    with app.app_context():
        for path in paths:
            start = time.perf_counter()
            summary = import_dumps(db.session, [path])
            calls.append(time.perf_counter() - start)
            if summary.versions.removed or summary.versions.updated:
                raise BenchmarkError(f"{path}: the import changed existing versions")
        db.engine.dispose()
    shutil.rmtree(dump_dir)
    figures["import_s"] = round(sum(calls), 2)
    figures["import_calls_s"] = [round(seconds, 2) for seconds in calls]
    figures["peak_rss_mb"] = round(peak_rss_mb())
    return figures


@dataclass
class MirrorUnderTest:
    """One built mirror, with the app and the floor each ready to answer a request body."""

    nodes: int
    post: Callable[[bytes], tuple[int, bytes]]
    floor: Callable[[bytes], bytes]
    close: Callable[[], None]


def open_mirror(build: dict, nodes: int, max_pairs: int) -> MirrorUnderTest:
    """The app (through Flask's test client) and the floor (the plain driver) on one database."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": build["db_url"], "BULK_MAX_ITEMS": max_pairs})
    client = app.test_client()
    if build["db_url"].startswith("sqlite"):
        connection = sqlite3.connect(build["db_path"])
        fetch, close_floor = sqlite_fetch(connection), connection.close
    else:
        fetch, close_floor = postgres.floor_fetch(build["db_url"])

    def post(body: bytes) -> tuple[int, bytes]:
        response = client.post(BULK_PATH, data=body, content_type="application/json")
        return response.status_code, response.get_data()

    def close() -> None:
        close_floor()
        with app.app_context():
            db.engine.dispose()

    return MirrorUnderTest(nodes, post, lambda body: floor_answer(fetch, body), close)
