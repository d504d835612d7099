"""The command line of `python -m bench.bulk`: its options, and the checks of their values."""

import argparse

WARM_UP_CALLS = 3


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line, checked."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.bulk",
        description="Time POST /bulk/nodes/versions in-process on a generated mirror, beside a "
        "plain-sqlite3 + orjson floor, then again on a larger mirror.",
    )
    _mirror_options(parser)
    _run_options(parser)
    args = parser.parse_args(argv)
    try:
        args.sizes = [int(size) for size in args.sizes.split(",")]
    except ValueError:
        parser.error(f"--sizes: expected comma-separated whole numbers, got {args.sizes!r}")
    if not args.sizes or min(args.sizes) < 1:
        parser.error("--sizes: every batch size must be 1 or more")
    if not 0 <= args.hit_ratio <= 1:
        parser.error("--hit-ratio: must be between 0 and 1")
    if min(args.nodes, args.versions_per_node, args.repeat, args.scale_nodes) < 1:
        parser.error("--nodes, --versions-per-node, --repeat and --scale-nodes must be 1 or more")
    if args.reuse and not args.workdir:
        parser.error("--reuse needs --workdir")
    return args


def _mirror_options(parser: argparse.ArgumentParser) -> None:
    """The options that shape the mirrors: their sizes and where they live."""
    parser.add_argument(
        "--nodes", type=int, default=5000, help="nodes in the base mirror (%(default)s)"
    )
    parser.add_argument(
        "--versions-per-node",
        type=int,
        default=20,
        help="versions of each node, both mirrors (%(default)s)",
    )
    parser.add_argument(
        "--scale-nodes", type=int, default=50_000, help="nodes in the large mirror (%(default)s)"
    )
    parser.add_argument(
        "--scale-nodes-per-import",
        type=int,
        help="split the large mirror into dump files of this many nodes, one import_dumps call "
        "each (default: one dump, one import, as a user loading a full dump)",
    )
    parser.add_argument("--skip-scale", action="store_true", help="skip the large mirror")
    parser.add_argument(
        "--database-url",
        metavar="URL",
        help="a PostgreSQL server (postgresql://user@host/db): each mirror gets a database "
        "there, mirror_<nodes>x<versions>_<folder>, and the floor uses psycopg (default: "
        "SQLite files); without --workdir they are dropped at the end",
    )
    parser.add_argument(
        "--workdir", help="where dumps and databases go (default: a temporary folder, removed)"
    )
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="reuse mirror databases an earlier run left in --workdir instead of rebuilding",
    )


def _run_options(parser: argparse.ArgumentParser) -> None:
    """The options that shape the measuring: batch sizes, calls, hits, what to report."""
    parser.add_argument(
        "--sizes",
        default="1,30,300,1000,5000",
        help="comma-separated batch sizes in pairs (%(default)s)",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=30,
        help=f"timed calls per batch size (after {WARM_UP_CALLS} "
        "warm-up calls), each with a different random request (%(default)s)",
    )
    parser.add_argument(
        "--hit-ratio",
        type=float,
        default=0.8,
        help="share of pairs that exist in the mirror (%(default)s)",
    )
    parser.add_argument(
        "--seed", type=int, default=2026, help="seed of the request generator (%(default)s)"
    )
    parser.add_argument(
        "--profile",
        type=int,
        metavar="PAIRS",
        help="also cProfile the app on the base mirror at this batch size and print the top",
    )
    parser.add_argument("--json", metavar="OUT", help="write the figures to this JSON file")
    parser.add_argument(
        "--strict", action="store_true", help="exit with status 1 when a target is missed"
    )
