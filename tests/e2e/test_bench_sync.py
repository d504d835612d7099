"""The sync benchmark still runs end to end on a tiny upstream, so it cannot rot unnoticed."""

import json

import pytest

from bench import sync
from services.sync.releases import RELEASE_NOTE_REQUESTS


@pytest.mark.slow
@pytest.mark.sqlite_only("the benchmark makes its own mirrors, on SQLite files")
def test_sync_benchmark_checks_a_full_and_an_incremental_sync_of_a_tiny_upstream(tmp_path):
    out = tmp_path / "figures.json"
    figures = sync.main(
        [
            "--nodes", "120", "--versions-per-node", "2", "--changed", "3", "--workers", "1",
            "--workdir", str(tmp_path), "--json", str(out),
        ]
    )  # fmt: skip

    full, incremental = figures["full"], figures["incremental"]
    assert full["mode"].startswith("full")
    assert (full["mirror_nodes"], full["mirror_versions"]) == (120, 240)
    assert full["requests"]["node pages"] == 2
    assert full["requests"]["version lists"] == 120
    assert incremental["mode"].startswith("incremental")
    assert incremental["requests"]["version lists"] == 3
    # Each changed node's three versions (one new) have their node classes asked for.
    assert incremental["requests"]["comfy-node lists"] == 9
    # A page, three version lists, nine node-class lists, the release notes of every project
    # in every locale, and the list of every publisher.
    assert incremental["logged_by_upstream"] == 4 + 9 + RELEASE_NOTE_REQUESTS + 1
    assert incremental["mirror_versions"] == 243
    assert json.loads(out.read_bytes())["incremental"]["nodes_fetched"] == 3
