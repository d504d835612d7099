"""Benchmark POST /bulk/nodes/versions in-process against a plain-sqlite3 floor, at two sizes.

Run from the repository root: `python -m bench.bulk` (see --help). It generates dumps, loads them
through the real import service into SQLite files, then times the endpoint with Flask's test
client beside a floor: plain sqlite3 answering the same pairs with one IN query on the unique
pair_key index (as fast as a VALUES join on (node_normalized_id, version) at 1,000 pairs, faster
at 5,000), with the response built by orjson from the stored serialized versions. Both mirrors
and both sides are measured interleaved, call by call, so load drift hits them alike. Every
response is checked: status 200, one result per pair in request order, the expected successes,
and the same results as the floor's. With --database-url the mirrors are PostgreSQL databases
and the floor is psycopg with the same one query (`pair_key = ANY(%s)`) and orjson.
"""

import argparse
import cProfile
import io
import os
import pstats
import random
import shlex
import shutil
import statistics
import sys
import tempfile
import time

import orjson

from bench import postgres
from bench.bulk_options import WARM_UP_CALLS, parse_args
from bench.mirror import MirrorUnderTest, build_mirror, open_mirror
from bench.pairs import BulkRequest, check_answer, make_request
from bench.report import (
    evaluate_targets,
    print_batches,
    print_build,
    print_scale,
    print_verdicts,
    scale_rows,
)


