"""Importing upstream's node classes: validated by place, all or nothing, idempotent, kept."""

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import event

from extensions import db
from models.columns import utcnow
from schemas.limits import MAX_COMFY_NODES, MAX_JSON_TEXT_LENGTH
from services.timestamps import rfc3339
from tests.assertions import assert_error, get_json
from tests.bundles import table_contents
from tests.dumps import (
    comfy_node,
    comfy_nodes_dump,
    dump,
    import_dump,
    imported,
    node,
    version,
    write,
)
from tests.mirrors import NOTHING_CHANGED, assert_refused, import_counts, import_into

CLASSES = "versions' node classes from upstream"
PLACE = "dump.json: nodes[0].versions[0].comfy_nodes"


def one_pack(*classes: dict, number: str = "1.0.0", **fields) -> dict:
    """A dump of one pack whose version carries `classes`."""
    return dump(node("pack", version(number, comfy_nodes=list(classes), **fields)))


def class_names(client, number: str = "1.0.0") -> list[str]:
    body = get_json(client, f"/nodes/pack/versions/{number}/comfy-nodes?limit=100")
    return [found["comfy_node_name"] for found in body["comfy_nodes"]]


@pytest.mark.parametrize(
    "comfy_nodes,problem",
    [
        ("KSampler", f"{PLACE}: Not a valid list."),
        ([{"category": "x"}], f"{PLACE}[0].comfy_node_name: Missing data for required field."),
        ([comfy_node("")], f"{PLACE}[0].comfy_node_name: Shorter than minimum length 1."),
        ([comfy_node("A\x00B")], f"{PLACE}[0].comfy_node_name: "),
        (
            [comfy_node("A"), comfy_node("A")],
            f"{PLACE}[1].comfy_node_name: Duplicate of comfy_nodes[0] ('A').",
        ),
        (
            [comfy_node("A", output_is_list=["yes"])],
            f"{PLACE}[0].output_is_list[0]: Not a valid boolean.",
        ),
        ([comfy_node("A", deprecated="false")], f"{PLACE}[0].deprecated: Not a valid boolean."),
        ([comfy_node("A", policy="Open")], f"{PLACE}[0].policy: Must be one of"),
        (
            [comfy_node("A", input_types="x" * (MAX_JSON_TEXT_LENGTH + 1))],
            f"{PLACE}[0].input_types: Longer than 1,000,000 characters (1,000,001).",
        ),
        ([comfy_node("A", category="c" * 1001)], f"{PLACE}[0].category: Longer than 1,000"),
        ([comfy_node("😀" * 501)], f"{PLACE}[0].comfy_node_name: Longer than maximum length 500."),
        (
            [comfy_node(f"N{index}") for index in range(MAX_COMFY_NODES + 1)],
            f"{PLACE}: More than 10,000 items (10,001).",
        ),
    ],
    ids=[
        "not-a-list",
        "no-name",
        "empty-name",
        "control-character",
        "duplicate",
        "list-of-non-booleans",
        "string-boolean",
        "unknown-policy",
        "huge-input-types",
        "long-category",
        "long-name",
        "too-many",
    ],
)
def test_bad_node_classes_are_refused_by_place(runner, client, tmp_path, comfy_nodes, problem):
    document = dump(node("pack", version("1.0.0", comfy_nodes=comfy_nodes)))
    assert_refused(import_dump(runner, tmp_path, document), problem)
    assert_error(client.get("/nodes/pack"), 404)


def test_a_refused_import_leaves_the_classes_as_they_were(runner, client, tmp_path):
    imported(runner, tmp_path, one_pack(comfy_node("Old")))
    changed = one_pack(comfy_node("New"))
    changed["nodes"].append(node("other", version("1.0.0", status="Nope")))
    assert_refused(import_dump(runner, tmp_path, changed), "nodes[1].versions[0].status")
    assert class_names(client) == ["Old"]
    assert_error(client.get("/comfy-nodes/New/node"), 404)


