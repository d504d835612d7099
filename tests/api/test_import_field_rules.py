"""`flask mirror import` refusing a bad node or version field, naming its place, and accepting
the longest node id and version."""

import pytest

from tests.bundles import table_contents
from tests.dumps import dump, node, version, write
from tests.mirrors import NODE_ID_RULE, assert_refused, run_import


@pytest.mark.parametrize(
    ("bad_node", "problem"),
    [
        pytest.param({"id": "author/repo"}, f"nodes[1].id: {NODE_ID_RULE}", id="id-with-slash"),
        pytest.param({"id": "-x"}, f"nodes[1].id: {NODE_ID_RULE}", id="id-leading-dash"),
        pytest.param({"id": "x."}, f"nodes[1].id: {NODE_ID_RULE}", id="id-trailing-dot"),
        pytest.param({"id": ""}, f"nodes[1].id: {NODE_ID_RULE}", id="id-empty"),
        pytest.param({"id": "x" * 101}, f"nodes[1].id: {NODE_ID_RULE}", id="id-101-chars"),
        pytest.param({"id": "caf\u00e9"}, f"nodes[1].id: {NODE_ID_RULE}", id="id-non-ascii"),
        pytest.param({}, "nodes[1].id: Missing data for required field.", id="id-missing"),
        pytest.param({"id": 5}, "nodes[1].id: Not a valid string.", id="id-number"),
        pytest.param(5, "nodes[1]: Invalid input type.", id="node-not-object"),
        pytest.param(
            {"id": "x", "status": "NodeStatusGone"},
            "nodes[1].status: Must be one of: NodeStatusActive, NodeStatusDeleted, "
            "NodeStatusBanned.",
            id="bad-status",
        ),
        pytest.param(
            {"id": "x", "created_at": "2024-02-30T00:00:00Z"},
            "nodes[1].created_at: Not a valid datetime.",
            id="bad-created-at",
        ),
        pytest.param(
            {"id": "x", "downloads": "many"},
            "nodes[1].downloads: Not a valid integer.",
            id="downloads-word",
        ),
        pytest.param(
            {"id": "x", "downloads": "12"},
            "nodes[1].downloads: Not a valid integer.",
            id="downloads-numeric-string",
        ),
        pytest.param(
            {"id": "x", "downloads": 12.5},
            "nodes[1].downloads: Not a valid integer.",
            id="downloads-fraction",
        ),
        pytest.param(
            {"id": "x", "downloads": 2**63},
            "nodes[1].downloads:",
            id="downloads-beyond-64-bits",
        ),
        pytest.param(
            {"id": "x", "tags": "video"}, "nodes[1].tags: Not a valid list.", id="tags-string"
        ),
        pytest.param(
            {"id": "x", "versions": {}},
            "nodes[1].versions: Not a valid list.",
            id="versions-object",
        ),
        pytest.param(
            {"id": "x", "publisher": "ltdrdata"},
            "nodes[1].publisher: Invalid input type.",
            id="publisher-string",
        ),
        pytest.param(
            {"id": "x", "publisher": {"id": "../ltdrdata", "name": "x"}},
            "nodes[1].publisher.id: Must not contain '/' or '\\'.",
            id="publisher-id-path",
        ),
        pytest.param(
            {"id": "x", "publisher": {"id": "ghost"}},
            "nodes[1].publisher.id: unknown publisher 'ghost'",
            id="unknown-publisher-reference",
        ),
    ],
)
def test_bad_node_is_refused_naming_its_place(app, runner, tmp_path, bad_node, problem):
    path = write(tmp_path / "dump.json", dump(node("good", version("1.0.0")), bad_node))

    result = run_import(runner, path)

    assert_refused(result, f"{path}: {problem}")
    assert table_contents(app)["nodes"] == []


