"""The import benchmark still runs end to end at a tiny size, so it cannot rot unnoticed."""

import json

import pytest

from bench import importer


@pytest.mark.slow
@pytest.mark.sqlite_only("the benchmark makes SQLite mirrors of its own")
def test_a_tiny_run_measures_floor_fresh_unchanged_and_changed_imports(tmp_path):
    out = tmp_path / "figures.json"
    results = importer.main(["--sizes", "200", "--workdir", str(tmp_path), "--json", str(out)])

    [row] = results["sizes"]
    assert row["versions"] == 200
    for run in ("floor", "fresh", "unchanged", "changed"):
        assert row[f"{run}_s"] > 0
        assert row[f"{run}_rss_mb"] > 0
    assert json.loads(out.read_text())["sizes"] == [row]
    # The dumps and databases are removed once measured.
    assert sorted(path.name for path in tmp_path.iterdir()) == ["empty.db", "figures.json"]
