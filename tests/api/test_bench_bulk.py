"""The bulk benchmark still runs end to end on a tiny mirror, so it cannot rot unnoticed."""

import pytest

from bench import bulk
from tests.databases import POSTGRESQL, backend, postgres_url

TINY_RUN = ("--nodes", "20", "--versions-per-node", "3", "--sizes", "1,5", "--repeat", "2")


def test_bulk_benchmark_checks_every_response_of_a_tiny_run(tmp_path):
    results = bulk.main([*TINY_RUN, "--skip-scale", "--workdir", str(tmp_path)])

    [mirror] = results["mirrors"]
    assert mirror["versions"] == 60
    assert mirror["build"]["import_s"] > 0
    assert [batch["pairs"] for batch in mirror["batches"]] == [1, 5]
    for batch in mirror["batches"]:
        assert batch["timed_calls"] == 2
        assert batch["checked_responses"] == bulk.WARM_UP_CALLS + 2
        assert batch["app_ms"]["median"] > 0
        assert batch["floor_ms"]["median"] > 0
    assert [target["limit"] for target in results["targets"]] == [1.5]
    assert results["scale"] == []


def test_bulk_benchmark_compares_two_mirror_sizes_and_writes_json(tmp_path):
    out = tmp_path / "figures.json"
    scale = ("--scale-nodes", "30", "--scale-nodes-per-import", "10")
    results = bulk.main([*TINY_RUN, *scale, "--workdir", str(tmp_path), "--json", str(out)])

    assert [mirror["versions"] for mirror in results["mirrors"]] == [60, 90]
    assert len(results["mirrors"][1]["build"]["import_calls_s"]) == 3
    assert [row["pairs"] for row in results["scale"]] == [1, 5]
    assert [target["limit"] for target in results["targets"]] == [1.5, 1.3]
    assert out.read_bytes().startswith(b"{")


@pytest.mark.skipif(backend() != POSTGRESQL, reason="runs with --database=postgresql")
def test_bulk_benchmark_runs_on_postgresql_against_its_psycopg_floor():
    results = bulk.main([*TINY_RUN, "--skip-scale", "--database-url", postgres_url()])

    [mirror] = results["mirrors"]
    assert mirror["build"]["db_url"].startswith("postgresql+psycopg://")
    assert mirror["versions"] == 60
    for batch in mirror["batches"]:
        assert batch["checked_responses"] == bulk.WARM_UP_CALLS + 2
        assert batch["floor_ms"]["median"] > 0
