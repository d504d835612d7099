"""Benchmark `flask mirror sync`: a generated upstream mirror served by real gunicorn, synced into
an empty mirror in full, then again incrementally after some of its nodes changed.

Run from the repository root: `python -m bench.sync` (see --help). Mirror A is built from
generated dumps (bench/dumps.py) through the real import service and served by gunicorn with the
project's gunicorn.conf.py; mirror B syncs from it in-process with the real sync service (metadata
only: no archives). Each sync is timed (the walk of A's API and B's import apart), and its
requests are counted by the sync itself and again in A's access log. Every figure is checked:
B must hold every node and version of A, and the incremental sync must fetch exactly one page
and one version list per changed node.
"""

import argparse
import os
import shlex
import shutil
import sys
import tempfile
import time
from pathlib import Path

import orjson
import sqlalchemy as sa

from app import create_app
from bench.dumps import generate_node, generate_publisher, id_width, publisher_id
from bench.mirror import build_mirror
from bench.pairs import BenchmarkError
from extensions import db
from models import Node, NodeVersion
from schemas.dump import DUMP_FORMAT, DUMP_FORMAT_VERSION
from services.imports.run import import_dumps
from services.sync.client import ClientSettings
from services.sync.releases import RELEASE_NOTE_REQUESTS
from services.sync.request import SyncRequest
from services.sync.run import run_sync
from tests.serving import ServedMirror, serve_mirror


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.sync",
        description="Time a full and an incremental `flask mirror sync` (no archives) from a "
        "generated mirror served by real gunicorn into an empty mirror.",
    )
    parser.add_argument("--nodes", type=int, default=5000, help="nodes upstream (%(default)s)")
    parser.add_argument(
        "--versions-per-node", type=int, default=4, help="versions of each node (%(default)s)"
    )
    parser.add_argument(
        "--changed",
        type=int,
        default=50,
        help="nodes given a new version before the incremental sync (%(default)s)",
    )
    parser.add_argument(
        "--jobs", type=int, default=4, help="the sync's requests in flight (%(default)s)"
    )
    parser.add_argument(
        "--workers", type=int, default=4, help="gunicorn workers serving A (%(default)s)"
    )
    parser.add_argument(
        "--workdir", help="where databases and logs go (default: a temporary folder, removed)"
    )
    parser.add_argument("--json", metavar="OUT", help="write the figures to this JSON file")
    args = parser.parse_args(argv)
    if not 0 < args.changed <= args.nodes:
        parser.error("--changed must be between 1 and --nodes")
    return args


def change_nodes(db_path: str, workdir: str, nodes: int, versions: int, changed: int) -> list:
    """Give `changed` nodes spread over A one more version, through the real importer."""
    width, stride = id_width(nodes), nodes // changed
    indexes = [index * stride for index in range(changed)]
    document = {
        "format": DUMP_FORMAT,
        "format_version": DUMP_FORMAT_VERSION,
        "publishers": [generate_publisher(p) for p in sorted({publisher_id(i) for i in indexes})],
        "nodes": [generate_node(index, versions + 1, width) for index in indexes],
    }
    path = os.path.join(workdir, "changes.json")
    with open(path, "wb") as handle:
        handle.write(orjson.dumps(document))
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{db_path}"})
    with app.app_context():
        summary = import_dumps(db.session, [path])
        db.engine.dispose()
    if summary.nodes.updated != changed or summary.versions.added != changed:
        raise BenchmarkError(f"the change to A was not the one intended: {summary.as_dict()}")
    return indexes


def timed_sync(app, served: ServedMirror, workdir: str, jobs: int) -> dict:
    """One sync into B with the default since; its time, split by phase, and its requests."""
    marks: list[tuple[str, float]] = []

    def phase(label: str, total: int):
        marks.append((label, time.perf_counter()))
        return lambda steps: None

    served.log.mark()
    request = SyncRequest(
        upstream=served.url,
        settings=ClientSettings(jobs=jobs),
        work_dir=os.path.join(workdir, "work"),
    )
    with app.app_context():
        start, cpu_start = time.perf_counter(), time.process_time()
        outcome = run_sync(
            db.session,
            app.extensions["archive_store"],
            request,
            lambda line: None,
            phase,
            import_progress=phase,
        )
        seconds = time.perf_counter() - start
        cpu_seconds = time.process_time() - cpu_start
        held = db.session.execute(sa.select(sa.func.count()).select_from(NodeVersion)).scalar()
        nodes = db.session.execute(sa.select(sa.func.count()).select_from(Node)).scalar()
    started = dict(marks)
    walk_end = started.get("Validating", start + seconds)
    # gunicorn's workers log a request after answering it: wait for every one the sync sent.
    logged = served.log.wait_for(sum(outcome.counts.counts.values()))
    return {
        "mode": outcome.mode,
        "seconds": round(seconds, 2),
        "walk_seconds": round(walk_end - start, 2),
        "import_seconds": round(start + seconds - walk_end, 2),
        # CPU time of the syncing process (all its threads), the rest being A's and waiting.
        "sync_cpu_seconds": round(cpu_seconds, 2),
        "nodes_fetched": outcome.nodes,
        "versions_fetched": outcome.versions,
        "requests": dict(outcome.counts.counts),
        "logged_by_upstream": len(logged),
        "mirror_nodes": nodes,
        "mirror_versions": held,
    }