@pytest.mark.parametrize(
    ("bad_version", "problem"),
    [
        pytest.param(
            {"version": "1.0/2"}, "versions[1].version: Must not contain '/' or '\\'.", id="slash"
        ),
        pytest.param(
            {"version": "1.0\\2"},
            "versions[1].version: Must not contain '/' or '\\'.",
            id="backslash",
        ),
        pytest.param(
            {"version": ".."}, "versions[1].version: Must not contain '..'.", id="dot-dot"
        ),
        pytest.param(
            {"version": "1..0"}, "versions[1].version: Must not contain '..'.", id="inner-dot-dot"
        ),
        pytest.param({"version": "."}, "versions[1].version: Must not", id="dot"),
        pytest.param(
            {"version": "1.0\n"},
            "versions[1].version: Must not contain control characters.",
            id="newline",
        ),
        pytest.param(
            {"version": "1.0\x00"},
            "versions[1].version: Must not contain control characters.",
            id="nul",
        ),
        pytest.param(
            {"version": "1.0\x7f"},
            "versions[1].version: Must not contain control characters.",
            id="delete",
        ),
        pytest.param(
            {"version": "1.0\x9b"},
            "versions[1].version: Must not contain control characters.",
            id="c1-control",
        ),
        pytest.param({"version": ""}, "versions[1].version: Must not be empty.", id="empty"),
        pytest.param(
            {"version": "1" * 256},
            "versions[1].version: Longer than 255 characters.",
            id="256-chars",
        ),
        pytest.param({}, "versions[1].version: Missing data for required field.", id="missing"),
        pytest.param({"version": 1}, "versions[1].version: Not a valid string.", id="number"),
        pytest.param("1.0.0", "versions[1]: Invalid input type.", id="not-object"),
        pytest.param(
            {"version": "2.0.0", "status": "NodeVersionStatusGone"},
            "versions[1].status: Must be one of: NodeVersionStatusActive, "
            "NodeVersionStatusDeleted, NodeVersionStatusBanned, NodeVersionStatusPending, "
            "NodeVersionStatusFlagged.",
            id="bad-status",
        ),
        pytest.param(
            {"version": "2.0.0", "createdAt": "yesterday"},
            "versions[1].createdAt: Not a valid datetime.",
            id="created-at-word",
        ),
        pytest.param(
            {"version": "2.0.0", "createdAt": "2024-05-03 03:58"},
            "versions[1].createdAt: Not a valid datetime.",
            id="created-at-without-seconds",
        ),
        pytest.param(
            {"version": "2.0.0", "createdAt": "0001-01-01T00:00:00+01:00"},
            "versions[1].createdAt: Not a valid datetime.",
            id="created-at-before-year-1-in-utc",
        ),
        pytest.param(
            {"version": "2.0.0", "node_id": "other"},
            "versions[1].node_id: Must equal the enclosing node's id 'bad'.",
            id="node-id-of-another-node",
        ),
        pytest.param(
            {"version": "1.0.0"},
            "versions[1].version: Duplicate of versions[0] ('1.0.0').",
            id="duplicate-version",
        ),
        pytest.param(
            {"version": "2.0.0", "id": "nope"}, "versions[1].id: Not a valid UUID.", id="bad-id"
        ),
        pytest.param(
            {"version": "2.0.0", "deprecated": "false"},
            "versions[1].deprecated: Not a valid boolean.",
            id="deprecated-string",
        ),
        pytest.param(
            {"version": "2.0.0", "deprecated": 1},
            "versions[1].deprecated: Not a valid boolean.",
            id="deprecated-number",
        ),
        pytest.param(
            {"version": "2.0.0", "dependencies": "torch"},
            "versions[1].dependencies: Not a valid list.",
            id="dependencies-string",
        ),
        pytest.param(
            {"version": "2.0.0", "dependencies": ["torch", 2]},
            "versions[1].dependencies[1]: Not a valid string.",
            id="dependency-number",
        ),
    ],
)
def test_bad_version_is_refused_naming_its_place(app, runner, tmp_path, bad_version, problem):
    document = dump(node("good", version("1.0.0")), node("bad", version("1.0.0"), bad_version))
    path = write(tmp_path / "dump.json", document)

    result = run_import(runner, path)

    assert_refused(result, f"{path}: nodes[1].{problem}")
    assert table_contents(app)["node_versions"] == []


def test_longest_node_id_and_version_are_accepted(runner, tmp_path):
    path = write(tmp_path / "dump.json", dump(node("x" * 100, version("1" * 255))))

    result = run_import(runner, path)

    assert result.exit_code == 0, result.output
