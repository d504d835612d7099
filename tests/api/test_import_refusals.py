"""`flask mirror import` refusing bad dumps: all or nothing, every problem named with its place
(the file, the top level, duplicate ids, paths).

Bad node and version fields are in test_import_field_rules.py."""

import gzip
import json

import pytest

from tests.bundles import table_contents
from tests.dumps import dump, node, version, write
from tests.mirrors import NODE_ID_RULE, assert_refused, run_import

VERSION_ID = "11111111-1111-4111-8111-111111111111"


def previous_mirror(runner, tmp_path) -> None:
    """Import a good dump first, so refusals are checked against a mirror holding data."""
    document = dump(
        *(
            node(f"pack-{i}", version("1.0.0", changelog="before"), version("1.1.0"))
            for i in range(5)
        ),
        node("kept", version("0.1.0"), publisher={"id": "ltdrdata", "name": "Dr.Lt.Data"}),
    )
    result = run_import(runner, write(tmp_path / "previous.json", document))
    assert result.exit_code == 0, result.output


def thirteen_nodes_with_a_bad_date_deep_inside() -> dict:
    """13 nodes of 5 versions that would add and update nodes; one createdAt deep inside is bad."""
    nodes = [
        node(
            f"pack-{i}",
            *(
                version(f"2.{j}.0", changelog="after", createdAt="2025-01-01T00:00:00Z")
                for j in range(4)
            ),
            version("1.0.0", changelog="after"),
            downloads=i,
            publisher={"id": "newcomer", "name": "New"},
        )
        for i in range(13)
    ]
    nodes[12]["versions"][3]["createdAt"] = "the day before yesterday"
    return dump(*nodes, publishers=[{"id": "another", "name": "Another"}])


def test_one_bad_value_deep_inside_refuses_the_whole_dump(app, runner, tmp_path):
    previous_mirror(runner, tmp_path)
    before = table_contents(app)
    path = write(tmp_path / "bad.json", thirteen_nodes_with_a_bad_date_deep_inside())

    result = run_import(runner, path)

    assert_refused(result, f"{path}: nodes[12].versions[3].createdAt: Not a valid datetime.")
    assert table_contents(app) == before


@pytest.mark.parametrize("options", [(), ("--replace",)], ids=["merge", "replace"])
def test_one_bad_file_among_several_refuses_them_all(app, runner, tmp_path, options):
    previous_mirror(runner, tmp_path)
    before = table_contents(app)
    good = write(tmp_path / "good.json", dump(node("pack-0", version("9.0.0")), node("fresh")))
    bad = write(tmp_path / "bad.json", thirteen_nodes_with_a_bad_date_deep_inside())

    result = runner.invoke(args=["mirror", "import", *options, str(good), str(bad)])

    assert_refused(result, f"{bad}: nodes[12].versions[3].createdAt: Not a valid datetime.")
    assert str(good) not in result.output
    assert table_contents(app) == before


def test_problem_found_while_writing_leaves_the_mirror_unchanged(app, runner, tmp_path):
    previous_mirror(runner, tmp_path)
    before = table_contents(app)
    document = dump(
        node("pack-0", version("3.0.0")),
        node("orphan", publisher={"id": "ghost"}),
        publishers=[{"id": "newcomer", "name": "New"}],
    )
    path = write(tmp_path / "dump.json", document)

    result = run_import(runner, path)

    assert_refused(result, f"{path}: nodes[1].publisher.id: unknown publisher 'ghost'")
    assert table_contents(app) == before


def test_every_problem_is_listed_not_just_the_first(runner, tmp_path):
    document = dump(
        node("a", version("1.0.0", status="Gone")),
        node("b"),
        node("-c"),
    )
    path = write(tmp_path / "dump.json", document)

    result = run_import(runner, path)

    assert_refused(
        result,
        f"{path}: nodes[0].versions[0].status: Must be one of:",
        f"{path}: nodes[2].id: {NODE_ID_RULE}",
    )


def gzip_with_a_corrupt_stream() -> bytes:
    """A gzip file whose header is fine but whose compressed data is damaged."""
    raw = bytearray(gzip.compress(json.dumps(dump()).encode() * 3))
    raw[10] ^= 0xFF
    return bytes(raw)


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        pytest.param(b"{nope", "not valid UTF-8 JSON at line 1, column 2", id="not-json"),
        pytest.param(b"", "not valid UTF-8 JSON", id="empty-file"),
        pytest.param(b'{"format": "\xff"}', "not valid UTF-8 JSON", id="not-utf8"),
        pytest.param(
            gzip.compress(json.dumps(dump()).encode())[:-12],
            "not a readable gzip file",
            id="truncated-gzip",
        ),
        pytest.param(gzip_with_a_corrupt_stream(), "not a readable gzip file", id="corrupt-gzip"),
        pytest.param(b"[]", "the document is not a JSON object.", id="array"),
        pytest.param(b'"dump"', "the document is not a JSON object.", id="string"),
    ],
)
def test_unreadable_file_is_refused_naming_it(app, runner, tmp_path, content, problem):
    path = tmp_path / "dump.json"
    path.write_bytes(content)

    result = run_import(runner, path)

    assert_refused(result, f"{path}: {problem}")