def test_reimporting_the_same_classes_changes_nothing(runner, tmp_path):
    first = imported(runner, tmp_path, comfy_nodes_dump())
    again = imported(runner, tmp_path, comfy_nodes_dump())
    assert import_counts(first, CLASSES) == "8 added, 0 updated, 0 unchanged"
    assert import_counts(again, CLASSES) == "0 added, 0 updated, 8 unchanged"
    assert NOTHING_CHANGED in again


def test_new_classes_replace_a_versions_classes_and_mark_its_node_changed(runner, client, tmp_path):
    imported(runner, tmp_path, one_pack(comfy_node("Old"), comfy_node("Kept")))
    before = rfc3339(utcnow())
    changed = one_pack(comfy_node("Kept", category="new"), comfy_node("New"))
    output = imported(runner, tmp_path, changed)
    assert import_counts(output, CLASSES) == "0 added, 1 updated, 0 unchanged"
    assert import_counts(output, "versions") == "0 added, 0 updated, 1 unchanged, 0 removed"
    assert NOTHING_CHANGED not in output
    assert class_names(client) == ["Kept", "New"]
    assert_error(client.get("/comfy-nodes/Old/node"), 404)
    listed = get_json(client, f"/nodes?timestamp={before}")["nodes"]
    assert [found["id"] for found in listed] == ["pack"]


@pytest.mark.parametrize(
    "later",
    [dump(node("pack", version("1.0.0"))), one_pack()],
    ids=["without-the-key", "empty-list"],
)
def test_a_dump_without_classes_keeps_those_the_mirror_has(runner, client, tmp_path, later):
    imported(runner, tmp_path, one_pack(comfy_node("Kept")))
    imported(runner, tmp_path, later)
    assert class_names(client) == ["Kept"]


def test_replace_keeps_classes_of_versions_it_keeps(runner, client, tmp_path):
    imported(runner, tmp_path, one_pack(comfy_node("Kept")))
    imported(runner, tmp_path, dump(node("pack", version("1.0.0"))), "--replace")
    assert class_names(client) == ["Kept"]


def test_classes_of_removed_versions_go_with_them(runner, client, tmp_path):
    imported(runner, tmp_path, one_pack(comfy_node("Gone")))
    imported(runner, tmp_path, dump(node("pack", version("2.0.0"))), "--replace")
    assert_error(client.get("/comfy-nodes/Gone/node"), 404)
    assert get_json(client, "/comfy-nodes")["total"] == 0


def test_later_dumps_win_per_version(runner, client, tmp_path):
    first = write(tmp_path / "a.json", one_pack(comfy_node("First")))
    second = write(tmp_path / "b.json", one_pack(comfy_node("Second")))
    import_into(runner, first, second)
    assert class_names(client) == ["Second"]


@pytest.mark.sqlite_only("the disk is made full through a SQLite file's page limit")
def test_an_import_failing_while_writing_classes_leaves_nothing_of_it(app, runner, tmp_path):
    imported(runner, tmp_path, one_pack(comfy_node("Old")))
    before = table_contents(app)
    path = Path(app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///"))
    with sqlite3.connect(path) as probe:
        (pages,) = probe.execute("PRAGMA page_count").fetchone()
    with app.app_context():
        # Room for the new version's row, not for its 2,000 classes.
        event.listen(
            db.engine,
            "connect",
            lambda connection, record: connection.execute(f"PRAGMA max_page_count={pages + 4}"),
        )
        db.engine.dispose()
    big = [comfy_node(f"New {index}", description="d" * 500) for index in range(2000)]
    later = dump(node("pack", version("1.0.0", comfy_nodes=big), version("2.0.0")))
    result = import_dump(runner, tmp_path, later)
    assert result.exit_code == 1, result.output
    assert "database or disk is full" in result.output
    assert table_contents(app) == before


def test_the_longest_class_name_is_stored_and_found(runner, client, tmp_path):
    longest = "😀" * 500  # 2,000 bytes of UTF-8
    imported(runner, tmp_path, one_pack(comfy_node(longest)))
    assert get_json(client, f"/comfy-nodes/{longest}/node")["id"] == "pack"
