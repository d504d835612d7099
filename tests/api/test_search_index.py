"""Searches on PostgreSQL are served by trigram indexes on the expressions they match."""

import pytest

from extensions import db
from tests.databases import POSTGRESQL, backend, query_plans, statements_run
from tests.dumps import dump, import_dump, node, version

pytestmark = pytest.mark.skipif(
    backend() != POSTGRESQL, reason="PostgreSQL's trigram indexes: runs with --database=postgresql"
)

# On so few nodes the planner would rather read them all (or walk the primary key); with those
# ways priced out, only an index on the very expression a search matches can serve it.
PRICED_OUT = ("seqscan", "indexscan")
NODES = dump(
    *(
        node(
            f"pack-{index:04d}",
            version("1.0.0"),
            name=f"Pack {index}",
            description=f"Nodes number {index}",
            author=f"Author {index % 7}",
            repository=f"https://github.com/someone/pack-{index:04d}",
        )
        for index in range(300)
    )
)


@pytest.fixture
def nodes(runner, tmp_path):
    """The app holds NODES."""
    result = import_dump(runner, tmp_path, NODES)
    assert result.exit_code == 0, result.output


def search_plans(app, client, url: str) -> list[str]:
    """The plans PostgreSQL makes, PRICED_OUT, for each statement with a LIKE the request ran."""
    with app.app_context():
        with statements_run(db.engine, " LIKE ") as statements:
            response = client.get(url)
        plans = query_plans(db.engine, statements, PRICED_OUT)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert len(response.get_json()["nodes"]) == 1
    assert len(plans) == 2  # the count, and the page
    return plans


def test_a_search_uses_the_trigram_index_of_every_column_it_searches(app, client, nodes):
    for plan in search_plans(app, client, "/nodes/search?search=PACK-0042"):
        for column in ("id", "name", "description", "author"):
            assert f"Bitmap Index Scan on ix_nodes_{column}_search" in plan, plan
        assert "Seq Scan" not in plan, plan


def test_a_repository_search_uses_the_trigram_index_on_repositories(app, client, nodes):
    for plan in search_plans(app, client, "/nodes/search?repository_url_search=pack-0042"):
        assert "Bitmap Index Scan on ix_nodes_repository_search" in plan, plan
