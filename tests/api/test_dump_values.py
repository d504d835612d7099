"""What one value of a dump may hold: documented maximum sizes per field, and versions and
publisher ids that cannot pass for others (invisible characters, blanks, look-alikes)."""

import pytest

from tests.bundles import REFUSED, table_contents
from tests.dumps import dump, node, version, write

PUBLISHER_ID_RULE = (
    "Not a valid publisher id: 1-100 ASCII letters, digits, '.', '_' or '-', "
    "starting with a letter or digit."
)
INVISIBLE = "Must not contain invisible characters "
NFKC = "Must be in Unicode normal form NFKC: "


def import_refused(app, runner, tmp_path, document: dict, problem: str) -> None:
    """Importing `document` is refused naming `problem` (after the file name); nothing changes."""
    before = table_contents(app)
    path = write(tmp_path / "dump.json", document)

    result = runner.invoke(args=["mirror", "import", str(path)])

    assert result.exit_code == 1, result.output
    assert REFUSED in result.output
    assert f"{path}: {problem}" in result.output
    assert table_contents(app) == before


def big_node(**fields) -> dict:
    """A node with one good version and the given (oversized) fields."""
    return node("big", version("1.0.0"), **fields)


def big_version(**fields) -> dict:
    """A node whose one version has the given (oversized) fields."""
    return node("big", version("1.0.0", **fields))


