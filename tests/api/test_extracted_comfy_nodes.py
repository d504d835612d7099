"""Node classes read from archives: stored beside upstream's, never over them, and counted."""

import sqlalchemy as sa

from extensions import db
from models import NodeVersion
from services.imports.comfy_nodes import write_extracted_comfy_nodes
from tests.assertions import assert_error, get_json
from tests.dumps import comfy_node, comfy_nodes_dump, imported

UNREADABLE = "not indexed: expands more than 100 times (a zip bomb?)"


def extract(app, found: dict) -> int:
    """Store `found` ({pair key: (classes, problem)}) as archive indexing would; how many stored."""
    with app.app_context():
        ids = dict(db.session.execute(sa.select(NodeVersion.pair_key, NodeVersion.id)).all())
        written = write_extracted_comfy_nodes(db.session, {ids[k]: v for k, v in found.items()})
        db.session.commit()
    return written


def test_extracted_classes_are_served_and_ranked_like_upstreams(app, runner, client, tmp_path):
    imported(runner, tmp_path, comfy_nodes_dump())
    found = [{**comfy_node("Plain Node", category="plain"), "display_name": "Plain Node ✓"}]
    assert extract(app, {"plain/1.0.0": (found, None)}) == 1
    assert get_json(client, "/comfy-nodes/plain node/node")["id"] == "plain"
    listed = get_json(client, "/nodes/plain/versions/1.0.0/comfy-nodes")["comfy_nodes"]
    # Upstream's ComfyNode has no display name: it is stored, not sent.
    assert listed == [comfy_node("Plain Node", category="plain")]


def test_upstreams_classes_are_never_replaced_by_extracted_ones(app, runner, client, tmp_path):
    imported(runner, tmp_path, comfy_nodes_dump())
    assert extract(app, {"pack-c/1.0.0": ([comfy_node("Guess")], None)}) == 0
    assert get_json(client, "/comfy-nodes/Tie/node")["id"] == "pack-c"
    assert_error(client.get("/comfy-nodes/Guess/node"), 404)


def test_extracting_again_replaces_what_was_read(app, runner, client, tmp_path):
    imported(runner, tmp_path, comfy_nodes_dump())
    extract(app, {"plain/1.0.0": ([comfy_node("First")], None)})
    extract(app, {"plain/1.0.0": ([], UNREADABLE)})
    assert_error(client.get("/comfy-nodes/First/node"), 404)
    assert get_json(client, "/nodes/plain/versions/1.0.0/comfy-nodes")["comfy_nodes"] == []


def test_status_counts_versions_by_where_their_classes_came_from(app, runner, client, tmp_path):
    imported(runner, tmp_path, comfy_nodes_dump())
    extract(app, {"plain/1.0.0": ([comfy_node("Plain")], None), "banned-maker/1.0.0": ([], "x")})
    # banned-maker's classes came from upstream: they stay, and so does its origin.
    expected = {"upstream": 8, "extracted": 1, "not_indexed": 0, "pending": 0, "classes": 14}
    assert get_json(client, "/status")["comfy_nodes"] == expected
    imported(runner, tmp_path, comfy_nodes_dump() | {"nodes": []}, "--replace")
    output = runner.invoke(args=["mirror", "status"]).output
    assert (
        "Node classes: 0, of 0 versions from upstream and 0 extracted; 0 not indexed, 0 pending"
        in output
    )


def test_status_counts_versions_whose_archive_could_not_be_read(app, runner, client, tmp_path):
    imported(runner, tmp_path, comfy_nodes_dump())
    extract(app, {"plain/1.0.0": ([], UNREADABLE)})
    expected = {"upstream": 8, "extracted": 0, "not_indexed": 1, "pending": 0, "classes": 13}
    assert get_json(client, "/status")["comfy_nodes"] == expected
    output = runner.invoke(args=["mirror", "status"]).output
    assert (
        "Node classes: 13, of 8 versions from upstream and 0 extracted; 1 not indexed, 0 pending"
        in output
    )
