"""Benchmark node searches on PostgreSQL: with the trigram indexes, then without them.

Run from the repository root: `python -m bench.search --database-url postgresql://...` (see
--help). A mirror of generated nodes (bench/dumps.py, one version each) is loaded through the
real import service into a database of its own on that server; `GET /nodes/search` is then
timed in-process for a term that matches a few nodes, first without the indexes (`DROP INDEX`),
then with them, made as a new mirror makes them. PostgreSQL's plans for the searches are
printed too.
"""

import argparse
import statistics
import tempfile
import time

import sqlalchemy as sa

from app import create_app
from bench import postgres
from bench.mirror import build_mirror
from extensions import db
from models import Node
from models.search import TRIGRAM_INDEX
from tests.databases import query_plans, statements_run


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.search",
        description="Time GET /nodes/search on PostgreSQL with and without trigram indexes.",
    )
    parser.add_argument("--database-url", required=True, help="a PostgreSQL server's URL")
    parser.add_argument("--nodes", type=int, default=50000, help="nodes (%(default)s)")
    parser.add_argument("--term", default="pack 4242", help="the search term (%(default)r)")
    parser.add_argument("--repeat", type=int, default=20, help="timed searches (%(default)s)")
    parser.add_argument(
        "--reuse", action="store_true", help="reuse an earlier run's database, and keep it"
    )
    parser.add_argument("--workdir", default=None, help="where dumps are generated")
    return parser.parse_args(argv)


def timed_searches(client, url: str, repeat: int) -> dict:
    """Median and worst milliseconds of `repeat` requests (after two unmeasured), and the hits."""
    for _ in range(2):
        client.get(url)
    seconds = []
    for _ in range(repeat):
        start = time.perf_counter()
        response = client.get(url)
        seconds.append(time.perf_counter() - start)
        assert response.status_code == 200, response.get_data(as_text=True)
    return {
        "median_ms": round(statistics.median(seconds) * 1000, 2),
        "max_ms": round(max(seconds) * 1000, 2),
        "total": response.get_json()["total"],
    }


def measure(app, url: str, repeat: int) -> dict:
    """The search's timings and the plans of the statements it runs."""
    client = app.test_client()
    figures = timed_searches(client, url, repeat)
    with app.app_context():
        with statements_run(db.engine, " LIKE ") as statements:
            client.get(url)
        figures["plans"] = query_plans(db.engine, statements)
    return figures


def search_indexes(app, present: bool) -> None:
    """Create the trigram indexes as new mirrors get them, or drop them (as a database without
    pg_trgm has none); then re-analyse the nodes."""
    with app.app_context(), db.engine.begin() as connection:
        for index in Node.__table__.indexes:
            if index.info.get(TRIGRAM_INDEX):
                index.drop(connection, checkfirst=True)
                if present:
                    index.create(connection)
        connection.exec_driver_sql("ANALYZE nodes")


def main(argv: list[str] | None = None) -> dict:
    """Build the mirror, time the search with and without the indexes, print what was found."""
    args = parse_args(argv)
    workdir = args.workdir or tempfile.mkdtemp(prefix="bench-search-")
    build = build_mirror(workdir, args.nodes, 1, 10000, args.reuse, args.database_url)
    app = create_app({"SQLALCHEMY_DATABASE_URI": build["db_url"]})
    with app.app_context():
        nodes = db.session.execute(sa.select(sa.func.count()).select_from(Node)).scalar_one()
    url = f"/nodes/search?search={args.term.replace(' ', '+')}"
    results = {"nodes": nodes, "build": {k: v for k, v in build.items() if k.endswith("_s")}}
    search_indexes(app, present=False)
    results["scanned"] = measure(app, url, args.repeat)
    search_indexes(app, present=True)
    results["indexed"] = measure(app, url, args.repeat)
    with app.app_context():
        db.engine.dispose()
    if not args.reuse:
        postgres.drop_database(args.database_url, sa.make_url(build["db_url"]).database)
    report(args, results)
    return results


def report(args: argparse.Namespace, results: dict) -> None:
    """Print the figures and the plans."""
    print(f"{results['nodes']} nodes; GET /nodes/search?search={args.term!r}: {results['build']}")
    for label in ("scanned", "indexed"):
        figures = results[label]
        print(
            f"{label}: median {figures['median_ms']} ms, max {figures['max_ms']} ms over "
            f"{args.repeat} requests, {figures['total']} nodes found"
        )
        for plan in figures["plans"]:
            print("  " + plan.replace("\n", "\n  "))


if __name__ == "__main__":
    main()
