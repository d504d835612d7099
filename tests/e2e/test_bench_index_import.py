"""The indexing-at-import benchmark runs end to end on two generated packs and the sample."""

import pytest

from bench import index_import


@pytest.mark.slow
@pytest.mark.sqlite_only("the benchmark makes SQLite mirrors of its own")
def test_a_small_run_imports_generated_packs_and_the_sample(tmp_path, capsys):
    figures = index_import.main(["--packs", "2", "--folder", str(tmp_path)])

    assert figures["generated"]["archives"] == 2
    assert figures["sample"]["archives"] > 100
    assert figures["generated"]["archives_per_s"] > 0
    assert "0 not indexed" in capsys.readouterr().out
