"""The benchmark's verdicts and printed tables."""

# What the benchmark holds the bulk endpoint to, at a batch of 1,000 pairs (or the largest batch
# timed, when --sizes leaves 1,000 out):
# - the app within 1.5x the plain-sqlite3 floor on the base mirror: beyond the one indexed query
#   any implementation needs, Flask, validation and serialization add at most half again;
# - the app on the large mirror within 1.3x of the app on the base one (by default 1,000,000
#   against 100,000 versions): a batch costs about the same whatever the mirror's size.
TARGET_PAIRS = 1000
FLOOR_RATIO_LIMIT = 1.5
SIZE_RATIO_LIMIT = 1.3


def evaluate_targets(base: dict, large: dict | None) -> list[dict]:
    """The targets above: the floor ratio, and the size ratio when a large mirror was built."""
    base_batches = {batch["pairs"]: batch for batch in base["batches"]}
    pairs = TARGET_PAIRS if TARGET_PAIRS in base_batches else max(base_batches)
    targets = [
        {
            "name": f"app/floor at {pairs:,} pairs",
            "value": base_batches[pairs]["ratio"],
            "limit": FLOOR_RATIO_LIMIT,
        }
    ]
    if large is not None:
        large_batches = {batch["pairs"]: batch for batch in large["batches"]}
        ratio = large_batches[pairs]["app_ms"]["median"] / base_batches[pairs]["app_ms"]["median"]
        targets.append(
            {
                "name": f"app at {large['versions']:,} / at {base['versions']:,} versions, "
                f"{pairs:,} pairs",
                "value": round(ratio, 2),
                "limit": SIZE_RATIO_LIMIT,
            }
        )
    for target in targets:
        target["passed"] = target["value"] <= target["limit"]
    return targets


def scale_rows(base: dict, large: dict) -> list[dict]:
    """Per batch size: the app's and the floor's medians on both mirrors, and their growth."""
    rows = []
    for small, big in zip(base["batches"], large["batches"], strict=True):
        rows.append(
            {
                "pairs": small["pairs"],
                "app_base_ms": small["app_ms"]["median"],
                "app_large_ms": big["app_ms"]["median"],
                "app_growth": round(big["app_ms"]["median"] / small["app_ms"]["median"], 2),
                "floor_base_ms": small["floor_ms"]["median"],
                "floor_large_ms": big["floor_ms"]["median"],
                "floor_growth": round(big["floor_ms"]["median"] / small["floor_ms"]["median"], 2),
            }
        )
    return rows


def print_build(mirror: dict) -> None:
    """How one mirror was built: generation and import times, size, memory."""
    build = mirror["build"]
    print(
        f"Mirror of {mirror['versions']:,} versions ({mirror['nodes']:,} nodes x "
        f"{mirror['versions_per_node']}), {build['db_mb']} MB: {build['db_path']}"
    )
    if build["reused"]:
        print("  reused from an earlier run (no import timed)", flush=True)
        return
    calls = build["import_calls_s"]
    per_call = f" ({len(calls)} calls: {', '.join(map(str, calls))} s)" if len(calls) > 1 else ""
    print(
        f"  dumps generated in {build['generate_s']} s ({build['dump_mb']} MB gzip); "
        f"import_dumps took {build['import_s']} s{per_call}; "
        f"peak RSS so far {build['peak_rss_mb']} MB",
        flush=True,
    )


def print_batches(mirror: dict) -> None:
    """The batch table of one mirror, and its profile if one was taken."""
    print(f"\nPOST /bulk/nodes/versions on {mirror['versions']:,} versions (ms)")
    print(
        f"  {'pairs':>6} {'app median':>11} {'app p90':>9} {'floor median':>13} "
        f"{'floor p90':>10} {'app/floor':>10}"
    )
    for batch in mirror["batches"]:
        print(
            f"  {batch['pairs']:>6,} {batch['app_ms']['median']:>11.3f} "
            f"{batch['app_ms']['p90']:>9.3f} {batch['floor_ms']['median']:>13.3f} "
            f"{batch['floor_ms']['p90']:>10.3f} {batch['ratio']:>9.2f}x"
        )
    if mirror["profile"]:
        print(f"\n  cProfile of the app on this mirror:\n{mirror['profile']}")


def print_scale(base: dict, large: dict, rows: list[dict]) -> None:
    """How the medians grow from the base mirror to the large one."""
    print(f"\nMirror size: {base['versions']:,} -> {large['versions']:,} versions (medians, ms)")
    print(
        f"  {'pairs':>6} {'app base':>9} {'app large':>10} {'growth':>7} "
        f"{'floor base':>11} {'floor large':>12} {'growth':>7}"
    )
    for row in rows:
        print(
            f"  {row['pairs']:>6,} {row['app_base_ms']:>9.3f} {row['app_large_ms']:>10.3f} "
            f"{row['app_growth']:>6.2f}x {row['floor_base_ms']:>11.3f} "
            f"{row['floor_large_ms']:>12.3f} {row['floor_growth']:>6.2f}x"
        )


def print_verdicts(results: dict, skipped_scale: bool) -> None:
    """PASS or FAIL per target, with the machine's load to read them against."""
    before, after = results["load_before"], results["load_after"]
    busy = max(before["load_average_1min"], after["load_average_1min"]) > before["cpus"] / 2
    print(
        f"\nLoad average {before['load_average_1min']} before and "
        f"{after['load_average_1min']} after measuring, on {before['cpus']} CPUs"
        + (": a busy machine, expect noisy figures." if busy else ".")
    )
    for target in results["targets"]:
        verdict = "PASS" if target["passed"] else "FAIL"
        print(f"{verdict}  {target['name']}: {target['value']:.2f}x (target <= {target['limit']}x)")
    if skipped_scale:
        print("SKIP  mirror-size independence (--skip-scale)")