def timings(seconds: list[float]) -> dict:
    """Median and 90th percentile, in milliseconds."""
    ordered = sorted(seconds)
    p90 = ordered[max(0, -(-len(ordered) * 9 // 10) - 1)]
    return {"median": round(statistics.median(ordered) * 1000, 3), "p90": round(p90 * 1000, 3)}


def measure_size(mirrors: list[MirrorUnderTest], requests: list[list[BulkRequest]]) -> list[dict]:
    """Time app and floor on every mirror, call by call, checking each answer; one batch each."""
    jobs = [(which, side) for which in range(len(mirrors)) for side in ("app", "floor")]
    seconds: dict[tuple[int, str], list[float]] = {job: [] for job in jobs}
    checked = [0] * len(mirrors)
    for index in range(len(requests[0])):
        # Rotate the order every call, so no side always runs first (or last) and a burst of
        # load on a shared machine falls on every side and both mirrors alike.
        turn = index % len(jobs)
        answers = {}
        for which, side in jobs[turn:] + jobs[:turn]:
            mirror, body = mirrors[which], requests[which][index].body
            start = time.perf_counter()
            answers[which, side] = mirror.post(body) if side == "app" else mirror.floor(body)
            elapsed = time.perf_counter() - start
            if index >= WARM_UP_CALLS:
                seconds[which, side].append(elapsed)
        for which in range(len(mirrors)):
            status, app_body = answers[which, "app"]
            check_answer(status, app_body, answers[which, "floor"], requests[which][index])
            checked[which] += 1
    batches = []
    for which in range(len(mirrors)):
        app_ms, floor_ms = timings(seconds[which, "app"]), timings(seconds[which, "floor"])
        batches.append(
            {
                "pairs": len(requests[which][0].pairs),
                "app_ms": app_ms,
                "floor_ms": floor_ms,
                "ratio": round(app_ms["median"] / floor_ms["median"], 2),
                "checked_responses": checked[which],
                "timed_calls": len(seconds[which, "app"]),
            }
        )
    return batches


def profile_app(post, args: argparse.Namespace, nodes: int, rng: random.Random) -> str:
    """cProfile of --repeat app calls at --profile pairs: the top functions by cumulative time."""
    requests = [
        make_request(rng, nodes, args.versions_per_node, args.profile, args.hit_ratio)
        for _ in range(WARM_UP_CALLS + args.repeat)
    ]
    for request in requests[:WARM_UP_CALLS]:
        post(request.body)
    profiler = cProfile.Profile()
    profiler.enable()
    for request in requests[WARM_UP_CALLS:]:
        post(request.body)
    profiler.disable()
    stream = io.StringIO()
    stats = pstats.Stats(profiler, stream=stream)
    stats.sort_stats("cumulative").print_stats(25)
    stats.sort_stats("tottime").print_stats(15)
    return stream.getvalue()


def measure(args: argparse.Namespace, mirrors: list[dict]) -> None:
    """Fill each mirror's batches (and the first one's profile), all mirrors interleaved."""
    opened: list[MirrorUnderTest] = []
    try:
        for mirror in mirrors:
            opened.append(open_mirror(mirror["build"], mirror["nodes"], max(args.sizes)))
        rng = random.Random(args.seed)
        for size in args.sizes:
            requests = [
                [
                    make_request(rng, mirror.nodes, args.versions_per_node, size, args.hit_ratio)
                    for _ in range(WARM_UP_CALLS + args.repeat)
                ]
                for mirror in opened
            ]
            for mirror, batch in zip(mirrors, measure_size(opened, requests), strict=True):
                mirror["batches"].append(batch)
        if args.profile:
            mirrors[0]["profile"] = profile_app(opened[0].post, args, mirrors[0]["nodes"], rng)
    finally:
        for mirror in opened:
            mirror.close()


def load_note() -> dict:
    """The machine's load, which the figures should be read against."""
    return {"load_average_1min": round(os.getloadavg()[0], 2), "cpus": os.cpu_count()}


def main(argv: list[str] | None = None) -> dict:
    """Run the benchmark, print the tables and the verdicts, and return the figures."""
    args = parse_args(argv)
    arguments = sys.argv[1:] if argv is None else argv
    results: dict = {
        "command": shlex.join(["python", "-m", "bench.bulk", *arguments]),
        "settings": {
            key: value for key, value in vars(args).items() if key not in ("json", "strict")
        },
        "warm_up_calls": WARM_UP_CALLS,
        "mirrors": [],
    }
    print(f"$ {results['command']}", flush=True)
    workdir = args.workdir or tempfile.mkdtemp(prefix="bench-bulk-")
    os.makedirs(workdir, exist_ok=True)
    try:
        build_mirrors(args, workdir, results["mirrors"])
        results["load_before"] = load_note()
        print("\nMeasuring (mirrors and sides interleaved call by call) ...", flush=True)
        measure(args, results["mirrors"])
        results["load_after"] = load_note()
    finally:
        if not args.workdir:
            shutil.rmtree(workdir, ignore_errors=True)
            for mirror in results["mirrors"] if args.database_url else ():
                postgres.drop_database(args.database_url, mirror["build"]["db_path"])
    report(args, results)
    return results


def build_mirrors(args: argparse.Namespace, workdir: str, mirrors: list[dict]) -> None:
    """Build (or reuse) the base mirror and, unless skipped, the large one; print each."""
    plan = [(args.nodes, args.nodes)]
    if not args.skip_scale:
        plan.append((args.scale_nodes, args.scale_nodes_per_import or args.scale_nodes))
    for nodes, nodes_per_import in plan:
        versions = nodes * args.versions_per_node
        print(f"\nBuilding a mirror of {versions:,} versions ...", flush=True)
        build = build_mirror(
            workdir, nodes, args.versions_per_node, nodes_per_import, args.reuse, args.database_url
        )
        mirror = {
            "nodes": nodes,
            "versions_per_node": args.versions_per_node,
            "versions": versions,
            "build": build,
            "batches": [],
            "profile": None,
        }
        mirrors.append(mirror)
        print_build(mirror)


def report(args: argparse.Namespace, results: dict) -> None:
    """Print the tables and verdicts; write --json; exit 1 under --strict when a target fails."""
    for mirror in results["mirrors"]:
        print_batches(mirror)
    base = results["mirrors"][0]
    large = results["mirrors"][1] if len(results["mirrors"]) > 1 else None
    results["scale"] = scale_rows(base, large) if large else []
    if large:
        print_scale(base, large, results["scale"])
    results["targets"] = evaluate_targets(base, large)
    results["passed"] = all(target["passed"] for target in results["targets"])
    print_verdicts(results, args.skip_scale)
    if args.json:
        with open(args.json, "wb") as handle:
            handle.write(orjson.dumps(results, option=orjson.OPT_INDENT_2))
    if args.strict and not results["passed"]:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