HEADER = {"format": "comfy-registry-dump", "format_version": 1}


@pytest.mark.parametrize(
    ("document", "problem"),
    [
        pytest.param(
            {**HEADER, "format": "comfy-registry-bundle", "nodes": []},
            "format: Must be equal to comfy-registry-dump.",
            id="wrong-format",
        ),
        pytest.param(
            {"format_version": 1, "nodes": []},
            "format: Missing data for required field.",
            id="missing-format",
        ),
        pytest.param(
            {"format": "comfy-registry-dump", "nodes": []},
            "format_version: Missing data for required field.",
            id="missing-format-version",
        ),
        pytest.param(
            {**HEADER, "format_version": "1", "nodes": []},
            "format_version: Not a valid integer.",
            id="format-version-string",
        ),
        pytest.param(
            {**HEADER, "format_version": 0, "nodes": []},
            "format_version: must be 1 or more.",
            id="format-version-0",
        ),
        pytest.param(HEADER, "nodes: Missing data for required field.", id="missing-nodes"),
        pytest.param({**HEADER, "nodes": {}}, "nodes: Not a valid list.", id="nodes-object"),
        pytest.param(
            {**HEADER, "nodes": [], "publishers": {}},
            "publishers: Not a valid list.",
            id="publishers-object",
        ),
        pytest.param(
            {**HEADER, "nodes": [], "exported_at": "yesterday"},
            "exported_at: Not a valid datetime.",
            id="bad-exported-at",
        ),
    ],
)
def test_bad_top_level_is_refused_naming_the_key(runner, tmp_path, document, problem):
    path = write(tmp_path / "dump.json", document)

    result = run_import(runner, path)

    assert_refused(result, f"{path}: {problem}")


def test_newer_format_version_is_refused_naming_both_versions(runner, tmp_path):
    path = write(tmp_path / "dump.json", {**HEADER, "format_version": 2, "nodes": [5]})

    result = run_import(runner, path)

    assert_refused(result, f"{path}: format_version 2 is newer", "(format_version 1)")
    assert "nodes[0]" not in result.output


def test_two_nodes_equal_but_for_case_in_one_dump_are_refused(runner, tmp_path):
    path = write(tmp_path / "dump.json", dump(node("Foo"), node("good"), node("foo")))

    result = run_import(runner, path)

    assert_refused(result, f"{path}: nodes[2].id: 'foo' is the same node as nodes[0]")


def test_duplicate_version_ids_in_one_dump_are_refused(runner, tmp_path):
    document = dump(
        node("a", version("1.0.0", id=VERSION_ID)), node("b", version("2.0.0", id=VERSION_ID))
    )
    path = write(tmp_path / "dump.json", document)

    result = run_import(runner, path)

    assert_refused(
        result,
        f"{path}: nodes[1].versions[0].id: '{VERSION_ID}' is already the id of "
        f"{path}: nodes[0].versions[0].",
    )


def test_duplicate_version_ids_across_files_are_refused_naming_the_place(app, runner, tmp_path):
    first = write(tmp_path / "first.json", dump(node("a", version("1.0.0", id=VERSION_ID))))
    second = write(tmp_path / "second.json", dump(node("b", version("2.0.0", id=VERSION_ID))))

    result = run_import(runner, first, second)

    assert_refused(result, f"{second}: nodes[0].versions[0].id:")
    assert table_contents(app)["nodes"] == []


def test_version_id_held_by_another_mirrored_version_is_refused_naming_the_place(
    app, runner, tmp_path
):
    earlier = write(tmp_path / "earlier.json", dump(node("a", version("1.0.0", id=VERSION_ID))))
    assert run_import(runner, earlier).exit_code == 0
    before = table_contents(app)
    later = write(tmp_path / "later.json", dump(node("b", version("2.0.0", id=VERSION_ID))))

    result = run_import(runner, later)

    assert_refused(result, f"{later}: nodes[0].versions[0].id:")
    assert table_contents(app) == before


def test_publisher_reference_to_a_publisher_only_the_replaced_mirror_holds_is_refused(
    app, runner, tmp_path
):
    earlier = write(
        tmp_path / "earlier.json", dump(node("a", publisher={"id": "ltdrdata", "name": "L"}))
    )
    assert run_import(runner, earlier).exit_code == 0
    before = table_contents(app)
    later = write(tmp_path / "later.json", dump(node("a", publisher={"id": "ltdrdata"})))

    result = runner.invoke(args=["mirror", "import", "--replace", str(later)])

    assert_refused(result, f"{later}: nodes[0].publisher.id: unknown publisher 'ltdrdata'")
    assert table_contents(app) == before


def test_missing_path_is_refused_naming_it(app, runner, tmp_path):
    missing = tmp_path / "no-such-dump.json"

    result = run_import(runner, missing)

    assert_refused(result, f"{missing}: no such file or folder.")


def test_folder_without_dumps_is_refused_naming_it(runner, tmp_path):
    folder = tmp_path / "empty"
    folder.mkdir()
    (folder / "notes.txt").write_text("no dumps here")

    result = run_import(runner, folder)

    assert_refused(result, f"{folder}: the folder holds no *.json or *.json.gz dump.")
