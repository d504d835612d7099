"""The web pages' benchmark still runs end to end on a tiny mirror, so it cannot rot unnoticed."""

import pytest

from bench import web
from tests.databases import POSTGRESQL, backend, postgres_url

pytestmark = pytest.mark.slow


def test_web_benchmark_prints_a_row_for_every_page_against_the_floor(tmp_path, capsys):
    server = ["--database-url", postgres_url()] if backend() == POSTGRESQL else []
    out = tmp_path / "figures.json"

    results = web.main(
        ["--packs", "50", "--repeat", "2", "--workdir", str(tmp_path), "--json", str(out), *server]
    )

    printed = capsys.readouterr().out.splitlines()
    for path in web.pages(50):
        assert any(line.split()[0] == path for line in printed if line.strip()), printed
    assert set(results["pages"]) == set(web.pages(50))
    assert results["floor"]["median_ms"] > 0
    for figures in results["pages"].values():
        assert figures["p95_ms"] >= figures["median_ms"] > 0
        assert figures["floor_ratio"] > 0
    assert out.read_bytes().startswith(b"{")
