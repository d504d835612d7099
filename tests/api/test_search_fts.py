"""On SQLite, searches take their candidates from the FTS5 trigram index (models/fts.py), which
migration 0007 fills, triggers keep in step, and `flask mirror verify` checks and repairs."""

import flask_migrate
import pytest
import sqlalchemy as sa

from extensions import db
from models.fts import SEARCH_TABLE, TRIGGERS, search_index_ready
from tests.api.test_search_index import NODES
from tests.databases import POSTGRESQL, backend, statements_run
from tests.dumps import dump, import_dump, node, version

pytestmark = pytest.mark.skipif(backend() == POSTGRESQL, reason="SQLite's FTS5 search index")


@pytest.fixture
def nodes(runner, tmp_path):
    """The app holds NODES."""
    result = import_dump(runner, tmp_path, NODES)
    assert result.exit_code == 0, result.output


def search_plans(app, client, url: str) -> list[str]:
    """SQLite's query plan of each statement with a LIKE the request ran, one line per step."""
    with app.app_context():
        with statements_run(db.engine, " LIKE ") as statements:
            response = client.get(url)
        assert response.status_code == 200, response.get_data(as_text=True)
        with db.engine.connect() as connection:
            return [
                "\n".join(
                    row[-1]
                    for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", parameters)
                )
                for sql, parameters in statements
            ]


@pytest.mark.parametrize(
    "url",
    [
        "/nodes/search?search=PACK-0042",
        "/nodes/search?repository_url_search=pack-0042&include_banned=false",
        "/web/search?q=Pack+42&sort=downloads",
    ],
)
def test_a_search_takes_its_candidates_from_the_index(app, client, nodes, url):
    plans = search_plans(app, client, url)

    assert len(plans) == 2, plans  # the count, and the page
    for plan in plans:
        assert f"SCAN {SEARCH_TABLE} VIRTUAL TABLE" in plan, plan
        assert "SEARCH nodes USING INTEGER PRIMARY KEY (rowid=?)" in plan, plan
        assert not [line for line in plan.splitlines() if line.split()[:2] == ["SCAN", "nodes"]]


def test_a_term_too_short_for_trigrams_scans_and_still_finds(app, client, nodes):
    plans = search_plans(app, client, "/nodes/search?search=42")
    found = client.get("/nodes/search?search=42&limit=100").get_json()

    assert all(SEARCH_TABLE not in plan for plan in plans), plans
    assert found["total"] == len([i for i in range(300) if "42" in f"{i:04d} {i}"])


def test_a_term_most_nodes_hold_is_searched_by_scanning_the_id_order(app, client, nodes):
    # Every node holds "number": the scan fills the page from the first nodes it walks,
    # where the index would read and sort all 300.
    plans = search_plans(app, client, "/nodes/search?search=NUMBER")
    found = client.get("/nodes/search?search=NUMBER").get_json()

    assert all(SEARCH_TABLE not in plan for plan in plans), plans
    assert found["total"] == 300
    assert found["nodes"][0]["id"] == "pack-0000"


def index_rows(app) -> int:
    """How many rows the search index holds."""
    with app.app_context():
        return db.session.execute(sa.text(f"SELECT count(*) FROM {SEARCH_TABLE}")).scalar_one()


def test_migration_0007_indexes_the_nodes_a_mirror_already_holds(app, client, nodes):
    with app.app_context():
        flask_migrate.downgrade(revision="0005")
        with db.engine.connect() as connection:
            assert not search_index_ready(connection)
        flask_migrate.upgrade()
        db.engine.dispose()

    assert index_rows(app) == 300
    found = client.get("/nodes/search?search=pack+42").get_json()
    assert [each["id"] for each in found["nodes"]] == ["pack-0042"]
    plans = search_plans(app, client, "/nodes/search?search=pack+42")
    assert all(SEARCH_TABLE in plan for plan in plans), plans


def test_a_downgrade_that_rebuilds_the_nodes_table_keeps_the_search_index(app, client, nodes):
    """0009's downgrade rebuilds `nodes` (dropping a column): the index is made again."""
    with app.app_context():
        flask_migrate.downgrade(revision="0008")
        with db.engine.connect() as connection:
            assert search_index_ready(connection)
        db.engine.dispose()

    assert index_rows(app) == 300
    found = client.get("/nodes/search?search=pack+42").get_json()
    assert [each["id"] for each in found["nodes"]] == ["pack-0042"]


def execute(app, *statements: str) -> None:
    """Run SQL statements on the mirror's database and commit them."""
    with app.app_context():
        for statement in statements:
            db.session.execute(sa.text(statement))
        db.session.commit()


# Ways the index can fall out of step, and what verify then says of it.
DAMAGE = {
    "row-lost": (f"DELETE FROM {SEARCH_TABLE} WHERE rowid = (SELECT min(rowid) FROM nodes)",),
    "row-stale": (f"UPDATE {SEARCH_TABLE} SET name = 'elsewhere' WHERE rowid % 10 = 0",),
    "row-of-no-node": (f"INSERT INTO {SEARCH_TABLE} (rowid, id) VALUES (999999, 'ghost')",),
    "trigger-dropped": (f"DROP TRIGGER {TRIGGERS[2]}",),
    "index-dropped": (
        *(f"DROP TRIGGER {trigger}" for trigger in TRIGGERS),
        f"DROP TABLE {SEARCH_TABLE}",
    ),
}


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_verify_reports_an_index_out_of_step_and_repair_makes_it_again(app, nodes, damage):
    execute(app, *DAMAGE[damage])

    found = app.test_cli_runner().invoke(args=["mirror", "verify"])
    repaired = app.test_cli_runner().invoke(args=["mirror", "verify", "--repair"])

    assert found.exit_code == 1, found.output
    assert "search index out of step" in found.output
    assert "1 problem: " in found.output
    assert repaired.exit_code == 0, repaired.output
    assert "made the search index again from the nodes" in repaired.output
    assert index_rows(app) == 300
    assert app.test_cli_runner().invoke(args=["mirror", "verify"]).exit_code == 0
    found = app.test_client().get("/nodes/search?search=NUMBER+42").get_json()
    assert [each["id"] for each in found["nodes"]] == ["pack-0042"]


def test_a_damaged_index_is_not_trusted_until_repaired(app, client, runner, tmp_path, nodes):
    execute(app, f"DROP TRIGGER {TRIGGERS[0]}")
    late = dump(node("late-pack", version("1.0.0")))
    assert import_dump(runner, tmp_path, late, name="late.json").exit_code == 0

    found = client.get("/nodes/search?search=late-pack").get_json()

    assert [each["id"] for each in found["nodes"]] == ["late-pack"]
