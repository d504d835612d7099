"""Benchmark the first, middle and last pages of GET /versions and /nodes as mirrors grow.

Run from the repository root: `python -m bench.paging` (see --help; `--smoke` is a tiny run).
For each size, a mirror of generated versions (bench/dumps.py) is loaded through the real
importer (or reused); then each page is timed in-process, interleaved call by call: the whole
request through the app; the service's page it answers with (stored total, a seek from the
stored anchor: services/listings.py); and the reference, the queries the pages ran before (a
count of every row, then OFFSET over the rows: tests/plain_pages.py). Ratios are service over
reference p50, the database's part before and after; the growth is each page's service p50 at
the largest mirror over its p50 at the smallest.
"""

import argparse
import json
import os
import time
from collections.abc import Callable
from pathlib import Path

from app import create_app
from bench.api import WARM_UP_CALLS, percentiles
from bench.mirror import add_mirror_options, build_mirror
from bench.pairs import BenchmarkError
from extensions import db
from services.catalog.queries import NodeFilters, Page, find_nodes, find_versions
from tests.plain_pages import plain_nodes, plain_versions

PAGE_SIZE = 100


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(prog="python -m bench.paging", description=__doc__)
    parser.add_argument(
        "--nodes", default="5000,50000", help="generated nodes of each mirror (%(default)s)"
    )
    add_mirror_options(parser, "/tmp/bench-paging")
    parser.add_argument("--calls", type=int, default=100, help="timed calls each (%(default)s)")
    parser.add_argument("--postgresql", metavar="SERVER_URL", help="mirrors on this server")
    args = parser.parse_args(argv)
    if args.smoke:
        args.nodes, args.versions_per_node, args.nodes_per_import, args.calls = "30,60", 7, 30, 5
    args.nodes = [int(count) for count in args.nodes.split(",")]
    return args


def pages(nodes: int, versions_per_node: int) -> dict[str, tuple]:
    """What is measured: name -> (path, the service's page, the reference's count and page)."""
    asked = {}
    for listing, total, path, plain, find in (
        ("versions", nodes * versions_per_node, "/versions?pageSize=", plain_versions, _versions),
        ("nodes", nodes, "/nodes?limit=", plain_nodes, _nodes),
    ):
        last = max(1, -(-total // PAGE_SIZE))
        for where, number in (("first", 1), ("middle", max(1, last // 2)), ("last", last)):
            url = f"{path}{PAGE_SIZE}&page={number}"
            asked[f"{listing} {where}"] = (url, find(number), plain(number, PAGE_SIZE))
    return asked


def _versions(number: int) -> Callable[[], Page]:
    return lambda: find_versions(db.session, number, PAGE_SIZE)


def _nodes(number: int) -> Callable[[], Page]:
    return lambda: find_nodes(db.session, NodeFilters(), number, PAGE_SIZE)


def timed_pages(app, asked: dict, calls: int) -> dict:
    """Each page's latency: the whole request, the service's page and the reference's queries,
    interleaved call by call."""
    client = app.test_client()
    figures = {}
    for name, (url, find, (count, page)) in asked.items():
        timed = {"app": [], "service": [], "reference": []}
        for index in range(WARM_UP_CALLS + calls):
            start = time.perf_counter()
            answer = client.get(url)
            timed["app"].append(time.perf_counter() - start)
            if answer.status_code != 200:
                raise BenchmarkError(f"{url}: {answer.status_code} {answer.data[:300]!r}")
            with app.app_context():
                start = time.perf_counter()
                found = find()
                timed["service"].append(time.perf_counter() - start)
            with app.app_context():
                start = time.perf_counter()
                total = db.session.scalar(count)
                items = db.session.execute(page).all()
                timed["reference"].append(time.perf_counter() - start)
            if not answer.json["total"] == found.total == total:
                raise BenchmarkError(f"{url}: the totals disagree")
            if not _items(answer.json) == len(found.items) == len(items):
                raise BenchmarkError(f"{url}: the pages disagree")
            if index < WARM_UP_CALLS:
                for each in timed.values():
                    each.pop()
        figures[name] = {"url": url, **{side: percentiles(each) for side, each in timed.items()}}
        figures[name]["ratio"] = figures[name]["service"]["p50"] / figures[name]["reference"]["p50"]
    return figures


def _items(answer: dict) -> int:
    """How many items a page holds."""
    return len(answer.get("versions", answer.get("nodes", [])))


def main(argv: list[str] | None = None) -> dict:
    """Build (or reuse) each mirror, time its pages, print, and return the figures."""
    args = parse_args(argv)
    os.makedirs(args.workdir, exist_ok=True)
    results = {"page_size": PAGE_SIZE, "mirrors": []}
    for nodes in args.nodes:
        build = build_mirror(
            args.workdir,
            nodes,
            args.versions_per_node,
            args.nodes_per_import,
            args.reuse,
            args.postgresql,
        )
        app = create_app({"SQLALCHEMY_DATABASE_URI": build["db_url"]})
        try:
            latency = timed_pages(app, pages(nodes, args.versions_per_node), args.calls)
        finally:
            with app.app_context():
                db.engine.dispose()
        versions = nodes * args.versions_per_node
        results["mirrors"].append({"versions": versions, "build": build, "latency": latency})
    smallest, largest = results["mirrors"][0]["latency"], results["mirrors"][-1]["latency"]
    results["growth"] = {
        name: largest[name]["service"]["p50"] / smallest[name]["service"]["p50"]
        for name in smallest
    }
    report(results)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return results


def report(results: dict) -> None:
    """Print the figures as one table per mirror, then the growth."""
    for mirror in results["mirrors"]:
        print(f"{mirror['versions']:,} versions, pages of {results['page_size']} (ms)")
        print(
            f"{'page':16} {'app p50':>8} {'p95':>7} {'service p50':>11} {'p95':>7} "
            f"{'reference p50':>13} {'p95':>7} {'ratio':>6}"
        )
        for name, figures in mirror["latency"].items():
            app_ms, service, reference = figures["app"], figures["service"], figures["reference"]
            print(
                f"{name:16} {app_ms['p50']:8.3f} {app_ms['p95']:7.3f} {service['p50']:11.3f} "
                f"{service['p95']:7.3f} {reference['p50']:13.3f} {reference['p95']:7.3f} "
                f"{figures['ratio']:5.2f}x"
            )
    growth = ", ".join(f"{name} {ratio:.2f}x" for name, ratio in results["growth"].items())
    print(f"service p50 growth, largest over smallest mirror: {growth}")


if __name__ == "__main__":
    main()
