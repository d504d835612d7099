"""Benchmark serving over HTTP: wrk against real gunicorn (the project's gunicorn.conf.py) and
through nginx (deploy/nginx.conf.template), and archive downloads through nginx, relayed from
gunicorn or sent by nginx itself (MIRROR_ACCEL_REDIRECT).

Run from the repository root: `python -m bench.serving` (see --help). It needs wrk, nginx and
curl. The mirror is seed_data/ loaded by `flask mirror seed`; the requests are a bulk request
for 30 seeded pairs and a page of 30 nodes, each sent by wrk on 8 connections from 2 threads.
"""

import argparse
import json
import random
import statistics
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

from tests.bundles import SEED_DUMP, upstream_version, write_bundle
from tests.dumps import dump, node
from tests.load import Load, bulk_body
from tests.nginx import nginx
from tests.serving import flask, serve_mirror

ARCHIVE_PAIR = ("big-pack", "1.0.0")
ARCHIVE_TARGET = "/archives/big-pack/1.0.0/node.zip"
ACCEL = "/_archives/"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.serving",
        description="wrk figures (req/s, p50, p99) for bulk and /nodes, gunicorn direct and "
        "through nginx, and 50 MB download speeds through nginx, with and without "
        "MIRROR_ACCEL_REDIRECT.",
    )
    parser.add_argument("--seconds", type=int, default=10, help="each wrk run (%(default)s)")
    parser.add_argument("--connections", type=int, default=8, help="wrk's (%(default)s)")
    parser.add_argument("--threads", type=int, default=2, help="wrk's (%(default)s)")
    parser.add_argument("--workers", default="2", help="WEB_CONCURRENCY (%(default)s)")
    parser.add_argument("--archive-mb", type=int, default=50, help="archive size (%(default)s)")
    parser.add_argument("--downloads", type=int, default=5, help="runs each (%(default)s)")
    return parser.parse_args(argv)


def seed_pairs(count: int) -> list[tuple[str, str]]:
    """The first `count` (node id, version) pairs of seed_data/."""
    nodes = json.loads(SEED_DUMP.read_text())["nodes"]
    return [(n["id"], v["version"]) for n in nodes for v in n["versions"]][:count]


@contextmanager
def behind_nginx(folder: Path, app_url: str, archive_dir: str):
    """nginx from the template in front of one gunicorn, as the README runs it; its URL."""
    with nginx(folder, app_url, archive_dir) as url:
        yield url


def request_rows(args: argparse.Namespace, workdir: Path) -> list[list[str]]:
    """wrk's figures for each request, on gunicorn and through nginx."""
    requests = {
        "bulk, 30 pairs": [("bulk", bulk_body(seed_pairs(30)))],
        "GET /nodes?limit=30": [("get", "/nodes?page=1&limit=30")],
    }
    rows = []
    settings = {"WEB_CONCURRENCY": args.workers, "MIRROR_TRUSTED_PROXIES": "1"}
    with serve_mirror(workdir / "mirror", **settings) as served:
        archives = served.env["MIRROR_ARCHIVE_DIR"]
        with behind_nginx(workdir / "nginx", served.url, archives) as proxied:
            for name, sent in requests.items():
                for where, url in (("gunicorn", served.url), ("nginx", proxied)):
                    load = Load(
                        url, sent, args.seconds, workdir / "wrk", args.connections, args.threads
                    )
                    report = load.report()
                    if report.failures():
                        raise SystemExit(f"{name} via {where} failed: {report.failures()}")
                    latency = report.latency_ms
                    rows.append(
                        [
                            name,
                            where,
                            f"{report.requests_per_second:,.0f}",
                            f"{latency['50%']:.1f}",
                            f"{latency['99%']:.1f}",
                        ]
                    )
    return rows


def download_speeds(url: str, runs: int) -> list[float]:
    """MB/s of `runs` downloads of the archive by curl, discarding the body."""
    speeds = []
    for _ in range(runs):
        measured = subprocess.run(
            ["curl", "-sf", "-o", "/dev/null", "-w", "%{speed_download}", url + ARCHIVE_TARGET],
            capture_output=True,
            text=True,
            check=True,
        )
        speeds.append(float(measured.stdout) / 1e6)
    return speeds


def download_rows(args: argparse.Namespace, workdir: Path) -> list[list[str]]:
    """Download speeds of one archive through nginx, relayed and sent by nginx itself."""
    archive = random.Random(20261130).randbytes(args.archive_mb * 1024 * 1024)
    node_id, number = ARCHIVE_PAIR
    document = dump(node(node_id, upstream_version(node_id, number)))
    bundle = write_bundle(workdir / "bundle", document, contents={ARCHIVE_PAIR: archive})
    ways = {"relayed from gunicorn": {}, "X-Accel-Redirect": {"MIRROR_ACCEL_REDIRECT": ACCEL}}
    rows = []
    for index, (name, settings) in enumerate(ways.items()):
        folder = workdir / f"archive-mirror-{index}"
        folder.mkdir()
        settings = {"WEB_CONCURRENCY": args.workers, **settings}
        with serve_mirror(folder, seeded=False, **settings) as served:
            imported = flask("mirror", "import", str(bundle), env=served.env)
            if imported.returncode != 0:
                raise SystemExit(f"the archive's bundle was refused: {imported.stderr}")
            archives = served.env["MIRROR_ARCHIVE_DIR"]
            with behind_nginx(workdir / f"nginx-{index}", served.url, archives) as url:
                speeds = download_speeds(url, args.downloads)
        rows.append(
            [
                f"{args.archive_mb} MiB archive via nginx, {name}",
                f"{statistics.median(speeds):,.0f}",
                f"{min(speeds):,.0f}-{max(speeds):,.0f}",
            ]
        )
    return rows


def print_table(header: list[str], rows: list[list[str]]) -> None:
    """Rows under a header, as a Markdown table."""
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" if i == 0 else "---:" for i in range(len(header))) + "|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print()


def main(argv: list[str] | None = None) -> int:
    """Run every measurement and print its table."""
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-serving-") as folder:
        workdir = Path(folder)
        print(
            f"wrk: {args.seconds:g} s each, {args.connections} connections, {args.threads} "
            f"threads; gunicorn: {args.workers} workers\n"
        )
        rows = request_rows(args, workdir)
        print_table(["request", "served by", "req/s", "p50 ms", "p99 ms"], rows)
        rows = download_rows(args, workdir)
        print_table([f"download (median of {args.downloads})", "MB/s", "range"], rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
