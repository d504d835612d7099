"""The paging benchmark still runs end to end on tiny mirrors, so it cannot rot unnoticed."""

import pytest

from bench import paging

pytestmark = pytest.mark.slow


def test_paging_benchmark_times_every_page_against_the_reference(tmp_path):
    out = tmp_path / "figures.json"
    results = paging.main(["--smoke", "--workdir", str(tmp_path), "--json", str(out)])

    assert [mirror["versions"] for mirror in results["mirrors"]] == [210, 420]
    names = set(paging.pages(30, 7))
    for mirror in results["mirrors"]:
        assert set(mirror["latency"]) == names
        for figures in mirror["latency"].values():
            for side in ("app", "service", "reference"):
                assert figures[side]["p50"] > 0
    assert set(results["growth"]) == names
    assert out.read_bytes().startswith(b"{")
