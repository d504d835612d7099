"""Benchmark the read API against its floor: latency in-process and throughput under gunicorn.

Run from the repository root: `python -m bench.api` (see --help; `--smoke` is a tiny run). A
mirror of generated versions (bench/dumps.py) is loaded through the real importer; then, for
each request below, the app and the floor (bench/api_floor.py: sqlite3 and orjson in a bare
WSGI function) are timed, interleaved call by call in-process (p50, p95), and run by run under
wrk (8 connections) against each served by the same gunicorn with 2 workers. Ratios are
app/floor for latency and app/floor for requests a second (higher is better there).
"""

import argparse
import io
import json
import os
import random
import statistics
import time
from contextlib import ExitStack
from pathlib import Path

from werkzeug.test import EnvironBuilder

from app import create_app
from bench import api_floor
from bench.dumps import id_width, node_id
from bench.mirror import add_mirror_options, build_mirror
from bench.pairs import BenchmarkError, make_request
from extensions import db
from tests.load import Load
from tests.serving import gunicorn, mirror_env

WARM_UP_CALLS = 5


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(prog="python -m bench.api", description=__doc__)
    parser.add_argument("--nodes", type=int, default=5000, help="generated nodes (%(default)s)")
    add_mirror_options(parser, "/tmp/bench-api")
    parser.add_argument("--calls", type=int, default=300, help="timed calls each (%(default)s)")
    parser.add_argument("--seconds", type=int, default=8, help="each wrk run (%(default)s)")
    parser.add_argument("--rounds", type=int, default=3, help="wrk runs each (%(default)s)")
    parser.add_argument("--skip-wrk", action="store_true", help="in-process figures only")
    args = parser.parse_args(argv)
    if args.smoke:
        args.nodes, args.versions_per_node, args.nodes_per_import = 20, 3, 20
        args.calls, args.seconds, args.rounds = 5, 1, 1
    return args


