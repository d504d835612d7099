"""A benchmark mirror: generated dumps loaded through the real import service, timed."""

import os
import resource
import shutil
import time

from app import create_app
from bench.dumps import write_dumps
from bench.pairs import BenchmarkError
from extensions import db
from services.imports.run import import_dumps


def peak_rss_mb() -> float:
    """This process's peak resident memory so far, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def build_mirror(
    workdir: str, nodes: int, versions_per_node: int, nodes_per_import: int, reuse: bool
) -> dict:
    """Generate a mirror's dumps and load them with the import service; return the figures."""
    db_path = os.path.join(workdir, f"mirror-{nodes}x{versions_per_node}.db")
    figures = {"db_path": db_path, "reused": reuse and os.path.exists(db_path)}
    if figures["reused"]:
        figures["db_mb"] = round(os.path.getsize(db_path) / 1e6, 1)
        return figures
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(db_path + suffix):
            os.remove(db_path + suffix)
    dump_dir = os.path.join(workdir, f"dumps-{nodes}x{versions_per_node}")
    start = time.perf_counter()
    paths = write_dumps(dump_dir, nodes, versions_per_node, nodes_per_import)
    figures["generate_s"] = round(time.perf_counter() - start, 2)
    figures["dump_mb"] = round(sum(os.path.getsize(path) for path in paths) / 1e6, 1)
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{db_path}"})
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
    figures["db_mb"] = round(os.path.getsize(db_path) / 1e6, 1)
    figures["peak_rss_mb"] = round(peak_rss_mb())
    return figures
