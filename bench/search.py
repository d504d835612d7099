"""Benchmark node searches with their index and without it, on SQLite or PostgreSQL.

Run from the repository root: `python -m bench.search` (SQLite: the FTS5 trigram index) or
`python -m bench.search --database-url postgresql://...` (the trigram indexes); see --help.
For each size, a mirror of generated nodes (bench/dumps.py, one version each) is loaded through
the real import service; then, first without the index (dropped), then with it (made as a new
mirror makes it), `GET /nodes/search` is timed in-process for each term (a rare one, a common
one, one too short for trigrams), and the web pages' search for the same terms. The plans of
the indexed searches are printed too.
"""

import argparse
import json
import statistics
import tempfile
import time

import sqlalchemy as sa

from app import create_app
from bench import postgres
from bench.mirror import build_mirror
from extensions import db
from models import Node
from models.fts import create_search_index, drop_search_index
from models.search import TRIGRAM_INDEX
from tests.databases import query_plans, statements_run

# What each term finds among generated nodes ("ComfyUI Pack N", "... samplers, masks ...").
TERMS = {"rare": "pack 4242", "common": "samplers", "short": "42"}
WEB_PAGE = "/web/search?q={}"
# What every request costs beside its SQL: one node, read by its key (bench/dumps.py's ids).
FLOOR = "/nodes/comfyui-pack-00001"
HTML = {"Accept": "text/html"}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.search",
        description="Time node searches with and without their index, on SQLite or PostgreSQL.",
    )
    parser.add_argument("--database-url", help="a PostgreSQL server's URL (default: SQLite)")
    parser.add_argument("--nodes", default="5000,50000", help="mirror sizes (%(default)s)")
    parser.add_argument("--repeat", type=int, default=30, help="timed requests (%(default)s)")
    parser.add_argument("--smoke", action="store_true", help="a tiny run: 40 nodes, 3 requests")
    parser.add_argument(
        "--reuse", action="store_true", help="reuse an earlier run's databases, and keep them"
    )
    parser.add_argument("--workdir", default=None, help="where dumps and SQLite files go")
    parser.add_argument("--json", default=None, help="also write the figures to this file")
    args = parser.parse_args(argv)
    args.sizes = [40] if args.smoke else [int(size) for size in args.nodes.split(",")]
    args.repeat = 3 if args.smoke else args.repeat
    return args


def timed(client, requests: dict[str, tuple[str, dict | None]], repeat: int) -> dict:
    """Each request's median and 95th-percentile milliseconds over `repeat` rounds (after two
    unmeasured), the requests interleaved so that each sees the same machine."""
    seconds = {label: [] for label in requests}
    for round_number in range(repeat + 2):
        for label, (url, headers) in requests.items():
            start = time.perf_counter()
            response = client.get(url, headers=headers)
            elapsed = time.perf_counter() - start
            assert response.status_code == 200, response.get_data(as_text=True)[:500]
            if round_number >= 2:
                seconds[label].append(elapsed)
    return {label: percentiles(times) for label, times in seconds.items()}


def percentiles(seconds: list[float]) -> dict:
    """The median and 95th percentile of `seconds`, in milliseconds."""
    seconds = sorted(seconds)
    return {
        "median_ms": round(statistics.median(seconds) * 1000, 2),
        "p95_ms": round(seconds[min(len(seconds) - 1, int(len(seconds) * 0.95))] * 1000, 2),
    }


def measure(app, repeat: int) -> dict:
    """Each term's API search and web search, timed, with the API's total and the time of the
    API's SQL alone; and the floor: a request for one node, the app's fixed cost."""
    client = app.test_client()
    requests = {"floor": (FLOOR, None)}
    for label, term in TERMS.items():
        query = term.replace(" ", "+")
        requests[f"{label} api"] = (f"/nodes/search?search={query}", None)
        requests[f"{label} web"] = (WEB_PAGE.format(query), HTML)
    times = timed(client, requests, repeat)
    figures = {"floor": times["floor"]}
    for label in TERMS:
        api = requests[f"{label} api"][0]
        figures[label] = {
            "api": times[f"{label} api"],
            "web": times[f"{label} web"],
            "sql": sql_timed(app, api, repeat),
            "total": client.get(api).get_json()["total"],
        }
    return figures


