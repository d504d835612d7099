"""GET /nodes and /versions pages from the stored totals and anchors (services/listings.py):
every page equals the plain count-and-OFFSET answer, and no writer leaves them stale."""

import math
import random

import flask_migrate
import orjson
import pytest
import sqlalchemy as sa

from extensions import db
from models import ListingAnchor, ListingTotal, Node, NodeStatus, NodeVersion, NodeVersionStatus
from services.listings import ANCHOR_SPACING, stale_listings
from tests.dumps import dump, imported, node, version
from tests.plain_pages import plain_nodes, plain_versions

# Characters whose order differs between collations, so that the anchors' seeks must compare
# keys exactly as the listings order them.
ID_PARTS = ["a", "B", "z", "0", "9", "-", "_", ".", "Zz", "aa"]
VERSION_NUMBERS = ["1.0.0", "1.0.0-alpha", "1.0.0-Beta", "1.10.0", "1.9.0", "10.0.0", "2.0.0+b"]


def generated_dump(seed: int, nodes: int) -> dict:
    """`nodes` nodes with 0-12 versions each, of every status, some nodes banned or deleted."""
    chance = random.Random(seed)
    made, ids = [], set()
    while len(made) < nodes:
        middle = "".join(chance.choice(ID_PARTS) for _ in range(chance.randint(0, 3)))
        node_id = f"p{middle}{chance.randint(0, 99)}"
        if node_id.lower() in ids:
            continue
        ids.add(node_id.lower())
        numbers = chance.sample(VERSION_NUMBERS, chance.randint(0, len(VERSION_NUMBERS)))
        numbers += [f"0.{minor}.{chance.randint(0, 3)}" for minor in range(chance.randint(0, 5))]
        versions = [
            version(number, status=chance.choice(list(NodeVersionStatus)).value)
            for number in dict.fromkeys(numbers)
        ]
        status = chance.choice([NodeStatus.ACTIVE] * 4 + [NodeStatus.BANNED, NodeStatus.DELETED])
        made.append(node(node_id, *versions, status=status.value))
    return dump(*made)


@pytest.fixture
def generated(app, runner, tmp_path) -> None:
    """The app holds generated_dump(1, 400): some 2,500 versions."""
    imported(runner, tmp_path, generated_dump(1, 400))


def reference_versions(number: int, size: int) -> tuple[int, list]:
    """The plain query's total and page of versions, decoded."""
    count, page = plain_versions(number, size)
    total = db.session.scalar(count)
    return total, [orjson.loads(text) for text in db.session.scalars(page)]


def reference_nodes(number: int, size: int) -> tuple[int, list]:
    """The plain query's total and page of nodes, decoded as the API sends them."""
    count, page = plain_nodes(number, size)
    documents = []
    for served, latest in db.session.execute(page):
        document = orjson.loads(served)
        if latest is not None:
            document["latest_version"] = orjson.loads(latest)
        documents.append(document)
    return db.session.scalar(count), documents


def every_page(client, path: str, size: int, total: int) -> list[bytes]:
    """Each page of `path` from the first to two past the last, as answered."""
    last = math.ceil(total / size)
    return [client.get(f"{path}{size}&page={number}").data for number in range(1, last + 3)]


@pytest.mark.parametrize("size", [1, 7, 99, 100])
def test_every_page_of_nodes_equals_the_plain_offset_query(app, client, generated, size):
    with app.app_context():
        total = db.session.scalar(sa.select(sa.func.count()).select_from(Node))
        for number, answer in enumerate(every_page(client, "/nodes?limit=", size, total), 1):
            expected_total, expected = reference_nodes(number, size)
            assert orjson.loads(answer) == {
                "total": expected_total,
                "nodes": expected,
                "page": number,
                "limit": size,
                "totalPages": math.ceil(expected_total / size),
            }, number


@pytest.mark.parametrize("size", [7, 99, 100])
def test_every_page_of_versions_equals_the_plain_offset_query(app, client, generated, size):
    with app.app_context():
        total = db.session.scalar(sa.select(sa.func.count()).select_from(NodeVersion))
        assert total > 20 * ANCHOR_SPACING
        path = "/versions?include_status_reason=true&pageSize="
        for number, answer in enumerate(every_page(client, path, size, total), 1):
            expected_total, expected = reference_versions(number, size)
            assert orjson.loads(answer) == {
                "total": expected_total,
                "versions": expected,
                "page": number,
                "pageSize": size,
                "totalPages": math.ceil(expected_total / size),
            }, number


def forget_listings(app) -> None:
    """Remove the stored totals and anchors, as in a database no writer has committed to."""
    with app.app_context():
        db.session.execute(sa.delete(ListingTotal))
        db.session.execute(sa.delete(ListingAnchor))
        db.session.commit()


def test_pages_are_byte_identical_to_those_counted_and_skipped(app, client, generated):
    with app.app_context():
        nodes = db.session.scalar(sa.select(sa.func.count()).select_from(Node))
        versions = db.session.scalar(sa.select(sa.func.count()).select_from(NodeVersion))
    asked = [("/nodes?limit=", 13, nodes), ("/versions?pageSize=", 30, versions)]
    stored = [every_page(client, path, size, total) for path, size, total in asked]

    forget_listings(app)

    assert [every_page(client, path, size, total) for path, size, total in asked] == stored


