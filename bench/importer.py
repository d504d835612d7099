"""Benchmark imports: fresh, unchanged and 1%-changed, against a floor measured in the same run.

Run from the repository root: `python -m bench.importer` (see --help). For each size it writes
one generated gzip dump (bench/dumps.py) and a copy in which one version in a hundred has a new
changelog, then imports, each in a process of its own (bench/import_child.py) so its peak
memory is its own: the floor (json.load and executemany into the app's schema, fresh database),
the app into a fresh database, the same dump again (unchanged), then the changed dump. Each
import's counts are checked, or the figures would be void.
"""

import argparse
import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile

import orjson

from app import create_app
from bench.dumps import generate_node, generate_publisher, id_width, publisher_id
from extensions import db
from schemas.dump import DUMP_FORMAT, DUMP_FORMAT_VERSION

VERSIONS_PER_NODE = 10
# One version in this many gets a new changelog in the "changed" dump.
CHANGED_EVERY = 100
# Goals: fresh within 1.5x the floor; a re-import of an unchanged or 1%-changed dump within
# 0.3x a fresh one.
FLOOR_RATIO_LIMIT = 1.5
REIMPORT_RATIO_LIMIT = 0.3


class BenchmarkError(Exception):
    """An import that did not do what the dump asks: the figures would be void."""


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The benchmark's options."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000", help="versions, comma-separated")
    parser.add_argument("--versions-per-node", type=int, default=VERSIONS_PER_NODE)
    parser.add_argument("--workdir", help="where dumps and databases go (a temporary folder)")
    parser.add_argument("--json", help="also write the figures to this file")
    return parser.parse_args(argv)


def write_generated_dump(path: str, nodes: int, per_node: int, changed: bool) -> None:
    """A gzip dump of `nodes` generated nodes, written node by node (never whole in memory)."""
    width = id_width(nodes)
    header = {"format": DUMP_FORMAT, "format_version": DUMP_FORMAT_VERSION}
    header |= {"exported_at": "2026-11-28T06:00:00.000000Z", "source": "bench.importer"}
    publishers = sorted({publisher_id(index) for index in range(nodes)})
    with gzip.open(path, "wb", compresslevel=1) as out:
        out.write(orjson.dumps(header)[:-1] + b',"publishers":')
        out.write(orjson.dumps([generate_publisher(p) for p in publishers]) + b',"nodes":[')
        for index in range(nodes):
            node = generate_node(index, per_node, width)
            if changed:
                for number, version in enumerate(node["versions"]):
                    if (index * per_node + number) % CHANGED_EVERY == 0:
                        version["changelog"] += "\n* fix: one more change"
            out.write((b"," if index else b"") + orjson.dumps(node))
        out.write(b"]}")


def run_side(side: str, url: str, path: str) -> dict:
    """One import in a child process; its figures."""
    done = subprocess.run(
        [sys.executable, "-m", "bench.import_child", side, url, path],
        check=True,
        capture_output=True,
    )
    return json.loads(done.stdout.decode().strip().splitlines()[-1])


def _check(name: str, figures: dict, expected: dict) -> None:
    """Refuse figures of an import whose version counts are not those expected."""
    versions = figures["versions"]
    for count, wanted in expected.items():
        if versions[count] != wanted:
            raise BenchmarkError(f"{name}: {count} versions {versions[count]}, expected {wanted}")


def measure_size(workdir: str, versions: int, per_node: int, template: str) -> dict:
    """Floor, fresh, unchanged and changed imports of one size."""
    nodes = versions // per_node
    base = os.path.join(workdir, f"dump-{versions}.json.gz")
    changed = os.path.join(workdir, f"dump-{versions}-changed.json.gz")
    write_generated_dump(base, nodes, per_node, changed=False)
    write_generated_dump(changed, nodes, per_node, changed=True)
    total = nodes * per_node
    floor_db, app_db = (os.path.join(workdir, f"{name}-{versions}.db") for name in ("f", "a"))
    for path in (floor_db, app_db):
        shutil.copyfile(template, path)
    runs = {"floor": run_side("floor", f"sqlite:///{floor_db}", base)}
    runs["fresh"] = run_side("app", f"sqlite:///{app_db}", base)
    _check("fresh", runs["fresh"], {"added": total})
    runs["unchanged"] = run_side("app", f"sqlite:///{app_db}", base)
    _check("unchanged", runs["unchanged"], {"unchanged": total})
    runs["changed"] = run_side("app", f"sqlite:///{app_db}", changed)
    _check("changed", runs["changed"], {"updated": -(-total // CHANGED_EVERY)})
    fresh = runs["fresh"]["seconds"]
    row = {"versions": total, "dump_mb": round(os.path.getsize(base) / 1e6, 1)}
    for name, figures in runs.items():
        row[f"{name}_s"] = figures["seconds"]
        row[f"{name}_rss_mb"] = figures["peak_rss_mb"]
    row["fresh_per_s"] = round(total / fresh)
    row["fresh/floor"] = round(fresh / runs["floor"]["seconds"], 2)
    row["unchanged/fresh"] = round(runs["unchanged"]["seconds"] / fresh, 2)
    row["changed/fresh"] = round(runs["changed"]["seconds"] / fresh, 2)
    for path in (base, changed, floor_db, app_db):
        os.remove(path)
    return row


def print_row(row: dict) -> None:
    """One size's figures, one line."""
    print(
        f"{row['versions']:>9,} versions ({row['dump_mb']} MB gz): floor {row['floor_s']} s "
        f"({row['floor_rss_mb']} MB), fresh {row['fresh_s']} s ({row['fresh_rss_mb']} MB, "
        f"{row['fresh_per_s']:,}/s, {row['fresh/floor']}x floor), unchanged {row['unchanged_s']} s "
        f"({row['unchanged_rss_mb']} MB, {row['unchanged/fresh']}x fresh), changed "
        f"{row['changed_s']} s ({row['changed_rss_mb']} MB, {row['changed/fresh']}x fresh)",
        flush=True,
    )


def template_database(workdir: str) -> str:
    """An empty database with the app's schema, copied for each fresh import."""
    path = os.path.join(workdir, "empty.db")
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"})
    with app.app_context():
        db.engine.dispose()
    return path


def main(argv: list[str] | None = None) -> dict:
    """Run the benchmark; return its figures."""
    options = parse_args(argv)
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}", flush=True)
    workdir = options.workdir or tempfile.mkdtemp(prefix="bench-importer-")
    os.makedirs(workdir, exist_ok=True)
    try:
        template = template_database(workdir)
        rows = []
        for size in (int(size) for size in options.sizes.split(",")):
            rows.append(measure_size(workdir, size, options.versions_per_node, template))
            print_row(rows[-1])
    finally:
        if options.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    results = {"sizes": rows, "limits": {"fresh/floor": FLOOR_RATIO_LIMIT}}
    results["limits"] |= {"unchanged/fresh": REIMPORT_RATIO_LIMIT}
    results["limits"]["changed/fresh"] = REIMPORT_RATIO_LIMIT
    if options.json:
        with open(options.json, "w") as out:
            json.dump(results, out, indent=2)
    return results


if __name__ == "__main__":
    main()