def sql_timed(app, url: str, repeat: int) -> dict:
    """Median and p95 milliseconds of running, through the driver, every statement `url` ran."""
    with app.app_context():
        with statements_run(db.engine, "SELECT") as statements:
            app.test_client().get(url)
        with db.engine.connect() as connection:
            cursor = connection.connection.driver_connection.cursor()
            seconds = []
            for _ in range(repeat):
                start = time.perf_counter()
                for statement, parameters in statements:
                    cursor.execute(statement, parameters)
                    cursor.fetchall()
                seconds.append(time.perf_counter() - start)
            connection.rollback()
    return percentiles(seconds)


def plans(app) -> list[str]:
    """The plans of the statements the rare term's search runs, as the backend explains them."""
    client = app.test_client()
    with app.app_context():
        with statements_run(db.engine, " LIKE ") as statements:
            client.get(f"/nodes/search?search={TERMS['rare'].replace(' ', '+')}")
        if db.engine.dialect.name == "postgresql":
            return query_plans(db.engine, statements)
        with db.engine.connect() as connection:
            return [
                "\n".join(
                    row[-1] for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {s}", p)
                )
                for s, p in statements
            ]


def search_index(app, present: bool) -> None:
    """Make the backend's search index as new mirrors get it, or drop it; PostgreSQL's
    statistics made again (a SQLite mirror keeps none: the mirror never runs ANALYZE there)."""
    with app.app_context(), db.engine.begin() as connection:
        if connection.dialect.name == "sqlite":
            drop_search_index(connection)
            if present:
                create_search_index(connection)
        for index in Node.__table__.indexes:
            if index.info.get(TRIGRAM_INDEX):
                index.drop(connection, checkfirst=True)
                if present:
                    index.create(connection)
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql("ANALYZE nodes")


def one_size(args: argparse.Namespace, workdir: str, nodes: int) -> dict:
    """Build a mirror of `nodes` nodes, time its searches without the index then with it."""
    build = build_mirror(workdir, nodes, 1, 10000, args.reuse, args.database_url)
    app = create_app({"SQLALCHEMY_DATABASE_URI": build["db_url"]})
    results = {"build": {k: v for k, v in build.items() if k.endswith("_s") or k == "db_mb"}}
    try:
        search_index(app, present=False)
        results["scanned"] = measure(app, args.repeat)
        search_index(app, present=True)
        results["indexed"] = measure(app, args.repeat)
        results["plans"] = plans(app)
    finally:
        with app.app_context():
            db.engine.dispose()
    if args.database_url and not args.reuse:
        postgres.drop_database(args.database_url, sa.make_url(build["db_url"]).database)
    return results


def main(argv: list[str] | None = None) -> dict:
    """Time the searches at every size, print the figures, and return them."""
    args = parse_args(argv)
    workdir = args.workdir or tempfile.mkdtemp(prefix="bench-search-")
    backend = "postgresql" if args.database_url else "sqlite"
    results = {"backend": backend, "sizes": {}}
    for nodes in args.sizes:
        results["sizes"][nodes] = one_size(args, workdir, nodes)
    sizes = args.sizes
    if len(sizes) > 1:
        smallest, largest = results["sizes"][sizes[0]], results["sizes"][sizes[-1]]
        results["growth"] = {
            f"{label} {part}": round(
                largest["indexed"][label][part]["median_ms"]
                / smallest["indexed"][label][part]["median_ms"],
                2,
            )
            for label in TERMS
            for part in ("api", "sql")
        }
    report(args, results)
    if args.json:
        with open(args.json, "w") as out:
            json.dump(results, out, indent=1)
    return results


def report(args: argparse.Namespace, results: dict) -> None:
    """Print the figures (ms: median / p95) and the indexed plans."""
    print(f"{results['backend']}, {args.repeat} requests each; ms median / p95")
    for nodes, figures in results["sizes"].items():
        print(f"{nodes} nodes: {figures['build']}")
        for state in ("scanned", "indexed"):
            floor = figures[state]["floor"]
            print(f"  {state:8} floor (one node): {floor['median_ms']} / {floor['p95_ms']}")
            for label, term in TERMS.items():
                found = figures[state][label]
                api, web, sql = found["api"], found["web"], found["sql"]
                print(
                    f"  {state:8} {label:6} {term!r:12} {found['total']:6} found: "
                    f"API {api['median_ms']} / {api['p95_ms']} (SQL {sql['median_ms']} / "
                    f"{sql['p95_ms']}), web {web['median_ms']} / {web['p95_ms']}"
                )
        for plan in figures["plans"]:
            print("    " + plan.replace("\n", "\n    "))
    if "growth" in results:
        print(f"indexed medians, largest size / smallest: {results['growth']}")


if __name__ == "__main__":
    main()