def stored_listings(app) -> dict:
    """The stored totals, and how many anchors each listing has."""
    with app.app_context():
        totals = sa.select(ListingTotal.listing, ListingTotal.total)
        totals = dict(db.session.execute(totals).all())
        anchors = sa.select(ListingAnchor.listing, sa.func.count()).group_by(ListingAnchor.listing)
        return {"totals": totals, "anchors": dict(db.session.execute(anchors).all())}


def assert_fresh(app) -> None:
    """The stored totals and anchors are those of the rows held now."""
    with app.app_context():
        assert stale_listings(db.session) == []
        nodes = db.session.scalar(sa.select(sa.func.count()).select_from(Node))
        versions = db.session.scalar(sa.select(sa.func.count()).select_from(NodeVersion))
    assert stored_listings(app)["totals"] == {"nodes": nodes, "versions": versions}


def test_imports_adding_and_removing_rows_leave_fresh_totals(app, runner, tmp_path):
    imported(runner, tmp_path, generated_dump(2, 150), name="first.json")
    assert_fresh(app)
    first = stored_listings(app)

    imported(runner, tmp_path, generated_dump(3, 60), name="more.json")
    assert_fresh(app)
    assert stored_listings(app)["totals"]["nodes"] > first["totals"]["nodes"]

    # --replace removes every node and version the dump does not hold.
    imported(runner, tmp_path, generated_dump(4, 30), "--replace", name="fewer.json")
    assert_fresh(app)
    assert stored_listings(app)["totals"]["nodes"] == 30


def test_indexing_and_repairing_leave_fresh_totals(app, runner, tmp_path):
    imported(runner, tmp_path, generated_dump(5, 120))
    assert runner.invoke(args=["mirror", "index"]).exit_code == 0
    assert_fresh(app)
    assert runner.invoke(args=["mirror", "verify", "--repair"]).exit_code == 0
    assert_fresh(app)


def test_an_empty_mirror_counts_nothing_and_stores_nothing(app, client):
    assert client.get("/versions?page=3").json["total"] == 0
    assert client.get("/nodes").json["total"] == 0
    assert stored_listings(app) == {"totals": {}, "anchors": {}}
    with app.app_context():
        assert stale_listings(db.session) == []


def test_pages_read_the_stored_anchors_and_verify_repairs_a_stale_one(app, client, generated):
    anchored = ANCHOR_SPACING * 3
    path = f"/versions?pageSize=100&page={anchored // 100 + 1}"
    before = client.get(path).data
    with app.app_context():
        # The anchor of the page's first item moved one item on: the page begins one late.
        later = db.session.execute(
            sa.select(NodeVersion.node_normalized_id, NodeVersion.version)
            .order_by(NodeVersion.node_normalized_id, NodeVersion.version)
            .offset(anchored + 1)
            .limit(1)
        ).one()
        db.session.execute(
            sa.update(ListingAnchor)
            .where(ListingAnchor.listing == "versions", ListingAnchor.position == anchored)
            .values(node_key=later[0], version_key=later[1])
        )
        db.session.commit()
    assert client.get(path).data != before

    found = app.test_cli_runner().invoke(args=["mirror", "verify"])
    assert found.exit_code == 1
    assert (
        "Stale listings (1):\n"
        f"  versions: its page anchors differ from its rows from item {anchored}\n"
        in (found.output)
    )

    repaired = app.test_cli_runner().invoke(args=["mirror", "verify", "--repair"])
    assert repaired.exit_code == 0, repaired.output
    assert "versions: made its total and page anchors again" in repaired.output
    assert client.get(path).data == before
    assert_fresh(app)


def test_a_stale_total_is_reported_and_repaired(app, client, generated):
    with app.app_context():
        held = db.session.scalar(sa.select(sa.func.count()).select_from(Node))
        db.session.execute(
            sa.update(ListingTotal).where(ListingTotal.listing == "nodes").values(total=held + 5)
        )
        db.session.commit()
    assert client.get("/nodes").json["total"] == held + 5

    found = app.test_cli_runner().invoke(args=["mirror", "verify"])
    assert found.exit_code == 1
    assert f"  nodes: the stored total is {held + 5}; it holds {held}\n" in found.output

    assert app.test_cli_runner().invoke(args=["mirror", "verify", "--repair"]).exit_code == 0
    assert client.get("/nodes").json["total"] == held
    assert_fresh(app)


def test_upgrading_to_the_listings_revision_stores_them(app, runner, tmp_path):
    imported(runner, tmp_path, generated_dump(6, 80))
    with app.app_context():
        try:
            flask_migrate.downgrade(revision="0005")
            flask_migrate.upgrade()
        finally:
            db.engine.dispose()
    assert_fresh(app)
    assert stored_listings(app)["anchors"]["versions"] > 1