def check(figures: dict, args: argparse.Namespace) -> None:
    """Void the run unless B ended equal in size to A and each sync asked only what it had to."""
    full, incremental = figures["full"], figures["incremental"]
    versions = args.nodes * args.versions_per_node
    pages = -(-args.nodes // 100)
    classes_asked = args.changed * (args.versions_per_node + 1)
    expected = [
        (full["mirror_nodes"], args.nodes, "nodes in B after the full sync"),
        (full["mirror_versions"], versions, "versions in B after the full sync"),
        (full["requests"]["node pages"], pages, "pages of the full sync"),
        (full["requests"]["version lists"], args.nodes, "version lists of the full sync"),
        (incremental["requests"]["node pages"], 1, "pages of the incremental sync"),
        (incremental["requests"]["version lists"], args.changed, "its version lists"),
        (incremental["mirror_versions"], versions + args.changed, "versions in B at the end"),
        # Each changed node's versions (one of them new) have their node classes asked for.
        (incremental["requests"]["comfy-node lists"], classes_asked, "its node-class lists"),
        (
            incremental["logged_by_upstream"],
            1 + args.changed + classes_asked + RELEASE_NOTE_REQUESTS + 1,
            "requests A logged for it (a page, the changed version lists and their node "
            "classes, the release notes, the publisher list)",
        ),
    ]
    for got, want, what in expected:
        if got != want:
            raise BenchmarkError(f"{what}: {got}, expected {want}")


def main(argv: list[str] | None = None) -> dict:
    """Build A, serve it, sync B from it twice; print and return the figures."""
    args = parse_args(argv)
    workdir = args.workdir or tempfile.mkdtemp(prefix="bench-sync-")
    os.makedirs(workdir, exist_ok=True)
    figures = {"command": "python -m bench.sync " + shlex.join(argv or sys.argv[1:])}
    try:
        build = build_mirror(workdir, args.nodes, args.versions_per_node, 1000, reuse=False)
        figures["upstream"] = {"nodes": args.nodes, "versions": args.nodes * args.versions_per_node}
        figures["upstream"].update(build)
        b_folder = os.path.join(workdir, "b")
        for leftover in (b_folder, os.path.join(workdir, "work")):
            shutil.rmtree(leftover, ignore_errors=True)
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{os.path.join(b_folder, 'mirror.db')}",
                "ARCHIVE_DIR": os.path.join(b_folder, "archives"),
            }
        )
        a_folder = Path(workdir, "a")
        a_folder.mkdir(exist_ok=True)
        with serve_mirror(
            a_folder, seeded=False, database=build["db_url"], WEB_CONCURRENCY=str(args.workers)
        ) as served:
            figures["full"] = timed_sync(app, served, workdir, args.jobs)
            change_nodes(
                build["db_path"], workdir, args.nodes, args.versions_per_node, args.changed
            )
            figures["incremental"] = timed_sync(app, served, workdir, args.jobs)
        with app.app_context():
            db.engine.dispose()
        check(figures, args)
    finally:
        if not args.workdir:
            shutil.rmtree(workdir, ignore_errors=True)
    report(figures)
    if args.json:
        with open(args.json, "wb") as handle:
            handle.write(orjson.dumps(figures, option=orjson.OPT_INDENT_2))
    return figures


def report(figures: dict) -> None:
    """Print the figures as a person reads them."""
    upstream = figures["upstream"]
    print(figures["command"])
    print(
        f"upstream A: {upstream['nodes']:,} nodes, {upstream['versions']:,} versions, "
        f"{upstream['db_mb']} MB of SQLite, served by gunicorn"
    )
    for name in ("full", "incremental"):
        run = figures[name]
        counts = run["requests"]
        print(
            f"{name:>11}: {run['seconds']:7.2f} s (walk {run['walk_seconds']} s, import "
            f"{run['import_seconds']} s; {run['sync_cpu_seconds']} s of CPU in the syncing "
            f"process); {run['nodes_fetched']:,} nodes, "
            f"{run['versions_fetched']:,} versions fetched in "
            f"{counts['node pages']} pages + {counts['version lists']} version lists "
            f"+ {counts['publishers']} publishers, {counts['retries']} retries; "
            f"A logged {run['logged_by_upstream']} requests"
        )


if __name__ == "__main__":
    main()
