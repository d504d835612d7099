"""Benchmark the web pages against their goal (under 20 ms each on 5,000 packs) and a floor.

Run from the repository root: `python -m bench.web` (SQLite) or
`python -m bench.web --database-url postgresql://...` (a database of its own on that server,
dropped afterwards unless --reuse); see --help. A mirror of generated packs (bench/dumps.py's
web mirror: three versions each, fifty publishers, one pack in ten about video) is loaded
through the real import service; then every page is requested as a browser asks for it
(`Accept: text/html`) through Flask's test client, interleaved with the floor: one pack's JSON,
read by its key, the app's fixed cost per request. A benchmark reports; it never fails on a
slow page (exit status 0 unless something went wrong).
"""

import argparse
import json
import os
import tempfile

import sqlalchemy as sa

from app import create_app
from bench import postgres
from bench.dumps import WEB_TERM, write_web_dumps
from bench.mirror import build_mirror
from bench.search import timed
from extensions import db

GOAL_MS = 20
VERSIONS_PER_PACK = 3
HTML = {"Accept": "text/html"}
FLOOR = "/nodes/pack-00000"
# Searches for a term a tenth of the packs hold, by relevance and by downloads further on.
TERM_SEARCHES = [f"/web/search?q={WEB_TERM}", f"/web/search?q={WEB_TERM}&sort=downloads&page=3"]


def pages(packs: int) -> list[str]:
    """Every page timed on a mirror of `packs` packs: the last pack and a publisher's page."""
    return [
        "/",
        "/web/search",
        "/web/search?sort=updated",
        f"/web/packs/pack-{packs - 1:05d}",
        "/web/publishers/publisher-7",
        "/web/status",
        "/web/connect",
        *TERM_SEARCHES,
    ]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.web",
        description="Time every web page against a floor, on SQLite or PostgreSQL.",
    )
    parser.add_argument("--database-url", help="a PostgreSQL server's URL (default: SQLite)")
    parser.add_argument("--packs", type=int, default=5000, help="mirror size (%(default)s)")
    parser.add_argument("--repeat", type=int, default=30, help="timed requests (%(default)s)")
    parser.add_argument(
        "--reuse", action="store_true", help="reuse an earlier run's mirror, and keep it"
    )
    parser.add_argument("--workdir", default=None, help="where dumps and SQLite files go")
    parser.add_argument("--json", default=None, help="also write the figures to this file")
    args = parser.parse_args(argv)
    if args.packs < 8 or args.repeat < 1:
        parser.error("--packs must be at least 8 (publisher-7 owns a pack) and --repeat 1")
    return args


def measure(app, packs: int, repeat: int) -> dict:
    """Each page's median and p95 ms, the floor's, and each page's median over the floor's."""
    requests = {"floor": (FLOOR, None)}
    requests.update({path: (path, HTML) for path in pages(packs)})
    times = timed(app.test_client(), requests, repeat)
    floor = times.pop("floor")
    for figures in times.values():
        figures["floor_ratio"] = round(figures["median_ms"] / floor["median_ms"], 2)
        figures["under_goal"] = figures["median_ms"] < GOAL_MS
    return {"floor": floor, "pages": times}


def analyze(app) -> None:
    """Fresh PostgreSQL statistics, as a mirror has them once autovacuum has run."""
    with app.app_context(), db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql("ANALYZE")


def load_average() -> float:
    """The machine's one-minute load average, to read the figures against."""
    return round(os.getloadavg()[0], 2)


def main(argv: list[str] | None = None) -> dict:
    """Build (or reuse) the mirror, time its pages, print the table, and return the figures."""
    args = parse_args(argv)
    workdir = args.workdir or tempfile.mkdtemp(prefix="bench-web-")
    build = build_mirror(
        workdir,
        args.packs,
        VERSIONS_PER_PACK,
        args.packs,
        args.reuse,
        args.database_url,
        generate=write_web_dumps,
        label="web",
    )
    results = {
        "backend": "postgresql" if args.database_url else "sqlite",
        "packs": args.packs,
        "repeat": args.repeat,
        "build": {k: v for k, v in build.items() if k.endswith("_s") or k in ("db_mb", "reused")},
        "load_before": load_average(),
    }
    app = create_app({"SQLALCHEMY_DATABASE_URI": build["db_url"]})
    try:
        analyze(app)
        results.update(measure(app, args.packs, args.repeat))
    finally:
        with app.app_context():
            db.engine.dispose()
        if args.database_url and not args.reuse:
            postgres.drop_database(args.database_url, sa.make_url(build["db_url"]).database)
    results["load_after"] = load_average()
    report(results)
    if args.json:
        with open(args.json, "w") as out:
            json.dump(results, out, indent=1)
    return results


def report(results: dict) -> None:
    """Print the table: each page's median and p95 ms, its ratio to the floor, the goal."""
    print(
        f"{results['backend']}, {results['packs']:,} packs, {results['repeat']} requests each "
        f"(load average {results['load_before']} before, {results['load_after']} after); "
        f"build {results['build']}"
    )
    floor = results["floor"]
    print(f"{'page':48} {'median ms':>10} {'p95 ms':>8} {'x floor':>8}  under {GOAL_MS} ms")
    print(f"{'floor: ' + FLOOR:48} {floor['median_ms']:>10} {floor['p95_ms']:>8}")
    for path, figures in results["pages"].items():
        print(
            f"{path:48} {figures['median_ms']:>10} {figures['p95_ms']:>8} "
            f"{figures['floor_ratio']:>7}x  {'yes' if figures['under_goal'] else 'NO'}"
        )


if __name__ == "__main__":
    main()
