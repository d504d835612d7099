"""Benchmark the node-class scanner: archives per second and MB/s, scanning with a process pool
over the cores, on generated packs of realistic size and on the sample bundle's archives.

Run from the repository root: `python -m bench.node_classes` (1,000 generated packs: about
2 GB of Python, 400 MB of archives, in a temporary folder removed afterwards) or
`python -m bench.node_classes --smoke` (a few small packs); `--folder DIR` keeps the packs for
the next run. Every scan is checked: no problem,
and exactly the node classes the generator wrote; otherwise the figures are void.
"""

import argparse
import json
import os
import resource
import shutil
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from pathlib import Path

from bench.node_packs import GeneratedPack, generate_pack
from services.node_classes import scan_archive

SAMPLE_ARCHIVES = Path(__file__).resolve().parent.parent / "seed_data" / "archives"
MB = 1_000_000


class BenchmarkError(Exception):
    """A scan that did not find what the pack registers: the figures would be void."""


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The benchmark's options."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--packs", type=int, default=1000, help="generated packs (1000)")
    parser.add_argument("--seed", type=int, default=1, help="generator seed (1)")
    parser.add_argument(
        "--workers", type=int, default=os.cpu_count(), help="scanning processes (one per core)"
    )
    parser.add_argument(
        "--smoke", action="store_true", help="a tiny run: 6 packs at a tenth of the size"
    )
    parser.add_argument(
        "--folder",
        type=Path,
        help="generate the packs here and keep them; a later run with the same folder, packs "
        "and seed reuses them (default: a temporary folder, removed afterwards)",
    )
    return parser.parse_args(argv)


def scan_one(path: Path) -> tuple[str, int, str | None]:
    """Scan one archive in a worker: its path, node classes found, and problem."""
    pack = scan_archive(path)
    return str(path), len(pack.comfy_nodes), pack.problem


def children_cpu_seconds() -> float:
    """CPU seconds used so far by this process's finished child processes."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed_scans(paths: list[Path], workers: int) -> tuple[float, float, dict]:
    """Scan every archive on the pool: wall seconds, the workers' CPU seconds (warm-up
    included), and each path's (classes, problem)."""
    cpu = children_cpu_seconds()
    with ProcessPoolExecutor(max_workers=workers) as pool:
        list(pool.map(scan_one, paths[:workers]))  # start the workers before the clock
        start = time.perf_counter()
        results = list(pool.map(scan_one, paths, chunksize=4))
        seconds = time.perf_counter() - start
    cpu = children_cpu_seconds() - cpu
    return seconds, cpu, {path: (found, problem) for path, found, problem in results}


def check(packs: list[GeneratedPack], results: dict) -> None:
    """Every generated pack scanned without a problem, with exactly its node classes."""
    for pack in packs:
        found, problem = results[str(pack.path)]
        if problem is not None or found != pack.node_classes:
            raise BenchmarkError(
                f"{pack.path.name}: found {found} node classes, expected {pack.node_classes}"
                + (f" ({problem})" if problem else "")
            )


def report(
    label: str, count: int, seconds: tuple[float, float], archive_bytes: int, python_bytes: int
) -> dict:
    """Print and return one set's figures, from its wall and CPU seconds."""
    seconds, cpu = seconds
    figures = {
        "archives": count,
        "seconds": round(seconds, 2),
        "cpu_seconds": round(cpu, 2),
        "archives_per_s": round(count / seconds, 1),
        "compressed_mb_per_s": round(archive_bytes / MB / seconds, 1),
        "uncompressed_mb_per_s": round(python_bytes / MB / seconds, 1) if python_bytes else None,
    }
    uncompressed = (
        f", {figures['uncompressed_mb_per_s']} MB/s of .py ({python_bytes / MB:,.1f} MB)"
        if python_bytes
        else ""
    )
    print(
        f"{label}: {count:,} archives in {figures['seconds']} s: {figures['archives_per_s']} "
        f"archives/s, {figures['compressed_mb_per_s']} MB/s of archives "
        f"({archive_bytes / MB:,.1f} MB){uncompressed}; {figures['cpu_seconds']} CPU seconds "
        f"in the workers",
        flush=True,
    )
    return figures


def generated_packs(options: argparse.Namespace, folder: Path) -> list[GeneratedPack]:
    """The packs in `folder`, generated (on the pool too) unless an earlier run left them."""
    scale = 0.1 if options.smoke else 1.0
    listing = folder / f"packs-{options.packs}-seed-{options.seed}-scale-{scale}.json"
    if listing.is_file():
        packs = [GeneratedPack(Path(p), *sizes) for p, *sizes in json.loads(listing.read_text())]
        print(f"Reusing {len(packs):,} packs from {folder}", flush=True)
        return packs
    start = time.perf_counter()
    make = partial(generate_pack, folder, seed=options.seed, scale=scale)
    with ProcessPoolExecutor(max_workers=options.workers) as pool:
        packs = list(pool.map(make, range(options.packs), chunksize=4))
    print(f"Generated {len(packs):,} packs in {time.perf_counter() - start:.1f} s", flush=True)
    rows = [(str(p.path), p.archive_bytes, p.python_bytes, p.node_classes) for p in packs]
    listing.write_text(json.dumps(rows))
    return packs


def run_generated(options: argparse.Namespace, folder: Path) -> dict:
    """Scan the generated packs, check every count and report."""
    packs = generated_packs(options, folder)
    seconds, cpu, results = timed_scans([pack.path for pack in packs], options.workers)
    check(packs, results)
    archive_bytes = sum(pack.archive_bytes for pack in packs)
    python_bytes = sum(pack.python_bytes for pack in packs)
    classes = sum(pack.node_classes for pack in packs)
    print(f"  {classes:,} node classes found, every pack as generated")
    return report("Generated packs", len(packs), (seconds, cpu), archive_bytes, python_bytes)


def run_sample(options: argparse.Namespace) -> dict:
    """Scan the sample bundle's archives and report (none may be unreadable)."""
    paths = sorted(path for path in SAMPLE_ARCHIVES.rglob("*") if path.is_file())
    seconds, cpu, results = timed_scans(paths, options.workers)
    problems = [f"{path}: {problem}" for path, (_, problem) in results.items() if problem]
    if problems:
        raise BenchmarkError("; ".join(problems))
    archive_bytes = sum(path.stat().st_size for path in paths)
    return report("Sample bundle", len(paths), (seconds, cpu), archive_bytes, 0)


def main(argv: list[str] | None = None) -> dict:
    """Run the benchmark; return its figures."""
    options = parse_args(argv)
    if options.smoke:
        options.packs = min(options.packs, 6)
    load = os.getloadavg()[0]
    print(f"{options.workers} workers on {os.cpu_count()} CPUs, load average {load:.1f}")
    folder = options.folder or Path(tempfile.mkdtemp(prefix="bench-node-classes-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        figures = {"generated": run_generated(options, folder), "sample": run_sample(options)}
    finally:
        if options.folder is None:
            shutil.rmtree(folder, ignore_errors=True)
    return figures


if __name__ == "__main__":
    main()