def members(size: int) -> list:
    """Publisher members whose JSON takes about `size` bytes."""
    return [{"user": {"name": "m" * 1000}} for _ in range(size // 1000)]


@pytest.mark.parametrize(
    ("bad_node", "problem"),
    [
        pytest.param(
            big_node(description="d" * 100_001),
            "nodes[1].description: Longer than 100,000 characters (100,001).",
            id="node-description",
        ),
        pytest.param(
            big_node(status_detail="d" * 100_001),
            "nodes[1].status_detail: Longer than 100,000 characters",
            id="node-status-detail",
        ),
        pytest.param(
            big_node(name="n" * 1_001),
            "nodes[1].name: Longer than 1,000 characters (1,001).",
            id="node-name",
        ),
        pytest.param(
            big_node(author="a" * 1_001),
            "nodes[1].author: Longer than 1,000 characters",
            id="node-author",
        ),
        pytest.param(
            big_node(repository="https://github.com/" + "r" * 4_096),
            "nodes[1].repository: Longer than 4,096 characters",
            id="node-repository-url",
        ),
        pytest.param(
            big_node(icon="https://example.com/" + "i" * 4_096),
            "nodes[1].icon: Longer than 4,096 characters",
            id="node-icon-url",
        ),
        pytest.param(
            big_node(tags=["t"] * 1_001),
            "nodes[1].tags: More than 1,000 items (1,001).",
            id="node-tags-count",
        ),
        pytest.param(
            big_node(tags=["ok", "t" * 1_001]),
            "nodes[1].tags[1]: Longer than 1,000 characters",
            id="node-tag-length",
        ),
        pytest.param(
            big_node(translations={"zh": {"description": "x" * 200_000}}),
            "nodes[1].translations: Holds 200,",
            id="node-translations",
        ),
        pytest.param(
            big_node(extra="u" * 60_000, more="u" * 60_000),
            "nodes[1]: Unknown keys hold 120,",
            id="node-unknown-keys",
        ),
        pytest.param(
            big_version(changelog="c" * 100_001),
            "nodes[1].versions[0].changelog: Longer than 100,000 characters",
            id="version-changelog",
        ),
        pytest.param(
            big_version(status_reason="s" * 100_001),
            "nodes[1].versions[0].status_reason: Longer than 100,000 characters",
            id="version-status-reason",
        ),
        pytest.param(
            big_version(downloadUrl="https://example.com/" + "z" * 4_096),
            "nodes[1].versions[0].downloadUrl: Longer than 4,096 characters",
            id="version-download-url",
        ),
        pytest.param(
            big_version(dependencies=["d" * 1_001]),
            "nodes[1].versions[0].dependencies[0]: Longer than 1,000 characters",
            id="version-dependency",
        ),
        pytest.param(
            big_version(supported_comfyui_version=">=" + "9" * 1_000),
            "nodes[1].versions[0].supported_comfyui_version: Longer than 1,000 characters",
            id="version-range",
        ),
        pytest.param(
            big_version(extra=["u" * 1_000] * 101),
            "nodes[1].versions[0]: Unknown keys hold",
            id="version-unknown-keys",
        ),
        pytest.param(
            big_node(publisher={"id": "big-pub", "description": "p" * 100_001}),
            "nodes[1].publisher.description: Longer than 100,000 characters",
            id="publisher-description",
        ),
        pytest.param(
            big_node(publisher={"id": "big-pub", "members": members(201_000)}),
            "nodes[1].publisher.members: Holds",
            id="publisher-members",
        ),
        pytest.param(
            big_node(publisher={"id": "big-pub", "extra": "u" * 100_001}),
            "nodes[1].publisher: Unknown keys hold",
            id="publisher-unknown-keys",
        ),
    ],
)
def test_value_beyond_its_limit_is_refused_by_place(app, runner, tmp_path, bad_node, problem):
    document = dump(node("good", version("1.0.0")), bad_node)
    import_refused(app, runner, tmp_path, document, problem)


def test_unknown_keys_are_refused_naming_the_largest(app, runner, tmp_path):
    document = dump(node("good", version("1.0.0"), small="s", huge="h" * 100_001))
    import_refused(
        app,
        runner,
        tmp_path,
        document,
        "nodes[0]: Unknown keys hold 100,024 bytes of JSON together, more than 100,000 "
        "(the largest: 'huge').",
    )


def test_listed_publisher_beyond_a_limit_is_refused_by_place(app, runner, tmp_path):
    document = dump(publishers=[{"id": "pub", "website": "https://" + "w" * 4_096}])
    import_refused(app, runner, tmp_path, document, "publishers[0].website: Longer than 4,096")


def test_values_at_their_limits_are_imported_and_served(client, runner, tmp_path):
    description, changelog = "d" * 100_000, "c" * 100_000
    document = dump(
        node(
            "roomy",
            version("1.0.0", changelog=changelog),
            name="n" * 1_000,
            description=description,
            repository="https://github.com/" + "r" * (4_096 - 19),
            tags=[f"tag-{index}" for index in range(1_000)],
            extra="u" * 99_000,
        )
    )
    path = write(tmp_path / "dump.json", document)

    result = runner.invoke(args=["mirror", "import", str(path)])

    assert result.exit_code == 0, result.output
    served = client.get("/nodes/roomy").get_json()
    assert served["description"] == description
    assert len(served["tags"]) == 1_000
    assert served["latest_version"]["changelog"] == changelog


@pytest.mark.parametrize(
    ("bad_version", "problem"),
    [
        pytest.param(
            "1.0.0\u200b",
            INVISIBLE + "(U+200B ZERO WIDTH SPACE).",
            id="zero-width-space",
        ),
        pytest.param(
            "1.0.0\u202e",
            INVISIBLE + "(U+202E RIGHT-TO-LEFT OVERRIDE).",
            id="bidi-override",
        ),
        pytest.param("\u200e1.0.0", INVISIBLE + "(U+200E LEFT-TO-RIGHT MARK).", id="bidi-mark"),
        pytest.param(
            "\ufeff1.0.0", INVISIBLE + "(U+FEFF ZERO WIDTH NO-BREAK SPACE).", id="byte-order-mark"
        ),
        pytest.param("1.0.0\ue000", INVISIBLE + "(U+E000 unnamed).", id="private-use"),
        pytest.param("1.0\u20280", INVISIBLE + "(U+2028 LINE SEPARATOR).", id="line-separator"),
        pytest.param(
            "1.0\u20290", INVISIBLE + "(U+2029 PARAGRAPH SEPARATOR).", id="paragraph-separator"
        ),
        pytest.param("1.0.0\x00", "Must not contain control characters.", id="nul"),
        pytest.param(
            "\uff11.\uff10.\uff10",
            NFKC + "'\uff11.\uff10.\uff10' passes for '1.0.0'.",
            id="full-width-digits",
        ),
        pytest.param(
            "1.0.0-\ufb01x", NFKC + "'1.0.0-\ufb01x' passes for '1.0.0-fix'.", id="ligature"
        ),
        pytest.param(" ", "Must not be only whitespace.", id="space"),
        pytest.param("\u3000", "Must not be only whitespace.", id="ideographic-space"),
        pytest.param("1.0.0 ", "Must not begin or end with whitespace.", id="trailing-space"),
        pytest.param("\u00a01.0.0", "Must not begin or end with whitespace.", id="leading-nbsp"),
    ],
)
def test_version_that_could_pass_for_another_is_refused(
    app, runner, tmp_path, bad_version, problem
):
    document = dump(node("pack", version("1.0.0"), version(bad_version)))
    import_refused(app, runner, tmp_path, document, f"nodes[0].versions[1].version: {problem}")


@pytest.mark.parametrize(
    ("bad_id", "problem"),
    [
        pytest.param(
            "pub\u200bone", INVISIBLE + "(U+200B ZERO WIDTH SPACE).", id="zero-width-space"
        ),
        pytest.param(
            "pub-one\u202e", INVISIBLE + "(U+202E RIGHT-TO-LEFT OVERRIDE).", id="bidi-override"
        ),
        pytest.param(
            "\uff50\uff55\uff42-one",
            NFKC + "'\uff50\uff55\uff42-one' passes for 'pub-one'.",
            id="full-width-letters",
        ),
        pytest.param("\u0440ub-one", PUBLISHER_ID_RULE, id="cyrillic-look-alike"),
        pytest.param("pub one", PUBLISHER_ID_RULE, id="inner-space"),
        pytest.param(" ", "Must not be only whitespace.", id="space"),
        pytest.param("-pub", PUBLISHER_ID_RULE, id="leading-dash"),
    ],
)
def test_publisher_id_that_could_pass_for_another_is_refused(
    app, runner, tmp_path, bad_id, problem
):
    publishers = [{"id": "pub-one", "name": "Real"}, {"id": bad_id, "name": "Look-alike"}]
    document = dump(node("pack", version("1.0.0")), publishers=publishers)
    import_refused(app, runner, tmp_path, document, f"publishers[1].id: {problem}")


def test_publisher_reference_that_could_pass_for_another_is_refused(app, runner, tmp_path):
    document = dump(
        node("pack", version("1.0.0"), publisher={"id": "pub-one\u200b"}),
        publishers=[{"id": "pub-one", "name": "Real"}],
    )
    problem = "nodes[0].publisher.id: " + INVISIBLE + "(U+200B ZERO WIDTH SPACE)."
    import_refused(app, runner, tmp_path, document, problem)


def test_sample_data_imports(runner):
    result = runner.invoke(args=["mirror", "seed"])

    assert result.exit_code == 0, result.output
    assert "Seeded the empty mirror" in result.output
