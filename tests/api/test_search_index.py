"""Searches on PostgreSQL are served by trigram indexes on the expressions they match; a role
that may not install pg_trgm gets a mirror without them, and a warning."""

import logging

import pytest

from app import create_app
from extensions import db
from services.schema import head_revision, stored_revision
from tests.databases import (
    POSTGRESQL,
    backend,
    database_of_a_restricted_role,
    query_plans,
    statements_run,
)
from tests.dumps import dump, import_dump, node, version
from tests.revisions import migrate_from_nothing, schema_differences

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


def trigram_indexes(app) -> list[str]:
    """The names of the trigram indexes the app's database holds."""
    with app.app_context():
        query = "SELECT indexname FROM pg_indexes WHERE indexdef LIKE '%gin_trgm_ops%'"
        return sorted(db.session.execute(db.text(query)).scalars())


def test_new_databases_have_the_trigram_indexes(app):
    assert trigram_indexes(app) == [
        f"ix_nodes_{column}_search"
        for column in ("author", "description", "id", "name", "repository")
    ]


def test_a_role_that_may_not_install_pg_trgm_gets_a_mirror_that_searches_by_scanning(
    tmp_path, caplog
):
    with database_of_a_restricted_role() as url:
        config = {"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "ARCHIVE_DIR": str(tmp_path)}
        with caplog.at_level(logging.WARNING, logger="models.search"):
            app = create_app(config)  # an empty database, made from the models
            assert "permission denied to create extension" in caplog.text
            assert "node searches will scan the whole table" in caplog.text
            caplog.clear()
            migrate_from_nothing(app)  # the same database, made by `flask db upgrade`
            assert "node searches will scan the whole table" in caplog.text
        with app.app_context(), db.engine.connect() as connection:
            assert stored_revision(connection) == head_revision()
        assert schema_differences(url, db.metadata) == []
        assert trigram_indexes(app) == []
        assert import_dump(app.test_cli_runner(), tmp_path, NODES).exit_code == 0
        found = app.test_client().get("/nodes/search?search=PACK-0042").get_json()
        assert [found_node["id"] for found_node in found["nodes"]] == ["pack-0042"]
        with app.app_context():
            db.engine.dispose()
