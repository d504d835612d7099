"""The search benchmark still runs end to end on a tiny mirror, so it cannot rot unnoticed."""

import pytest

from bench import search
from tests.databases import POSTGRESQL, backend, postgres_url

pytestmark = pytest.mark.slow


def test_search_benchmark_times_each_term_with_and_without_the_index(tmp_path):
    server = ["--database-url", postgres_url()] if backend() == POSTGRESQL else []
    out = tmp_path / "figures.json"

    results = search.main(["--smoke", "--workdir", str(tmp_path), "--json", str(out), *server])

    figures = results["sizes"][40]
    for state in ("scanned", "indexed"):
        assert set(figures[state]) == {"floor", *search.TERMS}
        assert figures[state].pop("floor")["median_ms"] > 0
        assert figures[state]["common"]["total"] == 40
        for found in figures[state].values():
            assert found["api"]["median_ms"] > 0
            assert found["web"]["p95_ms"] > 0
            assert found["sql"]["median_ms"] > 0
    assert figures["plans"]  # the count (no page: the rare term finds none of 40)
    if backend() != POSTGRESQL:  # PostgreSQL rightly scans a table of 40 rows
        assert all("nodes_search" in plan for plan in figures["plans"]), figures["plans"]
    assert out.read_bytes().startswith(b"{")
