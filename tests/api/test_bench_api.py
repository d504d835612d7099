"""The read-API benchmark still runs end to end on a tiny mirror, so it cannot rot unnoticed."""

import pytest

from bench import api

pytestmark = pytest.mark.slow


def test_read_api_benchmark_times_every_request_in_process_and_under_wrk(tmp_path):
    out = tmp_path / "figures.json"
    results = api.main(["--smoke", "--workdir", str(tmp_path), "--json", str(out)])

    assert results["versions"] == 60
    names = set(api.requests(20, 3))
    assert set(results["latency"]) == names
    for figures in results["latency"].values():
        assert figures["app"]["p50"] > 0
        assert figures["floor"]["p50"] > 0
    assert set(results["throughput"]) == names
    for figures in results["throughput"].values():
        assert figures["app"] > 0
        assert figures["floor"] > 0
    assert out.read_bytes().startswith(b"{")
