"""Each node's stored answer (Node.served, its latest version spliced in on read) is what the
schemas make of it, and never stale."""

import copy

import flask_migrate
import orjson
import sqlalchemy as sa

from extensions import db
from models import Node, NodeVersion, Publisher, pair_key
from schemas.node import NodeSchema
from services.catalog.queries import get_node
from services.catalog.served_nodes import fresh_node, served_answer
from tests.bundles import hold_archives_catalogue
from tests.dumps import CATALOGUE_PUBLISHER, catalogue_dump, imported
from tests.revisions import migrate_from_nothing

_schema = NodeSchema(exclude=("translations",))


def schema_serialization(key: str) -> dict:
    """The node as NodeSchema serializes its ORM rows now, with publisher and latest version."""
    node = db.session.get(Node, key)
    fields = {column.key: getattr(node, column.key) for column in Node.__table__.c}
    if node.publisher_id:
        fields["publisher"] = db.session.get(Publisher, node.publisher_id)
    if node.latest_version:
        found = sa.select(NodeVersion.serialized).where(
            NodeVersion.pair_key == pair_key(key, node.latest_version)
        )
        # The stored version is NodeVersionSchema's (tests/api/test_node_versions.py proves it).
        fields["latest_version"] = orjson.loads(db.session.scalar(found))
    document = _schema.dump({**fields, "latest_version": None})
    if node.latest_version:
        document["latest_version"] = fields["latest_version"]
    return document


def answered_and_fresh(app) -> dict[str, tuple[bytes, bytes]]:
    """Each node as reads answer it (stored, with its latest version spliced in) beside the
    schemas' fresh serialization of it."""
    with app.app_context():
        keys = db.session.scalars(sa.select(Node.normalized_id).order_by(Node.normalized_id))
        return {
            key: (
                orjson.dumps(served_answer(get_node(db.session, key))),
                orjson.dumps(fresh_node(db.session, key)),
            )
            for key in keys
        }


def assert_served_fresh(app) -> None:
    """Every node's answer equals, byte for byte, what the schemas make of it now."""
    pairs = answered_and_fresh(app)
    assert pairs
    assert {key: answered for key, (answered, _) in pairs.items()} == {
        key: fresh for key, (_, fresh) in pairs.items()
    }


def test_every_catalogue_node_is_stored_as_the_schemas_serialize_it(app, catalogue):
    assert_served_fresh(app)


def test_nodes_with_mirrored_archives_are_stored_as_the_schemas_serialize_them(app, tmp_path):
    hold_archives_catalogue(app, tmp_path / "bundle")
    assert_served_fresh(app)


def get_node_equals_the_schema(app, client, node_id: str) -> dict:
    """GET /nodes/{node_id}'s body, checked equal to NodeSchema's serialization of the node now."""
    answer = client.get(f"/nodes/{node_id}")
    assert answer.status_code == 200
    with app.app_context():
        assert answer.get_json() == schema_serialization(node_id.lower())
    return answer.get_json()


def test_a_publisher_only_change_reaches_its_nodes(app, client, catalogue, runner, tmp_path):
    changed = catalogue_dump()
    changed["publishers"] = [{**CATALOGUE_PUBLISHER, "name": "Renamed Publisher"}]
    # pack-two carries pub-two in full; banned-pack, unchanged itself, only refers to it.
    changed["nodes"][1]["publisher"]["name"] = "Publisher Two, renamed"
    imported(runner, tmp_path, changed)
    assert get_node_equals_the_schema(app, client, "Pack-One")["publisher"]["name"] == (
        "Renamed Publisher"
    )
    banned = client.get("/nodes?node_id=banned-pack").get_json()["nodes"][0]
    assert banned["publisher"]["name"] == "Publisher Two, renamed"
    assert_served_fresh(app)


def test_a_latest_version_only_change_reaches_its_node(app, client, catalogue, runner, tmp_path):
    changed = catalogue_dump()
    pack_one = changed["nodes"][0]
    tenth = next(given for given in pack_one["versions"] if given["version"] == "1.10.0")
    tenth["changelog"] = "Tenth minor, rewritten."
    imported(runner, tmp_path, changed)
    body = get_node_equals_the_schema(app, client, "Pack-One")
    assert body["latest_version"]["changelog"] == "Tenth minor, rewritten."
    newer = copy.deepcopy(changed)
    newer["nodes"][0]["versions"].append({"version": "1.11.0", "changelog": "Eleventh."})
    imported(runner, tmp_path, newer, name="newer.json")
    assert get_node_equals_the_schema(app, client, "Pack-One")["latest_version"]["version"] == (
        "1.11.0"
    )
    assert_served_fresh(app)


def test_replace_removing_the_latest_version_reaches_its_node(
    app, client, catalogue, runner, tmp_path
):
    changed = catalogue_dump()
    pack_one = changed["nodes"][0]
    pack_one["versions"] = [given for given in pack_one["versions"] if given["version"] != "1.10.0"]
    imported(runner, tmp_path, changed, "--replace")
    body = get_node_equals_the_schema(app, client, "Pack-One")
    assert body["latest_version"]["version"] == "1.9.0"
    assert_served_fresh(app)


def test_repair_of_a_latest_version_reaches_its_node(app, client, catalogue, runner):
    with app.app_context():
        stored = db.session.scalar(
            sa.select(NodeVersion.serialized).where(NodeVersion.pair_key == "pack-one/1.10.0")
        )
        tampered = orjson.dumps({**orjson.loads(stored), "changelog": "Tampered."}).decode()
        db.session.execute(
            sa.update(NodeVersion)
            .where(NodeVersion.pair_key == "pack-one/1.10.0")
            .values(serialized=tampered)
        )
        db.session.commit()
    assert client.get("/nodes/Pack-One").get_json()["latest_version"]["changelog"] == "Tampered."
    result = runner.invoke(args=["mirror", "verify", "--repair"])
    assert "Pack-One 1.10.0: recomputed serialized" in result.output, result.output
    body = get_node_equals_the_schema(app, client, "Pack-One")
    assert body["latest_version"]["changelog"] == "Tenth minor."


READS = [
    "/nodes?limit=100",
    "/nodes/Pack-One",
    "/nodes/pack-two/install",
    "/nodes/search?search=pack",
    "/publishers/pub-one/nodes",
]


def test_an_upgraded_mirror_answers_as_before(app, runner, tmp_path):
    migrate_from_nothing(app)
    imported(runner, tmp_path, catalogue_dump())
    client = app.test_client()
    before = {url: client.get(url).data for url in READS}
    with app.app_context():
        flask_migrate.downgrade(revision="0004")
        columns = {c["name"] for c in sa.inspect(db.engine).get_columns("nodes")}
        assert "served" not in columns
        flask_migrate.upgrade()
        db.engine.dispose()
    assert {url: client.get(url).data for url in READS} == before
    assert_served_fresh(app)


def test_verify_finds_a_stale_served_node_and_repair_makes_it_again(app, client, catalogue, runner):
    before = client.get("/nodes/pack-two").data
    with app.app_context():
        db.session.execute(
            sa.update(Node).where(Node.normalized_id == "pack-two").values(served='{"id":"old"}')
        )
        db.session.commit()
    found = runner.invoke(args=["mirror", "verify"])
    assert found.exit_code != 0
    assert "Inconsistent served nodes (1):" in found.output, found.output
    repaired = runner.invoke(args=["mirror", "verify", "--repair"])
    assert "pack-two: made its served JSON again" in repaired.output, repaired.output
    assert client.get("/nodes/pack-two").data == before
    assert runner.invoke(args=["mirror", "verify"]).exit_code == 0
