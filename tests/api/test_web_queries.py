"""The web pages' cost: a fixed number of queries whatever a page shows (no query per pack or
per version); their time on a mirror of 5,000 packs is bench/web.py's to measure."""

import pytest

from extensions import db
from tests.databases import statements_run

HTML = {"Accept": "text/html"}


def queries_run(client, path: str) -> int:
    """How many SQL statements answering `path` ran (a successful page)."""
    with client.application.app_context():
        engine = db.engine
    with statements_run(engine, "") as statements:
        response = client.get(path, headers=HTML)
    assert response.status_code == 200, response.data[:300]
    return len(statements)


@pytest.mark.parametrize(
    "few, many",
    [
        ("/web/search?q=VIDEO", "/web/search?q=filler"),
        ("/web/search?q=VIDEO&sort=downloads", "/web/search?sort=updated"),
        ("/web/packs/pack-two", "/web/packs/Pack-One"),
        ("/web/publishers/pub-two", "/web/publishers/pub-one"),
    ],
)
def test_a_page_runs_no_more_queries_for_many_packs_or_versions_than_for_one(
    catalogue_client, few, many
):
    assert queries_run(catalogue_client, many) <= queries_run(catalogue_client, few) <= 8


@pytest.mark.sqlite_only("reads SQLite's query plan")
def test_packs_by_last_update_are_read_in_index_order_without_sorting(catalogue_client):
    """One import stamps many packs alike: the page must not sort them all to break the tie."""
    with catalogue_client.application.app_context():
        engine = db.engine
    with statements_run(engine, "ORDER BY nodes.changed_at DESC") as statements:
        response = catalogue_client.get("/web/search?sort=updated", headers=HTML)
    assert response.status_code == 200
    with engine.connect() as connection:
        plans = [
            [row[-1] for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", params)]
            for sql, params in statements
        ]
    assert plans, "no statement ordered by changed_at"
    for plan in plans:
        assert any("ix_nodes_changed_at_order" in step for step in plan), plan
        assert not any("TEMP B-TREE FOR ORDER BY" in step for step in plan), plan
