"""Scanning archives on a pool of processes: the same results as one scan at a time, and each
archive's time and memory bounded by its process (a stuck read is stopped, the pool goes on)."""

import json
import os
from dataclasses import asdict

import pytest

from services.node_classes import ScanLimits, scan_archive
from services.node_classes.pool import scan_archives
from tests.packs import BOMB_PROBLEM, FILTERS_PACK, bomb_bytes, write_tar_gz, write_zip

GOOD = {
    "__init__.py": "from .nodes import NODE_CLASS_MAPPINGS\n",
    "nodes.py": "class Good:\n    CATEGORY = 'ok'\n\nNODE_CLASS_MAPPINGS = {'Good': Good}\n",
}


def as_sent(pack) -> dict:
    """A scan as a scanning process sends it back (JSON: tuples become lists)."""
    return json.loads(json.dumps(asdict(pack)))


def test_the_pool_finds_what_scanning_one_by_one_finds(tmp_path):
    bomb = tmp_path / "bomb.tar.gz"
    bomb.write_bytes(bomb_bytes(tmp_path))
    not_an_archive = tmp_path / "text.zip"
    not_an_archive.write_text("not an archive")
    paths = [
        write_zip(tmp_path / "filters.zip", FILTERS_PACK),
        write_tar_gz(tmp_path / "filters.tar.gz", FILTERS_PACK, top="filters/"),
        write_zip(tmp_path / "good.zip", GOOD),
        bomb,
        not_an_archive,
    ]

    found = scan_archives(paths)

    assert sorted(found) == sorted(str(path) for path in paths)
    assert {path: as_sent(pack) for path, pack in found.items()} == {
        str(path): as_sent(scan_archive(path)) for path in paths
    }
    assert found[str(bomb)].problem == BOMB_PROBLEM


def test_a_read_that_never_returns_is_stopped_at_the_time_bound(tmp_path):
    stuck = tmp_path / "stuck.zip"
    os.mkfifo(stuck)  # opening it waits for a writer that never comes
    good = write_zip(tmp_path / "good.zip", GOOD)

    found = scan_archives(
        [stuck, good, good.rename(tmp_path / "again.zip")], ScanLimits(max_seconds=0.2)
    )

    assert found[str(stuck)].problem == "not indexed: reading it took longer than 0.2 s"
    assert found[str(tmp_path / "again.zip")].comfy_nodes == (
        {"comfy_node_name": "Good", "category": "ok"},
    )


@pytest.mark.slow
def test_a_file_too_large_to_parse_within_the_memory_bound_is_skipped(tmp_path):
    lines = "".join(f"x{i} = [{i}, ({i}, {i} + 1), {{'k': {i}}}]\n" for i in range(50_000))
    pack = write_zip(tmp_path / "dense.zip", {**GOOD, "nodes.py": GOOD["nodes.py"] + lines})

    bounded = scan_archives([pack], ScanLimits(max_memory_bytes=150 * 1024 * 1024))[str(pack)]
    unbounded = scan_archives([pack])[str(pack)]

    assert bounded.comfy_nodes == () and bounded.notes == (
        "nodes.py: skipped: nested too deeply to parse",
    )
    assert unbounded.comfy_nodes == ({"comfy_node_name": "Good", "category": "ok"},)