def requests(nodes: int, versions_per_node: int) -> dict[str, tuple[str, str, bytes]]:
    """What is measured: name -> (method, path with query, body)."""
    width = id_width(nodes)
    middle = node_id(nodes // 2, width)
    bulk = make_request(random.Random(7), nodes, versions_per_node, 30, 0.8)
    deep = max(1, nodes * versions_per_node // 100 // 2)
    return {
        "GET /nodes?page=1&limit=30": ("GET", "/nodes?page=1&limit=30", b""),
        "GET /nodes/{id}": ("GET", f"/nodes/{middle}", b""),
        "GET /nodes/{id}/install": ("GET", f"/nodes/{middle}/install", b""),
        "POST /bulk, 30 pairs": ("POST", "/bulk/nodes/versions", bulk.body),
        "GET /nodes/search": ("GET", f"/nodes/search?search=pack%20{nodes // 2}", b""),
        f"GET /versions?page={deep}": ("GET", f"/versions?page={deep}&pageSize=100", b""),
    }


def call(wsgi, environ: dict, body: bytes) -> tuple[str, bytes]:
    """One WSGI call on a copy of `environ`: its status line and body."""
    status = []
    environ = {**environ, "wsgi.input": io.BytesIO(body)}
    chunks = wsgi(environ, lambda line, headers, exc_info=None: status.append(line))
    answer = b"".join(chunks)
    if hasattr(chunks, "close"):
        chunks.close()
    return status[0], answer


def percentiles(seconds: list[float]) -> dict:
    """p50 and p95 in ms."""
    ordered = sorted(seconds)
    pick = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return {"p50": statistics.median(ordered) * 1000, "p95": pick * 1000}


def in_process(app, asked: dict, calls: int) -> dict:
    """Each request's latency, app and floor interleaved call by call."""
    figures = {}
    for name, (method, path, body) in asked.items():
        environ = EnvironBuilder(
            path=path, method=method, data=body or None, content_type="application/json"
        ).get_environ()
        timed = {"app": [], "floor": []}
        for index in range(WARM_UP_CALLS + calls):
            for side, wsgi in (("app", app.wsgi_app), ("floor", api_floor.application)):
                start = time.perf_counter()
                status, answer = call(wsgi, environ, body)
                elapsed = time.perf_counter() - start
                if not status.startswith("200"):
                    raise BenchmarkError(f"{side} {name}: {status} {answer[:300]!r}")
                if index >= WARM_UP_CALLS:
                    timed[side].append(elapsed)
        app_ms, floor_ms = percentiles(timed["app"]), percentiles(timed["floor"])
        figures[name] = {"app": app_ms, "floor": floor_ms, "ratio": app_ms["p50"] / floor_ms["p50"]}
    return figures


def served(args: argparse.Namespace, build: dict, asked: dict) -> dict:
    """Each request's throughput under wrk, app and floor runs interleaved."""
    workdir = Path(args.workdir)
    settings = {"WEB_CONCURRENCY": "2", "BENCH_FLOOR_DB": build["db_path"]}
    (workdir / "served").mkdir(exist_ok=True)
    env = mirror_env(workdir / "served", build["db_url"], **settings)
    figures = {}
    with ExitStack() as stack:
        urls = {
            "app": stack.enter_context(gunicorn(env)),
            "floor": stack.enter_context(gunicorn(env, target="bench.api_floor:application")),
        }
        for name, (method, path, body) in asked.items():
            sent = [("bulk", json.loads(body))] if method == "POST" else [("get", path)]
            rates = {"app": [], "floor": []}
            for _ in range(args.rounds):
                for side, url in urls.items():
                    load = Load(url, sent, args.seconds, workdir / "wrk", 8, 2)
                    report = load.report()
                    if report.failures():
                        raise BenchmarkError(f"{side} {name}: {report.failures()}")
                    rates[side].append(report.requests_per_second)
            app_rate, floor_rate = (
                statistics.median(rates["app"]),
                statistics.median(rates["floor"]),
            )
            figures[name] = {"app": app_rate, "floor": floor_rate, "ratio": app_rate / floor_rate}
    return figures


def main(argv: list[str] | None = None) -> dict:
    """Build (or reuse) the mirror, measure, print, and return the figures."""
    args = parse_args(argv)
    os.makedirs(args.workdir, exist_ok=True)
    build = build_mirror(
        args.workdir, args.nodes, args.versions_per_node, args.nodes_per_import, args.reuse
    )
    os.environ["BENCH_FLOOR_DB"] = build["db_path"]
    asked = requests(args.nodes, args.versions_per_node)
    app = create_app({"SQLALCHEMY_DATABASE_URI": build["db_url"]})
    try:
        results = {"versions": args.nodes * args.versions_per_node, "build": build}
        results["latency"] = in_process(app, asked, args.calls)
    finally:
        with app.app_context():
            db.engine.dispose()
    results["throughput"] = {} if args.skip_wrk else served(args, build, asked)
    report(results)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return results


def report(results: dict) -> None:
    """Print the figures as one table."""
    print(f"{results['versions']:,} versions")
    print(
        f"{'request':30} {'app p50':>8} {'p95':>7} {'floor p50':>9} {'p95':>7} {'ratio':>6}"
        f" {'app req/s':>9} {'floor':>8} {'ratio':>6}"
    )
    for name, latency in results["latency"].items():
        line = (
            f"{name:30} {latency['app']['p50']:8.3f} {latency['app']['p95']:7.3f} "
            f"{latency['floor']['p50']:9.3f} {latency['floor']['p95']:7.3f} "
            f"{latency['ratio']:5.1f}x"
        )
        rate = results["throughput"].get(name)
        if rate:
            line += f" {rate['app']:9.0f} {rate['floor']:8.0f} {rate['ratio']:5.2f}x"
        print(line)


if __name__ == "__main__":
    main()
