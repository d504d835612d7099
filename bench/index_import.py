"""Benchmark indexing at import: a bundle of generated packs (bench/node_packs.py) imported into
a new SQLite mirror by `flask mirror import`, whose summary says how many archives were read,
their megabytes and the seconds reading took; the sample bundle the same way.

Run from the repository root: `python -m bench.index_import --packs 200` (`--folder DIR` keeps
the packs and bundle for the next run).
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from functools import partial
from pathlib import Path

from bench.node_packs import generate_pack
from tests.bundles import SEED_DATA, write_bundle
from tests.dumps import dump, node, version

FLASK = str(Path(sys.executable).with_name("flask"))
READ = re.compile(r"\((\d+) archives, ([\d.]+) MB, read in ([\d.]+) s\)")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The benchmark's options."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--packs", type=int, default=1000, help="generated packs (1000)")
    parser.add_argument("--seed", type=int, default=1, help="generator seed (1)")
    parser.add_argument("--folder", type=Path, help="keep the packs and bundle here")
    return parser.parse_args(argv)


class BenchmarkError(Exception):
    """An import that did not find what the packs register: the figures would be void."""


def generated_bundle(folder: Path, packs: int, seed: int) -> tuple[Path, int]:
    """A bundle of `packs` generated packs, one version each (reused if already written), and
    how many node classes they register."""
    bundle = folder / f"bundle-{packs}-{seed}"
    expected = folder / f"bundle-{packs}-{seed}-classes.txt"
    if bundle.is_dir() and expected.is_file():
        return bundle, int(expected.read_text())
    shutil.rmtree(bundle, ignore_errors=True)
    (folder / "packs").mkdir(parents=True, exist_ok=True)
    made = list(map(partial(generate_pack, folder / "packs", seed=seed), range(packs)))
    document = dump(*(node(f"pack{i}", version("1.0.0")) for i in range(packs)))
    contents = {(f"pack{i}", "1.0.0"): pack.path.read_bytes() for i, pack in enumerate(made)}
    write_bundle(bundle, document, contents=contents)
    classes = sum(pack.node_classes for pack in made)
    expected.write_text(str(classes))
    return bundle, classes


def timed_import(bundle: Path, workdir: Path, classes: int) -> dict:
    """Import the bundle into a new mirror, check it found `classes` node classes, and print
    and return the figures of the summary's indexing line."""
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{workdir / 'mirror.db'}",
        "MIRROR_ARCHIVE_DIR": str(workdir / "archives"),
    }
    subprocess.run([FLASK, "db", "upgrade"], env=env, check=True, capture_output=True)
    done = subprocess.run(
        [FLASK, "mirror", "import", str(bundle)], env=env, check=True, capture_output=True
    )
    line = next(line for line in done.stdout.decode().splitlines() if READ.search(line))
    if f" {classes} node classes found, 0 not indexed" not in line:
        raise BenchmarkError(f"{bundle.name}: expected {classes} node classes: {line.strip()}")
    archives, megabytes, seconds = (float(value) for value in READ.search(line).groups())
    figures = {
        "archives": int(archives),
        "seconds": seconds,
        "archives_per_s": round(archives / seconds, 1),
        "mb_per_s": round(megabytes / seconds, 2),
    }
    print(
        f"{bundle.name}: {line.strip()}; {figures['archives_per_s']} archives/s, "
        f"{figures['mb_per_s']} MB/s of archives",
        flush=True,
    )
    return figures


def main(argv: list[str] | None = None) -> dict:
    """Run the benchmark; return its figures."""
    options = parse_args(argv)
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}", flush=True)
    folder = options.folder or Path(tempfile.mkdtemp(prefix="bench-index-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        # Every sample archive registers one node class.
        sample_classes = len(json.loads((SEED_DATA / "manifest.json").read_text())["archives"])
        bundle, classes = generated_bundle(folder, options.packs, options.seed)
        return {
            "sample": timed_import(SEED_DATA, folder / "seed-mirror", sample_classes),
            "generated": timed_import(bundle, folder / "mirror", classes),
        }
    finally:
        if options.folder is None:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
